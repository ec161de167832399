"""The members' trading pages (a holder's market page, an issuer's offering page) and the
platform administrator's market settings."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from qoima.chain.models import PlatformToken
from qoima.errors import ApplicationError, InvalidInput, NotFound
from qoima.participants.access import current_user, role_required
from qoima.participants.models import Role, User
from qoima.participants.selectors import user_role
from qoima.throttling import throttle_check

from .. import services
from ..forms import AmendForm, HaltForm, MarketForm, OrderForm
from ..models import Market, Order, Trade
from ..selectors import orders as selectors
from ..services import markets as market_services
from ..services import orders as order_services

SHOWN = 50
TRADERS = (Role.HOLDER, Role.ISSUER_STAFF)


def _market(market_id: int) -> Market:
    market = selectors.markets_list().filter(pk=market_id).first()
    if market is None:
        raise NotFound(_("No such market."))
    return market


def _form_error(form: Any, error: ApplicationError) -> None:
    field = error.field if error.field in form.fields else None
    if error.field == "tif":
        field = "time_in_force"
    if error.field == "expires_at":
        field = "expires_on"
    form.add_error(field, str(error.message))


def _member_context(user: User, market: Market | None) -> dict[str, Any]:
    member = order_services.member_of(user)
    open_orders = selectors.member_open_orders(member, market=market)
    fills = list(selectors.member_fills(member, market=market)[:SHOWN])
    return {
        "member": member,
        "open_orders": open_orders,
        # The lists refresh themselves while the matcher has something of the member's to do,
        # and while a fill's transfer is still on its way to the chain (so the member sees
        # it turn final, or broken, without reloading).
        "in_flight": any(
            order.state == Order.State.RECEIVED
            or order.cancel_requested  # type: ignore[attr-defined]
            or order.amend_requested  # type: ignore[attr-defined]
            for order in open_orders
        )
        or any(trade.state == Trade.State.PENDING for trade in fills),
        "live_market": market,
        "orders": list(selectors.member_orders(member, market=market)[:SHOWN]),
        "fills": fills,
        "amend_form": AmendForm(),
    }


def _facts(market: Market) -> dict[str, Any]:
    low, high = order_services.price_band(market)
    return {
        "band_low": low,
        "band_high": high,
        "halt_reason": market_services.halt_reason_label(market.halt_reason),
    }


def _place(request: HttpRequest, market: Market, form: OrderForm) -> tuple[Order, bool]:
    throttle_check(request, "order")
    price, quantity = order_services.order_amounts_parse(
        market=market,
        price=form.cleaned_data["price"] if form.cleaned_data["type"] == Order.Type.LIMIT else None,
        quantity=form.cleaned_data["quantity"],
    )
    return services.order_place(
        actor=current_user(request),
        market_id=market.pk,
        client_order_id=form.cleaned_data["client_order_id"],
        side=form.cleaned_data["side"],
        type=form.cleaned_data["type"],
        time_in_force=form.cleaned_data["time_in_force"],
        post_only=form.cleaned_data["post_only"],
        price=price,
        quantity=quantity,
        expires_at=form.expires_at(),
    )


def _placed_message(request: HttpRequest, created: bool) -> None:
    if created:
        messages.success(request, _("The order is accepted; it enters the book in a moment."))
    else:
        messages.info(request, _("This order was placed already."))


# ------------------------------------------------------------------------------ holders


@role_required(Role.HOLDER)
def trade_page(request: HttpRequest, market_id: int) -> HttpResponse:
    """A market: its data, the order form with what the order comes to, the holder's open
    orders (to cancel or amend) and fills."""
    market = _market(market_id)
    form = OrderForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _order, created = _place(request, market, form)
            except ApplicationError as error:
                _form_error(form, error)
                status = error.status_code
            else:
                _placed_message(request, created)
                return redirect("exchange-trade", market_id=market.pk)
        else:
            status = 400
    context = {
        "market": market,
        "form": form,
        **_facts(market),
        **_member_context(current_user(request), market),
    }
    return render(request, "exchange/trade.html", context, status=status)


@require_POST
@role_required(*TRADERS)
def order_preview(request: HttpRequest, market_id: int) -> HttpResponse:
    """What the order in the form comes to (amount, fee, total), computed by the same check
    the placement runs; an error says what to change."""
    market = _market(market_id)
    form = OrderForm(request.POST)
    context: dict[str, Any] = {"market": market}
    if not form.is_valid():
        context["problem"] = next(iter(form.errors.values()))[0]
    else:
        try:
            price, quantity = order_services.order_amounts_parse(
                market=market,
                price=(
                    form.cleaned_data["price"]
                    if form.cleaned_data["type"] == Order.Type.LIMIT
                    else None
                ),
                quantity=form.cleaned_data["quantity"],
            )
            context["quote"] = order_services.order_quote(
                market=market,
                side=form.cleaned_data["side"],
                type=form.cleaned_data["type"],
                time_in_force=form.cleaned_data["time_in_force"],
                post_only=form.cleaned_data["post_only"],
                price=price,
                quantity=quantity,
                expires_at=form.expires_at(),
            )
            context["buying"] = form.cleaned_data["side"] == Order.Side.BUY
        except ApplicationError as error:
            context["problem"] = str(error.message)
    return render(request, "exchange/_order_preview.html", context)


def _back(request: HttpRequest, order: Order | None) -> HttpResponse:
    if user_role(request.user) == Role.ISSUER_STAFF:
        return redirect("exchange-offering")
    if order is not None:
        return redirect("exchange-trade", market_id=order.market_id)
    return redirect("markets")


def _own_order(request: HttpRequest, order_id: int) -> Order | None:
    member = order_services.member_of(current_user(request))
    return selectors.member_orders(member).filter(pk=order_id).first()


@require_POST
@role_required(*TRADERS)
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    try:
        services.order_cancel(actor=current_user(request), order_id=order_id)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Cancellation requested: the order leaves the book shortly."))
    return _back(request, order)


@require_POST
@role_required(*TRADERS)
def order_amend(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    form = AmendForm(request.POST)
    try:
        if order is None:
            raise NotFound(_("No such order."))
        form.full_clean()
        market = _market(order.market_id)
        price_text = form.cleaned_data["price"].strip()
        quantity_text = form.cleaned_data["quantity"].strip()
        price = order_services.price_parse(price_text) if price_text else None
        quantity = order_services.quantity_parse(market, quantity_text) if quantity_text else None
        services.order_amend(
            actor=current_user(request), order_id=order_id, new_price=price, new_quantity=quantity
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Change requested: the order is amended shortly."))
    return _back(request, order)


@role_required(*TRADERS)
def member_orders_live(request: HttpRequest) -> HttpResponse:
    """The member's open orders, fills and history (of one market with ``?market=``), for the
    pages' live refresh."""
    market_id = request.GET.get("market", "")
    market = _market(int(market_id)) if market_id.isdigit() else None
    context = _member_context(current_user(request), market)
    response = render(request, "exchange/_member_orders.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ------------------------------------------------------------------------------ issuers


@role_required(Role.ISSUER_STAFF)
def offering_page(request: HttpRequest) -> HttpResponse:
    """The issuer's primary offering: the markets of its assets, a sell order of its own units
    from its wallet into the same book, its orders and fills."""
    user = current_user(request)
    markets = list(selectors.issuer_markets(user.organisation)) if user.organisation else []
    chosen_id = request.POST.get("market") or request.GET.get("market")
    market = next(
        (m for m in markets if str(m.pk) == str(chosen_id)), markets[0] if markets else None
    )
    form = OrderForm(request.POST or None, sides=[Order.Side.SELL])
    status = 200
    if request.method == "POST" and market is not None:
        if form.is_valid():
            try:
                _order, created = _place(request, market, form)
            except ApplicationError as error:
                _form_error(form, error)
                status = error.status_code
            else:
                _placed_message(request, created)
                return redirect(f"{request.path}?market={market.pk}")
        else:
            status = 400
    context = {
        "markets": markets,
        "market": market,
        "form": form,
        **(_facts(market) if market else {}),
        **_member_context(user, None),
    }
    return render(request, "exchange/offering.html", context, status=status)


# ------------------------------------------------------------------------------ administrator


def _settings_from(form: MarketForm, token: PlatformToken) -> market_services.MarketSettings:
    return market_services.market_settings_parse(token=token, data=form.cleaned_data)


def _unmarketed_tokens() -> list[tuple[int, str]]:
    tokens = PlatformToken.objects.filter(market__isnull=True).order_by("symbol", "pk")
    return [(token.pk, f"{token.symbol} · {token.name}") for token in tokens]


_FIELDS = {
    "min": "min_quantity",
    "max": "max_quantity",
    "band": "band_bps",
    "maker_fee": "maker_fee_bps",
    "taker_fee": "taker_fee_bps",
    "stp": "self_trade_prevention",
}


def _settings_error(form: MarketForm, error: ApplicationError) -> None:
    field = _FIELDS.get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, str(error.message))


