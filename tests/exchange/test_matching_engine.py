"""The matching engine: one example per rule, then random sequences against a naive reference.

The reference below keeps every resting order in one flat list and sorts it again on every step;
a fill-or-kill runs on a copy first and goes ahead only if the copy filled completely. It shares
nothing with the engine but the event types, so where the two disagree one of them is wrong.

Random sequences of places (from three members, so self-trades happen, on a five-price grid, every
time in force, post-only or not), cancels, reductions and re-prices run under each self-trade
prevention mode. Every step must give the reference's events and book, and keep the rules on its
own: no crossed book, fills at the maker's price within the taker's limit, never skipping an order
ahead, never more than an order has, units and cash conserved. Replaying the same commands, or
continuing from a book rebuilt from its resting orders in any order, must give the same events:
that is how the matcher rebuilds its books after a crash.

Examples per test: ``QOIMA_MATCHING_EXAMPLES`` (derandomized in CI, see tests/conftest.py).
"""

import os
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qoima.exchange.matching.engine import (
    BUY,
    CANCEL_BOTH,
    CANCEL_INCOMING,
    CANCEL_RESTING,
    DECREMENT,
    FILL_OR_KILL,
    FOK,
    GTC,
    GTD,
    IOC,
    POST_ONLY,
    SELF_TRADE,
    SELL,
    UNFILLED,
    Book,
    Cancelled,
    Decremented,
    Event,
    Fill,
    Incoming,
    Rested,
    Resting,
    match,
)

EXAMPLES = int(os.environ.get("QOIMA_MATCHING_EXAMPLES", "60"))
STP_MODES = [CANCEL_RESTING, CANCEL_INCOMING, CANCEL_BOTH, DECREMENT]
ALICE, BOB, CAROL = 1, 2, 3


def opposite(side: str) -> str:
    return SELL if side == BUY else BUY


def crosses(side: str, limit: int, price: int) -> bool:
    """Whether an order on ``side`` with ``limit`` may trade at ``price``."""
    return price <= limit if side == BUY else price >= limit


# --- The reference -------------------------------------------------------------------------


