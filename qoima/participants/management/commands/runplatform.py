"""``make run``: the whole platform on its embedded defaults, stopped together by Ctrl-C.

The console shows where to open the site, the demo logins, and then one line per notable event
(qoima/events.py) of any of the processes; each process's own log is a file under var/log/.
"""

import logging.config
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import translation

from qoima.chain.anvil import AnvilNode
from qoima.chain.client import ChainUnavailable, chain_head
from qoima.chain.services import node_health_record
from qoima.events import event, logging_config
from qoima.participants.demo import DEMO_LOGINS


class Supervised:
    """A child process that is started again whenever it exits, after a pause that doubles
    with each quick exit (up to ``longest_pause``) and starts over once it has run a while.

    A worker that dies for any reason (a broker restart it did not survive, a crash, the OOM
    killer) is back without anyone at the keyboard; each exit and restart is said in one line.
    """

    def __init__(
        self,
        name: str,
        command: list[str],
        log: Path,
        say: Callable[[str], None],
        *,
        first_pause: float = 1.0,
        longest_pause: float = 60.0,
        healthy_after: float = 60.0,
    ) -> None:
        self.name, self.command, self.log, self.say = name, command, log, say
        self.first_pause, self.longest_pause = first_pause, longest_pause
        self.healthy_after = healthy_after
        self.pause = first_pause
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.restart_at: float | None = None
        self.restarts = 0

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT)
        self.started_at = time.monotonic()

    def check(self) -> None:
        """Notice an exit and schedule the restart; start it again once its pause is over."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restart_at = None
                self.restarts += 1
                self.start()
                self.say(f"{self.name} started again (restart {self.restarts}).")
            return
        if self.process is None or self.process.poll() is None:
            return
        if now - self.started_at >= self.healthy_after:
            self.pause = self.first_pause
        self.say(
            f"{self.name} exited with code {self.process.returncode}; starting it again in "
            f"{self.pause:g} s. See {self.log}."
        )
        self.restart_at = now + self.pause
        self.pause = min(self.pause * 2, self.longest_pause)

    def stop(self) -> None:
        self.restart_at = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


class EventsFollower:
    """Prints the lines the platform's processes append to the events file, from where the
    file ended when it started, as they come."""

    def __init__(self, path: Path, write: Callable[[str], None], *, poll: float = 0.2) -> None:
        self.path, self.write, self.poll = path, write, poll
        self.path.touch()
        self.offset = self.path.stat().st_size
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="events", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def catch_up(self, timeout: float = 2.0) -> None:
        """Wait until what the file holds now is printed, so that what follows comes after."""
        end = self.path.stat().st_size
        deadline = time.monotonic() + timeout
        while self.offset < end and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        """Print what is left, then stop."""
        self.stopping.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        with open(self.path, "rb") as events:
            events.seek(self.offset)
            pending = b""
            while True:
                stopping = self.stopping.is_set()
                pending += events.read()
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self.write(line.decode("utf-8", errors="replace"))
                    self.offset += len(line) + 1
                if stopping:
                    return
                self.stopping.wait(self.poll)


class Command(BaseCommand):
    help = "Start anvil, the web server, a Celery worker and beat, and the matcher, with demo data."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("RUN_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("RUN_PORT", "8000")))

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        logs = settings.VAR_DIR / "log"
        logs.mkdir(parents=True, exist_ok=True)
        events_file = logs / "events.log"
        # This process and every child append their notable lines to one file; the rest of
        # what they log goes to their own files.
        os.environ["EVENTS_LOG_FILE"] = str(events_file)
        logging.config.dictConfig(
            logging_config(events_file=str(events_file), raw_file=str(logs / "runplatform.log"))
        )
        self._follower = EventsFollower(events_file, self.stdout.write)
        self._follower.start()
        try:
            self._run(host, port, logs)
        finally:
            self._follower.stop()

    def _run(self, host: str, port: int, logs: Path) -> None:
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)

        anvil = self._start_chain(logs)
        try:
            head = node_health_record()
        except ChainUnavailable as error:
            message = f"The chain at {settings.CHAIN_RPC_URL} does not answer: {error}"
            raise CommandError(message) from error
        self.stdout.write(f"Chain {head.chain_id} answers at block {head.block_number}.")
        # The embedded chain is a development chain: contracts rebuilt from changed sources
        # simply get a new registry.
        call_command("deployplatform", replace_outdated=True)
        call_command("loaddemo")
        call_command("loaddemoassets")

        python = sys.executable
        commands = {
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "qoima",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
                "-n",
                "qoima-worker@%h",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "qoima",
                "beat",
                "-l",
                "info",
                "-s",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
            # The exchange's matcher: the single writer of each market's book.
            "matcher": [python, str(settings.BASE_DIR / "manage.py"), "runmatcher"],
            "web": [
                python,
                "-m",
                "gunicorn",
                "--config",
                "python:qoima.gunicorn_conf",
                "qoima.wsgi:application",
                "--bind",
                f"{host}:{port}",
            ],
        }
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            if not stopping:
                # Said at once, after the terminal's "^C": Ctrl-C reaches the children too, and
                # they say they stop.
                self.stdout.write("")
                event("stopping")
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        children = {
            name: Supervised(name, command, logs / f"{name}.log", event)
            for name, command in commands.items()
        }
        try:
            for child in children.values():
                child.start()
            self._follower.catch_up()
            self._print_welcome(host, port, logs)
            self._follow_demo(logs)
            web = children["web"]
            while not stopping:
                # The worker, beat and the matcher come back by themselves; the web server
                # exits only on an error that starting it again would not cure (a port taken).
                if web.process is not None and web.process.poll() is not None:
                    event(
                        "web exited with code %s; see %s. Stopping.",
                        web.process.returncode,
                        web.log,
                    )
                    break
                children["worker"].check()
                children["beat"].check()
                children["matcher"].check()
                time.sleep(0.5)
        finally:
            if not stopping:
                event("stopping")
            for child in children.values():
                child.stop()
            for child in children.values():
                child.wait()
            if anvil is not None:
                anvil.stop()
            event("stopped; data is kept under %s", settings.VAR_DIR)

    def _start_chain(self, logs: Path) -> AnvilNode | None:
        """Start the project's anvil unless a node already answers at CHAIN_RPC_URL."""
        try:
            chain_head()
            self.stdout.write(f"Using the chain node at {settings.CHAIN_RPC_URL}.")
            return None
        except ChainUnavailable:
            pass
        url = urlparse(settings.CHAIN_RPC_URL)
        if url.hostname not in {"127.0.0.1", "localhost"}:
            raise CommandError(f"The chain node at {settings.CHAIN_RPC_URL} does not answer.")
        self.stdout.write(f"Starting anvil on port {url.port} (state in var/anvil/)…")
        return AnvilNode(
            node_modules=settings.NODE_MODULES_DIR,
            port=url.port or 8545,
            chain_id=settings.CHAIN_ID,
            state_file=settings.ANVIL_STATE_DIR / "state.json",
            log_file=logs / "anvil.log",
            block_time=1,
        ).start()

    def _follow_demo(self, logs: Path) -> None:
        """Once the worker has minted the demo asset, distribute it to the demo holders and
        open its market (in the background: the platform is usable meanwhile)."""

        def follow() -> None:
            with open(logs / "demo.log", "a") as out:
                try:
                    call_command("loaddemoassets", follow=300.0, stdout=out, stderr=out)
                    call_command("loaddemoexchange", stdout=out, stderr=out)
                finally:
                    connection.close()

        threading.Thread(target=follow, name="demo", daemon=True).start()

    def _print_welcome(self, host: str, port: int, logs: Path) -> None:
        with translation.override("en"):
            self._print_logins(host, port, logs)

    def _print_logins(self, host: str, port: int, logs: Path) -> None:
        width = max(len(login.role.label) for login in DEMO_LOGINS)
        mail_dir = getattr(settings, "EMAIL_FILE_PATH", None)
        mailbox = (
            [f"Mail sent by the platform: http://{host}:{port}/admin/mail/ (files in {mail_dir}/)"]
            if settings.EMAIL_BACKEND.endswith(".filebased.EmailBackend") and mail_dir
            else []
        )
        lines = [
            "",
            f"Qoima is running at http://{host}:{port}/",
            "",
            "Demo logins (password for all: " + DEMO_LOGINS[0].password + "):",
            *(f"  {str(login.role.label).ljust(width)}  {login.username}" for login in DEMO_LOGINS),
            "Staff add a second factor at their first login: an authenticator app (scan its",
            "QR code) or a passkey. Keep the recovery codes it shows: they let you back in.",
            "",
            *mailbox,
            f"Each process's own log: {logs}/",
            "Below, one line per notable event. Press Ctrl-C to stop everything.",
            "",
        ]
        self.stdout.write("\n".join(lines))