@role_required(Role.PLATFORM_ADMIN)
def markets_manage(request: HttpRequest) -> HttpResponse:
    """Every market with its settings and state; a new market for an issued asset."""
    form = MarketForm(request.POST or None, tokens=_unmarketed_tokens())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            token = PlatformToken.objects.get(pk=form.cleaned_data["token"])
            try:
                market = services.market_open(
                    actor=current_user(request),
                    token_id=token.pk,
                    values=_settings_from(form, token),
                )
            except ApplicationError as error:
                _settings_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("The market is open."))
                return redirect("exchange-market-manage", market_id=market.pk)
        else:
            status = 400
    context = {"markets": list(selectors.markets_list()), "form": form}
    return render(request, "exchange/markets_manage.html", context, status=status)


def _initial(market: Market) -> dict[str, Any]:
    from qoima.chain.amounts import units_to_amount

    decimals = market.token.decimals
    return {
        "tick": units_to_amount(market.tick_tiyn, 2),
        "lot": units_to_amount(int(market.lot_units), decimals),
        "min_quantity": units_to_amount(int(market.min_units), decimals),
        "max_quantity": units_to_amount(int(market.max_units), decimals),
        "band_bps": market.band_bps,
        "maker_fee_bps": market.maker_fee_bps,
        "taker_fee_bps": market.taker_fee_bps,
        "self_trade_prevention": market.self_trade_prevention,
        "reference_price": units_to_amount(market.reference_price, 2),
    }


