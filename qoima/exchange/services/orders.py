"""Orders: placed, cancelled and amended by members; carried out by the market's matcher.

Placing an order is one durable transaction: the order (``RECEIVED``) and what it holds — a
buy's cash moved from available to held, a sell's units reserved in the chain ledger — commit
together, so a trade only ever executes against what is in the account. The member is told
"accepted" only after the commit; the matcher is woken after it too.

A cancellation or an amendment is a request (``OrderChange``) the matcher carries out in its
turn, so the book has one writer. An amendment that asks for more (a larger quantity, or a
higher buy price) holds the extra at once, under keys of its own so the matcher can give it
back if it refuses the amendment:

- cash: an ``ORDER_HELD`` posting keyed ``order.amend:<change id>`` (reference
  ``order:<order id>``), and ``Order.held_tiyn`` raised by the same amount;
- units: a chain-ledger hold keyed ``exchange.order:<order id>:amend:<change id>``, and
  ``Order.reserved_units`` raised by the same amount.

Every hold of an order's units has a key that is ``exchange.order:<order id>`` or starts with
``exchange.order:<order id>:``.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issuance.models import Application
from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_entry, audit_record, audit_record_many
from qoima.chain.amounts import format_units, units_from_text
from qoima.chain.ledger import InsufficientBalance, hold_place, hold_place_sql
from qoima.custody.models import Wallet
from qoima.custody.selectors import organisation_wallet
from qoima.errors import Conflict, InvalidInput, NotAllowed, NotFound
from qoima.participants.models import HolderProfile, Role, User
from qoima.participants.selectors import user_role
from qoima.rows import execute_all, insert_sql
from qoima.transactions import in_transaction, use_case

from ..matching import wake, wake_sql
from ..models import CashAccount, Market, Member, Order, OrderChange, Posting
from ..money import MAX_TIYN, format_tenge, tiyn_from_text
from .cash import (
    Entry,
    member_ensure_in_transaction,
    posting_sql,
    postings_write_in_transaction,
)

BPS = 10_000
CLIENT_ORDER_ID_MAX = 64

# Why an order change was asked for, as codes rendered at read time.
CHANGE_REASONS = {
    "member_request": _("Asked for by the member"),
    "holder_suspended": _("The holder was suspended"),
    "market_halted": _("The market was halted"),
    "wallet_frozen": _("The wallet was frozen by compliance"),
    "units_frozen": _("Units were frozen by compliance"),
    "forced_transfer": _("Units were taken by a forced transfer"),
    "wallet_recovered": _("The wallet was replaced on recovery"),
}


def change_reason_label(code: str) -> str:
    return str(CHANGE_REASONS.get(code, code))


@dataclass(frozen=True)
class Quote:
    """What an order comes to, before it is placed: the same numbers the placement holds."""

    price: int
    quantity: int
    amount_tiyn: int
    fee_tiyn: int
    # A buy's cash held (amount and the taker fee); a sell's proceeds at most (amount less it).
    total_tiyn: int
    time_in_force: str
    post_only: bool


def fee_of(amount_tiyn: int, bps: int) -> int:
    """A fee rounds up to the tiyn: the platform never charges less than its rate."""
    return -(-amount_tiyn * bps // BPS)


def amount_of(price: int, units: int, decimals: int) -> int:
    return price * units // 10**decimals


def price_band(market: Market) -> tuple[int, int]:
    """The lowest and highest prices an order may have: the band around the reference price,
    rounded inwards to whole ticks."""
    tick, reference, band = market.tick_tiyn, market.reference_price, market.band_bps
    low = -(-reference * (BPS - band) // (BPS * tick)) * tick
    high = reference * (BPS + band) // (BPS * tick) * tick
    return max(low, tick), high


def price_parse(text: str) -> int:
    """A price typed in tenge (two decimal places at most), in tiyn."""
    return tiyn_from_text(text, field="price")


def quantity_parse(market: Market, text: str) -> int:
    """A quantity typed in the asset's units, in base units."""
    return units_from_text(text, market.token.decimals, field="quantity")


