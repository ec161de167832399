"""The matcher: the single writer of a market's book, one durable step at a time.

A step locks the market's row (so two matcher processes never write one book), takes the
market's received orders and changes in the order they came, runs each through the engine
and writes everything that happened in the same transaction: the journal with consecutive
sequence numbers, the orders, the trades, the buyers' cash moved from held to pending, the
sellers' units moved from their orders' holds into one recorded transfer per trade, and the
market's place in the journal. Either all of a step commits or none of it: a failed step
leaves the received work as it was, and the next step does it again the same way.

The book lives in memory between steps, keyed by the market and the journal entry it is up
to; it is rebuilt from the resting orders whenever that entry is not the market's own (after
a restart, a failed step, or another process's step), which gives the same book: resting
orders in price, then time priority.

The journal (``MarketEvent``), for replaying the book: ``accepted`` puts ``order`` in the book
at ``price`` with ``quantity`` units, its time priority being the entry's ``seq``; ``traded``
takes ``quantity`` units at ``price`` off the resting ``other_order`` (``order`` is the
incoming one; the trade of the same ``seq`` says the rest); ``cancelled``, ``expired`` and
``self_trade_prevented`` take ``quantity`` units of ``order`` out (``self_trade_prevented`` with
reason ``decrement`` takes only those units off); ``amended`` with reason ``kept_priority``
leaves ``order`` with ``quantity`` units in its place, with ``lost_priority`` takes it out (an
``accepted`` or fills follow at its new price); ``rejected`` never entered the book.
"""

from __future__ import annotations

import datetime
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.utils import timezone

from qoima import locks
from qoima.chain.faults import crash_point
from qoima.chain.ledger import InsufficientBalance, holds_moved_sql, holds_take
from qoima.chain.manager.requests import (
    OperationRequest,
    operations_insert_sql,
    operations_numbered,
    operations_request,
    reservation_needs,
)
from qoima.chain.models import Hold, Operation, PlatformToken, TokenBalance
from qoima.custody.models import Wallet
from qoima.rows import execute_all, results_of_all

from ..models import CashAccount, Market, MarketEvent, Member, Order, OrderChange, Posting, Trade
from ..services.cash import Entry, postings_sql, postings_write_in_transaction
from . import engine, matched_sql

BPS = 10_000
TRADE_PURPOSE = "exchange.trade"
DEFAULT_LIMIT = 500

# Reason codes the matcher writes on orders, changes and journal entries.
EXPIRED = "expired"
MARKET_HALTED = "market_halted"
ORDER_CLOSED = "order_closed"
NOTHING_TO_CHANGE = "nothing_to_change"
KEPT_PRIORITY = "kept_priority"
LOST_PRIORITY = "lost_priority"
DECREMENT = "decrement"
UNITS_SHORT = "units_short"


def trade_amount(price: int, units: int, decimals: int) -> int:
    """Tiyn for ``units`` at ``price`` per whole token (exact by the market's settings)."""
    return price * units // 10**decimals


