"""The exchange as the regulator reads it: orders, trades and the journal filtered by market,
member and day, and the daily market report."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from qoima.chain.fields import Uint256Sum
from qoima.exchange.models import Market, MarketEvent, Order, Trade
from qoima.exchange.selectors.market import member_q


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _period(rows: QuerySet[Any], field: str, data: dict[str, Any]) -> QuerySet[Any]:
    if data.get("market"):
        rows = rows.filter(market=data["market"])
    if data.get("date_from"):
        rows = rows.filter(**{f"{field}__gte": _day_start(data["date_from"])})
    if data.get("date_to"):
        end = _day_start(data["date_to"] + datetime.timedelta(days=1))
        rows = rows.filter(**{f"{field}__lt": end})
    return rows


def orders(data: dict[str, Any]) -> QuerySet[Order]:
    rows = _period(Order.objects.all(), "created_at", data)
    if data.get("member"):
        rows = rows.filter(member_q("member", data["member"]))
    if data.get("state"):
        rows = rows.filter(state=data["state"])
    return rows.select_related("market__token", "member__holder", "member__organisation").order_by(
        "-pk"
    )


def trades(data: dict[str, Any]) -> QuerySet[Trade]:
    rows = _period(Trade.objects.all(), "created_at", data)
    if data.get("member"):
        rows = rows.filter(member_q("buyer", data["member"]) | member_q("seller", data["member"]))
    if data.get("state"):
        rows = rows.filter(state=data["state"])
    return rows.select_related(
        "market__token",
        "buyer__holder",
        "buyer__organisation",
        "seller__holder",
        "seller__organisation",
        "operation",
    ).order_by("-pk")


def events(data: dict[str, Any]) -> QuerySet[MarketEvent]:
    rows = _period(MarketEvent.objects.all(), "at", data)
    if data.get("member"):
        rows = rows.filter(member_q("order__member", data["member"]))
    if data.get("kind"):
        rows = rows.filter(kind=data["kind"])
    return rows.select_related(
        "market__token",
        "order__member__holder",
        "order__member__organisation",
        "other_order__member__holder",
        "other_order__member__organisation",
    ).order_by("-pk")


@dataclass
class MarketDay:
    market: Market
    day: datetime.date
    open: int | None = None
    high: int | None = None
    low: int | None = None
    close: int | None = None
    units: int = 0
    amount: int = 0
    trades: int = 0
    placed: int = 0
    cancelled: int = 0
    broken: int = 0


def daily_report(
    *, since: datetime.date, until: datetime.date, market: Market | None = None
) -> list[MarketDay]:
    """Per market per day (Almaty days), newest first: the standing trades' open, high, low,
    close and volume, the orders placed and cancelled, and the trades broken. Each figure is
    one grouped query; a day with nothing at all is left out."""
    data = {"market": market, "date_from": since, "date_to": until}
    found: dict[tuple[int, datetime.date], MarketDay] = {}
    markets = {m.pk: m for m in Market.objects.select_related("token")}

    def row(market_id: int, day: datetime.date) -> MarketDay:
        key = (market_id, day)
        if key not in found:
            found[key] = MarketDay(markets[market_id], day)
        return found[key]

    trades_ = _period(Trade.objects.all(), "created_at", data).annotate(day=TruncDate("created_at"))
    standing = (
        trades_.exclude(state=Trade.State.BROKEN)
        .order_by()
        .values("market_id", "day")
        .annotate(
            high=Max("price"),
            low=Min("price"),
            units=Uint256Sum("quantity"),
            amount=Sum("amount_tiyn"),
            n=Count("pk"),
            first=Min("seq"),
            last=Max("seq"),
        )
    )
    ends: dict[int, set[int]] = {}
    for bar in standing:
        day = row(bar["market_id"], bar["day"])
        day.high, day.low, day.trades = bar["high"], bar["low"], bar["n"]
        day.units, day.amount = int(bar["units"] or 0), int(bar["amount"] or 0)
        day.open, day.close = bar["first"], bar["last"]  # sequence numbers, priced below
        ends.setdefault(bar["market_id"], set()).update({bar["first"], bar["last"]})
    priced = Q(pk__in=[])
    for market_id, seqs in ends.items():
        priced |= Q(market_id=market_id, seq__in=seqs)
    prices = {
        (market_id, seq): price
        for market_id, seq, price in Trade.objects.filter(priced).values_list(
            "market_id", "seq", "price"
        )
    }
    for day in found.values():
        day.open = prices.get((day.market.pk, day.open or 0))
        day.close = prices.get((day.market.pk, day.close or 0))
    for values in (
        trades_.filter(state=Trade.State.BROKEN)
        .order_by()
        .values("market_id", "day")
        .annotate(n=Count("pk"))
    ):
        row(values["market_id"], values["day"]).broken = values["n"]
    placed = _period(Order.objects.all(), "created_at", data).annotate(day=TruncDate("created_at"))
    for values in placed.order_by().values("market_id", "day").annotate(n=Count("pk")):
        row(values["market_id"], values["day"]).placed = values["n"]
    cancelled = _period(
        Order.objects.filter(state=Order.State.CANCELLED), "closed_at", data
    ).annotate(day=TruncDate("closed_at"))
    for values in cancelled.order_by().values("market_id", "day").annotate(n=Count("pk")):
        row(values["market_id"], values["day"]).cancelled = values["n"]
    return sorted(found.values(), key=lambda d: (-d.day.toordinal(), str(d.market)))