def order_amounts_parse(*, market: Market, price: str | None, quantity: str) -> tuple[int, int]:
    """A price typed in tenge (none for a market order) and a quantity in the asset's units,
    as tiyn and units."""
    return (price_parse(price) if price else 0), quantity_parse(market, quantity)


@dataclass(frozen=True)
class Typed:
    """A price (none for a market order) and a quantity as a person or a program typed them,
    in tenge and in the asset's units: parsed against the market the placement reads."""

    price: str | None
    quantity: str

    def parse(self, market: Market) -> tuple[int, int]:
        return order_amounts_parse(market=market, price=self.price, quantity=self.quantity)


def _units(market: Market, units: int) -> str:
    return format_units(units, market.token.decimals, symbol=market.token.symbol)


def _check_price(market: Market, price: int) -> None:
    if price <= 0:
        raise InvalidInput(_("Give the price of a limit order."), field="price")
    if price % market.tick_tiyn:
        raise InvalidInput(
            _("The price must be a whole number of ticks of %(tick)s.")
            % {"tick": format_tenge(market.tick_tiyn)},
            field="price",
            code="price_off_tick",
        )
    low, high = price_band(market)
    if not low <= price <= high:
        raise InvalidInput(
            _(
                "The price must be between %(low)s and %(high)s (the band around the "
                "reference price, %(reference)s)."
            )
            % {
                "low": format_tenge(low),
                "high": format_tenge(high),
                "reference": format_tenge(market.reference_price),
            },
            field="price",
            code="price_outside_band",
        )


def _check_quantity(market: Market, quantity: int) -> None:
    if quantity <= 0 or quantity % int(market.lot_units):
        raise InvalidInput(
            _("The quantity must be a whole number of lots of %(lot)s.")
            % {"lot": _units(market, int(market.lot_units))},
            field="quantity",
            code="quantity_off_lot",
        )
    if quantity < int(market.min_units):
        raise InvalidInput(
            _("The smallest order is %(min)s.") % {"min": _units(market, int(market.min_units))},
            field="quantity",
            code="quantity_below_minimum",
        )
    if quantity > int(market.max_units):
        raise InvalidInput(
            _("The largest order is %(max)s.") % {"max": _units(market, int(market.max_units))},
            field="quantity",
            code="quantity_above_maximum",
        )


def _check_open(market: Market) -> None:
    if market.status != Market.Status.OPEN:
        from .markets import halt_reason_label

        raise Conflict(
            _("This market is halted (%(reason)s); it takes no orders until it resumes.")
            % {"reason": halt_reason_label(market.halt_reason)},
            code="market_halted",
        )


def order_quote(
    *,
    market: Market,
    side: str,
    type: str,
    time_in_force: str,
    post_only: bool,
    price: int,
    quantity: int,
    expires_at: datetime.datetime | None = None,
) -> Quote:
    """Check an order against the market's rules and say what it comes to. The preview shows
    this, and ``order_place`` holds exactly this."""
    if side not in Order.Side.values:
        raise InvalidInput(_("Choose to buy or to sell."), field="side")
    if type not in Order.Type.values:
        raise InvalidInput(_("Choose a limit or a market order."), field="type")
    if type == Order.Type.MARKET:
        # A market order takes what the book offers within the band, now, and rests nowhere.
        low, high = price_band(market)
        price = high if side == Order.Side.BUY else low
        time_in_force, post_only = Order.TimeInForce.IOC, False
    else:
        if time_in_force not in Order.TimeInForce.values:
            raise InvalidInput(_("Choose how long the order stays in the book."), field="tif")
        _check_price(market, price)
        if post_only and time_in_force in (Order.TimeInForce.IOC, Order.TimeInForce.FOK):
            raise InvalidInput(
                _("A post-only order rests in the book: make it good till cancelled or a date."),
                field="post_only",
            )
    if time_in_force == Order.TimeInForce.GTD:
        if expires_at is None:
            raise InvalidInput(_("Give the date the order is good till."), field="expires_at")
        if expires_at <= timezone.now():
            raise InvalidInput(_("The good-till date must be in the future."), field="expires_at")
    _check_quantity(market, quantity)
    amount = amount_of(price, quantity, market.token.decimals)
    fee = fee_of(amount, market.taker_fee_bps)
    if amount + fee > MAX_TIYN:
        # Beyond what a cash account counts (a 64-bit integer of tiyn).
        raise InvalidInput(_("This order is too large."), field="quantity", code="order_too_large")
    total = amount + fee if side == Order.Side.BUY else amount - fee
    return Quote(price, quantity, amount, fee, total, time_in_force, post_only)


