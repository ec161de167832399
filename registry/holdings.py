"""Cap tables: who holds an asset, now or as of a past block.

Now is the ledger's balances (confirmed blocks only). A past block is worked out from the
transfers, from whichever end is nearer: forward from the first transfer for an early block,
backward from today's balances for a recent one, so the cost is the transfers between the
block and the nearer end, not the asset's whole history.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Min, Sum

from qoima.chain.contracts import ZERO_ADDRESS
from qoima.chain.models import IndexerCursor, TokenBalance, TokenTransfer


@dataclass(frozen=True)
class Holding:
    address: str
    units: int


@dataclass(frozen=True)
class CapTable:
    rows: list[Holding]
    holders: int
    total_units: int
    # The block the table is as of: the last confirmed one for "now".
    block: int | None


def _applied_block(chain_id: int) -> int | None:
    cursor = IndexerCursor.objects.filter(chain_id=chain_id).first()
    return cursor.applied_block if cursor else None


def cap_table(
    token: str, *, block: int | None = None, offset: int = 0, limit: int = 50
) -> CapTable:
    """The holders of a token, largest first, at the last confirmed block or at ``block``."""
    chain_id: int = settings.CHAIN_ID
    applied = _applied_block(chain_id)
    if block is None or (applied is not None and block >= applied):
        balances = TokenBalance.objects.filter(chain_id=chain_id, token_address=token, amount__gt=0)
        totals = balances.aggregate(holders=Count("pk"), units=Sum("amount"))
        rows = balances.order_by("-amount", "holder").values_list("holder", "amount")[
            offset : offset + limit
        ]
        return CapTable(
            [Holding(holder, int(amount)) for holder, amount in rows],
            totals["holders"],
            int(totals["units"] or 0),
            applied,
        )
    held = {
        holder: units
        for holder, units in balances_at(chain_id, token, block, applied).items()
        if units > 0 and holder != ZERO_ADDRESS
    }
    ordered = sorted(held.items(), key=lambda item: (-item[1], item[0]))
    return CapTable(
        [Holding(holder, units) for holder, units in ordered[offset : offset + limit]],
        len(held),
        sum(held.values()),
        block,
    )


def _sum_by(rows: object, column: str) -> dict[str, int]:
    return {
        address: int(total)
        for address, total in rows.order_by()  # type: ignore[attr-defined]
        .values(column)
        .annotate(total=Sum("amount"))
        .values_list(column, "total")
    }


def balances_at(chain_id: int, token: str, block: int, applied: int | None) -> dict[str, int]:
    """Every address's units of the token at the end of ``block`` (a confirmed one)."""
    rows = TokenTransfer.objects.filter(chain_id=chain_id, token_address=token)
    bounds = rows.aggregate(first=Min("id"), last=Max("id"))
    split = (
        rows.filter(block_number__gt=block)
        .order_by("block_number", "id")
        .values_list("id", flat=True)
        .first()
    )
    balances: dict[str, int] = defaultdict(int)
    if split is None or bounds["first"] is None:
        # Nothing after the block: today's balances are the block's.
        earlier = rows
    elif applied is not None and bounds["last"] - split < split - bounds["first"]:
        later = rows.filter(block_number__gt=block, block_number__lte=applied)
        for holder, amount in TokenBalance.objects.filter(
            chain_id=chain_id, token_address=token
        ).values_list("holder", "amount"):
            balances[holder] += int(amount)
        for address, units in _sum_by(later, "receiver").items():
            balances[address] -= units
        for address, units in _sum_by(later, "sender").items():
            balances[address] += units
        return balances
    else:
        earlier = rows.filter(block_number__lte=block)
    for address, units in _sum_by(earlier, "receiver").items():
        balances[address] += units
    for address, units in _sum_by(earlier, "sender").items():
        balances[address] -= units
    return balances
