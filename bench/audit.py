"""The audit log's figures: audited writes per second with 1, 4 and 16 concurrent writers, the
earlier design (every append locks the one audit head row until its transaction commits) beside
the current one (entries written unlocked, sealed after commit), on the same table; then the
sealer's throughput and ``verifyaudit`` over a log of a million entries.

PostgreSQL only (DATABASE_URL): SQLite lets one writer at a time into the whole database, so
concurrent writers measure nothing there. Runs in a throwaway test database.
"""

import json
import os
import resource
import threading
import time
from collections.abc import Callable
from functools import partial
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.db import connection, transaction

from qoima.audit.actions import AuditAction
from qoima.audit.hashing import CONTENT, GENESIS_HASH, entry_digest, sealed_digest
from qoima.audit.models import AuditEntry, AuditHead
from qoima.audit.services import SEAL_BATCH, _fields, audit_record, audit_seal

from .database import throwaway_database
from .table import print_table

WRITERS = (1, 4, 16)
# Audited transactions per measurement, shared among the writers.
WRITES = int(os.environ.get("BENCH_AUDIT_WRITES", "4000"))
# Unsealed entries the sealer is timed on, and the log verifyaudit walks.
BACKLOG = int(os.environ.get("BENCH_AUDIT_BACKLOG", "100000"))
LOG_SIZE = int(os.environ.get("BENCH_AUDIT_ENTRIES", "1000000"))
ACTION = AuditAction.EXCHANGE_TRANSFER_REQUESTED


def _details(i: int) -> dict[str, Any]:
    return {"operation": i, "units": 10_000 + i, "token": "0x" + "ab" * 20}


def locked_append(i: int) -> None:
    """The earlier append, as it was: lock the head, number and chain the entry, insert it,
    move the head; the lock is held until the transaction commits."""
    fields = _fields(actor=None, action=ACTION, obj=None, details=_details(i))
    del fields["content_hash"]
    head, _created = AuditHead.objects.select_for_update(no_key=True).get_or_create(
        id=1, defaults={"seq": 0, "entry_hash": GENESIS_HASH}
    )
    fields = {"seq": head.seq + 1, **fields, "prev_hash": head.entry_hash}
    entry_hash = entry_digest(**fields)
    AuditEntry.objects.create(entry_hash=entry_hash, **fields)
    AuditHead.objects.filter(id=1).update(seq=fields["seq"], entry_hash=entry_hash)


def unlocked_append(i: int) -> None:
    audit_record(actor=None, action=ACTION, details=_details(i))


def _writes_per_second(append: Callable[[int], None], writers: int) -> float:
    """Audited transactions per second: ``writers`` threads, each committing its share."""
    share = WRITES // writers
    barrier = threading.Barrier(writers + 1)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            barrier.wait()
            for i in range(share):
                with transaction.atomic():
                    append(i)
        except BaseException as error:  # reported after the run
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return share * writers / elapsed


def _with_sealer(work: Callable[[], float]) -> float:
    """``work`` while the sealer runs as the beat runs it, every second or so."""
    stop = threading.Event()

    def seal() -> None:
        try:
            while not stop.wait(1.0):
                audit_seal(wait=False)
        finally:
            connection.close()

    sealer = threading.Thread(target=seal)
    sealer.start()
    try:
        return work()
    finally:
        stop.set()
        sealer.join()


def _copy_entries(count: int, *, sealed: bool) -> None:
    """Write ``count`` entries in one COPY, as audit_record would (content hashed); sealed ones
    chained on from the head as the sealer would, the head moved with them."""
    head = AuditHead.objects.filter(id=1).first()
    seq, prev_hash = (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)
    columns = ", ".join([*CONTENT, "content_hash", "seq", "prev_hash", "entry_hash"])
    with connection.cursor() as cursor, transaction.atomic():
        with cursor.cursor.copy(f"COPY audit_auditentry ({columns}) FROM STDIN") as copy:
            for i in range(count):
                fields = _fields(actor=None, action=ACTION, obj=None, details=_details(i))
                link: list[Any] = [None, None, None]
                if sealed:
                    seq += 1
                    entry_hash = sealed_digest(
                        seq=seq, prev_hash=prev_hash, content_hash=fields["content_hash"]
                    )
                    link, prev_hash = [seq, prev_hash, entry_hash], entry_hash
                values = [fields[name] for name in CONTENT]
                values[CONTENT.index("details")] = json.dumps(values[CONTENT.index("details")])
                copy.write_row([*values, fields["content_hash"], *link])
        if sealed:
            AuditHead.objects.update_or_create(id=1, defaults={"seq": seq, "entry_hash": prev_hash})


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    concurrency: list[tuple[str, ...]] = []
    figures: list[tuple[str, ...]] = []
    with throwaway_database():
        if connection.vendor != "postgresql":
            return concurrency, figures
        for writers in WRITERS:
            before = _writes_per_second(locked_append, writers)
            after = _with_sealer(partial(_writes_per_second, unlocked_append, writers))
            concurrency.append(
                (str(writers), f"{before:,.0f}", f"{after:,.0f}", f"{after / before:.1f}x")
            )
        audit_seal()

        _copy_entries(BACKLOG, sealed=False)
        started, cpu = time.perf_counter(), _cpu()
        sealed = audit_seal()
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        figures.append(
            (
                f"sealer, a backlog of {sealed:,} (batches of {SEAL_BATCH:,})",
                f"{sealed / seconds:,.0f} entries/s",
                f"{seconds:.1f} s ({cpu:.1f} s CPU in this process)",
            )
        )

        _copy_entries(max(0, LOG_SIZE - AuditEntry.objects.count()), sealed=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE audit_auditentry")
        out = StringIO()
        started, cpu = time.perf_counter(), _cpu()
        call_command("verifyaudit", stdout=out)
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        figures.append(
            (
                f"verifyaudit, {AuditEntry.objects.count():,} entries",
                f"{seconds:.1f} s",
                f"{cpu:.1f} s CPU in this process; {out.getvalue().strip().removesuffix('.')}",
            )
        )
    return concurrency, figures


def print_report(measured: tuple[list[tuple[str, ...]], list[tuple[str, ...]]]) -> None:
    concurrency, figures = measured
    if not concurrency:
        print("Audit log: PostgreSQL only (set DATABASE_URL); skipped.\n")
        return
    print_table(
        "Audit log: audited writes per second (PostgreSQL)",
        ("writers", "before: locked head", "after: sealed after commit", "after / before"),
        concurrency,
        right={1, 2, 3},
        notes=[
            f"{WRITES:,} audited transactions per cell, one entry each, shared among the writers;",
            "before is the earlier append (the head row locked until commit) on the same table;",
            "after runs with the sealer sealing every second, as beat does.",
        ],
    )
    print_table("Audit log: sealing and verification", ("figure", "value", "measured"), figures)
