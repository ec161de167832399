"""Audited changes write their entries without waiting for each other; the sealer chains them
after commit, and a sealer killed halfway leaves nothing the next one cannot finish.

These need real commits and row locks, so they run on PostgreSQL only.
"""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection, transaction

from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry, AuditHead
from qoima.audit.services import audit_chain_check, audit_record, audit_record_many, audit_seal
from tests.processes import database_url

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="SQLite lets one writer at a time into the whole database",
)


def in_thread(work: Callable[[], object]) -> threading.Thread:
    """``work`` on a connection of its own, closed when it ends."""

    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def poll(condition: Callable[[], object], what: str) -> None:
    """Wait for another process's progress (read from the database), not for a duration."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw: {what}")
        time.sleep(0.05)


def test_an_open_transaction_that_audited_holds_up_no_other(committed_db):
    written, release = threading.Event(), threading.Event()
    ids: dict[str, int] = {}

    def long_change() -> None:
        with transaction.atomic():
            ids["long"] = audit_record(
                actor=None, action=AuditAction.HOLDER_SUSPENDED, details={"who": "long"}
            ).pk
            written.set()
            release.wait(timeout=120)

    def short_change() -> None:
        with transaction.atomic():
            ids["short"] = audit_record(
                actor=None, action=AuditAction.HOLDER_VERIFIED, details={"who": "short"}
            ).pk

    long = in_thread(long_change)
    assert written.wait(timeout=60)
    short = in_thread(short_change)
    # With a lock on the append, this change would wait for the long one until it commits.
    short.join(timeout=60)
    short_committed_first = not short.is_alive()
    # The sealer seals what has committed; the long change's entry is not visible yet.
    sealed_meanwhile = audit_seal()
    release.set()
    long.join()
    short.join()
    assert short_committed_first
    assert sealed_meanwhile == 1
    assert audit_seal() == 1
    # Chained in the order the entries became visible, not in the order of their ids.
    assert ids["long"] < ids["short"]
    seqs = dict(AuditEntry.objects.values_list("id", "seq"))
    assert (seqs[ids["short"]], seqs[ids["long"]]) == (1, 2)
    assert audit_chain_check().ok


def test_concurrent_appends_and_two_running_sealers_make_one_unbroken_chain(committed_db):
    """The scheduled sealer (which skips its turn when another is at work) and verifyaudit's
    (which waits for the head) run at once, against the writers and each other."""
    writers, changes = 8, 40
    stop = threading.Event()
    errors: list[str] = []
    barrier = threading.Barrier(writers)

    def writer(number: int) -> Callable[[], None]:
        def work() -> None:
            barrier.wait(timeout=60)
            for change in range(changes):
                try:
                    with transaction.atomic():
                        audit_record(
                            actor=None,
                            action=AuditAction.EXCHANGE_TRANSFER_REQUESTED,
                            details={"writer": number, "change": change, "part": 0},
                        )
                        if change % 3 == 0:
                            # Several entries of one change, in one statement.
                            audit_record_many(
                                actor=None,
                                action=AuditAction.OPERATION_FAILED,
                                records=[
                                    (None, {"writer": number, "change": change, "part": part})
                                    for part in (1, 2)
                                ],
                            )
                except Exception as error:  # every error is the finding
                    errors.append(f"writer {number}: {type(error).__name__}: {error}")

        return work

    def sealer(wait: bool) -> Callable[[], None]:
        def work() -> None:
            while not stop.is_set():
                try:
                    audit_seal(batch_size=50, wait=wait)
                except Exception as error:
                    errors.append(f"sealer: {type(error).__name__}: {error}")
                    return

        return work

    sealers = [in_thread(sealer(False)), in_thread(sealer(True))]
    threads = [in_thread(writer(n)) for n in range(writers)]
    for thread in threads:
        thread.join()
    stop.set()
    for sealing in sealers:
        sealing.join()
    audit_seal()

    assert errors == []
    expected = writers * (changes + 2 * len(range(0, changes, 3)))
    rows = list(AuditEntry.objects.order_by("seq").values_list("seq", "details"))
    assert len(rows) == expected
    assert [seq for seq, _details in rows] == list(range(1, expected + 1))
    report = audit_chain_check()
    assert (report.ok, report.entries_checked) == (True, expected)
    # Each writer's changes keep their order in the chain: one committed before the next began.
    for number in range(writers):
        own = [(d["change"], d["part"]) for _seq, d in rows if d["writer"] == number]
        assert own == sorted(own)


def test_a_sealer_killed_mid_seal_leaves_nothing_the_next_cannot_finish(committed_db, tmp_path):
    total, batch = 3_000, 1_000
    with transaction.atomic():
        audit_record_many(
            actor=None,
            action=AuditAction.EXCHANGE_TRANSFER_REQUESTED,
            records=[(None, {"i": i}) for i in range(total)],
        )
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    held, release = threading.Event(), threading.Event()

    def hold_an_entry_of_the_third_batch() -> None:
        # The sealer's third batch waits on this row, its transaction open, its lock held.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM audit_auditentry WHERE id = %s FOR UPDATE", [ids[2 * batch + 10]]
            )
            held.set()
            release.wait(timeout=120)

    holder = in_thread(hold_an_entry_of_the_third_batch)
    assert held.wait(timeout=60)
    log = tmp_path / "sealaudit.log"
    with log.open("wb") as out:
        sealer = subprocess.Popen(
            [sys.executable, "manage.py", "sealaudit", f"--batch-size={batch}"],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "qoima.settings.test",
                "DATABASE_URL": database_url(),
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        poll(lambda: AuditHead.objects.filter(seq=2 * batch).exists(), "two batches sealed")

        def third_batch_waiting() -> bool:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE 'UPDATE%%audit_auditentry%%'"
                )
                return cursor.fetchone()[0] == 1

        poll(third_batch_waiting, "the third batch waiting in its transaction")
        sealer.kill()
        assert sealer.wait() == -9
    finally:
        release.set()
        holder.join()
        if sealer.poll() is None:
            sealer.kill()

    # The killed batch left nothing behind: two batches sealed, the third not.
    assert AuditEntry.objects.filter(seq__isnull=False).count() == 2 * batch
    assert audit_seal() == total - 2 * batch
    report = audit_chain_check()
    assert (report.ok, report.entries_checked) == (True, total), log.read_text()