def _market(market_id: int) -> Market:
    market = Market.objects.select_related("token").filter(pk=market_id).first()
    if market is None:
        # The market is one of the order's fields, as the price and the quantity are.
        raise InvalidInput(_("No such market."), field="market")
    return market


def _issuer_of(market: Market, organisation_id: int) -> bool:
    return Application.objects.filter(
        organisation_id=organisation_id, token_address=market.token.address
    ).exists()


def _check_holder(status: str | None) -> None:
    if status is None or status == HolderProfile.Status.SUSPENDED:
        raise NotAllowed(
            _("Your account is suspended: you cannot place orders."), code="member_suspended"
        )
    if status != HolderProfile.Status.VERIFIED:
        raise NotAllowed(_("Only a verified holder can place orders."), code="member_not_verified")


def _check_wallet(frozen: bool) -> None:
    if frozen:
        raise NotAllowed(
            _("Your wallet is frozen by compliance: you cannot place orders."),
            code="wallet_frozen",
        )


def _trader(actor: User, market: Market, side: str, *, lock: bool = True) -> tuple[Member, str]:
    """The member the actor trades for, and the wallet its units come from or go to.

    A holder's profile is locked (``lock``) and read under the lock, so a placement and the
    holder's suspension come one after the other: either the order is there for the
    suspension to cancel, or the placement sees the suspension.
    """
    role = user_role(actor)
    if role == Role.HOLDER:
        # The profile (locked), its custodial wallet and its member in one round trip: a
        # placement's time is mostly its statements' round trips.
        profiles = HolderProfile.objects.filter(user=actor).annotate(
            wallet_address=Subquery(
                Wallet.objects.filter(holder=OuterRef("pk"), kind=Wallet.Kind.CUSTODIAL)
                .order_by("pk")
                .values("address")[:1]
            ),
            member_pk=Subquery(Member.objects.filter(holder=OuterRef("pk")).values("pk")[:1]),
        )
        holder = (locks.rows_for_update(profiles) if lock else profiles).first()
        _check_holder(holder.verification_status if holder else None)
        assert holder is not None
        # Read after the profile's lock, so a freeze that held it is seen.
        _check_wallet(
            Wallet.objects.filter(holder=holder, kind=Wallet.Kind.CUSTODIAL, frozen=True).exists()
        )
        address = holder.wallet_address  # type: ignore[attr-defined]
        if address is None:
            raise InvalidInput(_("Your wallet is being opened; try again shortly."))
        member_pk = holder.member_pk  # type: ignore[attr-defined]
        if member_pk is None:
            return member_ensure_in_transaction(holder=holder), address
        return Member(pk=member_pk, holder=holder), address
    if role == Role.ISSUER_STAFF and actor.organisation is not None:
        if not _issuer_of(market, actor.organisation.pk):
            raise NotAllowed(_("An issuer trades only in the markets of its own assets."))
        if side != Order.Side.SELL:
            raise NotAllowed(
                _("An issuer sells its own units here; it does not buy."), field="side"
            )
        wallet = organisation_wallet(actor.organisation)
        if wallet is None:
            raise InvalidInput(_("The issuer's wallet is being opened; try again shortly."))
        _check_wallet(wallet.frozen)
        return member_ensure_in_transaction(organisation=actor.organisation), wallet.address
    raise NotAllowed(_("Only verified holders and issuers selling their own units trade."))


def _same(
    order: Order, quote: Quote, market: Market, side: str, type_: str, expires_at: object
) -> bool:
    return (
        order.market_id,
        order.side,
        order.type,
        order.time_in_force,
        order.post_only,
        order.price,
        int(order.quantity),
        order.expires_at if quote.time_in_force == Order.TimeInForce.GTD else None,
    ) == (
        market.pk,
        side,
        type_,
        quote.time_in_force,
        quote.post_only,
        quote.price,
        quote.quantity,
        expires_at if quote.time_in_force == Order.TimeInForce.GTD else None,
    )


