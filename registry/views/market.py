"""The exchange for the regulator: every order and trade (broken ones among them), the
journal's self-trade preventions, the book at any moment, and the daily market report."""

from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from qoima.chain.models import TokenTransfer
from qoima.exchange.models import MarketEvent
from qoima.exchange.selectors import market as market_selectors

from .. import market
from ..exports import tenge_plain
from ..market_forms import (
    BookAtForm,
    JournalSearchForm,
    MarketReportForm,
    OrderSearchForm,
    TradeSearchForm,
)
from .common import columns, exported, exported_list, list_query, older_than, refused, registry_view


def _ms(value: Any) -> str:
    """A time in exports: ISO 8601 in Almaty, to the millisecond."""
    return timezone.localtime(value).isoformat(timespec="milliseconds") if value else ""


def _tenge(tiyn: Any) -> str:
    return tenge_plain(tiyn)


def _member(path: str, which: int) -> Any:
    def get(row: Any) -> str:
        target = row
        for part in path.split("."):
            target = getattr(target, part, None)
        return market_selectors.member_name(target)[which]

    return get


ORDER_COLUMNS = columns(
    id="pk",
    received_at=lambda o: _ms(o.created_at),
    closed_at=lambda o: _ms(o.closed_at),
    market=lambda o: o.market.token.symbol,
    member=_member("member", 0),
    member_bin_iin=_member("member", 1),
    client_order_id="client_order_id",
    side="side",
    type="type",
    time_in_force="time_in_force",
    post_only="post_only",
    price_kzt=lambda o: _tenge(o.price),
    quantity_units=lambda o: int(o.quantity),
    filled_units=lambda o: int(o.filled),
    state="state",
    reason="reason",
    priority_seq="priority_seq",
)
TRADE_COLUMNS = columns(
    id="pk",
    seq="seq",
    matched_at=lambda t: _ms(t.created_at),
    settled_at=lambda t: _ms(t.settled_at),
    market=lambda t: t.market.token.symbol,
    buyer=_member("buyer", 0),
    buyer_bin_iin=_member("buyer", 1),
    seller=_member("seller", 0),
    seller_bin_iin=_member("seller", 1),
    buy_order="buy_order_id",
    sell_order="sell_order_id",
    maker_side="maker_side",
    price_kzt=lambda t: _tenge(t.price),
    quantity_units=lambda t: int(t.quantity),
    amount_kzt=lambda t: _tenge(t.amount_tiyn),
    buyer_fee_kzt=lambda t: _tenge(t.buyer_fee_tiyn),
    seller_fee_kzt=lambda t: _tenge(t.seller_fee_tiyn),
    state="state",
    reason="reason",
    operation="operation_id",
    operation_state="operation.state",
)
EVENT_COLUMNS = columns(
    market=lambda e: e.market.token.symbol,
    seq="seq",
    at=lambda e: _ms(e.at),
    kind="kind",
    order="order_id",
    member_bin_iin=_member("order.member", 1),
    other_order="other_order_id",
    other_member_bin_iin=_member("other_order.member", 1),
    price_kzt=lambda e: _tenge(e.price),
    quantity_units=lambda e: "" if e.quantity is None else int(e.quantity),
    reason="reason",
)


def _list(
    request: HttpRequest,
    form: Any,
    template: str,
    name: str,
    spec: Any,
    rows_of: Any,
    shown_with: Any = None,
    **context: Any,
) -> HttpResponseBase:
    if not form.is_valid():
        return refused(request, template, form, **context)
    rows = rows_of(form.cleaned_data)
    download = exported_list(request, name, spec, rows)
    if download:
        return download
    shown, next_before = older_than(request, rows)
    if shown_with is not None:
        context.update(shown_with(shown))
    return render(
        request,
        template,
        {
            "form": form,
            "rows": shown,
            "next_before": next_before,
            "query": list_query(request),
            **context,
        },
    )


@registry_view
def exchange_orders(request: HttpRequest) -> HttpResponseBase:
    return _list(
        request,
        OrderSearchForm(request.GET),
        "registry/exchange_orders.html",
        "exchange-orders",
        ORDER_COLUMNS,
        market.orders,
    )


@registry_view
def exchange_trades(request: HttpRequest) -> HttpResponseBase:
    return _list(
        request,
        TradeSearchForm(request.GET),
        "registry/exchange_trades.html",
        "exchange-trades",
        TRADE_COLUMNS,
        market.trades,
        _records,
    )


def _records(trades: list[Any]) -> dict[str, Any]:
    """The on-chain record of each trade's transfer on the page (its reference is the
    transfer's operation), to open it from the trade."""
    return {
        "records": {
            int(ref): pk
            for ref, pk in TokenTransfer.objects.filter(
                ref__in=[t.operation_id for t in trades]
            ).values_list("ref", "pk")
            if ref is not None
        }
    }


@registry_view
def exchange_journal(request: HttpRequest) -> HttpResponseBase:
    """The markets' journals; opened from the menu it lists the self-trade preventions."""
    query = request.GET.copy()
    if "kind" not in query:
        query["kind"] = MarketEvent.Kind.SELF_TRADE_PREVENTED
    return _list(
        request,
        JournalSearchForm(query),
        "registry/exchange_journal.html",
        "exchange-journal",
        EVENT_COLUMNS,
        market.events,
    )


@registry_view
def exchange_book(request: HttpRequest) -> HttpResponseBase:
    """The book of a market as it stood at a moment, replayed from its journal."""
    template = "registry/exchange_book.html"
    if not request.GET:
        return render(request, template, {"form": BookAtForm()})
    form = BookAtForm(request.GET)
    if not form.is_valid():
        return refused(request, template, form)
    chosen, moment = form.cleaned_data["market"], form.cleaned_data["moment"]
    book = market_selectors.book_at(chosen, moment)
    decimals = chosen.token.decimals
    return render(
        request,
        template,
        {
            "form": form,
            "market": chosen,
            "moment": moment,
            "book": book,
            "bids": book.side("buy"),
            "asks": book.side("sell"),
            "bid_levels": book.levels("buy", decimals),
            "ask_levels": book.levels("sell", decimals),
        },
    )


REPORT_COLUMNS = columns(
    day="day",
    market=lambda d: d.market.token.symbol,
    token_address="market.token.address",  # noqa: S106 - a column, not a secret
    open_kzt=lambda d: _tenge(d.open),
    high_kzt=lambda d: _tenge(d.high),
    low_kzt=lambda d: _tenge(d.low),
    close_kzt=lambda d: _tenge(d.close),
    volume_units="units",
    volume_kzt=lambda d: _tenge(d.amount),
    trades="trades",
    orders_placed="placed",
    orders_cancelled="cancelled",
    broken_trades="broken",
)


@registry_view
def exchange_daily(request: HttpRequest) -> HttpResponseBase:
    form = MarketReportForm(request.GET)
    template = "registry/exchange_daily.html"
    if not form.is_valid():
        return refused(request, template, form)
    since, until = form.period()
    days = market.daily_report(since=since, until=until, market=form.cleaned_data.get("market"))
    download = exported(
        request,
        "exchange-daily",
        [label for label, _get in REPORT_COLUMNS],
        ([get(day) for _label, get in REPORT_COLUMNS] for day in days),
    )
    if download:
        return download
    return render(
        request,
        template,
        {"form": form, "days": days, "since": since, "until": until, "query": list_query(request)},
    )