class Reference:
    """A matcher anyone can check by reading: a flat list, sorted on every look."""

    def __init__(self) -> None:
        self.orders: list[Resting] = []

    def queue(self, side: str) -> list[Resting]:
        """The side's orders, best price first, then first come."""
        sign = -1 if side == BUY else 1
        return sorted(
            (o for o in self.orders if o.side == side), key=lambda o: (sign * o.price, o.priority)
        )

    def levels(self, side: str) -> list[tuple[int, int]]:
        totals: dict[int, int] = {}
        for order in self.queue(side):
            totals[order.price] = totals.get(order.price, 0) + order.remaining
        return list(totals.items())

    def ids(self) -> list[int]:
        return sorted(o.order_id for o in self.orders)

    def find(self, order_id: int) -> Resting | None:
        return next((o for o in self.orders if o.order_id == order_id), None)

    def remove(self, order_id: int) -> Resting | None:
        order = self.find(order_id)
        if order is not None:
            self.orders.remove(order)
        return order

    def reduce(self, order_id: int, remaining: int) -> None:
        order = self.find(order_id)
        assert order is not None
        order.remaining = remaining

    def place(self, incoming: Incoming, stp: str) -> list[Event]:
        crossing = [
            o
            for o in self.queue(opposite(incoming.side))
            if crosses(incoming.side, incoming.price, o.price)
        ]
        if incoming.post_only and crossing:
            return [Cancelled(incoming.order_id, incoming.quantity, POST_ONLY)]
        if incoming.time_in_force == FOK:
            trial = deepcopy(self)
            filled = sum(e.quantity for e in trial.execute(incoming, stp) if isinstance(e, Fill))
            if filled < incoming.quantity:
                return [Cancelled(incoming.order_id, incoming.quantity, FILL_OR_KILL)]
        return self.execute(incoming, stp)

    def execute(self, incoming: Incoming, stp: str) -> list[Event]:
        events: list[Event] = []
        left = incoming.quantity
        while left > 0:
            crossing = [
                o
                for o in self.queue(opposite(incoming.side))
                if crosses(incoming.side, incoming.price, o.price)
            ]
            if not crossing:
                break
            maker = crossing[0]
            if maker.member_id != incoming.member_id:
                quantity = min(left, maker.remaining)
                left -= quantity
                maker.remaining -= quantity
                if maker.remaining == 0:
                    self.orders.remove(maker)
                events.append(
                    Fill(
                        maker.order_id,
                        maker.member_id,
                        incoming.order_id,
                        maker.price,
                        quantity,
                        maker.remaining,
                    )
                )
                continue
            if stp in (CANCEL_RESTING, CANCEL_BOTH):
                self.orders.remove(maker)
                events.append(Cancelled(maker.order_id, maker.remaining, SELF_TRADE))
                if stp == CANCEL_RESTING:
                    continue
            if stp in (CANCEL_INCOMING, CANCEL_BOTH):
                events.append(Cancelled(incoming.order_id, left, SELF_TRADE))
                return events
            # Decrement: both lose what they have in common; the one left with nothing is
            # cancelled, the other is decremented (and the incoming one goes on matching).
            taken = min(left, maker.remaining)
            maker.remaining -= taken
            left -= taken
            if maker.remaining == 0:
                self.orders.remove(maker)
                events.append(Cancelled(maker.order_id, taken, SELF_TRADE))
            else:
                events.append(Decremented(maker.order_id, taken, maker.remaining))
            if left == 0:
                events.append(Cancelled(incoming.order_id, taken, SELF_TRADE))
                return events
            events.append(Decremented(incoming.order_id, taken, left))
        if left > 0 and incoming.time_in_force in (GTC, GTD):
            self.orders.append(
                Resting(
                    incoming.order_id,
                    incoming.member_id,
                    incoming.side,
                    incoming.price,
                    left,
                    incoming.priority,
                )
            )
            events.append(Rested(incoming.order_id, incoming.price, left, incoming.priority))
        elif left > 0:
            events.append(Cancelled(incoming.order_id, left, UNFILLED))
        return events


# --- Commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    member_id: int
    side: str
    price: int
    quantity: int
    time_in_force: str
    post_only: bool


@dataclass(frozen=True)
class Cancel:
    pick: int  # among every order placed so far, gone or not


@dataclass(frozen=True)
class Reduce:
    pick: int  # among the resting orders
    keep: int


@dataclass(frozen=True)
class Reprice:
    """An amend to a new price or more units: the order loses its place."""

    pick: int
    price: int
    quantity: int


Command = Place | Cancel | Reduce | Reprice

PRICES = st.integers(min_value=98, max_value=102)
QUANTITIES = st.integers(min_value=1, max_value=12)
PICKS = st.integers(min_value=0, max_value=1_000)


@st.composite
def places(draw: st.DrawFn) -> Place:
    side = draw(st.sampled_from([BUY, SELL]))
    # How far the limit reaches across the 100 mid; at zero buyers and sellers already meet,
    # and most orders reach at least that far, so books cross and trades happen.
    reach = draw(st.integers(min_value=-2, max_value=2))
    return Place(
        member_id=draw(st.sampled_from([ALICE, BOB, CAROL])),
        side=side,
        price=100 + reach if side == BUY else 100 - reach,
        quantity=draw(QUANTITIES),
        # Mostly orders that rest, so the book fills up and later orders have something to meet.
        time_in_force=draw(st.sampled_from([GTC, GTC, GTC, GTD, IOC, FOK])),
        post_only=draw(st.sampled_from([False, False, False, True])),
    )


KINDS = {
    "place": places(),
    "cancel": st.builds(Cancel, PICKS),
    "reduce": st.builds(Reduce, PICKS, PICKS),
    "reprice": st.builds(Reprice, PICKS, PRICES, QUANTITIES),
}
COMMANDS = st.lists(
    st.sampled_from(["place"] * 7 + ["cancel", "reduce", "reprice"]).flatmap(KINDS.__getitem__),
    min_size=10,
    max_size=60,
)