def _resubmitted(
    member: Member,
    client_order_id: str,
    quote: Quote,
    market: Market,
    side: str,
    type_: str,
    expires_at: object,
) -> Order | None:
    existing = Order.objects.filter(member=member, client_order_id=client_order_id).first()
    if existing is None:
        return None
    if not _same(existing, quote, market, side, type_, expires_at):
        raise Conflict(
            _("This client order id was used for another order."), field="client_order_id"
        )
    return existing


def _hold_cash(member: Member, order_id: int, tiyn: int, key: str, actor: User) -> None:
    # Both accounts locked (pk order) and the available balance read in one statement.
    accounts = {
        account.kind: account
        for account in locks.rows_for_update(
            CashAccount.objects.filter(
                member=member, kind__in=[CashAccount.Kind.AVAILABLE, CashAccount.Kind.HELD]
            )
        )
    }
    available, held = accounts[CashAccount.Kind.AVAILABLE], accounts[CashAccount.Kind.HELD]
    _check_cash(available.balance, tiyn)
    postings_write_in_transaction([_held_entry(available.pk, held.pk, order_id, tiyn, key, actor)])


def _check_cash(balance: int, tiyn: int) -> None:
    if balance < tiyn:
        raise InvalidInput(
            _("You have %(available)s available; this needs %(needed)s (the amount and the fee).")
            % {"available": format_tenge(balance), "needed": format_tenge(tiyn)},
            field="quantity",
            code="insufficient_cash",
        )


def _held_entry(
    available: int, held: int, order_id: int, tiyn: int, key: str, actor: User
) -> Entry:
    return Entry(
        kind=Posting.Kind.ORDER_HELD,
        key=key,
        reference=f"order:{order_id}",
        legs=[(available, -tiyn), (held, tiyn)],
        actor=actor,
    )


def _reserve_units(market: Market, wallet: str, units: int, key: str) -> None:
    try:
        hold_place(
            chain_id=settings.CHAIN_ID,
            key=key,
            token_address=market.token.address,
            holder=wallet,
            units=units,
        )
    except InsufficientBalance as short:
        raise _short_of_units(market, short.available, units) from None


def _short_of_units(market: Market, available: int, units: int) -> InvalidInput:
    return InvalidInput(
        _("You have %(available)s available to sell; this needs %(needed)s.")
        % {"available": _units(market, available), "needed": _units(market, units)},
        field="quantity",
        code="insufficient_units",
    )


def _wake_after_commit(market_id: int) -> None:
    """Tell the market's matcher there is work: a PostgreSQL notice, delivered when this
    transaction commits (never before the order is durable). The matcher also sweeps for
    received rows, so a lost notice delays an order, never loses it."""
    wake(market_id)


@use_case
def order_place(
    *,
    actor: User,
    market_id: int,
    client_order_id: str,
    side: str,
    type: str,
    time_in_force: str,
    quantity: int = 0,
    price: int = 0,
    post_only: bool = False,
    expires_at: datetime.datetime | None = None,
    typed: Typed | None = None,
) -> tuple[Order, bool]:
    """Place an order: durable, with its cash held or its units reserved, when this returns.
    Its price and quantity come in tiyn and base units, or ``typed``, parsed against the market.

    Returns the order and whether it is new: the same client order id again with the same
    order returns the first one and holds nothing more; with another order it is refused.

    A holder's order on PostgreSQL takes the short path (``_holder_place``: one statement
    reads and locks what it needs, one round trip writes every row); anything it does not
    cover — a first order before the member's accounts exist, an issuer's order, SQLite, a
    concurrent resubmission — takes the general one, which decides the same way.
    """
    client_order_id = (client_order_id or "").strip()
    if not 0 < len(client_order_id) <= CLIENT_ORDER_ID_MAX:
        raise InvalidInput(
            _("A client order id of 1 to 64 characters is required."), field="client_order_id"
        )
    request = _Request(
        market_id,
        client_order_id,
        side,
        type,
        time_in_force,
        quantity,
        price,
        post_only,
        expires_at,
        typed,
    )
    if connection.vendor == "postgresql" and user_role(actor) == Role.HOLDER:
        try:
            placed = _holder_place(actor, request)
        except IntegrityError:
            # The same client order id placed concurrently: the general path finds that order.
            placed = None
        if placed is not None:
            return placed
    return _order_place(actor, request)


