"""Cap tables: who holds an asset, now or as of a past block.

Now is the ledger's balances (confirmed blocks only). A past block is worked out from the
transfers, from whichever end is nearer: forward from the first transfer for an early block,
backward from today's balances for a recent one, so the cost is the transfers between the
block and the nearer end, not the asset's whole history. Either way the sums, the ranking and
the count are made in the database and only the requested page leaves it.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Min

from qoima.chain.contracts import ZERO_ADDRESS
from qoima.chain.fields import Uint256Sum, sqlite_text
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


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _applied_block(chain_id: int) -> int | None:
    cursor = IndexerCursor.objects.filter(chain_id=chain_id).first()
    return cursor.applied_block if cursor else None


def cap_table(
    token: str, *, block: int | None = None, offset: int = 0, limit: int | None = 50
) -> CapTable:
    """The holders of a token, largest first, at the last confirmed block or at ``block``;
    ``limit`` None for all of them."""
    chain_id: int = settings.CHAIN_ID
    applied = _applied_block(chain_id)
    if block is None or (applied is not None and block >= applied):
        balances = TokenBalance.objects.filter(chain_id=chain_id, token_address=token, amount__gt=0)
        totals = balances.aggregate(holders=Count("pk"), units=Uint256Sum("amount"))
        rows = balances.order_by("-amount", "holder").values_list("holder", "amount")[
            offset : None if limit is None else offset + limit
        ]
        return CapTable(
            [Holding(holder, int(amount)) for holder, amount in rows],
            totals["holders"],
            int(totals["units"] or 0),
            applied,
        )
    return _ranked(chain_id, token, block, applied, offset=offset, limit=limit)


def balances_at(chain_id: int, token: str, block: int, applied: int | None) -> dict[str, int]:
    """Every holder's units of the token at the end of ``block`` (a confirmed one)."""
    table = _ranked(chain_id, token, block, applied, offset=0, limit=None)
    return {row.address: row.units for row in table.rows}


def _ranked(
    chain_id: int, token: str, block: int, applied: int | None, *, offset: int, limit: int | None
) -> CapTable:
    """One statement: each holder's units at the block, ranked, with the count and total of
    all of them beside the requested page."""
    parts, params = _deltas(chain_id, token, block, applied)
    page = "" if limit is None else "LIMIT %s OFFSET %s"
    # SQLite sums its text-stored uint256 values with its registered function (chain/fields.py).
    total, zero = ("SUM", 0) if _postgres() else ("uint256_sum", sqlite_text(0))
    sql = f"""
        SELECT holder, units, COUNT(*) OVER (), {total}(units) OVER ()
        FROM (
            SELECT holder, {total}(delta) AS units FROM ({" UNION ALL ".join(parts)}) AS deltas
            WHERE holder <> %s
            GROUP BY holder
            HAVING {total}(delta) > %s
        ) AS held
        ORDER BY units DESC, holder
        {page}
    """  # noqa: S608 - the parts are _deltas' own SQL, every value a parameter
    values: list[Any] = [*params, ZERO_ADDRESS, zero, *([] if limit is None else [limit, offset])]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        rows = cursor.fetchall()
    if not rows and offset:
        # Past the last page: the count and total still say what the table holds.
        whole = _ranked(chain_id, token, block, applied, offset=0, limit=1)
        return CapTable([], whole.holders, whole.total_units, block)
    return CapTable(
        [Holding(holder, int(units)) for holder, units, _count, _total in rows],
        int(rows[0][2]) if rows else 0,
        int(rows[0][3]) if rows else 0,
        block,
    )


def _deltas(
    chain_id: int, token: str, block: int, applied: int | None
) -> tuple[list[str], list[Any]]:
    """SELECTs of (holder, delta) whose sum per holder is the balance at the end of the block:
    the transfers up to it, or today's balances less the transfers since, whichever are fewer.

    Ids follow the chain, so the first id after the block splits every token's rows there. The
    token is a range of one value rather than an equality, which keeps the planner on the
    (token, id) index.
    """
    # The SQL below is built from the models' table names only; every value is a parameter.
    transfers = connection.ops.quote_name(TokenTransfer._meta.db_table)
    balances = connection.ops.quote_name(TokenBalance._meta.db_table)
    of_asset = "chain_id = %s AND token_address >= %s AND token_address <= %s"
    minus = "-amount" if _postgres() else "uint256_neg(amount)"
    token_params: list[Any] = [chain_id, token, token]
    split = (
        TokenTransfer.objects.filter(chain_id=chain_id, block_number__gt=block)
        .order_by("block_number", "id")
        .values_list("id", flat=True)
        .first()
    )
    if split is not None and applied is not None:
        bounds = TokenTransfer.objects.filter(
            chain_id=chain_id, token_address__gte=token, token_address__lte=token
        ).aggregate(first=Min("id"), last=Max("id"))
        if bounds["first"] is not None and bounds["last"] - split < split - bounds["first"]:
            later = f"{of_asset} AND id >= %s AND block_number <= %s"
            later_params = [*token_params, split, applied]
            return (
                [
                    f"SELECT holder, amount AS delta FROM {balances} "  # noqa: S608
                    "WHERE chain_id = %s AND token_address = %s",
                    f"SELECT receiver, {minus} FROM {transfers} WHERE {later}",  # noqa: S608
                    f"SELECT sender, amount FROM {transfers} WHERE {later}",  # noqa: S608
                ],
                [chain_id, token, *later_params, *later_params],
            )
    earlier = of_asset if split is None else f"{of_asset} AND id < %s"
    earlier_params = token_params if split is None else [*token_params, split]
    return (
        [
            f"SELECT receiver AS holder, amount AS delta FROM {transfers} WHERE {earlier}",  # noqa: S608
            f"SELECT sender, {minus} FROM {transfers} WHERE {earlier}",  # noqa: S608
        ],
        [*earlier_params, *earlier_params],
    )
