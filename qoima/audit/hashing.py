"""The canonical forms of an audit entry that its hashes cover.

An entry written with a content hash (every entry since the log is sealed after commit) is
chained by ``sealed_digest``; an entry without one (written by the earlier locked append) by
``entry_digest``, over its content itself.
"""

import datetime
import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64
# The columns an entry's content hash covers, in the order the sealer and the check read them.
CONTENT = (
    "created_at",
    "actor_id",
    "actor_repr",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "details",
)
# One encoder for every hash: json.dumps with these options would build one per call.
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_time(value: datetime.datetime | str) -> str:
    """The time as the hashes cover it; a string is taken as already in that form (the check
    has the database format it, sparing a parse and a format per entry)."""
    if isinstance(value, str):
        return value
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_digest(
    *,
    seq: int,
    created_at: datetime.datetime | str,
    actor_id: int | None,
    actor_repr: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    body = {
        "seq": seq,
        "created_at": canonical_time(created_at),
        "actor_id": actor_id,
        "actor_repr": actor_repr,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "details": details,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()


def content_digest(
    *,
    created_at: datetime.datetime | str,
    actor_id: int | None,
    actor_repr: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    details: dict[str, Any],
) -> str:
    """The hash of what an entry says, taken when it is written, before it has a place in the
    chain."""
    body = {
        "created_at": canonical_time(created_at),
        "actor_id": actor_id,
        "actor_repr": actor_repr,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "details": details,
    }
    return hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()


def sealed_digest(*, seq: int, prev_hash: str, content_hash: str) -> str:
    """The entry hash of an entry written with a content hash: its place in the chain, the
    entry before it and its content."""
    return hashlib.sha256(f"{seq}:{prev_hash}:{content_hash}".encode("ascii")).hexdigest()