@dataclass(frozen=True)
class _Request:
    market_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    quantity: int
    price: int
    post_only: bool
    expires_at: datetime.datetime | None
    typed: Typed | None = None

    def quote(self, market: Market) -> Quote:
        price, quantity = self.typed.parse(market) if self.typed else (self.price, self.quantity)
        return order_quote(
            market=market,
            side=self.side,
            type=self.type,
            time_in_force=self.time_in_force,
            post_only=self.post_only,
            price=price,
            quantity=quantity,
            expires_at=self.expires_at,
        )

    def order(
        self, market: Market, member: Member, quote: Quote, actor: User, **fields: object
    ) -> Order:
        buying = self.side == Order.Side.BUY
        return Order(
            market=market,
            member=member,
            client_order_id=self.client_order_id,
            side=self.side,
            type=self.type,
            time_in_force=quote.time_in_force,
            post_only=quote.post_only,
            price=quote.price,
            quantity=quote.quantity,
            held_tiyn=quote.total_tiyn if buying else 0,
            reserved_units=0 if buying else quote.quantity,
            expires_at=self.expires_at if quote.time_in_force == Order.TimeInForce.GTD else None,
            placed_by=actor,
            **fields,
        )


def _placed(actor: User, order: Order, quote: Quote) -> dict[str, Any]:
    """The audit record of a placement."""
    return {
        "actor": actor,
        "action": AuditAction.EXCHANGE_ORDER_PLACED,
        "obj": order,
        "details": {
            "market": order.market_id,
            "side": order.side,
            "price": quote.price,
            "units": quote.quantity,
        },
    }


@transaction.atomic(durable=True)
def _holder_place(actor: User, request: _Request) -> tuple[Order, bool] | None:
    """A holder's placement in three round trips (begin, read and lock, write every row) and
    the commit; None when the holder's rows are not all there yet."""
    buying = request.side == Order.Side.BUY
    placing = locks.lock_holder_placing(
        user_id=actor.pk,
        market_id=request.market_id,
        buying=buying,
        client_order_id=request.client_order_id,
    )
    if placing is None:
        return None
    market = placing.market
    quote = request.quote(market)
    _check_holder(placing.verification_status)
    _check_wallet(placing.wallet_frozen)
    member = Member(pk=placing.member_id, holder_id=placing.holder_id)
    if placing.resubmitted:
        found = _resubmitted(
            member,
            request.client_order_id,
            quote,
            market,
            request.side,
            request.type,
            request.expires_at,
        )
        if found is not None:
            return found, False
    _check_open(market)
    order = request.order(market, member, quote, actor, id=placing.order_id)
    statements = [insert_sql([order])]
    if buying:
        available, balance = placing.accounts[CashAccount.Kind.AVAILABLE]
        held, _held_balance = placing.accounts[CashAccount.Kind.HELD]
        _check_cash(balance, quote.total_tiyn)
        entry = _held_entry(
            available, held, order.pk, quote.total_tiyn, f"order.held:{order.pk}", actor
        )
        statements += posting_sql(entry)
    else:
        assert placing.balance is not None
        try:
            statements += hold_place_sql(
                chain_id=settings.CHAIN_ID,
                key=f"exchange.order:{order.pk}",
                token_address=market.token.address,
                holder=placing.wallet,
                units=quote.quantity,
                locked=placing.balance,
            )
        except InsufficientBalance as short:
            raise _short_of_units(market, short.available, quote.quantity) from None
    statements.append(insert_sql([audit_entry(**_placed(actor, order, quote))]))
    statements.append(wake_sql(market.pk))
    execute_all(statements)
    return order, True


