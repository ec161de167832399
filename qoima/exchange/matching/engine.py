"""The matching engine: a pure, deterministic function of a book and an order.

No database and no clock: the matcher feeds it orders in the journal's order and writes what
it returns, so replaying the journal rebuilds the same book and the same trades after a crash.
Price-time priority: the best price first, and at one price the order that got there first
(its ``priority``, the journal entry that placed it). A trade happens at the resting (maker)
order's price. Quantities and prices are ints (units and tiyn); nothing here rounds.
"""

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

BUY, SELL = "buy", "sell"
GTC, GTD, IOC, FOK = "gtc", "gtd", "ioc", "fok"
# Self-trade prevention modes (``SelfTradePrevention`` values).
CANCEL_RESTING, CANCEL_INCOMING, CANCEL_BOTH, DECREMENT = (
    "cancel_resting",
    "cancel_incoming",
    "cancel_both",
    "decrement",
)
STP_MODES = frozenset((CANCEL_RESTING, CANCEL_INCOMING, CANCEL_BOTH, DECREMENT))
# Why an order's open units were cancelled by the engine.
SELF_TRADE, UNFILLED, FILL_OR_KILL, POST_ONLY = (
    "self_trade",
    "unfilled",
    "fill_or_kill",
    "post_only",
)


@dataclass(slots=True)
class Resting:
    """An order in the book."""

    order_id: int
    member_id: int
    side: str
    price: int
    remaining: int
    priority: int


@dataclass(frozen=True, slots=True)
class Incoming:
    """An order to match: new, or amended so that it lost its place."""

    order_id: int
    member_id: int
    side: str
    price: int
    quantity: int
    time_in_force: str
    post_only: bool
    priority: int


@dataclass(frozen=True, slots=True)
class Fill:
    maker_order_id: int
    maker_member_id: int
    taker_order_id: int
    price: int
    quantity: int
    maker_remaining: int


@dataclass(frozen=True, slots=True)
class Cancelled:
    order_id: int
    quantity: int
    reason: str


@dataclass(frozen=True, slots=True)
class Decremented:
    order_id: int
    quantity: int
    remaining: int


@dataclass(frozen=True, slots=True)
class Rested:
    order_id: int
    price: int
    remaining: int
    priority: int


Event = Fill | Cancelled | Decremented | Rested


@dataclass(slots=True)
class Outcome:
    events: list[Event] = field(default_factory=list)


class _Side:
    """One side of the book: price levels in a sorted list, each a queue in time order."""

    __slots__ = ("descending", "levels", "prices")

    def __init__(self, *, descending: bool) -> None:
        self.descending = descending
        self.prices: list[int] = []
        self.levels: dict[int, deque[Resting]] = {}

    def best(self) -> int | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.descending else self.prices[0]

    def add(self, order: Resting) -> None:
        level = self.levels.get(order.price)
        if level is None:
            level = self.levels[order.price] = deque()
            insort(self.prices, order.price)
        if level and level[-1].priority > order.priority:
            # Rebuilding from the database may hand orders over out of time order.
            items = sorted([*level, order], key=lambda o: o.priority)
            level.clear()
            level.extend(items)
        else:
            level.append(order)

    def discard(self, order: Resting) -> None:
        level = self.levels[order.price]
        if level[0] is order:
            level.popleft()
        else:
            level.remove(order)
        if not level:
            del self.levels[order.price]
            del self.prices[bisect_left(self.prices, order.price)]

    def in_priority(self) -> Iterator[int]:
        return reversed(self.prices) if self.descending else iter(self.prices)


class Book:
    """The open orders of one market."""

    __slots__ = ("_index", "_sides")

    def __init__(self) -> None:
        self._sides = {BUY: _Side(descending=True), SELL: _Side(descending=False)}
        self._index: dict[int, Resting] = {}

    def add(self, order: Resting) -> None:
        if order.order_id in self._index:
            raise ValueError(f"order {order.order_id} is already in the book")
        if order.remaining <= 0:
            raise ValueError("an order rests with units left only")
        self._sides[order.side].add(order)
        self._index[order.order_id] = order

    def remove(self, order_id: int) -> Resting | None:
        order = self._index.pop(order_id, None)
        if order is not None:
            self._sides[order.side].discard(order)
        return order

    def get(self, order_id: int) -> Resting | None:
        return self._index.get(order_id)

    def reduce(self, order_id: int, remaining: int) -> None:
        """Fewer units, the same place in the queue (a reduction takes nothing from others)."""
        order = self._index[order_id]
        if not 0 < remaining <= order.remaining:
            raise ValueError("a reduction leaves between one unit and what was there")
        order.remaining = remaining

    def best(self, side: str) -> int | None:
        return self._sides[side].best()

    def levels(self, side: str, depth: int | None = None) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        book_side = self._sides[side]
        for price in book_side.in_priority():
            if depth is not None and len(found) >= depth:
                break
            found.append((price, sum(o.remaining for o in book_side.levels[price])))
        return found

    def orders(self, side: str) -> Iterator[Resting]:
        book_side = self._sides[side]
        for price in book_side.in_priority():
            yield from book_side.levels[price]

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._index


