import datetime
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection, models, transaction
from django.db.models import Max, Min
from django.utils import timezone

from qoima import locks
from qoima.transactions import in_own_transactions

from .actions import AuditAction
from .hashing import (
    CONTENT,
    GENESIS_HASH,
    canonical_time,
    content_digest,
    entry_digest,
    sealed_digest,
)
from .models import AuditEntry, AuditHead, ChainCheck

logger = logging.getLogger(__name__)

# Entries the sealer numbers in one transaction, and the check reads in one query.
SEAL_BATCH = 5_000
CHECK_CHUNK = 20_000

Actor = AbstractBaseUser | AnonymousUser | None


class AuditEntryTampered(RuntimeError):
    """An unsealed entry's content no longer matches the hash it was written with."""


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so the hash covers exactly what the database will give back.
    loaded: dict[str, Any] = json.loads(json.dumps(details, default=str))
    return loaded


def _fields(
    *, actor: Actor, action: AuditAction, obj: models.Model | None, details: dict[str, Any] | None
) -> dict[str, Any]:
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit actions are members of AuditAction, not {action!r}")
    actor_user = actor if isinstance(actor, AbstractBaseUser) else None
    fields: dict[str, Any] = {
        "created_at": timezone.now(),
        "actor_id": actor_user.pk if actor_user else None,
        "actor_repr": actor_user.get_username() if actor_user else "system",
        "action": action.value,
        "object_type": obj._meta.label_lower if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None else "",
        "object_repr": str(obj)[:255] if obj is not None else "",
        "details": _json_safe(details or {}),
    }
    fields["content_hash"] = content_digest(**fields)
    return fields


def _in_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change")


def audit_record(
    *,
    actor: Actor,
    action: AuditAction,
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write an entry in the transaction of the change it records. It takes no lock, so it
    may come at any point of the transaction; the sealer gives it its place in the chain once
    the transaction has committed (``seq`` is None until then)."""
    entry = audit_entry(actor=actor, action=action, obj=obj, details=details)
    entry.save(force_insert=True)
    return entry


def audit_entry(
    *,
    actor: Actor,
    action: AuditAction,
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """The entry ``audit_record`` writes, not yet saved: for a use case that writes its rows in
    one statement (``qoima.rows``), in the transaction of the change."""
    _in_transaction()
    return AuditEntry(**_fields(actor=actor, action=action, obj=obj, details=details))


def audit_record_many(
    *,
    actor: Actor,
    action: AuditAction,
    records: Iterable[tuple[models.Model | None, dict[str, Any] | None]],
) -> list[AuditEntry]:
    """Write one entry per (object, details) of ``records`` in one statement, in their order."""
    _in_transaction()
    entries = [
        AuditEntry(**_fields(actor=actor, action=action, obj=obj, details=details))
        for obj, details in records
    ]
    return AuditEntry.objects.bulk_create(entries) if entries else []


# ------------------------------------------------------------------------------ sealing


@dataclass(frozen=True)
class _Link:
    id: int
    seq: int
    prev_hash: str
    entry_hash: str


def _content(row: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(CONTENT, row, strict=True))


# Read straight from a cursor, without the ORM's per-row conversions: the walk over a large
# log spends most of its time per entry. The time comes formatted as the hashes cover it.
_TIME_SQL = {
    "postgresql": """to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
}


