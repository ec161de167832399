"""Shared fixtures: a real anvil for the session and a real Celery worker process."""

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase
from web3 import Web3

from qoima import celery_app
from qoima.audit.triggers import create_triggers, drop_triggers
from qoima.chain.anvil import AnvilNode, free_port
from qoima.chain.client import web3_for
from qoima.exchange import triggers as ledger_triggers

from .processes import database_url, matcher_command, worker_command
from .second_factor import mark_verified

ROOT = Path(__file__).resolve().parent.parent

# CI searches the same examples on every run, so a red build is one anyone can reproduce; a
# developer's run searches afresh and keeps what failed under var/ to try it first next time.
# No deadline: two cores shared by several runs make any per-example time limit flaky.
# Whatever else Hypothesis keeps goes under var/ too, not into the checkout.
set_hypothesis_home_dir(ROOT / "var" / "hypothesis")
hypothesis_settings.register_profile("ci", derandomize=True, database=None, deadline=None)
hypothesis_settings.register_profile(
    "dev",
    database=DirectoryBasedExampleDatabase(ROOT / "var" / "hypothesis" / "examples"),
    deadline=None,
)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture(scope="session")
def anvil_node() -> Iterator[AnvilNode]:
    node = AnvilNode(node_modules=ROOT / "node_modules", port=free_port(), chain_id=31337)
    with node:
        yield node


@pytest.fixture
def chain(anvil_node: AnvilNode, settings: Any) -> Iterator[Web3]:
    """The session's anvil, reverted after each test to the state it had before it."""
    settings.CHAIN_RPC_URL = anvil_node.url
    w3 = web3_for(anvil_node.url, 10.0)
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    yield w3
    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


@pytest.fixture
def manual_mining(chain: Web3) -> Iterator[Web3]:
    """Blocks only when the test mines them, so transactions can wait in the mempool."""
    base_fee = chain.eth.get_block("latest")["baseFeePerGas"]
    chain.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    yield chain
    chain.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    # evm_revert does not undo a base-fee jump; later tests must not inherit it.
    chain.provider.make_request(
        "anvil_setNextBlockBaseFeePerGas",  # type: ignore[arg-type]
        [hex(base_fee)],
    )


class WorkerProcess:
    def __init__(self, queue: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.queue = queue
        self.process = process
        self.log = log

    def wait_for(self, condition: Callable[[], Any], timeout: float = 60.0) -> Any:
        """Poll the database until the worker has done what the test waits for."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            if self.process.poll() is not None:
                raise AssertionError(f"worker died:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)
        raise AssertionError(f"worker did not finish in time:\n{self.log.read_text()[-3000:]}")

    def wait_for_death(self, timeout: float = 60.0) -> int:
        """Wait for a worker that was told to crash; returns how it ended."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"worker did not die:\n{self.log.read_text()[-3000:]}") from None

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class WorkerFactory:
    """Starts real ``celery worker`` processes on one queue of the test's own."""

    def __init__(self, anvil_url: str, tmp_path: Path) -> None:
        self.queue = f"qoima-test-{uuid.uuid4().hex[:8]}"
        self.anvil_url = anvil_url
        self.tmp_path = tmp_path
        self.started: list[WorkerProcess] = []

    def start(self, **extra_env: str) -> WorkerProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "qoima.settings.test",
            "DATABASE_URL": database_url(),
            "CHAIN_RPC_URL": self.anvil_url,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            # Tasks the worker enqueues itself go to the same queue.
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            **extra_env,
        }
        log = self.tmp_path / f"worker-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                worker_command(self.queue, f"{self.queue}-{len(self.started)}"),
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(self.queue, process, log)
        self.started.append(worker)
        worker.wait_for(lambda: b"ready." in log.read_bytes(), timeout=60)
        return worker

    def start_matcher(self) -> WorkerProcess:
        """The platform's matcher (``manage.py runmatcher``) on the same database, broker and
        queue as the workers, so the transfers it requests reach them; ready once its
        heartbeat is in the database."""
        from qoima.exchange.models import MatcherHeartbeat

        name = f"{self.queue}-matcher-{len(self.started)}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "qoima.settings.test",
            "DATABASE_URL": database_url(),
            "CHAIN_RPC_URL": self.anvil_url,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
        }
        log = self.tmp_path / f"matcher-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                matcher_command(name), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        matcher = WorkerProcess(self.queue, process, log)
        self.started.append(matcher)
        matcher.wait_for(lambda: MatcherHeartbeat.objects.filter(name=name).exists(), timeout=60)
        return matcher

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()


