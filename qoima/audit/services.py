import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.utils import timezone

from qoima import locks

from .hashing import GENESIS_HASH, entry_digest
from .models import AuditEntry, AuditHead, ChainCheck


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so the hash covers exactly what the database will give back.
    loaded: dict[str, Any] = json.loads(json.dumps(details, default=str))
    return loaded


# Per thread, as Django's connections are: entries waiting for the end of ``audit_deferred``.
_deferred = threading.local()


@contextmanager
def audit_deferred() -> Iterator[None]:
    """Append the entries recorded inside when it ends, in the order they were recorded.

    The audit head is the last lock of a transaction (qoima/locks.py). A step that locks rows
    in turn and audits each (the settlement of many operations) would otherwise take the head
    with the first and lock the next rows after it.
    """
    if getattr(_deferred, "entries", None) is not None:
        yield
        return
    _deferred.entries = []
    try:
        yield
        entries: list[dict[str, Any]] = _deferred.entries
    finally:
        _deferred.entries = None
    for fields in entries:
        _append(fields)


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry; call it inside the transaction of the change it records, after the
    change has taken every other lock it needs (inside ``audit_deferred``: when that ends)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change")
    actor_user = actor if isinstance(actor, AbstractBaseUser) else None
    fields: dict[str, Any] = {
        "created_at": timezone.now(),
        "actor_id": actor_user.pk if actor_user else None,
        "actor_repr": actor_user.get_username() if actor_user else "system",
        "action": action,
        "object_type": obj._meta.label_lower if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None else "",
        "object_repr": str(obj)[:255] if obj is not None else "",
        "details": _json_safe(details or {}),
    }
    waiting = getattr(_deferred, "entries", None)
    if waiting is None:
        return _append(fields)
    waiting.append(fields)
    # Numbered and chained when ``audit_deferred`` ends.
    return AuditEntry(**fields)


def _append(fields: dict[str, Any]) -> AuditEntry:
    # The last lock of its transaction (see qoima/locks.py).
    head = locks.lock_audit_head(seq=0, entry_hash=GENESIS_HASH)
    fields = {"seq": head.seq + 1, **fields, "prev_hash": head.entry_hash}
    entry_hash = entry_digest(**fields)
    entry = AuditEntry.objects.create(entry_hash=entry_hash, **fields)
    AuditHead.objects.filter(id=1).update(seq=entry.seq, entry_hash=entry_hash)
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries_checked: int
    first_broken_seq: int | None = None
    first_broken_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def _entry_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "created_at": entry.created_at,
        "actor_id": entry.actor_id,
        "actor_repr": entry.actor_repr,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }


def audit_chain_check() -> ChainReport:
    """Walk the whole log in sequence order and name the first entry that breaks the chain."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for entry in AuditEntry.objects.order_by("seq", "id").iterator(chunk_size=2000):
        checked += 1

        def broken(problem: str, entry: AuditEntry = entry, checked: int = checked) -> ChainReport:
            return ChainReport(checked, entry.seq, entry.id, problem)

        if entry.seq != expected_seq:
            return broken(f"entry id={entry.id} has sequence {entry.seq}, expected {expected_seq}")
        if entry.prev_hash != prev_hash:
            return broken(
                f"entry id={entry.id} (#{entry.seq}) does not follow the entry before it: "
                "an entry was removed, inserted or moved"
            )
        if entry_digest(**_entry_fields(entry)) != entry.entry_hash:
            return broken(f"entry id={entry.id} (#{entry.seq}) was changed after it was written")
        prev_hash = entry.entry_hash
        expected_seq += 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.seq != expected_seq - 1 or head.entry_hash != prev_hash):
        return ChainReport(
            checked,
            expected_seq,
            None,
            f"the log ends at #{expected_seq - 1} but its head names #{head.seq}: "
            "entries were removed from the end",
        )
    return ChainReport(checked)


@transaction.atomic(durable=True)
def audit_chain_verify() -> ChainCheck:
    """Check the chain and keep the outcome for the registry."""
    report = audit_chain_check()
    return ChainCheck.objects.create(
        entries_checked=report.entries_checked,
        ok=report.ok,
        first_broken_seq=report.first_broken_seq,
        problem=report.problem,
    )
