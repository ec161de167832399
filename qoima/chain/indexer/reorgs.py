"""Reorgs: the hashes of recent blocks kept, and a rollback to the common ancestor.

When the chain's hash of the last block read differs from the one kept, everything above the
common ancestor is taken back (balances included) and read again, as Ponder does.
"""

from web3 import Web3

from ..client import rpc_call
from ..ledger import compliance_apply, movements_apply
from ..models import (
    ComplianceEvent,
    EventBlock,
    IndexedBlock,
    IndexerCursor,
    PlatformToken,
    TokenTransfer,
)

# Blocks whose hashes are kept: a reorg deeper than this is read again from the window's start.
REORG_WINDOW = 128


def handle_reorg(w3: Web3, cursor: IndexerCursor, head: int) -> int | None:
    """Roll back to the common ancestor when the chain no longer extends the last block read.

    The check is the parent-hash link: the next block's parent must be the block kept for the
    last one read (or, at the head, the block itself must still be there).
    """
    last = IndexedBlock.objects.filter(chain_id=cursor.chain_id, number=cursor.block_number).first()
    if last is None:
        return None
    if head > last.number:
        following = rpc_call(w3, "eth_getBlockByNumber", [hex(last.number + 1), False])
        if following is not None and following["parentHash"] == last.block_hash:
            return None
    elif head == last.number and _hash_at(w3, last.number) == last.block_hash:
        return None
    ancestor = _common_ancestor(w3, cursor.chain_id, min(head, last.number))
    _rollback(cursor, ancestor)
    return ancestor


def _hash_at(w3: Web3, number: int) -> str | None:
    block = rpc_call(w3, "eth_getBlockByNumber", [hex(number), False])
    return None if block is None else str(block["hash"])


def _common_ancestor(w3: Web3, chain_id: int, below: int) -> int:
    kept = IndexedBlock.objects.filter(chain_id=chain_id, number__lte=below).order_by("-number")
    oldest = None
    for block in kept:
        oldest = block.number
        if _hash_at(w3, block.number) == block.block_hash:
            return block.number
    # Deeper than the kept window: read everything from before its oldest block again.
    return (oldest or 0) - 1


def _rollback(cursor: IndexerCursor, ancestor: int) -> None:
    chain_id = cursor.chain_id
    acts = ComplianceEvent.objects.filter(chain_id=chain_id, block_number__gt=ancestor)
    compliance_apply(chain_id=chain_id, events=list(acts.filter(applied=True)), sign=-1)
    acts.delete()
    undone = TokenTransfer.objects.filter(chain_id=chain_id, block_number__gt=ancestor)
    movements_apply(
        chain_id=chain_id,
        movements=undone.filter(applied=True).values_list(
            "token_address", "sender", "receiver", "amount", "ref"
        ),
        sign=-1,
    )
    undone.delete()
    IndexedBlock.objects.filter(chain_id=chain_id, number__gt=ancestor).delete()
    EventBlock.objects.filter(chain_id=chain_id, number__gt=ancestor).delete()
    PlatformToken.objects.filter(chain_id=chain_id, block_number__gt=ancestor).delete()
    cursor.block_number = ancestor
    cursor.applied_block = min(cursor.applied_block, ancestor)


def keep_hashes(chain_id: int, hashes: dict[int, tuple[str, str]], last: int) -> None:
    IndexedBlock.objects.filter(chain_id=chain_id, number__in=list(hashes)).delete()
    IndexedBlock.objects.bulk_create(
        IndexedBlock(chain_id=chain_id, number=number, block_hash=block, parent_hash=parent)
        for number, (block, parent) in hashes.items()
    )
    IndexedBlock.objects.filter(chain_id=chain_id, number__lt=last - REORG_WINDOW).delete()