@pytest.fixture
def worker_factory(
    committed_db: None, anvil_node: AnvilNode, tmp_path: Path
) -> Iterator[WorkerFactory]:
    """Real worker processes on the real broker (Redis when REDIS_URL is set).

    They consume a queue of their own, so nothing else on a shared broker reaches them, and
    what this process enqueues while the fixture lasts goes to that queue too.
    """
    factory = WorkerFactory(anvil_node.url, tmp_path)
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = factory.queue
    try:
        yield factory
    finally:
        celery_app.conf.task_default_queue = previous
        factory.stop_all()


@pytest.fixture
def celery_worker_process(worker_factory: WorkerFactory) -> WorkerProcess:
    return worker_factory.start()


@pytest.fixture(autouse=True)
def _documents_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Stored documents go to the test's own folder, not the embedded default's var/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    """Services' messages in English unless a test asks for another language."""
    with translation.override("en"):
        yield


@pytest.fixture
def committed_db(transactional_db: None) -> Iterator[None]:
    """A database whose writes commit, as another process (a worker) must see them.

    The flush that ends such a test would trip the append-only triggers of the audit log and
    of the exchange's cash ledger (SQLite's flush deletes rows; PostgreSQL's truncates past
    them), so both are emptied past them first, the way only a database owner could.
    """
    yield
    drop_triggers(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")
        cursor.execute("DELETE FROM audit_audithead")
    create_triggers(connection)
    if connection.vendor == "sqlite":
        # Rows that name a posting (statement lines, withdrawals) go in the flush that follows.
        ledger_triggers.drop_triggers(connection)
        with connection.constraint_checks_disabled(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM exchange_leg")
            cursor.execute("DELETE FROM exchange_posting")
        ledger_triggers.create_triggers(connection)


@pytest.fixture
def audit_seal() -> Callable[..., int]:
    """The sealer, for a test that reads an entry's place in the chain right after an action
    (entries are written unsealed)."""
    from qoima.audit.services import audit_seal as seal

    return seal


@pytest.fixture
def throttle_rate(settings: Any) -> Callable[..., None]:
    """Sets one scope's rate (the others stay unlimited), and counts requests afresh (on
    SQLite user ids of earlier tests come again, and throttles outlive a test's rolled-back
    transaction)."""

    def set_rate(rate: str, scope: str = "recipient") -> None:
        settings.CACHES = {
            "default": {**settings.CACHES["default"], "KEY_PREFIX": uuid.uuid4().hex}
        }
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**dict.fromkeys(rates, "10000/minute"), scope: rate},
        }

    return set_rate


@pytest.fixture(autouse=True, scope="session")
def _force_login_passes_the_second_factor() -> Iterator[None]:
    """``force_login`` stands for a whole login: staff, who must prove a second factor, get
    an authenticator app and a session that has proved it, as the login's second step leaves.
    The second factor's own tests sign in through the pages."""
    from django.test.client import ClientMixin

    original = ClientMixin._login  # type: ignore[attr-defined]

    def _login(self: Any, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        mark_verified(self, user)

    ClientMixin._login = _login  # type: ignore[attr-defined]
    yield
    ClientMixin._login = original  # type: ignore[attr-defined]
