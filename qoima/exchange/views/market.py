"""Market data pages for every signed-in member of the platform: the list of markets with
their tickers, and each market's chart, book, trades and ticker as fragments a page polls."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from qoima.participants.access import current_user
from qoima.participants.models import Role
from qoima.participants.selectors import user_role

from ..selectors import market as selectors
from ..selectors import orders as order_selectors

PARTIALS = {
    "chart": "exchange/market/_chart.html",
    "book": "exchange/market/_book.html",
    "trades": "exchange/market/_trades.html",
    "ticker": "exchange/market/_ticker.html",
}


@login_required
@require_safe
def markets_page(request: HttpRequest) -> HttpResponse:
    """Every market with its last price and the last day's figures; a holder opens any
    market's trading page from it, an issuer's staff the offering page of its own assets'."""
    user = current_user(request)
    role = user_role(user)
    offered: set[int] = set()
    if role == Role.ISSUER_STAFF and user.organisation is not None:
        offered = set(
            order_selectors.issuer_markets(user.organisation).values_list("pk", flat=True)
        )
    context = {
        "tickers": selectors.tickers(),
        "may_trade": role == Role.HOLDER,
        "offered": offered,
    }
    return render(request, "exchange/markets.html", context)


def _fragment(part: str):  # type: ignore[no-untyped-def]
    @login_required
    @require_safe
    def view(request: HttpRequest, market_id: int) -> HttpResponse:
        market = get_object_or_404(selectors.markets(), pk=market_id)
        return render(request, PARTIALS[part], {"market": market})

    view.__name__ = f"market_{part}"
    view.__doc__ = f"The market's {part}, for the page that polls it."
    return view


market_chart = _fragment("chart")
market_book = _fragment("book")
market_trades = _fragment("trades")
market_ticker = _fragment("ticker")