def _rows(where: str, order: str, params: list[Any], limit: int) -> list[tuple[Any, ...]]:
    """(id, seq, prev_hash, entry_hash, content_hash, *CONTENT) of the entries ``where``
    selects, ``created_at`` canonical and ``details`` decoded."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    created = _TIME_SQL.get(connection.vendor, "created_at")
    details = "details::text" if connection.vendor == "postgresql" else "details"
    sql = (
        f"SELECT id, seq, prev_hash, entry_hash, content_hash, {created}, actor_id, "  # noqa: S608
        f"actor_repr, action, object_type, object_id, object_repr, {details} FROM {table} "
        f"WHERE {where} ORDER BY {order} LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        fetched = cursor.fetchall()
    # One decode for the whole page: a call per entry costs more than the parsing.
    details_all = json.loads("[" + ",".join(row[12] for row in fetched) + "]")
    if connection.vendor in _TIME_SQL:
        return [(*row[:12], d) for row, d in zip(fetched, details_all, strict=True)]
    return [
        (*row[:5], _sqlite_time(row[5]), *row[6:12], d)
        for row, d in zip(fetched, details_all, strict=True)
    ]


def _sqlite_time(value: str | datetime.datetime) -> str:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return canonical_time(value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value)


def _write_links(links: list[_Link]) -> None:
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS e SET seq = v.seq, prev_hash = v.prev_hash, "  # noqa: S608
                "entry_hash = v.entry_hash FROM unnest(%s::bigint[], %s::bigint[], %s::text[], "
                "%s::text[]) AS v(id, seq, prev_hash, entry_hash) WHERE e.id = v.id",
                [
                    [link.id for link in links],
                    [link.seq for link in links],
                    [link.prev_hash for link in links],
                    [link.entry_hash for link in links],
                ],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET seq = %s, prev_hash = %s, entry_hash = %s "  # noqa: S608
                "WHERE id = %s",
                [(link.seq, link.prev_hash, link.entry_hash, link.id) for link in links],
            )


def _seal_batch(*, batch_size: int, wait: bool) -> tuple[int, int | None, bool]:
    """Seal the oldest committed unsealed entries, up to ``batch_size``, in one transaction.

    Returns how many were sealed, the id of an entry whose content no longer matches its hash
    (sealing stops before it), and whether another sealer held the head (when not waiting).
    """
    with transaction.atomic():
        head = locks.lock_audit_head(skip_locked=not wait, seq=0, entry_hash=GENESIS_HASH)
        if head is None:
            return 0, None, True
        rows = _rows("seq IS NULL", "id", [], batch_size)
        seq, prev_hash = head.seq, head.entry_hash
        links: list[_Link] = []
        tampered = None
        for entry_id, _seq, _prev, _hash, content_hash, *content in rows:
            if content_hash is None or content_digest(**_content(content)) != content_hash:
                tampered = entry_id
                break
            seq += 1
            entry_hash = sealed_digest(seq=seq, prev_hash=prev_hash, content_hash=content_hash)
            links.append(_Link(entry_id, seq, prev_hash, entry_hash))
            prev_hash = entry_hash
        if links:
            _write_links(links)
            AuditHead.objects.filter(id=1).update(seq=seq, entry_hash=prev_hash)
        return len(links), tampered, False


@in_own_transactions
def audit_seal(*, batch_size: int = SEAL_BATCH, wait: bool = True) -> int:
    """Give every committed unsealed entry its place in the chain, in id order; returns how
    many were sealed.

    Each batch is its own transaction under the audit head's lock, so a sealer that dies
    loses at most its current batch, which the next one seals. With ``wait`` false it returns
    at once when another sealer is at work (the scheduled run); verification waits.
    """
    sealed = 0
    while True:
        count, tampered, busy = _seal_batch(batch_size=batch_size, wait=wait)
        sealed += count
        if tampered is not None:
            raise AuditEntryTampered(
                f"audit entry id={tampered} no longer matches the content it was written with: "
                "it is not sealed, and nothing after it is"
            )
        if busy or count < batch_size:
            return sealed


def audit_unsealed_age(*, now: datetime.datetime | None = None) -> float | None:
    """Seconds the oldest unsealed entry has waited for its seal; None when none waits."""
    oldest = AuditEntry.objects.filter(seq__isnull=True).aggregate(oldest=Min("created_at"))
    if oldest["oldest"] is None:
        return None
    return max(0.0, ((now or timezone.now()) - oldest["oldest"]).total_seconds())


# ------------------------------------------------------------------------------ checking


@dataclass(frozen=True)
class ChainReport:
    entries_checked: int
    first_broken_seq: int | None = None
    first_broken_id: int | None = None
    problem: str = ""
    unsealed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problem


# An anchor: the sequence number of an entry and the entry hash recorded for it elsewhere (on
# chain). An entry hash stands for the whole chain up to it.
Anchor = tuple[int, str]


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of the log for the whole walk, whatever the sealer commits."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _entry_hash(seq: int, prev_hash: str, content_hash: str | None, content: dict[str, Any]) -> str:
    if content_hash is None:
        return entry_digest(seq=seq, prev_hash=prev_hash, **content)
    return sealed_digest(seq=seq, prev_hash=prev_hash, content_hash=content_hash)


def _link_problem(
    anchors: dict[int, str], expected: int, prev_hash: str, row: Sequence[Any]
) -> str:
    """What is wrong with one sealed entry, read in sequence order; empty when nothing."""
    entry_id, seq, prev, entry_hash, content_hash, *values = row
    where = f"entry id={entry_id} (#{seq})"
    if seq != expected:
        return f"entry id={entry_id} has sequence {seq}, expected {expected}"
    if prev != prev_hash:
        return (
            f"{where} does not follow the entry before it: an entry was removed, inserted or moved"
        )
    content = _content(values)
    if content_hash is not None and content_digest(**content) != content_hash:
        return f"{where} was changed after it was written"
    if _entry_hash(seq, prev, content_hash, content) != entry_hash:
        return f"{where} was changed after it was written"
    if seq in anchors and anchors[seq] != entry_hash:
        return f"the entry at #{seq} does not match the anchor recorded on-chain"
    return ""


def _walk_sealed(anchors: dict[int, str]) -> tuple[ChainReport | None, int, str]:
    """Check the sealed entries in sequence order, a range of numbers a query (values only,
    no model instances); returns the first problem (or None), and the last entry's number and
    hash."""
    bounds = AuditEntry.objects.aggregate(first=Min("seq"), last=Max("seq"))
    expected, prev_hash, checked = 1, GENESIS_HASH, 0
    # An entry numbered below the first place (only a hand could put it there) is read first.
    start = min(1, bounds["first"] if bounds["first"] is not None else 1)
    last = bounds["last"] or 0
    while expected <= last:
        # Ranges of numbers, not "the next N": the index serves a range whatever the planner
        # believes of the table. Every entry before ``expected`` was read and in its place.
        lower = start if checked == 0 else expected
        rows = _rows("seq >= %s AND seq < %s", "seq", [lower, expected + CHECK_CHUNK], CHECK_CHUNK)
        if not rows:
            # Numbers missing: the next entry there is, which the check reports.
            rows = _rows("seq >= %s", "seq", [expected], 1)
        for row in rows:
            checked += 1
            problem = _link_problem(anchors, expected, prev_hash, row)
            if problem:
                return ChainReport(checked, row[1], row[0], problem), checked, prev_hash
            prev_hash, expected = row[3], expected + 1
    return None, expected - 1, prev_hash


def _check_unsealed(checked: int) -> tuple[ChainReport | None, int]:
    """Unsealed entries must still say what they said when written, and not wait too long."""
    limit = settings.AUDIT_MAX_SEAL_DELAY
    now = timezone.now()
    count = 0
    overdue: tuple[int, float] | None = None
    after = 0
    while True:
        rows = _rows("seq IS NULL AND id > %s", "id", [after], CHECK_CHUNK)
        for entry_id, _seq, _prev, _hash, content_hash, *values in rows:
            count += 1
            after = entry_id
            content = _content(values)
            if content_hash is None or content_digest(**content) != content_hash:
                problem = f"entry id={entry_id} (not sealed yet) was changed after it was written"
                return ChainReport(checked, None, entry_id, problem, count), count
            written = datetime.datetime.fromisoformat(content["created_at"])
            waited = (now - written).total_seconds()
            if waited > limit and (overdue is None or waited > overdue[1]):
                overdue = (entry_id, waited)
        if len(rows) < CHECK_CHUNK:
            break
    if overdue is not None:
        problem = (
            f"entry id={overdue[0]} has waited {overdue[1]:.0f} s for its seal, longer than "
            f"AUDIT_MAX_SEAL_DELAY ({limit} s): the sealer is not running"
        )
        return ChainReport(checked, None, overdue[0], problem, count), count
    return None, count


def audit_chain_check(*, anchors: Iterable[Anchor] = ()) -> ChainReport:
    """Walk the sealed log in sequence order and name the first entry that breaks the chain,
    or does not match an anchor; then check the entries still waiting for their seal."""
    wanted = dict(anchors)
    with _snapshot():
        head = AuditHead.objects.filter(id=1).values_list("seq", "entry_hash").first()
        report, last_seq, last_hash = _walk_sealed(wanted)
        if report is not None:
            return report
        checked = last_seq
        if head is not None and (head[0] != last_seq or head[1] != last_hash):
            return ChainReport(
                checked,
                last_seq + 1,
                None,
                f"the log ends at #{last_seq} but its head names #{head[0]}: "
                "entries were removed from the end",
            )
        beyond = sorted(seq for seq in wanted if seq > last_seq)
        if beyond:
            return ChainReport(
                checked,
                beyond[0],
                None,
                f"the log ends at #{last_seq} but an anchor was recorded on-chain for "
                f"#{beyond[0]}: entries were removed from the end",
            )
        report, unsealed = _check_unsealed(checked)
        return report or ChainReport(checked, unsealed=unsealed)


@in_own_transactions
def audit_chain_verify(*, anchors: Iterable[Anchor] = (), seal: bool = True) -> ChainCheck:
    """Seal what waits (unless told not to), check the chain and keep the outcome."""
    if seal:
        try:
            audit_seal()
        except AuditEntryTampered:
            # The check names the entry; the outcome is kept all the same.
            logger.exception("an unsealed audit entry was changed")
    report = audit_chain_check(anchors=anchors)
    return ChainCheck.objects.create(
        entries_checked=report.entries_checked,
        ok=report.ok,
        first_broken_seq=report.first_broken_seq,
        problem=report.problem,
    )
