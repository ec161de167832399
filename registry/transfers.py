"""Transfers as the chain logged them, searched the way a supervisor asks: by asset, party,
dates, amount and reference, newest first, a page at a time.

Pages are keyed by id ("older than this one"), never by offset, so the thousandth page costs
what the first does. Rows are stored in chain order, so the id orders them as the chain does.
Dates become id bounds through the blocks' times, and a party's transfers are read through the
sender and receiver indexes separately and merged, so a party with a million transfers is as
quick to page through as one with ten.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from qoima.chain.models import EventBlock, TokenTransfer

# Above this many addresses a party search reads one combined query instead of two per address.
MERGED_ADDRESSES = 8
EXPORT_CHUNK = 2000


@dataclass(frozen=True)
class TransferFilters:
    token: str = ""
    # None: any party; an empty list: the party search matched nobody.
    addresses: list[str] | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    # In the token's smallest units; only meaningful with a token.
    min_units: int | None = None
    max_units: int | None = None
    ref: int | None = None


@dataclass(frozen=True)
class TransferPage:
    items: list[TokenTransfer]
    # The id to ask for the next (older) page with; None on the last page.
    next_before: int | None


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def _first(rows: QuerySet[Any], *order: str) -> Any:
    return rows.order_by(*order).values_list(order[-1].lstrip("-"), flat=True).first()


def _id_bounds(chain_id: int, filters: TransferFilters) -> tuple[int | None, int | None] | None:
    """The ids between which the date range's transfers lie; None when no block is in it.

    A day becomes the first (or last) block with movements in it, and a block the first (or
    last) transfer in it: each a single step down an index.
    """
    low = high = None
    blocks = EventBlock.objects.filter(chain_id=chain_id)
    rows = TokenTransfer.objects.filter(chain_id=chain_id)
    if filters.date_from is not None:
        start = _day_start(filters.date_from)
        first = _first(blocks.filter(timestamp__gte=start), "timestamp", "number")
        low = (
            None
            if first is None
            else _first(rows.filter(block_number__gte=first), "block_number", "id")
        )
        if low is None:
            return None
    if filters.date_to is not None:
        end = _day_start(filters.date_to + datetime.timedelta(days=1))
        last = _first(blocks.filter(timestamp__lt=end), "-timestamp", "-number")
        high = (
            None
            if last is None
            else _first(rows.filter(block_number__lte=last), "-block_number", "-id")
        )
        if high is None:
            return None
    return low, high


def _filtered(chain_id: int, filters: TransferFilters) -> QuerySet[TokenTransfer] | None:
    """Every filter but the party's, or None when nothing can match."""
    rows = TokenTransfer.objects.filter(chain_id=chain_id)
    if filters.token:
        # A range of one value, not an equality: see transfers_page.
        rows = rows.filter(token_address__gte=filters.token, token_address__lte=filters.token)
    if filters.ref is not None:
        rows = rows.filter(ref=filters.ref)
    if filters.min_units is not None:
        rows = rows.filter(amount__gte=filters.min_units)
    if filters.max_units is not None:
        rows = rows.filter(amount__lte=filters.max_units)
    if filters.date_from is not None or filters.date_to is not None:
        bounds = _id_bounds(chain_id, filters)
        if bounds is None:
            return None
        low, high = bounds
        if low is not None:
            rows = rows.filter(id__gte=low)
        if high is not None:
            rows = rows.filter(id__lte=high)
    return rows


def transfers_page(
    filters: TransferFilters, *, before: int | None = None, limit: int = 50
) -> TransferPage:
    """One page of matching transfers, newest first, older than ``before``."""
    chain_id: int = settings.CHAIN_ID
    rows = _filtered(chain_id, filters)
    if rows is None or filters.addresses == []:
        return TransferPage([], None)
    if before is not None:
        rows = rows.filter(id__lt=before)
    wanted = limit + 1
    addresses = filters.addresses
    if addresses is None:
        # Ordered as the (token, id) index is when a token is given, so the database walks
        # that index rather than the whole table's newest rows (a token's transfers may all
        # lie far back).
        newest = ("-token_address", "-id") if filters.token else ("-id",)
        found = list(rows.order_by(*newest)[:wanted])
    elif (
        connection.features.supports_slicing_ordering_in_compound
        and len(addresses) <= MERGED_ADDRESSES
    ):
        # Each side read newest-first through its own index, then merged: an OR of the two
        # columns would make the database collect and sort every one of the party's rows.
        # Each side is ordered exactly as its index, and names the party as a range of one
        # value: with an equality the planner drops the column from the ordering and may walk
        # the whole table from its newest row instead, looking for a party whose transfers are
        # all old (an issuer whose distributions were long ago).
        parts = [
            rows.filter(**{f"{column}__gte": address, f"{column}__lte": address}).order_by(
                f"-{column}", "-id"
            )[:wanted]
            for address in addresses
            for column in ("sender", "receiver")
        ]
        found = list(parts[0].union(*parts[1:]).order_by("-id")[:wanted])
    else:
        found = list(
            rows.filter(Q(sender__in=addresses) | Q(receiver__in=addresses)).order_by("-id")[
                :wanted
            ]
        )
    more = len(found) > limit
    items = found[:limit]
    return TransferPage(items, items[-1].pk if more and items else None)


def transfers_all(filters: TransferFilters) -> Iterator[TokenTransfer]:
    """Every matching transfer, newest first, read a page at a time (constant memory)."""
    before = None
    while True:
        page = transfers_page(filters, before=before, limit=EXPORT_CHUNK)
        yield from page.items
        if page.next_before is None:
            return
        before = page.next_before


def block_times(numbers: set[int]) -> dict[int, datetime.datetime]:
    """The time of each block (those the indexer recorded), in one query."""
    return dict(
        EventBlock.objects.filter(chain_id=settings.CHAIN_ID, number__in=numbers).values_list(
            "number", "timestamp"
        )
    )


def block_at_end_of(day: datetime.date) -> int | None:
    """The last block with movements on or before the day (the platform's time zone)."""
    return (
        EventBlock.objects.filter(
            chain_id=settings.CHAIN_ID,
            timestamp__lt=_day_start(day + datetime.timedelta(days=1)),
        )
        .order_by("-timestamp", "-number")
        .values_list("number", flat=True)
        .first()
    )