@dataclass
class Step:
    """What one command did to a book, as the matcher would journal it."""

    incoming: Incoming | None = None  # what was matched, if anything was
    before: dict[int, Resting] | None = None  # copies of the book's orders just before matching
    events: list[Event] | None = None
    withdrawn: tuple[int, int] | None = None  # (order id, units) its member took off the book


class Engine:
    """The engine's book behind the same few calls as the reference."""

    def __init__(self, book: Book | None = None) -> None:
        self.book = book if book is not None else Book()

    def ids(self) -> list[int]:
        return sorted(o.order_id for side in (BUY, SELL) for o in self.book.orders(side))

    def find(self, order_id: int) -> Resting | None:
        return self.book.get(order_id)

    def remove(self, order_id: int) -> Resting | None:
        return self.book.remove(order_id)

    def reduce(self, order_id: int, remaining: int) -> None:
        self.book.reduce(order_id, remaining)

    def place(self, incoming: Incoming, stp: str) -> list[Event]:
        return match(self.book, incoming, stp).events

    def orders(self) -> dict[int, Resting]:
        return {o.order_id: replace(o) for side in (BUY, SELL) for o in self.book.orders(side)}


def apply(market: Engine | Reference, commands: list[Command], index: int, stp: str) -> Step:
    """Command ``index`` on a book; its number is a new order's id and the priority it gets."""
    command = commands[index]
    seq = index + 1
    if isinstance(command, Place):
        incoming = Incoming(
            seq,
            command.member_id,
            command.side,
            command.price,
            command.quantity,
            command.time_in_force,
            command.post_only,
            seq,
        )
        before = {o.order_id: replace(o) for o in map(market.find, market.ids()) if o}
        return Step(incoming, before, market.place(incoming, stp))
    if isinstance(command, Cancel):
        placed = [i + 1 for i, c in enumerate(commands[:index]) if isinstance(c, Place)]
        if not placed:
            return Step()
        gone = market.remove(placed[command.pick % len(placed)])
        return Step(withdrawn=(gone.order_id, gone.remaining) if gone else None)
    ids = market.ids()
    if not ids:
        return Step()
    order_id = ids[command.pick % len(ids)]
    found = market.find(order_id)
    assert found is not None
    if isinstance(command, Reduce):
        had = found.remaining
        remaining = 1 + command.keep % had
        market.reduce(order_id, remaining)
        return Step(withdrawn=(order_id, had - remaining))
    market.remove(order_id)
    incoming = Incoming(
        order_id, found.member_id, found.side, command.price, command.quantity, GTC, False, seq
    )
    before = {o.order_id: replace(o) for o in map(market.find, market.ids()) if o}
    return Step(incoming, before, market.place(incoming, stp), (order_id, found.remaining))


def play(
    market: Engine | Reference, commands: list[Command], stp: str, start: int = 0
) -> list[Step]:
    return [apply(market, commands, i, stp) for i in range(start, len(commands))]


def levels(market: Engine | Reference) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    if isinstance(market, Engine):
        return market.book.levels(BUY), market.book.levels(SELL)
    return market.levels(BUY), market.levels(SELL)


def assert_not_crossed(book: Book) -> None:
    bid, ask = book.best(BUY), book.best(SELL)
    assert bid is None or ask is None or bid < ask, f"crossed book: bid {bid}, ask {ask}"


def in_priority(orders: dict[int, Resting], side: str) -> list[int]:
    sign = -1 if side == BUY else 1
    mine = [o for o in orders.values() if o.side == side]
    return [o.order_id for o in sorted(mine, key=lambda o: (sign * o.price, o.priority))]