def fee(amount: int, bps: int) -> int:
    """A fee rounds up to the tiyn: the platform never charges less than its rate."""
    return -(-amount * bps // BPS)


def order_hold_key(order_id: int) -> str:
    """The group of an order's unit holds in the chain ledger (its amendments' are below it)."""
    return f"exchange.order:{order_id}"


def trade_operation_key(market_id: int, seq: int) -> str:
    return f"{TRADE_PURPOSE}:{market_id}:{seq}"


@dataclass(frozen=True)
class StepResult:
    market_id: int
    orders: int = 0
    changes: int = 0
    expired: int = 0
    trades: int = 0
    last_seq: int = 0

    @property
    def work(self) -> int:
        return self.orders + self.changes + self.expired


# market id: (the journal entry the book is up to, the book)
_books: dict[int, tuple[int, engine.Book]] = {}


def book_drop(market_id: int | None = None) -> None:
    """Forget a market's book (or every book): the next step rebuilds it from the database."""
    if market_id is None:
        _books.clear()
    else:
        _books.pop(market_id, None)


def book_rebuilt(market_id: int) -> engine.Book:
    """The market's book from its resting orders, in price, then time priority."""
    book = engine.Book()
    resting = (
        Order.objects.filter(
            market_id=market_id,
            state__in=[Order.State.OPEN, Order.State.PARTIALLY_FILLED],
        )
        .order_by("side", "price", "priority_seq")
        .values_list("pk", "member_id", "side", "price", "quantity", "filled", "priority_seq")
    )
    for pk, member_id, side, price, quantity, filled, priority in resting:
        book.add(
            engine.Resting(pk, member_id, side, price, int(quantity) - int(filled), priority or 0)
        )
    return book


def market_step(*, market_id: int, limit: int = DEFAULT_LIMIT) -> StepResult:
    """Match up to ``limit`` received orders and changes of a market, and expire its orders
    past their date, in one durable transaction; returns what it did."""
    cached = _books.pop(market_id, None)
    # Popped first: if the step fails, its half-changed book is gone with it.
    try:
        result, book = _step(market_id, limit, cached)
    except _SellerShort as short:
        # A seller holds fewer units than its orders reserved (only a forced transfer on a
        # legal order takes reserved units): its orders go first, then the step again.
        _orders_of_short_seller_cancelled(market_id, short.holder)
        result, book = _step(market_id, limit, None)
    _books[market_id] = (result.last_seq, book)
    return result


class _SellerShort(Exception):
    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


@transaction.atomic(durable=True)
def _orders_of_short_seller_cancelled(market_id: int, holder: str) -> None:
    """Cancel a seller's open sell orders on a market (reason ``units_short``), releasing
    what they still hold; the journal says so."""
    market = locks.lock_market(market_id)
    book = book_rebuilt(market_id)
    run = _Run(market, book, timezone.now())
    wallet = Wallet.objects.filter(address=holder).values("holder_id", "organisation_id").first()
    if wallet is None:
        return
    owner = (
        {"member__holder_id": wallet["holder_id"]}
        if wallet["holder_id"] is not None
        else {"member__organisation_id": wallet["organisation_id"]}
    )
    for order_id, state, price, quantity in (
        Order.objects.filter(
            market_id=market_id, side=Order.Side.SELL, state__in=Order.OPEN_STATES, **owner
        )
        .order_by("pk")
        .values_list("pk", "state", "price", "quantity")
    ):
        resting = book.remove(order_id)
        if resting is not None:
            run._journal(
                MarketEvent.Kind.CANCELLED,
                order_id,
                price=resting.price,
                quantity=resting.remaining,
                reason=UNITS_SHORT,
            )
            run._close(order_id, Order.State.CANCELLED, UNITS_SHORT)
        elif state == Order.State.RECEIVED:
            run._journal(
                MarketEvent.Kind.REJECTED,
                order_id,
                price=price,
                quantity=int(quantity),
                reason=UNITS_SHORT,
            )
            run._close(order_id, Order.State.REJECTED, UNITS_SHORT)
    run.persist()


def markets_with_work(*, now: datetime.datetime | None = None) -> list[int]:
    """Markets with received orders or changes, or resting orders past their date."""
    now = now or timezone.now()
    received = set(
        Order.objects.filter(state=Order.State.RECEIVED)
        .order_by()
        .values_list("market_id", flat=True)
        .distinct()
    )
    received |= set(
        OrderChange.objects.filter(state=OrderChange.State.RECEIVED)
        .order_by()
        .values_list("order__market_id", flat=True)
        .distinct()
    )
    received |= set(
        Order.objects.filter(
            state__in=[Order.State.OPEN, Order.State.PARTIALLY_FILLED], expires_at__lte=now
        )
        .order_by()
        .values_list("market_id", flat=True)
        .distinct()
    )
    return sorted(received)


@transaction.atomic(durable=True)
def _step(
    market_id: int, limit: int, cached: tuple[int, engine.Book] | None
) -> tuple[StepResult, engine.Book]:
    now = timezone.now()
    market, due, new, changes = _locked_with_work(market_id, now, limit)
    book = cached[1] if cached is not None and cached[0] == market.last_seq else None
    if book is None:
        book = book_rebuilt(market_id)
    run = _Run(market, book, now, due=due, new=new, received_changes=changes)
    run.expire()
    run.take(limit)
    run.persist()
    result = run.result()
    if result.work and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(*matched_sql(market_id, result.last_seq))
    # Everything of the step written, nothing committed: a matcher killed here leaves the
    # received work for the next one, which must do it exactly once.
    crash_point("matcher_step_written")
    return result, book


def _locked_with_work(
    market_id: int, now: datetime.datetime, limit: int
) -> tuple[Market, list[int], list[Order], list[OrderChange]]:
    """The market, locked, and what a step of it works on, in one round trip: its orders past
    their date, and up to ``limit`` received orders and changes in the order they came (read
    after the lock, so no other step of the market is under way)."""
    resting = [Order.State.OPEN, Order.State.PARTIALLY_FILLED]
    market_rows, due_rows, new_rows, change_rows = _results(
        [
            _sql_of(("market",), [market_id], lambda: locks.market_for_update_query(market_id)),
            _sql_of(
                ("due", limit),
                [now, market_id, *resting],
                lambda: (
                    Order.objects.filter(
                        market_id=market_id, state__in=resting, expires_at__lte=now
                    )
                    .order_by("expires_at", "pk")
                    .values_list("pk")[:limit]
                ),
            ),
            _sql_of(
                ("new", limit),
                [market_id, Order.State.RECEIVED],
                lambda: (
                    Order.objects.filter(market_id=market_id, state=Order.State.RECEIVED)
                    .order_by("created_at", "pk")
                    .values_list(*ORDER_COLUMNS)[:limit]
                ),
            ),
            _sql_of(
                ("changes", limit),
                [market_id, OrderChange.State.RECEIVED],
                lambda: (
                    OrderChange.objects.filter(
                        order__market_id=market_id, state=OrderChange.State.RECEIVED
                    )
                    .order_by("created_at", "pk")
                    .values_list(
                        *CHANGE_COLUMNS, *(f"order__{name}" for name in CHANGE_ORDER_COLUMNS)
                    )[:limit]
                ),
            ),
        ]
    )
    if not market_rows:
        raise Market.DoesNotExist(f"no market {market_id}")
    market = Market.from_db(None, MARKET_COLUMNS, market_rows[0])
    received_changes = []
    split = len(CHANGE_COLUMNS)
    for row in change_rows:
        change = OrderChange.from_db(None, CHANGE_COLUMNS, row[:split])
        change.order = Order(**dict(zip(CHANGE_ORDER_COLUMNS, row[split:], strict=True)))
        received_changes.append(change)
    return (
        market,
        [pk for (pk,) in due_rows],
        [Order.from_db(None, ORDER_COLUMNS, row) for row in new_rows],
        received_changes,
    )


@dataclass
class _Order:
    """What a step did to one order, applied to its locked row when the step persists."""

    filled: int = 0
    state: str = ""
    reason: str = ""
    price: int | None = None
    quantity: int | None = None
    priority_seq: int | None = None
    closed: bool = False


@dataclass
class _Fill:
    seq: int
    maker: int
    taker: int
    maker_side: str
    price: int
    quantity: int


@dataclass
class _Run:
    market: Market
    book: engine.Book
    now: datetime.datetime
    events: list[MarketEvent] = field(default_factory=list)
    fills: list[_Fill] = field(default_factory=list)
    orders: dict[int, _Order] = field(default_factory=lambda: defaultdict(_Order))
    changes: list[OrderChange] = field(default_factory=list)
    taken_orders: int = 0
    expired: int = 0
    # What the step works on (``_locked_with_work``).
    due: list[int] = field(default_factory=list)
    new: list[Order] = field(default_factory=list)
    received_changes: list[OrderChange] = field(default_factory=list)

    @property
    def seq(self) -> int:
        return self.market.last_seq + len(self.events)

    def _journal(
        self,
        kind: str,
        order_id: int | None,
        *,
        other: int | None = None,
        price: int | None = None,
        quantity: int | None = None,
        reason: str = "",
    ) -> int:
        seq = self.seq + 1
        self.events.append(
            MarketEvent(
                market_id=self.market.pk,
                seq=seq,
                kind=kind,
                order_id=order_id,
                other_order_id=other,
                price=price,
                quantity=quantity,
                reason=reason,
                at=self.now,
            )
        )
        return seq

    def _close(self, order_id: int, state: str, reason: str) -> None:
        done = self.orders[order_id]
        done.state, done.reason, done.closed = state, reason, True

    # ------------------------------------------------------------------ the work, in order

    def expire(self) -> None:
        """Orders good till a date that has passed leave the book first."""
        for order_id in self.due:
            resting = self.book.remove(order_id)
            if resting is None:
                continue
            self._journal(
                MarketEvent.Kind.EXPIRED,
                order_id,
                price=resting.price,
                quantity=resting.remaining,
                reason=EXPIRED,
            )
            self._close(order_id, Order.State.EXPIRED, EXPIRED)
            self.expired += 1

    def take(self, limit: int) -> None:
        """Received orders and changes, in the order they came."""
        items: list[tuple[Any, int, int, Order | OrderChange]] = [
            (o.created_at, 0, o.pk, o) for o in self.new
        ]
        items += [(c.created_at, 1, c.pk, c) for c in self.received_changes]
        work = sorted(items, key=lambda item: item[:3])[:limit]
        entered: set[int] = set()
        for _at, _kind, _pk, item in work:
            if isinstance(item, Order):
                self._enter_new(item)
                entered.add(item.pk)
                self.taken_orders += 1
            else:
                if item.order.state == Order.State.RECEIVED and item.order_id not in entered:
                    # Its order came later than this step's batch: both wait for the next.
                    break
                self._change(item)
                self.changes.append(item)

    def _enter_new(self, order: Order) -> None:
        if order.expires_at is not None and order.expires_at <= self.now:
            self._journal(
                MarketEvent.Kind.EXPIRED,
                order.pk,
                price=order.price,
                quantity=int(order.quantity),
                reason=EXPIRED,
            )
            self._close(order.pk, Order.State.EXPIRED, EXPIRED)
            return
        if self.market.status != Market.Status.OPEN:
            self._journal(
                MarketEvent.Kind.REJECTED,
                order.pk,
                price=order.price,
                quantity=int(order.quantity),
                reason=MARKET_HALTED,
            )
            self._close(order.pk, Order.State.REJECTED, MARKET_HALTED)
            return
        market_order = order.type == Order.Type.MARKET
        self._match(
            order_id=order.pk,
            member_id=order.member_id,
            side=order.side,
            price=order.price,
            quantity=int(order.quantity),
            time_in_force=engine.IOC if market_order else order.time_in_force,
            post_only=order.post_only,
        )

    def _match(
        self,
        *,
        order_id: int,
        member_id: int,
        side: str,
        price: int,
        quantity: int,
        time_in_force: str,
        post_only: bool,
    ) -> None:
        incoming = engine.Incoming(
            order_id, member_id, side, price, quantity, time_in_force, post_only, self.seq + 1
        )
        outcome = engine.match(self.book, incoming, self.market.self_trade_prevention)
        for event in outcome.events:
            if isinstance(event, engine.Fill):
                seq = self._journal(
                    MarketEvent.Kind.TRADED,
                    order_id,
                    other=event.maker_order_id,
                    price=event.price,
                    quantity=event.quantity,
                )
                maker_side = engine.SELL if side == engine.BUY else engine.BUY
                self.fills.append(
                    _Fill(
                        seq,
                        event.maker_order_id,
                        order_id,
                        maker_side,
                        event.price,
                        event.quantity,
                    )
                )
                self.orders[event.maker_order_id].filled += event.quantity
                self.orders[order_id].filled += event.quantity
                if event.maker_remaining == 0:
                    self.orders[event.maker_order_id].closed = True
            elif isinstance(event, engine.Rested):
                seq = self._journal(
                    MarketEvent.Kind.ACCEPTED,
                    order_id,
                    price=event.price,
                    quantity=event.remaining,
                )
                # Its time priority is the entry that put it in the book (later than any
                # order already there, earlier than any to come).
                resting = self.book.get(order_id)
                assert resting is not None
                resting.priority = seq
                self.orders[order_id].priority_seq = seq
            elif isinstance(event, engine.Cancelled):
                self_trade = event.reason == engine.SELF_TRADE
                self._journal(
                    MarketEvent.Kind.SELF_TRADE_PREVENTED
                    if self_trade
                    else MarketEvent.Kind.CANCELLED,
                    event.order_id,
                    other=order_id if event.order_id != order_id else None,
                    quantity=event.quantity,
                    reason=event.reason,
                )
                self._close(event.order_id, Order.State.CANCELLED, event.reason)
            else:
                self._journal(
                    MarketEvent.Kind.SELF_TRADE_PREVENTED,
                    event.order_id,
                    other=order_id if event.order_id != order_id else None,
                    quantity=event.quantity,
                    reason=DECREMENT,
                )
                self.orders[event.order_id].reason = engine.SELF_TRADE
        if order_id not in self.book:
            self.orders[order_id].closed = True

    def _change(self, change: OrderChange) -> None:
        order = change.order
        resting = self.book.get(order.pk)
        if resting is None:
            return self._refuse(change, ORDER_CLOSED)
        if change.kind == OrderChange.Kind.CANCEL:
            self.book.remove(order.pk)
            self._journal(
                MarketEvent.Kind.CANCELLED,
                order.pk,
                price=resting.price,
                quantity=resting.remaining,
                reason=change.reason,
            )
            self._close(order.pk, Order.State.CANCELLED, change.reason)
            return self._done(change)
        if self.market.status != Market.Status.OPEN:
            return self._refuse(change, MARKET_HALTED)
        done = self.orders[order.pk]
        filled = int(order.filled) + done.filled
        total = filled + resting.remaining
        price = change.new_price or resting.price
        new_total = int(change.new_quantity) if change.new_quantity else total
        remaining = new_total - filled
        if remaining <= 0:
            return self._refuse(change, ORDER_CLOSED)
        if (price, remaining) == (resting.price, resting.remaining):
            return self._refuse(change, NOTHING_TO_CHANGE)
        done.price, done.quantity = price, new_total
        if price == resting.price and remaining < resting.remaining:
            self.book.reduce(order.pk, remaining)
            self._journal(
                MarketEvent.Kind.AMENDED,
                order.pk,
                price=price,
                quantity=remaining,
                reason=KEPT_PRIORITY,
            )
            return self._done(change)
        self.book.remove(order.pk)
        self._journal(
            MarketEvent.Kind.AMENDED,
            order.pk,
            price=price,
            quantity=remaining,
            reason=LOST_PRIORITY,
        )
        self._match(
            order_id=order.pk,
            member_id=order.member_id,
            side=order.side,
            price=price,
            quantity=remaining,
            time_in_force=order.time_in_force,
            post_only=order.post_only,
        )
        return self._done(change)

    def _done(self, change: OrderChange) -> None:
        change.state, change.done_at = OrderChange.State.DONE, self.now

    def _refuse(self, change: OrderChange, why: str) -> None:
        change.state, change.refusal, change.done_at = OrderChange.State.REFUSED, why, self.now

    # ------------------------------------------------------------------ writing it down

    def result(self) -> StepResult:
        return StepResult(
            market_id=self.market.pk,
            orders=self.taken_orders,
            changes=len(self.changes),
            expired=self.expired,
            trades=len(self.fills),
            last_seq=self.seq,
        )

    def persist(self) -> None:
        """Write the step: journal, changes and orders first (the orders locked in id order),
        then the sellers' holds and the trades' transfers, then the trades, then cash.

        Statements whose results nothing between them waits for go to the database together
        (``_results``): a step of one order costs few round trips, one of hundreds no more."""
        if not self.events and not self.changes:
            return
        ids = sorted(self.orders)
        members = Order.objects.filter(pk__in=ids).values("member_id")
        done = [change.pk for change in self.changes]
        received = OrderChange.State.RECEIVED
        # With the journal, and after the orders' lock: the changes still to come, and what
        # the rest of the step looks up (the market's token, the members' wallets and cash
        # accounts).
        reads = [
            _sql_of(("locked", len(ids)), ids, lambda: locks.orders_for_update_query(ids)),
            _sql_of(
                ("pending", len(ids), len(done)),
                [*ids, received, *done],
                lambda: (
                    OrderChange.objects.filter(order_id__in=ids, state=received)
                    .exclude(pk__in=done)
                    .values_list("order_id")
                ),
            ),
            _sql_of(
                ("token",),
                [self.market.token_id],
                lambda: PlatformToken.objects.filter(pk=self.market.token_id).values_list(
                    "address", "decimals"
                ),
            ),
            _sql_of(
                ("wallets", len(ids)),
                ids,
                lambda: Member.objects.filter(pk__in=members).values_list(
                    "pk",
                    "holder__wallets__kind",
                    "holder__wallets__address",
                    "organisation__wallets__kind",
                    "organisation__wallets__address",
                ),
            ),
            _sql_of(
                ("accounts", len(ids)),
                ids,
                lambda: CashAccount.objects.filter(member_id__in=members).values_list(
                    "member_id", "kind", "pk"
                ),
            ),
        ]
        if connection.vendor == "postgresql":
            # The journal, the changes, then the orders' lock, as ``locks`` orders them.
            writes = [_update_sql(OrderChange, self.changes, CHANGE_FIELDS)] if self.changes else []
            if self.events:
                writes.insert(0, _insert_sql(MarketEvent, self.events, EVENT_FIELDS))
            results = _results([*writes, *reads])
            if self.events:
                _ids_given(self.events, results[0])
            found = results[len(writes) :]
        else:
            _rows_insert(MarketEvent, self.events, EVENT_FIELDS)
            _changes_write(self.changes)
            found = _results(reads)
        order_rows, pending_rows, token_rows, wallet_rows, account_rows = found
        rows = {row.pk: row for row in (Order.from_db(None, ORDER_COLUMNS, r) for r in order_rows)}
        ((token_address, decimals),) = token_rows
        decimals = int(decimals)
        pending = {order_id for (order_id,) in pending_rows}
        wallets = _wallets(wallet_rows)
        accounts = {(member, kind): pk for member, kind, pk in account_rows}

        trades, spent, sold = self._trades(rows, decimals)
        releases: list[_Posting] = []
        groups: dict[str, int | None] = {}
        # The member whose units each group of holds keeps.
        owners: dict[str, int] = {}
        for pk, row in rows.items():
            self._apply(row, self.orders[pk])
            if row.side == Order.Side.BUY:
                row.held_tiyn -= spent.get(pk, 0)
                keep = row.held_tiyn if row.state in Order.OPEN_STATES else 0
                if keep and pk not in pending:
                    # What it may still need: its open units at its price, with the fee.
                    amount = trade_amount(row.price, int(row.quantity) - int(row.filled), decimals)
                    keep = min(keep, amount + fee(amount, self.market.taker_fee_bps))
                if row.held_tiyn > keep:
                    releases.append(self._release(row, row.held_tiyn - keep))
                    row.held_tiyn = keep
            else:
                units = sold.get(pk, 0)
                reserved = int(row.reserved_units) - units
                if row.state not in Order.OPEN_STATES:
                    groups[order_hold_key(pk)] = None
                    owners[order_hold_key(pk)] = row.member_id
                    reserved = 0
                else:
                    excess = (
                        0 if pk in pending else reserved - (int(row.quantity) - int(row.filled))
                    )
                    if units or excess > 0:
                        groups[order_hold_key(pk)] = units + max(excess, 0)
                        owners[order_hold_key(pk)] = row.member_id
                    reserved -= max(excess, 0)
                row.reserved_units = reserved
        sellers = {wallets[member] for member in owners.values()}
        moved: list[Statement] = []
        try:
            if connection.vendor == "postgresql":
                moved = self._units_moved_sql(groups, sellers, trades, wallets, token_address)
            else:
                if groups:
                    holds_take(groups=groups, token_address=token_address, holders=sellers)
                self._transfers(trades, wallets, token_address)
        except InsufficientBalance as short:
            raise _SellerShort(short.holder) from short
        # The orders (locked above), the trades and the market's place in the journal.
        changed: dict[str, Any] = {"last_seq": self.seq, "updated_at": self.now}
        if self.fills:
            changed["last_price"] = changed["reference_price"] = self.fills[-1].price
        writes = [
            _update_sql(Order, list(rows.values()), ORDER_FIELDS),
            _market_update_sql(self.market.pk, changed),
        ]
        postgres = connection.vendor == "postgresql"
        if postgres:
            if trades:
                writes.insert(0, _insert_sql(Trade, trades, TRADE_FIELDS))
            # The cash accounts the postings below move, locked last of all (``locks``).
            moving = {
                accounts[(trade.buyer_id, kind)]
                for trade in trades
                for kind in (CashAccount.Kind.HELD, CashAccount.Kind.PENDING)
            } | {accounts[(p.member_id, kind)] for p in releases for kind, _tiyn in p.legs}
            if moving:
                writes.append((*locks.cash_accounts_lock_sql(moving), None))
            results = _results([*moved, *writes])
            if trades:
                _ids_given(trades, results[len(moved)])
        else:
            _orders_write(list(rows.values()))
            _rows_insert(Trade, trades, TRADE_FIELDS)
            Market.objects.filter(pk=self.market.pk).update(**changed)
        entries = [
            _Posting(
                Posting.Kind.TRADE_MATCHED,
                f"trade.matched:{trade.pk}",
                f"trade:{trade.pk}",
                trade.buyer_id,
                [
                    (CashAccount.Kind.HELD, -(trade.amount_tiyn + trade.buyer_fee_tiyn)),
                    (CashAccount.Kind.PENDING, trade.amount_tiyn + trade.buyer_fee_tiyn),
                ],
            )
            for trade in trades
        ]
        _postings_written(_resolved([*entries, *releases], accounts))

    def _apply(self, row: Order, done: _Order) -> None:
        row.filled = int(row.filled) + done.filled
        resting = self.book.get(row.pk)
        if resting is not None:
            row.price = resting.price
            row.quantity = int(row.filled) + resting.remaining
            row.priority_seq = resting.priority
            row.state = Order.State.PARTIALLY_FILLED if row.filled else Order.State.OPEN
            return
        if done.price is not None:
            row.price = done.price
        if done.quantity is not None:
            row.quantity = done.quantity
        if done.state:
            row.state, row.reason = done.state, done.reason
        elif int(row.filled) >= int(row.quantity):
            row.state = Order.State.FILLED
        else:
            # Self-trade prevention took the units it did not fill.
            row.state, row.reason = Order.State.CANCELLED, done.reason or engine.SELF_TRADE
        if done.priority_seq is not None:
            row.priority_seq = done.priority_seq
        row.closed_at = self.now

    def _trades(
        self, rows: dict[int, Order], decimals: int
    ) -> tuple[list[Trade], dict[int, int], dict[int, int]]:
        """The trades of the step's fills, and per order the tiyn spent and units sold."""
        market = self.market
        held = {pk: row.held_tiyn for pk, row in rows.items() if row.side == Order.Side.BUY}
        spent: dict[int, int] = defaultdict(int)
        sold: dict[int, int] = defaultdict(int)
        trades = []
        for fill in self.fills:
            buy, sell = (
                (fill.maker, fill.taker)
                if fill.maker_side == engine.BUY
                else (fill.taker, fill.maker)
            )
            amount = trade_amount(fill.price, fill.quantity, decimals)
            maker_bps, taker_bps = market.maker_fee_bps, market.taker_fee_bps
            buyer_bps = maker_bps if fill.maker_side == engine.BUY else taker_bps
            seller_bps = maker_bps if fill.maker_side == engine.SELL else taker_bps
            # Never more than the order holds: a fee rounded up per fill may come to a tiyn
            # more than the fee on the whole order that was held.
            buyer_fee = max(min(fee(amount, buyer_bps), held[buy] - amount), 0)
            held[buy] -= amount + buyer_fee
            spent[buy] += amount + buyer_fee
            sold[sell] += fill.quantity
            trades.append(
                Trade(
                    market_id=market.pk,
                    seq=fill.seq,
                    buy_order_id=buy,
                    sell_order_id=sell,
                    buyer_id=rows[buy].member_id,
                    seller_id=rows[sell].member_id,
                    maker_side=fill.maker_side,
                    price=fill.price,
                    quantity=fill.quantity,
                    amount_tiyn=amount,
                    buyer_fee_tiyn=buyer_fee,
                    seller_fee_tiyn=fee(amount, seller_bps),
                    created_at=self.now,
                )
            )
        return trades, spent, sold

    def _release(self, row: Order, tiyn: int) -> _Posting:
        return _Posting(
            Posting.Kind.ORDER_RELEASED,
            f"order.released:{row.pk}:{self.seq}",
            f"order:{row.pk}",
            row.member_id,
            [(CashAccount.Kind.HELD, -tiyn), (CashAccount.Kind.AVAILABLE, tiyn)],
        )

    def _transfers(self, trades: list[Trade], wallets: dict[int, str], token: str) -> None:
        if not trades:
            return
        operations = operations_request(requests=self._requests(trades, wallets, token))
        for trade, operation in zip(trades, operations, strict=True):
            trade.operation = operation

    def _units_moved_sql(
        self,
        groups: dict[str, int | None],
        sellers: set[str],
        trades: list[Trade],
        wallets: dict[int, str],
        token: str,
    ) -> list[Statement]:
        """PostgreSQL: ``holds_take`` and ``_transfers`` in one round trip, in the platform's
        lock order — the sellers' holds, the transfers' operations (new keys: a step's
        sequence numbers are its own), the sellers' balances — and the statements that then
        move the units from the holds to the transfers, for the step's next round trip."""
        if not groups and not trades:
            return []
        operations, insert = (
            operations_insert_sql(requests=self._requests(trades, wallets, token))
            if trades
            else ([], None)
        )
        needs = reservation_needs(operations)
        keys = {(token, seller) for seller in sellers} | set(needs)
        statements = [
            *(
                [locks.open_holds_lock_sql(groups, token_address=token, holders=sellers)]
                if groups
                else []
            ),
            *([insert] if insert else []),
            locks.balances_lock_sql(chain_id=settings.CHAIN_ID, keys=keys),
        ]
        found = results_of_all(statements)
        holds = locks.rows_as(Hold, found[0]) if groups else []
        if insert:
            operations_numbered(operations, found[-2])
        for trade, operation in zip(trades, operations, strict=True):
            trade.operation = operation
        moved = holds_moved_sql(
            chain_id=settings.CHAIN_ID,
            holds=holds,
            groups=groups,
            balances=locks.rows_as(TokenBalance, found[-1]),
            needs=needs,
        )
        return [(sql, params, None) for sql, params in moved]

    def _requests(
        self, trades: list[Trade], wallets: dict[int, str], token: str
    ) -> list[OperationRequest]:
        return [
            OperationRequest(
                kind=Operation.Kind.TRANSFER,
                idempotency_key=trade_operation_key(self.market.pk, trade.seq),
                token_address=token,
                sender=wallets[trade.seller_id],
                receiver=wallets[trade.buyer_id],
                amount=int(trade.quantity),
                purpose=TRADE_PURPOSE,
            )
            for trade in trades
        ]


# The columns a step reads of its market, of a received order, and of a received change and
# its order.
MARKET_COLUMNS = tuple(f.attname for f in Market._meta.concrete_fields)
ORDER_COLUMNS = tuple(f.attname for f in Order._meta.concrete_fields)
CHANGE_COLUMNS = tuple(f.attname for f in OrderChange._meta.concrete_fields)
CHANGE_ORDER_COLUMNS = (
    "id",
    "state",
    "filled",
    "member_id",
    "side",
    "time_in_force",
    "post_only",
    "price",
)

ORDER_FIELDS = (
    ("state", "text"),
    ("filled", "numeric"),
    ("quantity", "numeric"),
    ("price", "bigint"),
    ("priority_seq", "bigint"),
    ("closed_at", "timestamptz"),
    ("reason", "text"),
    ("held_tiyn", "bigint"),
    ("reserved_units", "numeric"),
)
CHANGE_FIELDS = (("state", "text"), ("refusal", "text"), ("done_at", "timestamptz"))


EVENT_FIELDS = (
    ("market_id", "bigint"),
    ("seq", "bigint"),
    ("kind", "text"),
    ("order_id", "bigint"),
    ("other_order_id", "bigint"),
    ("price", "bigint"),
    ("quantity", "numeric"),
    ("reason", "text"),
    ("at", "timestamptz"),
)
TRADE_FIELDS = (
    ("market_id", "bigint"),
    ("seq", "bigint"),
    ("buy_order_id", "bigint"),
    ("sell_order_id", "bigint"),
    ("buyer_id", "bigint"),
    ("seller_id", "bigint"),
    ("maker_side", "text"),
    ("price", "bigint"),
    ("quantity", "numeric"),
    ("amount_tiyn", "bigint"),
    ("buyer_fee_tiyn", "bigint"),
    ("seller_fee_tiyn", "bigint"),
    ("state", "text"),
    ("reason", "text"),
    ("operation_id", "bigint"),
    ("created_at", "timestamptz"),
)


# A statement: its SQL, its parameters, and the compiler of its queryset (which turns the
# database's values into the fields' own, as the queryset would) if it has one.
Statement = tuple[str, list[Any], Any]


def _sql(queryset: Any) -> Statement:
    """A queryset's statement, to run with others in one round trip (``_results``)."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        # Django would not ask (``pk__in=[]``); the statement still has its place.
        return "SELECT NULL WHERE false", [], None
    return sql, list(params), compiler


# Statements of a step compiled once, by what decides their text (see ``_sql_of``).
_compiled: dict[tuple[Any, ...], tuple[str, Any]] = {}
_COMPILED_MAX = 4096


def _sql_of(key: tuple[Any, ...], params: list[Any], build: Callable[[], Any]) -> Statement:
    """``_sql(build())``, compiled once per ``key`` — what decides the statement's text (the
    lengths of its lists, its limit) — and then reused with ``params``, its parameters in the
    order its text takes them: compiling a step's reads cost more than running them. A
    queryset whose compiled parameters are not exactly ``params`` is never reused, so a wrong
    ``params`` costs the compiling, never a wrong statement."""
    # Per thread: a compiler belongs to the connection (one per thread) that compiled it.
    key = (threading.get_ident(), connection.alias, connection.vendor, *key)
    cached = _compiled.get(key)
    if cached is not None:
        return cached[0], params, cached[1]
    sql, compiled, compiler = _sql(build())
    if compiler is not None and compiled == params:
        if len(_compiled) >= _COMPILED_MAX:
            _compiled.clear()
        _compiled[key] = (sql, compiler)
    return sql, compiled, compiler


def _results(statements: list[Statement]) -> list[list[tuple[Any, ...]]]:
    """Run statements in order, in one round trip on PostgreSQL (``qoima.rows``), and return
    each one's rows (none for a plain write), a queryset's as its compiler converts them."""
    found = results_of_all([(sql, params) for sql, params, _compiler in statements])
    return [
        list(compiler.results_iter(results=[rows], tuple_expected=True)) if compiler else rows
        for (_sql, _params, compiler), rows in zip(statements, found, strict=True)
    ]


def _insert_sql(model: Any, rows: list[Any], fields: tuple[tuple[str, str], ...]) -> Statement:
    """Insert many rows of a market's step (each with its own ``seq``) in one statement, one
    array per column, returning each one's id (PostgreSQL)."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(name for name, _type in fields)
    arrays = ", ".join(f"%s::{sql_type}[]" for _name, sql_type in fields)
    sql = (
        f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) "  # noqa: S608
        "RETURNING id, seq"
    )
    return sql, _columns(rows, fields), None


