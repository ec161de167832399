"""Brokers a test owns: a Redis to stop and start under a running worker, and pointing this
process's publishing at another broker.

The shared Redis other tests use is never touched: a test that kills its broker starts its
own on a free port and kills only that one.
"""

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kombu import pools

from qoima import celery_app
from qoima.chain.anvil import free_port


class RedisServer:
    """A ``redis-server`` whose data survives its restarts (append-only file in a folder)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--save",
                "",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, down_for: float = 0.5) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


def _reset_producers() -> None:
    # kombu keeps one pool of connections and producers per broker URL for the whole process;
    # closing them all and forgetting them makes the next publish connect afresh.
    pools.reset()
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]


@contextmanager
def publishing_to(url: str) -> Iterator[None]:
    """What this process enqueues goes to the broker at ``url`` while the block lasts."""
    previous = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    _reset_producers()
    # The embedded default's options describe its filesystem folders, not a Redis.
    celery_app.conf.update(broker_url=url, broker_transport_options={})
    try:
        yield
    finally:
        _reset_producers()
        celery_app.conf.update(broker_url=previous[0], broker_transport_options=previous[1])


def nothing_listening() -> str:
    """A Redis URL at a port where nothing answers."""
    return f"redis://127.0.0.1:{free_port()}/0"