def assert_keeps_the_rules(step: Step, book: Book) -> None:
    """Every event of one match against the book it met, and the book it left."""
    incoming, before, events = step.incoming, step.before, step.events
    assert incoming is not None
    assert before is not None
    assert events is not None
    book_side = opposite(incoming.side)
    makers = {order_id: replace(order) for order_id, order in before.items()}
    queue = in_priority(makers, book_side)
    left = incoming.quantity
    tokens: Counter[int] = Counter()
    cash: Counter[int] = Counter()
    bought = sold = paid = received = 0
    rested: Resting | None = None
    for number, event in enumerate(events):
        last = number == len(events) - 1
        if isinstance(event, Fill):
            maker_id = event.maker_order_id
        elif isinstance(event, Cancelled | Decremented) and event.order_id != incoming.order_id:
            maker_id = event.order_id
        else:
            maker_id = None
        if maker_id is not None:
            maker = makers[maker_id]
            assert maker.side == book_side
            assert crosses(incoming.side, incoming.price, maker.price)
            assert maker.remaining > 0, f"order {maker_id} met again after it was used up"
            ahead = queue[: queue.index(maker_id)]
            assert all(makers[o].remaining == 0 for o in ahead), (
                f"order {maker_id} met before {[o for o in ahead if makers[o].remaining]}"
            )
        if isinstance(event, Fill):
            assert event.price == maker.price, "a trade happens at the maker's price"
            assert event.maker_member_id == maker.member_id != incoming.member_id
            assert event.taker_order_id == incoming.order_id
            assert 0 < event.quantity <= min(left, maker.remaining)
            maker.remaining -= event.quantity
            left -= event.quantity
            assert event.maker_remaining == maker.remaining
            if incoming.side == BUY:
                buyer, seller = incoming.member_id, maker.member_id
            else:
                buyer, seller = maker.member_id, incoming.member_id
            amount = event.price * event.quantity
            tokens[buyer] += event.quantity
            tokens[seller] -= event.quantity
            cash[buyer] -= amount
            cash[seller] += amount
            bought += event.quantity
            sold += event.quantity
            paid += amount
            received += amount
        elif maker_id is not None:
            # A self-trade prevented: the member's own resting order loses units, or all of them.
            assert maker.member_id == incoming.member_id
            if isinstance(event, Cancelled):
                assert event.reason == SELF_TRADE
                assert event.quantity == maker.remaining
                maker.remaining = 0
            else:
                assert isinstance(event, Decremented)
                assert 0 < event.quantity < maker.remaining
                maker.remaining -= event.quantity
                assert event.remaining == maker.remaining
        elif isinstance(event, Decremented):
            assert 0 < event.quantity < left
            left -= event.quantity
            assert event.remaining == left
        elif isinstance(event, Cancelled):
            assert last, "nothing happens to an order after it is cancelled"
            assert event.quantity == left, "a cancel takes all the order has left"
            left = 0
        else:
            assert isinstance(event, Rested)
            assert last
            assert incoming.time_in_force in (GTC, GTD)
            assert (event.price, event.priority) == (incoming.price, incoming.priority)
            assert event.remaining == left
            rested = Resting(
                incoming.order_id,
                incoming.member_id,
                incoming.side,
                incoming.price,
                left,
                incoming.priority,
            )
            left = 0
    assert left == 0, f"{left} units of order {incoming.order_id} went nowhere"
    if incoming.post_only or incoming.time_in_force == FOK:
        killed = events[0] if isinstance(events[0], Cancelled) else None
        if killed is not None and killed.reason in (POST_ONLY, FILL_OR_KILL):
            assert events == [killed], "a refused order changes nothing else"
    if incoming.time_in_force == FOK and not incoming.post_only:
        filled = sum(e.quantity for e in events if isinstance(e, Fill))
        assert filled == incoming.quantity or events == [
            Cancelled(incoming.order_id, incoming.quantity, FILL_OR_KILL)
        ], "a fill-or-kill fills completely or not at all"
    # What left the book is exactly what the events say left it.
    expected = {o.order_id: o for o in makers.values() if o.remaining > 0}
    if rested is not None:
        expected[rested.order_id] = rested
    assert {o.order_id: o for o in map(book.get, expected) if o} == expected
    assert len(book) == len(expected)
    assert_not_crossed(book)
    # Units and cash only change hands.
    assert bought == sold
    assert paid == received
    assert sum(tokens.values()) == 0
    assert sum(cash.values()) == 0


