"""The writer: a range's movements stored as they arrive, through PostgreSQL's COPY, with
their blocks, the tokens born in them and the compliance acts logged in them."""

import datetime
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection

from ..models import (
    ComplianceEvent,
    EventBlock,
    PlatformToken,
    TokenTransfer,
)
from .decoding import ComplianceLog, Movement
from .reader import Born, RangeRead
from .reorgs import keep_hashes


def store_range(chain_id: int, range_read: RangeRead, applied_to: int) -> list[Movement]:
    """Store a range's movements chunk by chunk as they are read, then its blocks and the
    tokens born in it; returns the movements."""
    movements: list[Movement] = []
    blocks: dict[int, tuple[str, int]] = {}
    born: list[Born] = []
    acts: list[ComplianceLog] = []
    with _transfer_writer(chain_id, applied_to) as write:
        for chunk in range_read:
            write(chunk.movements)
            movements += chunk.movements
            blocks |= chunk.blocks
            born += chunk.born
            acts += chunk.acts
    for token in born:
        PlatformToken.objects.get_or_create(
            chain_id=chain_id,
            address=token.address,
            defaults={"asset_id": token.asset_id, "block_number": token.block_number}
            | token.metadata,
        )
    keep_hashes(chain_id, range_read.hashes, range_read.end)
    _store_blocks(chain_id, blocks)
    _store_acts(chain_id, acts)
    return movements


def _store_acts(chain_id: int, acts: list[ComplianceLog]) -> None:
    """Keep the range's compliance acts, none applied yet: they are few, and the step applies
    them from the database once deep enough (``ledger.compliance_apply``)."""
    ComplianceEvent.objects.bulk_create(
        ComplianceEvent(
            chain_id=chain_id,
            contract=act.contract,
            block_number=act.block_number,
            block_hash=act.block_hash,
            log_index=act.log_index,
            tx_hash=act.tx_hash,
            kind=act.kind,
            account=act.account,
            receiver=act.receiver,
            amount=act.amount,
            reason_hash=act.reason_hash,
            ref=act.ref,
        )
        for act in acts
    )


def _store_blocks(chain_id: int, blocks: dict[int, tuple[str, int]]) -> None:
    """Keep each block's hash and time; a block read again (a re-index from scratch) takes
    what the chain says now."""
    EventBlock.objects.bulk_create(
        [
            EventBlock(
                chain_id=chain_id,
                number=number,
                block_hash=block_hash,
                timestamp=datetime.datetime.fromtimestamp(time, datetime.UTC),
            )
            for number, (block_hash, time) in blocks.items()
        ],
        update_conflicts=True,
        unique_fields=["chain_id", "number"],
        update_fields=["block_hash", "timestamp"],
    )


COLUMNS = (
    "chain_id",
    "token_address",
    "block_number",
    "block_hash",
    "log_index",
    "tx_hash",
    "sender",
    "receiver",
    "amount",
    "ref",
    "applied",
)


@contextmanager
def _transfer_writer(chain_id: int, applied_to: int) -> Iterator[Callable[[list[Movement]], None]]:
    """A function that writes movements, those already deep enough as applied.

    On PostgreSQL it writes into one COPY that stays open for the whole range, so the database
    stores each chunk while the next is read. No conflict is expected: steps are serialised by
    the cursor's lock and a rollback deletes what it undoes, so a duplicate log fails the step
    instead of being skipped.
    """
    if connection.vendor != "postgresql":
        yield lambda movements: _bulk_create(chain_id, movements, applied_to)
        return
    table = connection.ops.quote_name(TokenTransfer._meta.db_table)
    with _copy_into(table, COLUMNS) as copy:
        yield lambda movements: copy.write(_copy_text(chain_id, movements, applied_to))


def _bulk_create(chain_id: int, movements: list[Movement], applied_to: int) -> None:
    rows = (
        (
            chain_id,
            m.token,
            m.block_number,
            m.block_hash,
            m.log_index,
            m.tx_hash,
            m.sender,
            m.receiver,
            m.amount,
            m.ref,
            m.block_number <= applied_to,
        )
        for m in movements
    )
    TokenTransfer.objects.bulk_create(
        (TokenTransfer(**dict(zip(COLUMNS, row, strict=True))) for row in rows), batch_size=2000
    )


def _copy_text(chain_id: int, movements: list[Movement], applied_to: int) -> str:
    """The rows in COPY's text format. Every value is a number or a hex string, which COPY
    takes as it is, so the rows are written without psycopg's per-value adaptation (a third of
    a backfill's storing time)."""
    null = "\\N"
    return "".join(
        f"{chain_id}\t{m.token}\t{m.block_number}\t{m.block_hash}\t{m.log_index}\t"
        f"{m.tx_hash}\t{m.sender}\t{m.receiver}\t{m.amount}\t{null if m.ref is None else m.ref}\t"
        f"{'t' if m.block_number <= applied_to else 'f'}\n"
        for m in movements
    )


def copy_text(table: str, columns: Sequence[str], text: str) -> None:
    """PostgreSQL's COPY of rows given in its text format (tab-separated, one per line)."""
    with _copy_into(table, columns) as copy:
        copy.write(text)


@contextmanager
def _copy_into(table: str, columns: Sequence[str]) -> Iterator[Any]:
    """An open COPY into the table's columns: rows written in its text format until it ends."""
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        yield copy