@transaction.atomic(durable=True)
def _order_place(actor: User, request: _Request) -> tuple[Order, bool]:
    client_order_id, side, type_ = request.client_order_id, request.side, request.type
    market = _market(request.market_id)
    quote = request.quote(market)
    member, wallet = _trader(actor, market, side)
    expires = request.expires_at if quote.time_in_force == Order.TimeInForce.GTD else None
    if market.status != Market.Status.OPEN:
        # A resubmission of an order placed before the halt still answers with that order.
        found = _resubmitted(member, client_order_id, quote, market, side, type_, expires)
        if found is not None:
            return found, False
        _check_open(market)
    try:
        # Inserted straight away: the unique client order id finds a resubmission, so a new
        # order (nearly every one) costs no look-up first.
        with transaction.atomic():
            order = request.order(market, member, quote, actor)
            order.save(force_insert=True)
    except IntegrityError:
        # The same client order id again (now or concurrently): that order is the one.
        winner = _resubmitted(member, client_order_id, quote, market, side, type_, expires)
        if winner is None:
            raise
        return winner, False
    if side == Order.Side.BUY:
        _hold_cash(member, order.pk, quote.total_tiyn, f"order.held:{order.pk}", actor)
    else:
        _reserve_units(market, wallet, quote.quantity, f"exchange.order:{order.pk}")
    audit_record(**_placed(actor, order, quote))
    _wake_after_commit(market.pk)
    return order, True


def _order_of(actor: User, order_id: int) -> Order:
    """The actor's own order, locked; another member's is as good as none."""
    member = member_of(actor)
    try:
        order = locks.lock_row(Order, order_id)
    except Order.DoesNotExist:
        raise NotFound(_("No such order.")) from None
    if member is None or order.member_id != member.pk:
        raise NotFound(_("No such order."))
    return order


def member_of(actor: User) -> Member | None:
    """The exchange member an actor trades for, if it has one yet."""
    role = user_role(actor)
    if role == Role.HOLDER:
        return Member.objects.filter(holder__user=actor).first()
    if role == Role.ISSUER_STAFF and actor.organisation_id:
        return Member.objects.filter(organisation_id=actor.organisation_id).first()
    return None


def _check_not_closed(order: Order) -> None:
    if order.state not in Order.OPEN_STATES:
        raise Conflict(
            _("This order is %(state)s: it can no longer be changed.")
            % {"state": order.get_state_display().lower()},
            code="order_closed",
        )
    if order.changes.filter(
        kind=OrderChange.Kind.CANCEL, state=OrderChange.State.RECEIVED
    ).exists():
        raise Conflict(
            _("A cancellation of this order is already requested."), code="cancel_pending"
        )


@transaction.atomic(durable=True)
def order_cancel(*, actor: User, order_id: int) -> OrderChange:
    """Ask for an order's cancellation; the matcher takes it out of the book and releases what
    it holds."""
    order = _order_of(actor, order_id)
    _check_not_closed(order)
    change = OrderChange.objects.create(
        order=order, kind=OrderChange.Kind.CANCEL, reason="member_request", requested_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_ORDER_CANCEL_REQUESTED,
        obj=order,
        details={"change": change.pk},
    )
    _wake_after_commit(order.market_id)
    return change


