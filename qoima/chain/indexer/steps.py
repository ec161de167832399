"""Index steps: the cursor locked, a reorg handled, the next range read and stored, and what
is deep enough applied to balances."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from web3 import Web3

from qoima import locks

from ..ledger import compliance_apply, movements_apply
from ..models import (
    ComplianceEvent,
    IndexerCursor,
    PlatformDeployment,
    PlatformToken,
    TokenTransfer,
)
from .decoding import Movement, checksum
from .reader import ChainMoved, LogReader
from .reorgs import handle_reorg
from .writer import store_range


@dataclass
class StepResult:
    read_to: int
    applied_to: int
    transfers: int
    rolled_back_to: int | None = None


def _cursor(chain_id: int) -> IndexerCursor:
    deployment = PlatformDeployment.objects.filter(chain_id=chain_id).first()
    start = deployment.block_number - 1 if deployment else -1
    cursor, _ = IndexerCursor.objects.get_or_create(
        chain_id=chain_id, defaults={"block_number": start, "applied_block": start}
    )
    return locks.lock_indexer_cursor(cursor.pk)


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a step.

    A step of a backfill allocates millions of short-lived, acyclic objects (the decoded logs),
    which reference counting frees; the cycle collector would otherwise walk them hundreds of
    times, about a fifth of the step.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def index_step(*, w3: Web3, max_range: int = 2000, reader: LogReader | None = None) -> StepResult:
    """Read the next range of blocks; safe to run again at any point and from any process."""
    if reader is None:
        with LogReader.threaded(w3) as own:
            return index_step(w3=w3, max_range=max_range, reader=own)
    with _cycle_collection_paused(), transaction.atomic():
        chain_id = settings.CHAIN_ID
        cursor = _cursor(chain_id)
        head = w3.eth.block_number
        rolled_back = handle_reorg(w3, cursor, head)
        start = cursor.block_number + 1
        end = min(head, start + max_range - 1)
        stored: list[Movement] = []
        if start <= end:
            applied_to = min(end, head - settings.CHAIN_CONFIRMATIONS + 1)
            range_read = reader.read(
                _addresses(chain_id), start, end, head, min(head, end + max_range)
            )
            try:
                # A savepoint: the chain moving under the reading takes the range's rows back.
                with transaction.atomic():
                    stored = store_range(chain_id, range_read, applied_to)
                cursor.block_number = end
            except ChainMoved:
                reader.cancel()
        confirmed_to = min(cursor.block_number, head - settings.CHAIN_CONFIRMATIONS + 1)
        _apply_confirmed(cursor, confirmed_to, stored, fresh_from=start)
        cursor.save()
        return StepResult(cursor.block_number, cursor.applied_block, len(stored), rolled_back)


def index_until_head(*, w3: Web3, max_range: int = 2000) -> StepResult:
    """Index step after step up to the node's head (a backfill), reading one range ahead."""
    with LogReader.threaded(w3) as reader:
        while True:
            result = index_step(w3=w3, max_range=max_range, reader=reader)
            if result.read_to >= w3.eth.block_number:
                return result


def _addresses(chain_id: int) -> tuple[str, ...]:
    """The registry's address, then every token's it issued, in the order the reader keeps."""
    registry = PlatformDeployment.objects.get(chain_id=chain_id).registry_address
    tokens = PlatformToken.objects.filter(chain_id=chain_id).values_list("address", flat=True)
    return (checksum(registry), *sorted(tokens))


def _apply_confirmed(
    cursor: IndexerCursor, confirmed_to: int, fresh: list[Movement], *, fresh_from: int
) -> None:
    """Apply to balances everything up to ``confirmed_to`` not applied yet.

    Movements read in this step (from block ``fresh_from`` on) come from memory (written as
    applied when deep enough); those read in earlier steps, while they were too young, from
    the database.
    """
    if confirmed_to <= cursor.applied_block:
        return
    # Unapplied rows of earlier steps lie above the last block applied and below this step's
    # range: the bounds keep the scan off the rows this step has just written.
    older = TokenTransfer.objects.filter(
        chain_id=cursor.chain_id,
        applied=False,
        block_number__gt=cursor.applied_block,
        block_number__lte=min(confirmed_to, fresh_from - 1),
    )
    ready = [
        *older.values_list("token_address", "sender", "receiver", "amount", "ref"),
        *(
            (m.token, m.sender, m.receiver, m.amount, m.ref)
            for m in fresh
            if m.block_number <= confirmed_to
        ),
    ]
    older.update(applied=True)
    acts = ComplianceEvent.objects.filter(
        chain_id=cursor.chain_id, applied=False, block_number__lte=confirmed_to
    )
    # Before the movements: both lock operations before balances, as the confirmer does.
    compliance_apply(chain_id=cursor.chain_id, events=list(acts), sign=1)
    acts.update(applied=True)
    movements_apply(chain_id=cursor.chain_id, movements=ready, sign=1)
    cursor.applied_block = confirmed_to
