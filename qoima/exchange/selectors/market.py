"""Market data: the book's depth, recent trades, candles, the ticker, and the book as it stood
at any moment (a replay of the market's journal).

Broken trades are left out of every figure here: their transfer failed, the cash went back and
the units never moved, so the price they were matched at never held. The regulator sees them
on its own pages.
"""

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDay, TruncHour, TruncMinute
from django.utils import timezone

from qoima.chain.fields import Uint256Sum

from ..models import Market, MarketEvent, Member, Order, Trade

Side = Order.Side
Kind = MarketEvent.Kind
RESTING_STATES = (Order.State.OPEN, Order.State.PARTIALLY_FILLED)
DEPTH_LEVELS = 20
MAX_LEVELS = 100
RECENT_TRADES = 50
MAX_TRADES = 500
DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Interval:
    code: str
    trunc: Any
    # How far back a chart of it reaches: about a thousand bars at most.
    reach: datetime.timedelta


INTERVALS = {
    "1m": Interval("1m", TruncMinute, datetime.timedelta(hours=24)),
    "1h": Interval("1h", TruncHour, datetime.timedelta(days=45)),
    "1d": Interval("1d", TruncDay, datetime.timedelta(days=1000)),
}


def markets() -> QuerySet[Market]:
    return Market.objects.select_related("token").order_by("token__symbol", "pk")


def standing_trades(market: Market) -> QuerySet[Trade]:
    """The market's trades that stand (settling or final), newest first."""
    return Trade.objects.filter(market=market).exclude(state=Trade.State.BROKEN)


def units(value: Any) -> int:
    return int(value or 0)


def trade_amount(price: int, quantity: int, decimals: int) -> int:
    """The tiyn a quantity costs at a price per whole token (exact by the market's settings)."""
    return price * quantity // 10**decimals


# ------------------------------------------------------------------------------ depth


@dataclass(frozen=True)
class Level:
    price: int
    units: int
    orders: int
    # What the level's units cost at its price, in tiyn.
    amount: int


@dataclass(frozen=True)
class Depth:
    bids: list[Level]
    asks: list[Level]

    @property
    def spread(self) -> int | None:
        if not self.bids or not self.asks:
            return None
        return self.asks[0].price - self.bids[0].price


def _levels(rows: Iterable[tuple[int, Any, Any]], limit: int, decimals: int) -> list[Level]:
    """Price levels from (price, quantity, filled) rows sorted best first, the first ``limit``."""
    levels: list[Level] = []
    price: int | None = None
    total = count = 0
    for row_price, quantity, filled in rows:
        if row_price != price:
            if price is not None:
                levels.append(Level(price, total, count, trade_amount(price, total, decimals)))
                if len(levels) == limit:
                    return levels
            price, total, count = row_price, 0, 0
        total += units(quantity) - units(filled)
        count += 1
    if price is not None and len(levels) < limit:
        levels.append(Level(price, total, count, trade_amount(price, total, decimals)))
    return levels


def depth(market: Market, *, levels: int = DEPTH_LEVELS) -> Depth:
    """The book's best ``levels`` price levels a side: bids highest first, asks lowest first.
    Read off the resting orders' index best first, stopping once the levels are found, so a deep
    book costs what its top does. Quantities are uint256 (text on SQLite), so the remaining
    units are summed here rather than in SQL."""
    resting = Order.objects.filter(market=market, state__in=RESTING_STATES)
    sides = {
        Side.BUY: resting.filter(side=Side.BUY).order_by("-price"),
        Side.SELL: resting.filter(side=Side.SELL).order_by("price"),
    }
    decimals = market.token.decimals
    found = {
        side: _levels(
            rows.values_list("price", "quantity", "filled").iterator(chunk_size=500),
            levels,
            decimals,
        )
        for side, rows in sides.items()
    }
    return Depth(bids=found[Side.BUY], asks=found[Side.SELL])


# ------------------------------------------------------------------------------ trades


def recent_trades(market: Market, *, limit: int = RECENT_TRADES) -> list[Trade]:
    """The newest trades that stand, newest first. ``maker_side`` says which order rested:
    the taker's side (the other one) is the side that traded."""
    return list(standing_trades(market).order_by("-seq")[:limit])


def taker_side(trade: Trade) -> str:
    return Side.SELL if trade.maker_side == Side.BUY else Side.BUY


# ------------------------------------------------------------------------------ candles


@dataclass(frozen=True)
class Candle:
    start: datetime.datetime
    open: int
    high: int
    low: int
    close: int
    units: int
    amount: int
    trades: int


