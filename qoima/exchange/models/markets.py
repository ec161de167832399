"""Markets, orders, trades and each market's journal.

An order is durable (``RECEIVED``, its cash held or its units reserved) before the member is
told it was accepted; the market's matcher, the book's single writer, takes received orders and
changes in the order they came, gives each a place in the market's sequence and writes what
happened to the journal (``MarketEvent``) in the same transaction as the fills, so the book at
any moment is a replay of the journal up to it.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qoima.chain.fields import Uint256Field
from qoima.chain.models import Operation, PlatformToken

from .cash import Member


class SelfTradePrevention(models.TextChoices):
    """What happens when an order would trade with its own member's resting order (the four
    modes Coinbase offers)."""

    CANCEL_RESTING = "cancel_resting", _("Cancel the resting order")
    CANCEL_INCOMING = "cancel_incoming", _("Cancel the incoming order")
    CANCEL_BOTH = "cancel_both", _("Cancel both orders")
    DECREMENT = "decrement", _("Decrease both by the smaller quantity")


class Market(models.Model):
    """One asset traded against tenge. Prices are in tiyn per whole token (10**decimals
    units); quantities in the token's units. A lot at one tick is a whole number of tiyn (the
    market's settings are refused otherwise), so every trade's amount is exact."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("market status", "Open")
        HALTED = "halted", _("Halted")

    token = models.OneToOneField(
        PlatformToken,
        verbose_name=_("asset token"),
        on_delete=models.PROTECT,
        related_name="market",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    halt_reason = models.CharField(_("reason for the halt"), max_length=64, blank=True)
    tick_tiyn = models.PositiveBigIntegerField(_("tick size (tiyn)"))
    lot_units = Uint256Field(_("lot size (units)"))
    min_units = Uint256Field(_("smallest order (units)"))
    max_units = Uint256Field(_("largest order (units)"))
    band_bps = models.PositiveIntegerField(_("price band (basis points)"))
    maker_fee_bps = models.PositiveIntegerField(_("maker fee (basis points)"))
    taker_fee_bps = models.PositiveIntegerField(_("taker fee (basis points)"))
    self_trade_prevention = models.CharField(
        _("self-trade prevention"),
        max_length=16,
        choices=SelfTradePrevention.choices,
        default=SelfTradePrevention.CANCEL_RESTING,
    )
    # The issuer's offering price until the first trade, then the last trade's price.
    reference_price = models.PositiveBigIntegerField(_("reference price (tiyn)"))
    last_price = models.PositiveBigIntegerField(_("last price (tiyn)"), null=True, blank=True)
    # The matcher's place in the journal: the last sequence number it wrote.
    last_seq = models.PositiveBigIntegerField(_("last journal entry"), default=0)
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("market")
        verbose_name_plural = _("markets")
        constraints = [
            models.CheckConstraint(condition=Q(tick_tiyn__gt=0), name="market_tick_positive"),
            models.CheckConstraint(condition=Q(lot_units__gt=0), name="market_lot_positive"),
            models.CheckConstraint(
                condition=Q(min_units__gt=0) & Q(max_units__gte=F("min_units")),
                name="market_order_limits",
            ),
            models.CheckConstraint(
                condition=Q(band_bps__gt=0, band_bps__lt=10000), name="market_band_range"
            ),
            models.CheckConstraint(
                condition=Q(maker_fee_bps__lte=1000, taker_fee_bps__lte=1000),
                name="market_fees_range",
            ),
            models.CheckConstraint(
                condition=Q(reference_price__gt=0), name="market_reference_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.token.symbol or self.token.address


class Order(models.Model):
    class Side(models.TextChoices):
        BUY = "buy", _("Buy")
        SELL = "sell", _("Sell")

    class Type(models.TextChoices):
        LIMIT = "limit", _("Limit")
        MARKET = "market", _("Market")

    class TimeInForce(models.TextChoices):
        GTC = "gtc", _("Good till cancelled")
        GTD = "gtd", _("Good till a date")
        IOC = "ioc", _("Immediate or cancel")
        FOK = "fok", _("Fill or kill")

    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        OPEN = "open", pgettext_lazy("order state", "Open")
        PARTIALLY_FILLED = "partially_filled", _("Partially filled")
        FILLED = "filled", _("Filled")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        REJECTED = "rejected", _("Rejected")

    OPEN_STATES = (State.RECEIVED, State.OPEN, State.PARTIALLY_FILLED)

    market = models.ForeignKey(
        Market, verbose_name=_("market"), on_delete=models.PROTECT, related_name="orders"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="orders"
    )
    client_order_id = models.CharField(_("client order id"), max_length=64)
    side = models.CharField(_("side"), max_length=4, choices=Side.choices)
    type = models.CharField(_("type"), max_length=8, choices=Type.choices)
    time_in_force = models.CharField(_("time in force"), max_length=4, choices=TimeInForce.choices)
    post_only = models.BooleanField(_("post only"), default=False)
    # Tiyn per whole token; a market order's is the edge of the band it may trade within.
    price = models.PositiveBigIntegerField(_("limit price (tiyn)"))
    quantity = Uint256Field(_("quantity (units)"))
    filled = Uint256Field(_("filled (units)"), default=0)
    # Cash still held for a buy (tiyn, the fee included); units still reserved for a sell.
    held_tiyn = models.PositiveBigIntegerField(_("cash held (tiyn)"), default=0)
    reserved_units = Uint256Field(_("units reserved"), default=0)
    expires_at = models.DateTimeField(_("good till"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.RECEIVED
    )
    # Why it was cancelled, expired or rejected: a code, rendered at read time.
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    # Its place in the book's time priority: the journal entry that put it there (or that
    # last gave it a new price or a larger quantity).
    priority_seq = models.PositiveBigIntegerField(_("priority"), null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["market", "id"],
                condition=Q(state="received"),
                name="order_received",
            ),
            models.Index(
                fields=["market", "side", "price", "priority_seq"],
                condition=Q(state__in=["open", "partially_filled"]),
                name="order_resting",
            ),
            models.Index(fields=["member", "-created_at"], name="order_member"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "client_order_id"], name="order_client_order_id_unique"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_quantity_positive"),
            models.CheckConstraint(condition=Q(price__gt=0), name="order_price_positive"),
            models.CheckConstraint(
                condition=Q(filled__lte=F("quantity")), name="order_not_overfilled"
            ),
            models.CheckConstraint(
                condition=~Q(time_in_force="gtd") | Q(expires_at__isnull=False),
                name="order_gtd_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.quantity} @ {self.price}"


class OrderChange(models.Model):
    """A member's (or compliance's) request to cancel or amend an open order, carried out by
    the matcher in its turn so the book has one writer."""

    class Kind(models.TextChoices):
        CANCEL = "cancel", _("Cancel")
        AMEND = "amend", _("Amend")

    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="changes"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    new_price = models.PositiveBigIntegerField(_("new price (tiyn)"), null=True, blank=True)
    new_quantity = Uint256Field(_("new quantity (units)"), null=True, blank=True)
    # Why: the member's own request, or a code (holder suspended, wallet frozen, asset paused).
    reason = models.CharField(_("reason"), max_length=32)
    state = models.CharField(
        _("state"), max_length=8, choices=State.choices, default=State.RECEIVED
    )
    refusal = models.CharField(_("why refused"), max_length=32, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order change")
        verbose_name_plural = _("order changes")
        indexes = [
            models.Index(
                fields=["order", "id"], condition=Q(state="received"), name="change_received"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.order_id}"


class Trade(models.Model):
    """Two orders matched: the buyer's cash is pending and one recorded transfer of the units
    is requested; final when that transfer confirms, broken when it fails."""

    class State(models.TextChoices):
        PENDING = "pending", _("Settling")
        FINAL = "final", _("Final")
        BROKEN = "broken", _("Broken")

    market = models.ForeignKey(
        Market, verbose_name=_("market"), on_delete=models.PROTECT, related_name="trades"
    )
    seq = models.PositiveBigIntegerField(_("journal entry"))
    buy_order = models.ForeignKey(
        Order, verbose_name=_("buy order"), on_delete=models.PROTECT, related_name="buys"
    )
    sell_order = models.ForeignKey(
        Order, verbose_name=_("sell order"), on_delete=models.PROTECT, related_name="sells"
    )
    buyer = models.ForeignKey(
        Member, verbose_name=_("buyer"), on_delete=models.PROTECT, related_name="trades_bought"
    )
    seller = models.ForeignKey(
        Member, verbose_name=_("seller"), on_delete=models.PROTECT, related_name="trades_sold"
    )
    # The side of the order that rested in the book (the maker's).
    maker_side = models.CharField(_("maker side"), max_length=4, choices=Order.Side.choices)
    price = models.PositiveBigIntegerField(_("price (tiyn)"))
    quantity = Uint256Field(_("quantity (units)"))
    amount_tiyn = models.PositiveBigIntegerField(_("amount (tiyn)"))
    buyer_fee_tiyn = models.PositiveBigIntegerField(_("buyer's fee (tiyn)"))
    seller_fee_tiyn = models.PositiveBigIntegerField(_("seller's fee (tiyn)"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    # Why a broken trade was broken: the failed transfer's reason code.
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    operation = models.OneToOneField(
        Operation,
        verbose_name=_("on-chain transfer"),
        on_delete=models.PROTECT,
        related_name="trade",
    )
    created_at = models.DateTimeField(_("matched at"), auto_now_add=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("trade")
        verbose_name_plural = _("trades")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["market", "-created_at"], name="trade_recent"),
            models.Index(fields=["buyer", "-created_at"], name="trade_buyer"),
            models.Index(fields=["seller", "-created_at"], name="trade_seller"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["market", "seq"], name="trade_seq_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="trade_quantity_positive"),
            models.CheckConstraint(condition=~Q(buyer=F("seller")), name="trade_two_members"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} @ {self.price}"


class MarketEvent(models.Model):
    """The market's journal: everything the matcher did, in its order. Replaying it up to a
    moment gives the book as it stood then."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("Order entered the book")
        REJECTED = "rejected", _("Order rejected")
        TRADED = "traded", _("Trade")
        CANCELLED = "cancelled", _("Order cancelled")
        EXPIRED = "expired", _("Order expired")
        AMENDED = "amended", _("Order amended")
        SELF_TRADE_PREVENTED = "self_trade_prevented", _("Self-trade prevented")
        HALTED = "halted", _("Market halted")
        RESUMED = "resumed", _("Market resumed")

    market = models.ForeignKey(
        Market, verbose_name=_("market"), on_delete=models.PROTECT, related_name="journal"
    )
    seq = models.PositiveBigIntegerField(_("journal entry"))
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    # The resting order a trade or a self-trade prevention met.
    other_order = models.ForeignKey(
        Order,
        verbose_name=_("other order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the book shows after the event for ``order``: its price and remaining units.
    price = models.PositiveBigIntegerField(_("price (tiyn)"), null=True, blank=True)
    quantity = Uint256Field(_("units"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("market journal entry")
        verbose_name_plural = _("market journal")
        ordering = ["market", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["market", "seq"], name="market_event_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.market_id}#{self.seq} {self.kind}"