def _halt_form(data: Any = None) -> HaltForm:
    reasons = [
        (code, str(label))
        for code, label in market_services.HALT_REASONS.items()
        if code not in market_services.ENFORCED_HALTS
    ]
    return HaltForm(data, reasons=reasons)


@role_required(Role.PLATFORM_ADMIN)
def market_manage(request: HttpRequest, market_id: int) -> HttpResponse:
    """One market's settings, and its halt or resumption."""
    market = _market(market_id)
    form = MarketForm(request.POST or None, initial=_initial(market))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.market_update(
                    actor=current_user(request),
                    market_id=market.pk,
                    values=_settings_from(form, market.token),
                )
            except ApplicationError as error:
                _settings_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("The market's settings are saved."))
                return redirect("exchange-market-manage", market_id=market.pk)
        else:
            status = 400
    context = {"market": market, "form": form, "halt_form": _halt_form(), **_facts(market)}
    return render(request, "exchange/market_manage.html", context, status=status)


@require_POST
@role_required(Role.PLATFORM_ADMIN)
def market_halt(request: HttpRequest, market_id: int) -> HttpResponse:
    form = _halt_form(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(_("Choose why the market is halted."), field="reason")
        services.market_halt(
            actor=current_user(request), market_id=market_id, reason=form.cleaned_data["reason"]
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The market is halted; its open orders are being cancelled."))
    return redirect("exchange-market-manage", market_id=market_id)


@require_POST
@role_required(Role.PLATFORM_ADMIN)
def market_resume(request: HttpRequest, market_id: int) -> HttpResponse:
    try:
        services.market_resume(actor=current_user(request), market_id=market_id)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The market is open again."))
    return redirect("exchange-market-manage", market_id=market_id)