def candles(
    market: Market,
    *,
    interval: str,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> list[Candle]:
    """OHLC bars of the standing trades, oldest first, bucketed in SQL by the interval (in the
    platform's time zone, so a day is an Almaty day). Each bar's open and close are the prices
    of its first and last trade in the market's sequence, read in one more query."""
    spec = INTERVALS[interval]
    until = until or timezone.now()
    since = since or until - spec.reach
    trades = standing_trades(market).filter(created_at__gte=since, created_at__lt=until)
    bars = list(
        trades.annotate(start=spec.trunc("created_at"))
        .order_by()
        .values("start")
        .annotate(
            high=Max("price"),
            low=Min("price"),
            units=Uint256Sum("quantity"),
            amount=Sum("amount_tiyn"),
            trades=Count("pk"),
            first_seq=Min("seq"),
            last_seq=Max("seq"),
        )
        .order_by("start")
    )
    seqs = {bar["first_seq"] for bar in bars} | {bar["last_seq"] for bar in bars}
    prices = dict(Trade.objects.filter(market=market, seq__in=seqs).values_list("seq", "price"))
    return [
        Candle(
            start=bar["start"],
            open=prices[bar["first_seq"]],
            high=bar["high"],
            low=bar["low"],
            close=prices[bar["last_seq"]],
            units=units(bar["units"]),
            amount=int(bar["amount"] or 0),
            trades=bar["trades"],
        )
        for bar in bars
    ]


# ------------------------------------------------------------------------------ ticker


@dataclass(frozen=True)
class Ticker:
    market: Market
    last_price: int | None
    # The price a day ago (the last trade before the window), else the reference price.
    base_price: int
    high: int | None
    low: int | None
    units: int
    amount: int
    trades: int

    @property
    def change(self) -> int | None:
        return None if self.last_price is None else self.last_price - self.base_price

    @property
    def change_percent(self) -> float | None:
        change = self.change
        return None if change is None else round(change * 100 / self.base_price, 2)


def tickers(*, market: Market | None = None, now: datetime.datetime | None = None) -> list[Ticker]:
    """Every market's ticker (or one market's): the last price and the last 24 hours' high,
    low, volume in units and in tiyn, trades, and the change against the price a day ago. Two
    queries however many markets there are: the prices as subqueries of the markets, the day's
    figures grouped by market."""
    now = now or timezone.now()
    standing = (
        Trade.objects.filter(market=OuterRef("pk"), created_at__lte=now)
        .exclude(state=Trade.State.BROKEN)
        .order_by("-seq")
    )
    rows = markets().annotate(
        last=Subquery(standing.values("price")[:1]),
        before=Subquery(standing.filter(created_at__lte=now - DAY).values("price")[:1]),
    )
    day_trades = Trade.objects.exclude(state=Trade.State.BROKEN).filter(
        created_at__gt=now - DAY, created_at__lte=now
    )
    if market is not None:
        rows = rows.filter(pk=market.pk)
        day_trades = day_trades.filter(market=market)
    days = {
        day["market_id"]: day
        for day in day_trades.order_by()
        .values("market_id")
        .annotate(
            high=Max("price"),
            low=Min("price"),
            units=Uint256Sum("quantity"),
            amount=Sum("amount_tiyn"),
            trades=Count("pk"),
        )
    }
    found = []
    for row in rows:
        day = days.get(row.pk, {})
        found.append(
            Ticker(
                market=row,
                last_price=row.last,
                base_price=row.before or row.reference_price,
                high=day.get("high"),
                low=day.get("low"),
                units=units(day.get("units")),
                amount=int(day.get("amount") or 0),
                trades=day.get("trades", 0),
            )
        )
    return found


def ticker(market: Market, *, now: datetime.datetime | None = None) -> Ticker:
    return tickers(market=market, now=now)[0]


# ------------------------------------------------------------------ the book at a moment


@dataclass(frozen=True)
class JournalEntry:
    """What replaying needs of one journal entry: ``side`` is ``order``'s; ``traded`` the units
    of the trade a ``traded`` entry records (its Trade has the same sequence number)."""

    seq: int
    kind: str
    order_id: int | None
    side: str
    price: int | None
    quantity: int | None
    other_order_id: int | None = None
    traded: int = 0


@dataclass
class Resting:
    order_id: int
    side: str
    price: int
    units: int
    # The journal entry that gave it its place in time priority.
    priority: int


@dataclass
class Book:
    orders: dict[int, Resting] = field(default_factory=dict)
    # The last journal entry replayed, and whether the market stood halted after it.
    seq: int = 0
    halted: bool = False

    def side(self, side: str) -> list[Resting]:
        """One side's orders in price-time priority."""
        best_first = -1 if side == Side.BUY else 1
        return sorted(
            (o for o in self.orders.values() if o.side == side),
            key=lambda o: (best_first * o.price, o.priority),
        )

    def levels(self, side: str, decimals: int) -> list[Level]:
        return _levels(((o.price, o.units, 0) for o in self.side(side)), MAX_LEVELS * 10, decimals)


def _set(book: Book, order_id: int, units_left: int) -> None:
    if units_left <= 0:
        book.orders.pop(order_id, None)
    else:
        book.orders[order_id].units = units_left


def book_replay(entries: Iterable[JournalEntry]) -> Book:
    """The book after the entries, in their sequence. A pure function of the journal: after
    each entry ``order`` shows ``price`` and ``quantity`` left; an accepted order joins the book
    with the entry's number as its priority; a trade leaves ``order`` with ``quantity`` and
    takes its units off the resting ``other_order``; an amendment to a new price or a larger
    quantity takes a new priority (a smaller quantity keeps it); a self-trade prevention leaves
    ``order`` with ``quantity`` (nothing when none is left); cancellation, expiry and rejection
    take the order out."""
    book = Book()
    for entry in entries:
        book.seq = entry.seq
        order_id = entry.order_id
        resting = book.orders.get(order_id) if order_id is not None else None
        quantity = units(entry.quantity)
        if entry.kind == Kind.ACCEPTED and order_id is not None and entry.price is not None:
            if quantity > 0:
                book.orders[order_id] = Resting(
                    order_id, entry.side, entry.price, quantity, entry.seq
                )
        elif entry.kind == Kind.AMENDED and resting is not None:
            if entry.price is not None and (
                entry.price != resting.price or quantity > resting.units
            ):
                resting.priority = entry.seq
                resting.price = entry.price
            _set(book, resting.order_id, quantity)
        elif entry.kind == Kind.TRADED:
            if resting is not None:
                _set(book, resting.order_id, quantity)
            other = book.orders.get(entry.other_order_id or 0)
            if other is not None:
                _set(book, other.order_id, other.units - entry.traded)
        elif entry.kind == Kind.SELF_TRADE_PREVENTED and resting is not None:
            _set(book, resting.order_id, quantity)
        elif entry.kind in (Kind.CANCELLED, Kind.EXPIRED, Kind.REJECTED) and order_id:
            book.orders.pop(order_id, None)
        elif entry.kind == Kind.HALTED:
            book.halted = True
        elif entry.kind == Kind.RESUMED:
            book.halted = False
    return book


def journal_entries(market: Market, *, until: datetime.datetime) -> Iterator[JournalEntry]:
    """The market's journal up to and including ``until``, in sequence, read a chunk at a time."""
    events = (
        MarketEvent.objects.filter(market=market, at__lte=until)
        .order_by("seq")
        .values_list(
            "seq", "kind", "order_id", "order__side", "price", "quantity", "other_order_id"
        )
    )
    traded_seqs = MarketEvent.objects.filter(market=market, at__lte=until, kind=Kind.TRADED)
    traded = dict(
        Trade.objects.filter(market=market, seq__in=traded_seqs.values("seq")).values_list(
            "seq", "quantity"
        )
    )
    for seq, kind, order_id, side, price, quantity, other_id in events.iterator(chunk_size=2000):
        yield JournalEntry(
            seq=seq,
            kind=kind,
            order_id=order_id,
            side=side or "",
            price=price,
            quantity=quantity,
            other_order_id=other_id,
            traded=units(traded.get(seq)),
        )


def book_at(market: Market, moment: datetime.datetime) -> Book:
    """The market's book as it stood at ``moment``: its journal replayed up to it."""
    return book_replay(journal_entries(market, until=moment))


# ------------------------------------------------------------------------------ the regulator's


def member_q(prefix: str, number: str) -> Q:
    """Rows whose member at ``prefix`` (a holder or an issuer) has this IIN / BIN."""
    return Q(**{f"{prefix}__holder__identification_number": number}) | Q(
        **{f"{prefix}__organisation__identification_number": number}
    )


def member_name(member: Member | None) -> tuple[str, str]:
    """A member's name and IIN / BIN (a holder's, or the issuer organisation's)."""
    if member is None:
        return "", ""
    if member.holder is not None:
        return member.holder.full_name, member.holder.identification_number
    if member.organisation is not None:
        return member.organisation.legal_name, member.organisation.identification_number
    return "", ""


def trade_amounts_by_operation(operation_ids: Iterable[int]) -> dict[int, int]:
    """The tenge amount (tiyn) of each exchange trade whose on-chain transfer is one of these
    operations: what financial monitoring reports for a trade's transfer."""
    ids = [i for i in operation_ids if i]
    if not ids:
        return {}
    return dict(
        Trade.objects.filter(operation_id__in=ids).values_list("operation_id", "amount_tiyn")
    )