def _ids_given(rows: list[Any], inserted: list[tuple[Any, ...]]) -> None:
    ids = {seq: pk for pk, seq in inserted}
    for row in rows:
        row.pk = ids[row.seq]


def _rows_insert(model: Any, rows: list[Any], fields: tuple[tuple[str, str], ...]) -> None:
    """Insert rows of a step and give each its id: ``_insert_sql`` on PostgreSQL, elsewhere
    ``bulk_create``."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows)
        return
    (inserted,) = _results([_insert_sql(model, rows, fields)])
    _ids_given(rows, inserted)


def _columns(rows: list[Any], fields: tuple[tuple[str, str], ...]) -> list[list[Any]]:
    columns = []
    for name, sql_type in fields:
        values = [getattr(row, name) for row in rows]
        if sql_type == "numeric":
            values = [None if value is None else Decimal(int(value)) for value in values]
        columns.append(values)
    return columns


def _orders_write(rows: list[Order]) -> None:
    _rows_write(Order, rows, ORDER_FIELDS)


def _changes_write(changes: list[OrderChange]) -> None:
    _rows_write(OrderChange, changes, CHANGE_FIELDS)


def _update_sql(model: Any, rows: list[Any], fields: tuple[tuple[str, str], ...]) -> Statement:
    """Write these fields of many rows in one statement, one array per column (PostgreSQL:
    ``bulk_update``'s CASE per row and column costs more to build than to run)."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = [name for name, _type in fields]
    sets = ", ".join(f"{name} = v.{name}" for name in names)
    arrays = ", ".join(f"%s::{sql_type}[]" for _name, sql_type in fields)
    sql = (
        f"UPDATE {table} AS t SET {sets} FROM unnest(%s::bigint[], {arrays}) "  # noqa: S608
        f"AS v(id, {', '.join(names)}) WHERE t.id = v.id"
    )
    return sql, [[row.pk for row in rows], *_columns(rows, fields)], None


def _market_update_sql(market_id: int, changed: dict[str, Any]) -> Statement:
    table = connection.ops.quote_name(Market._meta.db_table)
    sets = ", ".join(f"{name} = %s" for name in changed)
    sql = f"UPDATE {table} SET {sets} WHERE id = %s"  # noqa: S608
    return sql, [*changed.values(), market_id], None


def _rows_write(model: Any, rows: list[Any], fields: tuple[tuple[str, str], ...]) -> None:
    """Write these fields of many rows in one statement: ``_update_sql`` on PostgreSQL;
    SQLite, one writer in process, takes ``bulk_update``."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, [name for name, _type in fields])
        return
    _results([_update_sql(model, rows, fields)])


@dataclass(frozen=True)
class _Posting:
    """A posting between one member's own accounts, named by kind."""

    kind: str
    key: str
    reference: str
    member_id: int
    legs: list[tuple[str, int]]


def _postings_written(entries: list[Entry]) -> None:
    """A step's postings. On PostgreSQL their accounts were locked with the step's other
    writes (``persist``); elsewhere the ledger locks them."""
    if connection.vendor == "postgresql":
        execute_all(postings_sql(entries)[1])
    else:
        postings_write_in_transaction(entries)


def _resolved(postings: list[_Posting], accounts: dict[tuple[int, str], int]) -> list[Entry]:
    """The postings with their accounts' ids (``accounts``: by member and kind)."""
    return [
        Entry(
            kind=posting.kind,
            key=posting.key,
            reference=posting.reference,
            legs=[(accounts[(posting.member_id, kind)], tiyn) for kind, tiyn in posting.legs],
        )
        for posting in postings
    ]


def _wallets(rows: list[tuple[Any, ...]]) -> dict[int, str]:
    """Each member's custodial wallet address (a holder's, or its issuer organisation's), from
    rows of (member, holder's wallet kind and address, organisation's wallet kind and
    address)."""
    found: dict[int, str] = {}
    for member, holder_kind, holder_address, organisation_kind, organisation_address in rows:
        if holder_kind == Wallet.Kind.CUSTODIAL:
            found[member] = holder_address
        elif organisation_kind == Wallet.Kind.CUSTODIAL:
            found[member] = organisation_address
    return found