def _crosses(incoming: Incoming, price: int) -> bool:
    return price <= incoming.price if incoming.side == BUY else price >= incoming.price


def _fillable(book: Book, incoming: Incoming, opposite: str, stp: str) -> bool:
    """Whether ``incoming`` would fill completely: what a fill-or-kill must know first."""
    wanted = incoming.quantity
    for order in book.orders(opposite):
        if not _crosses(incoming, order.price):
            return False
        if order.member_id == incoming.member_id:
            if stp == CANCEL_RESTING:
                continue
            # Its own order would cancel or shrink it before it filled.
            return False
        wanted -= order.remaining
        if wanted <= 0:
            return True
    return False


def match(book: Book, incoming: Incoming, stp: str) -> Outcome:
    """Match ``incoming`` against ``book`` (changing it) and say what happened, in order."""
    if stp not in STP_MODES:
        # Refused before anything changes: found only at the first self-trade, the book would
        # keep the fills made before it while their events were lost with the error.
        raise ValueError(f"unknown self-trade prevention {stp!r}")
    if incoming.order_id in book:
        # An amend to a new price or more units takes the order out first; resting it twice
        # would fail only after its fills had changed the book.
        raise ValueError(f"order {incoming.order_id} is already in the book")
    opposite = SELL if incoming.side == BUY else BUY
    outcome = Outcome()
    events = outcome.events
    best = book.best(opposite)
    if incoming.post_only and best is not None and _crosses(incoming, best):
        events.append(Cancelled(incoming.order_id, incoming.quantity, POST_ONLY))
        return outcome
    if incoming.time_in_force == FOK and not _fillable(book, incoming, opposite, stp):
        events.append(Cancelled(incoming.order_id, incoming.quantity, FILL_OR_KILL))
        return outcome
    side = book._sides[opposite]
    remaining = incoming.quantity
    while remaining > 0:
        best = side.best()
        if best is None or not _crosses(incoming, best):
            break
        maker = side.levels[best][0]
        if maker.member_id == incoming.member_id:
            if stp == CANCEL_RESTING:
                book.remove(maker.order_id)
                events.append(Cancelled(maker.order_id, maker.remaining, SELF_TRADE))
                continue
            if stp == CANCEL_INCOMING:
                events.append(Cancelled(incoming.order_id, remaining, SELF_TRADE))
                return outcome
            if stp == CANCEL_BOTH:
                book.remove(maker.order_id)
                events.append(Cancelled(maker.order_id, maker.remaining, SELF_TRADE))
                events.append(Cancelled(incoming.order_id, remaining, SELF_TRADE))
                return outcome
            taken = min(remaining, maker.remaining)
            remaining -= taken
            if maker.remaining == taken:
                book.remove(maker.order_id)
                events.append(Cancelled(maker.order_id, taken, SELF_TRADE))
            else:
                maker.remaining -= taken
                events.append(Decremented(maker.order_id, taken, maker.remaining))
            if remaining == 0:
                events.append(Cancelled(incoming.order_id, taken, SELF_TRADE))
                return outcome
            events.append(Decremented(incoming.order_id, taken, remaining))
            continue
        quantity = min(remaining, maker.remaining)
        remaining -= quantity
        maker.remaining -= quantity
        events.append(
            Fill(
                maker.order_id, maker.member_id, incoming.order_id, best, quantity, maker.remaining
            )
        )
        if maker.remaining == 0:
            book.remove(maker.order_id)
    if remaining > 0:
        if incoming.time_in_force in (GTC, GTD):
            book.add(
                Resting(
                    incoming.order_id,
                    incoming.member_id,
                    incoming.side,
                    incoming.price,
                    remaining,
                    incoming.priority,
                )
            )
            events.append(Rested(incoming.order_id, incoming.price, remaining, incoming.priority))
        else:
            events.append(Cancelled(incoming.order_id, remaining, UNFILLED))
    return outcome