# --- Properties ----------------------------------------------------------------------------

PROPERTY = settings(max_examples=EXAMPLES)


@pytest.mark.parametrize("stp", STP_MODES)
@PROPERTY
@given(commands=COMMANDS)
def test_the_engine_does_what_the_reference_does(stp: str, commands: list[Command]) -> None:
    engine, reference = Engine(), Reference()
    for index in range(len(commands)):
        ours = apply(engine, commands, index, stp)
        theirs = apply(reference, commands, index, stp)
        assert ours.events == theirs.events, f"command {index}: {commands[index]}"
        assert ours.withdrawn == theirs.withdrawn
        assert levels(engine) == levels(reference)
        for side in (BUY, SELL):
            assert [o.order_id for o in engine.book.orders(side)] == [
                o.order_id for o in reference.queue(side)
            ]
        assert_not_crossed(engine.book)


@pytest.mark.parametrize("stp", STP_MODES)
@PROPERTY
@given(commands=COMMANDS)
def test_every_step_keeps_the_rules(stp: str, commands: list[Command]) -> None:
    engine = Engine()
    for index in range(len(commands)):
        step = apply(engine, commands, index, stp)
        if step.incoming is not None:
            assert_keeps_the_rules(step, engine.book)
        assert_not_crossed(engine.book)


@pytest.mark.parametrize("stp", STP_MODES)
@PROPERTY
@given(commands=COMMANDS)
def test_every_unit_placed_is_filled_cancelled_withdrawn_or_resting(
    stp: str, commands: list[Command]
) -> None:
    engine = Engine()
    placed: Counter[int] = Counter()
    filled: Counter[int] = Counter()
    gone: Counter[int] = Counter()  # cancelled or decremented by the engine, withdrawn by members
    for index in range(len(commands)):
        step = apply(engine, commands, index, stp)
        if step.withdrawn is not None:
            gone[step.withdrawn[0]] += step.withdrawn[1]
        if step.incoming is not None:
            placed[step.incoming.order_id] += step.incoming.quantity
        for event in step.events or []:
            if isinstance(event, Fill):
                filled[event.maker_order_id] += event.quantity
                filled[event.taker_order_id] += event.quantity
            elif isinstance(event, Cancelled | Decremented):
                gone[event.order_id] += event.quantity
        resting = {o.order_id: o.remaining for o in engine.orders().values()}
        for order_id, quantity in placed.items():
            assert filled[order_id] <= quantity
            assert resting.get(order_id, 0) + filled[order_id] + gone[order_id] == quantity, (
                f"order {order_id}"
            )


@pytest.mark.parametrize("stp", STP_MODES)
@PROPERTY
@given(commands=COMMANDS)
def test_replaying_the_commands_gives_the_same_events(stp: str, commands: list[Command]) -> None:
    first, second = Engine(), Engine()
    assert [s.events for s in play(first, commands, stp)] == [
        s.events for s in play(second, commands, stp)
    ]
    assert first.orders() == second.orders()


@pytest.mark.parametrize("stp", STP_MODES)
@PROPERTY
@given(commands=COMMANDS, data=st.data())
def test_a_book_rebuilt_from_its_orders_in_any_order_behaves_the_same(
    stp: str, commands: list[Command], data: st.DataObject
) -> None:
    split = data.draw(st.integers(min_value=0, max_value=len(commands)), label="split")
    original = Engine()
    play(original, commands[:split], stp)
    resting = list(original.orders().values())
    rebuilt = Engine()
    for order in data.draw(st.permutations(resting), label="order of adding"):
        rebuilt.book.add(replace(order))
    assert rebuilt.orders() == original.orders()
    assert levels(rebuilt) == levels(original)
    assert [s.events for s in play(rebuilt, commands, stp, split)] == [
        s.events for s in play(original, commands, stp, split)
    ]
    assert rebuilt.orders() == original.orders()