@transaction.atomic(durable=True)
def order_amend(
    *, actor: User, order_id: int, new_price: int | None = None, new_quantity: int | None = None
) -> OrderChange:
    """Ask for a new price and/or a new quantity (the order's whole quantity, filled units
    included). Down keeps the order's place in time; a new price or more loses it. More cash or
    units needed are held now."""
    order = _order_of(actor, order_id)
    _check_not_closed(order)
    if order.type != Order.Type.LIMIT or order.time_in_force not in (
        Order.TimeInForce.GTC,
        Order.TimeInForce.GTD,
    ):
        raise Conflict(_("Only an order resting in the book can be amended."), code="not_resting")
    market = Market.objects.select_related("token").get(pk=order.market_id)
    _check_open(market)
    price = new_price or order.price
    quantity = new_quantity or int(order.quantity)
    if (price, quantity) == (order.price, int(order.quantity)):
        raise InvalidInput(_("Give a new price or a new quantity."), field="price")
    if price != order.price:
        _check_price(market, price)
    _check_quantity(market, quantity)
    if quantity <= int(order.filled):
        raise InvalidInput(
            _("%(filled)s of this order are filled already; the new quantity must be more.")
            % {"filled": _units(market, int(order.filled))},
            field="quantity",
        )
    change = OrderChange.objects.create(
        order=order,
        kind=OrderChange.Kind.AMEND,
        new_price=price if price != order.price else None,
        new_quantity=quantity if quantity != int(order.quantity) else None,
        reason="member_request",
        requested_by=actor,
    )
    remaining = quantity - int(order.filled)
    extra_tiyn = extra_units = 0
    if order.side == Order.Side.BUY:
        amount = amount_of(price, remaining, market.token.decimals)
        extra_tiyn = max(amount + fee_of(amount, market.taker_fee_bps) - order.held_tiyn, 0)
        if extra_tiyn:
            member = Member.objects.get(pk=order.member_id)
            _hold_cash(member, order.pk, extra_tiyn, f"order.amend:{change.pk}", actor)
            order.held_tiyn += extra_tiyn
    else:
        extra_units = max(remaining - int(order.reserved_units), 0)
        if extra_units:
            # The order is locked already, and a holder's profile comes before it in the
            # lock order; the suspension that would cancel it waits for this order's lock.
            _member, wallet = _trader(actor, market, order.side, lock=False)
            _reserve_units(
                market, wallet, extra_units, f"exchange.order:{order.pk}:amend:{change.pk}"
            )
            order.reserved_units = int(order.reserved_units) + extra_units
    if extra_tiyn or extra_units:
        order.save(update_fields=["held_tiyn", "reserved_units"])
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_ORDER_AMEND_REQUESTED,
        obj=order,
        details={"change": change.pk, "price": price, "units": quantity},
    )
    _wake_after_commit(order.market_id)
    return change


def _cancel_all_in_transaction(orders: list[Order], reason: str, actor: User | None) -> int:
    """Cancellation requests for each of ``orders`` (locked) that has none pending yet."""
    pending = set(
        OrderChange.objects.filter(
            order__in=[order.pk for order in orders],
            kind=OrderChange.Kind.CANCEL,
            state=OrderChange.State.RECEIVED,
        ).values_list("order_id", flat=True)
    )
    wanting = [order for order in orders if order.pk not in pending]
    OrderChange.objects.bulk_create(
        [
            OrderChange(
                order=order, kind=OrderChange.Kind.CANCEL, reason=reason, requested_by=actor
            )
            for order in wanting
        ]
    )
    audit_record_many(
        actor=actor,
        action=AuditAction.EXCHANGE_ORDER_CANCEL_REQUESTED,
        records=[(order, {"reason": reason}) for order in wanting],
    )
    for market_id in sorted({order.market_id for order in wanting}):
        _wake_after_commit(market_id)
    return len(wanting)


@in_transaction
def orders_cancel_for_holder_in_transaction(
    *, holder: HolderProfile, reason: str, actor: User | None = None
) -> int:
    """Ask for the cancellation of every open order of a holder (suspended, or its wallet
    frozen), in the caller's transaction; returns how many were asked for."""
    return orders_cancel_for_owner_in_transaction(
        owner=Q(member__holder=holder), reason=reason, actor=actor
    )


@in_transaction
def orders_cancel_for_owner_in_transaction(
    *, owner: Q, reason: str, actor: User | None = None, token_address: str = "", side: str = ""
) -> int:
    """Ask for the cancellation of the open orders of a member (``owner`` is a condition on
    ``member``), of one asset's market and one side when given: those a freeze or a forced
    transfer leaves without the units or the standing they need."""
    orders = Order.objects.filter(owner, state__in=Order.OPEN_STATES)
    if token_address:
        orders = orders.filter(market__token__address=token_address)
    if side:
        orders = orders.filter(side=side)
    return _cancel_all_in_transaction(list(locks.rows_for_update(orders)), reason, actor)


@in_transaction
def orders_cancel_for_market_in_transaction(
    *, market: Market, reason: str, actor: User | None = None
) -> int:
    """Ask for the cancellation of every open order of a market (halted), in the caller's
    transaction."""
    orders = list(
        locks.rows_for_update(Order.objects.filter(market=market, state__in=Order.OPEN_STATES))
    )
    return _cancel_all_in_transaction(orders, reason, actor)
