"""What the market partials read for the ``market`` they are given, so a page includes them
with nothing but the market: ``{% include "exchange/market/_book.html" %}``."""

import datetime
from typing import Any

from django import template
from django.utils import formats, timezone

from ..api.market import candles_shown
from ..models import Market, Member, Order, Trade
from ..selectors import market as selectors
from ..selectors.orders import trade_broken_reason

register = template.Library()
CHART_INTERVAL = "1h"


@register.simple_tag
def market_depth(market: Market, levels: int = 10) -> selectors.Depth:
    return selectors.depth(market, levels=levels)


@register.simple_tag
def market_trades(market: Market, limit: int = 20) -> list[dict[str, Any]]:
    return [
        {"trade": t, "side": selectors.taker_side(t)}
        for t in selectors.recent_trades(market, limit=limit)
    ]


@register.simple_tag
def market_ticker(market: Market) -> selectors.Ticker:
    return selectors.ticker(market)


@register.simple_tag
def market_candles(market: Market, interval: str = CHART_INTERVAL) -> list[dict[str, Any]]:
    return candles_shown(market, interval)


@register.filter
def side_label(side: str) -> str:
    """A side's label in the reader's language ("Buy", "Sell")."""
    return str(dict(Order.Side.choices).get(side, side))


@register.filter
def moment(value: datetime.datetime | None) -> str:
    """A time to the millisecond, in the platform's zone: ``05.12.2026 10:02:03.457`` — what
    the regulator needs to order events that happen within one second."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    day = formats.date_format(local, "SHORT_DATE_FORMAT")
    return f"{day} {local:%H:%M:%S}.{local.microsecond // 1000:03d}"


@register.filter
def member_name(member: Member | None) -> str:
    return selectors.member_name(member)[0]


@register.filter
def member_number(member: Member | None) -> str:
    return selectors.member_name(member)[1]


@register.filter
def record_of(records: dict[int, int], operation_id: int) -> int | None:
    """The id of the on-chain record of a trade's transfer, if the indexer has seen it."""
    return records.get(operation_id)


@register.filter
def broken_reason(trade: Trade) -> str:
    """Why a broken trade broke, in words; empty for any other trade."""
    return trade_broken_reason(trade)
