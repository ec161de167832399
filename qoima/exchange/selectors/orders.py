"""Reads of markets, orders and fills, for the members' pages and the API."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from issuance.models import Application
from qoima.participants.models import Organisation

from ..models import Market, Member, Order, OrderChange, Trade

# Why a trade broke: its failed transfer's reason code (``Trade.reason``), in words a member
# can act on, naming neither party (the chain's own wording names the wallet's owner).
BROKEN_REASONS = {
    "RegistryFrozen": _("A party's wallet was frozen before the transfer was mined."),
    "RegistryNotAllowlisted": _(
        "A party was no longer a verified participant when the transfer was mined."
    ),
    "HolderSuspended": _("A party was suspended before the transfer was sent."),
    "EnforcedPause": _("Movements of the asset were paused."),
}


def trade_broken_reason(trade: Trade) -> str:
    """Why a broken trade broke, and what became of the cash and the units; empty for any
    other trade."""
    if trade.state != Trade.State.BROKEN:
        return ""
    why = BROKEN_REASONS.get(trade.reason, _("The on-chain transfer failed."))
    return "{} {}".format(
        why, _("The cash went back to the buyer and the units stayed with the seller.")
    )


def markets_list() -> QuerySet[Market]:
    return Market.objects.select_related("token").order_by("token__symbol", "pk")


def issuer_markets(organisation: Organisation) -> QuerySet[Market]:
    """The markets of the assets an issuer issued."""
    addresses = Application.objects.filter(organisation=organisation).exclude(token_address="")
    return markets_list().filter(token__address__in=addresses.values("token_address"))


def member_orders(
    member: Member | None, *, market: Market | int | None = None, state: str | None = None
) -> QuerySet[Order]:
    if member is None:
        return Order.objects.none()
    orders = Order.objects.filter(member=member).select_related("market__token")
    if market is not None:
        orders = orders.filter(market=market)
    if state:
        orders = orders.filter(state=state)
    return orders.order_by("-created_at", "-pk")


def member_open_orders(member: Member | None, *, market: Market | None = None) -> list[Order]:
    """Open orders, each with ``cancel_requested`` / ``amend_requested`` set when a change
    waits for the matcher."""
    orders = list(member_orders(member, market=market).filter(state__in=Order.OPEN_STATES)[:200])
    waiting = OrderChange.objects.filter(
        order__in=[order.pk for order in orders], state=OrderChange.State.RECEIVED
    ).values_list("order_id", "kind")
    kinds: dict[int, set[str]] = {}
    for order_id, kind in waiting:
        kinds.setdefault(order_id, set()).add(kind)
    for order in orders:
        found = kinds.get(order.pk, set())
        order.cancel_requested = OrderChange.Kind.CANCEL in found  # type: ignore[attr-defined]
        order.amend_requested = OrderChange.Kind.AMEND in found  # type: ignore[attr-defined]
    return orders


def member_fills(member: Member | None, *, market: Market | int | None = None) -> QuerySet[Trade]:
    """The member's trades, either side, newest first."""
    if member is None:
        return Trade.objects.none()
    trades = Trade.objects.filter(Q(buyer=member) | Q(seller=member)).select_related(
        "market__token"
    )
    if market is not None:
        trades = trades.filter(market=market)
    return trades.order_by("-created_at", "-pk")
