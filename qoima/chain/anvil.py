"""Start and stop the project's own anvil node (npm package @foundry-rs/anvil-linux-amd64)."""

import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from web3 import Web3

from .client import ChainUnavailable, chain_head


def anvil_binary(node_modules: Path) -> Path:
    binary = node_modules / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    if not binary.exists():
        raise FileNotFoundError(f"anvil not found at {binary}; run npm ci")
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class AnvilNode:
    """An anvil process; with ``state_file`` its chain survives restarts."""

    def __init__(
        self,
        *,
        node_modules: Path,
        port: int,
        chain_id: int = 31337,
        state_file: Path | None = None,
        log_file: Path | None = None,
        block_time: float | None = None,
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.command = [
            str(anvil_binary(node_modules)),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--chain-id",
            str(chain_id),
            "--silent",
        ]
        if state_file is not None:
            state_file.parent.mkdir(parents=True, exist_ok=True)
            # --state loads the file at start and writes it back; the interval bounds what a
            # crash can lose.
            self.command += ["--state", str(state_file), "--state-interval", "5"]
        if block_time is not None:
            self.command += ["--block-time", str(block_time)]
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> "AnvilNode":
        log = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 2}))
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise ChainUnavailable(f"anvil exited with code {self.process.returncode}")
            try:
                chain_head(w3)
                return self
            except ChainUnavailable:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.1)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # SIGTERM lets anvil write its state file before it exits.
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "AnvilNode":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
