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

EXAMPLES = int(os.environ.get("QOIMA_MATCHING_EXAMPLES", "40"))
STP_MODES = [CANCEL_RESTING, CANCEL_INCOMING, CANCEL_BOTH, DECREMENT]
ALICE, BOB, CAROL = 1, 2, 3


def opposite(side: str) -> str:
    return SELL if side == BUY else BUY


def crosses(side: str, limit: int, price: int) -> bool:
    """Whether an order on ``side`` with ``limit`` may trade at ``price``."""
    return price <= limit if side == BUY else price >= limit


# --- One example per rule ------------------------------------------------------------------


def resting(order_id: int, member_id: int, side: str, price: int, units: int) -> Resting:
    """A resting order; its id is also its place in time."""
    return Resting(order_id, member_id, side, price, units, priority=order_id)


def book_of(*orders: Resting) -> Book:
    book = Book()
    for order in orders:
        book.add(order)
    return book


def order(
    order_id: int,
    member_id: int,
    side: str,
    price: int,
    quantity: int,
    time_in_force: str = GTC,
    *,
    post_only: bool = False,
) -> Incoming:
    return Incoming(
        order_id, member_id, side, price, quantity, time_in_force, post_only, priority=order_id
    )


def queue(book: Book, side: str) -> list[tuple[int, int]]:
    """(order id, units left) in the order the side fills."""
    return [(o.order_id, o.remaining) for o in book.orders(side)]


def test_a_trade_happens_at_the_makers_price() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5))

    events = match(book, order(2, ALICE, BUY, 102, 5), CANCEL_RESTING).events

    assert events == [Fill(1, BOB, 2, 100, 5, 0)]
    assert len(book) == 0


@pytest.mark.parametrize(
    ("taker_side", "maker_side", "best", "worse"),
    [(BUY, SELL, 99, 101), (SELL, BUY, 101, 99)],
)
def test_the_best_price_fills_first(
    taker_side: str, maker_side: str, best: int, worse: int
) -> None:
    book = book_of(resting(1, BOB, maker_side, worse, 5), resting(2, CAROL, maker_side, best, 5))

    events = match(book, order(3, ALICE, taker_side, worse, 7), DECREMENT).events

    assert events == [Fill(2, CAROL, 3, best, 5, 0), Fill(1, BOB, 3, worse, 2, 3)]
    assert queue(book, maker_side) == [(1, 3)]


def test_at_one_price_the_earlier_order_fills_first() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5), resting(2, CAROL, SELL, 100, 5))

    events = match(book, order(3, ALICE, BUY, 100, 6), CANCEL_RESTING).events

    assert events == [Fill(1, BOB, 3, 100, 5, 0), Fill(2, CAROL, 3, 100, 1, 4)]


def test_a_partly_filled_maker_keeps_its_place() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5), resting(2, CAROL, SELL, 100, 5))

    match(book, order(3, ALICE, BUY, 100, 2), CANCEL_RESTING)

    assert queue(book, SELL) == [(1, 3), (2, 5)]


def test_a_gtc_remainder_rests_at_its_limit_with_its_priority() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5))

    events = match(book, order(7, ALICE, BUY, 101, 8), CANCEL_RESTING).events

    assert events == [Fill(1, BOB, 7, 100, 5, 0), Rested(7, 101, 3, 7)]
    assert book.get(7) == Resting(7, ALICE, BUY, 101, 3, 7)
    assert book.levels(BUY) == [(101, 3)]


def test_a_gtd_remainder_rests_like_a_gtc_one() -> None:
    book = Book()

    events = match(book, order(1, ALICE, SELL, 100, 4, GTD), CANCEL_RESTING).events

    assert events == [Rested(1, 100, 4, 1)]


def test_an_ioc_remainder_is_cancelled_as_unfilled() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5))

    events = match(book, order(2, ALICE, BUY, 100, 8, IOC), CANCEL_RESTING).events

    assert events == [Fill(1, BOB, 2, 100, 5, 0), Cancelled(2, 3, UNFILLED)]
    assert len(book) == 0


def test_a_fok_fills_completely_across_prices() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5), resting(2, CAROL, SELL, 101, 5))

    events = match(book, order(3, ALICE, BUY, 101, 8, FOK), CANCEL_RESTING).events

    assert events == [Fill(1, BOB, 3, 100, 5, 0), Fill(2, CAROL, 3, 101, 3, 2)]


def test_a_fok_that_cannot_fill_completely_is_killed_and_changes_nothing() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5), resting(2, CAROL, SELL, 102, 5))

    events = match(book, order(3, ALICE, BUY, 101, 8, FOK), CANCEL_RESTING).events

    assert events == [Cancelled(3, 8, FILL_OR_KILL)]
    assert queue(book, SELL) == [(1, 5), (2, 5)]


def test_a_post_only_that_would_cross_is_cancelled_and_changes_nothing() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5))

    events = match(book, order(2, ALICE, BUY, 100, 3, post_only=True), CANCEL_RESTING).events

    assert events == [Cancelled(2, 3, POST_ONLY)]
    assert queue(book, SELL) == [(1, 5)]
    assert queue(book, BUY) == []


def test_a_post_only_that_does_not_cross_rests() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5))

    events = match(book, order(2, ALICE, BUY, 99, 3, post_only=True), CANCEL_RESTING).events

    assert events == [Rested(2, 99, 3, 2)]


def test_self_trade_cancel_resting_cancels_the_own_order_and_matches_on() -> None:
    book = book_of(resting(1, ALICE, SELL, 100, 4), resting(2, BOB, SELL, 100, 5))

    events = match(book, order(3, ALICE, BUY, 100, 5), CANCEL_RESTING).events

    assert events == [Cancelled(1, 4, SELF_TRADE), Fill(2, BOB, 3, 100, 5, 0)]
    assert len(book) == 0


def test_self_trade_cancel_incoming_keeps_earlier_fills_and_the_own_order() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 2), resting(2, ALICE, SELL, 100, 4))

    events = match(book, order(3, ALICE, BUY, 100, 5), CANCEL_INCOMING).events

    assert events == [Fill(1, BOB, 3, 100, 2, 0), Cancelled(3, 3, SELF_TRADE)]
    assert queue(book, SELL) == [(2, 4)]
    assert queue(book, BUY) == []


def test_self_trade_cancel_both_cancels_the_own_order_and_the_incoming_rest() -> None:
    book = book_of(resting(1, ALICE, SELL, 100, 4), resting(2, BOB, SELL, 100, 5))

    events = match(book, order(3, ALICE, BUY, 100, 5), CANCEL_BOTH).events

    assert events == [Cancelled(1, 4, SELF_TRADE), Cancelled(3, 5, SELF_TRADE)]
    assert queue(book, SELL) == [(2, 5)]


def test_self_trade_decrement_cancels_a_smaller_own_order_and_the_incoming_matches_on() -> None:
    book = book_of(resting(1, ALICE, SELL, 100, 2), resting(2, BOB, SELL, 100, 5))

    events = match(book, order(3, ALICE, BUY, 100, 6), DECREMENT).events

    assert events == [
        Cancelled(1, 2, SELF_TRADE),
        Decremented(3, 2, 4),
        Fill(2, BOB, 3, 100, 4, 1),
    ]
    assert queue(book, SELL) == [(2, 1)]


def test_self_trade_decrement_shrinks_a_larger_own_order_and_cancels_the_incoming() -> None:
    book = book_of(resting(1, ALICE, SELL, 100, 5))

    events = match(book, order(2, ALICE, BUY, 100, 3), DECREMENT).events

    assert events == [Decremented(1, 3, 2), Cancelled(2, 3, SELF_TRADE)]
    assert queue(book, SELL) == [(1, 2)]


def test_self_trade_decrement_of_equal_orders_cancels_both() -> None:
    book = book_of(resting(1, ALICE, SELL, 100, 3))

    events = match(book, order(2, ALICE, BUY, 100, 3), DECREMENT).events

    assert events == [Cancelled(1, 3, SELF_TRADE), Cancelled(2, 3, SELF_TRADE)]
    assert len(book) == 0


def test_a_decremented_incoming_rests_what_is_left() -> None:
    book = book_of(resting(1, ALICE, SELL, 100, 2))

    events = match(book, order(2, ALICE, BUY, 100, 5), DECREMENT).events

    assert events == [Cancelled(1, 2, SELF_TRADE), Decremented(2, 2, 3), Rested(2, 100, 3, 2)]


def test_a_fok_with_cancel_resting_fills_past_its_own_order_cancelling_it() -> None:
    book = book_of(resting(1, ALICE, SELL, 100, 4), resting(2, BOB, SELL, 100, 5))

    events = match(book, order(3, ALICE, BUY, 100, 5, FOK), CANCEL_RESTING).events

    assert events == [Cancelled(1, 4, SELF_TRADE), Fill(2, BOB, 3, 100, 5, 0)]


def test_a_killed_fok_with_cancel_resting_leaves_its_own_order_alone() -> None:
    book = book_of(resting(1, ALICE, SELL, 100, 4), resting(2, BOB, SELL, 100, 5))

    events = match(book, order(3, ALICE, BUY, 100, 6, FOK), CANCEL_RESTING).events

    assert events == [Cancelled(3, 6, FILL_OR_KILL)]
    assert queue(book, SELL) == [(1, 4), (2, 5)]


@pytest.mark.parametrize("stp", [CANCEL_INCOMING, CANCEL_BOTH, DECREMENT])
def test_a_fok_whose_own_order_stands_in_the_way_is_killed_and_changes_nothing(stp: str) -> None:
    # Enough from Bob, but Alice's own order would cancel or shrink hers before it filled.
    book = book_of(
        resting(1, BOB, SELL, 100, 2),
        resting(2, ALICE, SELL, 100, 4),
        resting(3, BOB, SELL, 101, 9),
    )

    events = match(book, order(4, ALICE, BUY, 101, 5, FOK), stp).events

    assert events == [Cancelled(4, 5, FILL_OR_KILL)]
    assert queue(book, SELL) == [(1, 2), (2, 4), (3, 9)]


@pytest.mark.parametrize("stp", STP_MODES)
def test_a_fok_filled_before_its_own_order_is_reached_leaves_that_order_alone(stp: str) -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5), resting(2, ALICE, SELL, 100, 4))

    events = match(book, order(3, ALICE, BUY, 100, 5, FOK), stp).events

    assert events == [Fill(1, BOB, 3, 100, 5, 0)]
    assert queue(book, SELL) == [(2, 4)]


def test_an_amend_down_keeps_its_place() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5), resting(2, CAROL, SELL, 100, 5))

    book.reduce(1, 2)
    events = match(book, order(3, ALICE, BUY, 100, 3), CANCEL_RESTING).events

    assert events == [Fill(1, BOB, 3, 100, 2, 0), Fill(2, CAROL, 3, 100, 1, 4)]


@pytest.mark.parametrize("remaining", [0, 6])
def test_an_amend_down_leaves_between_one_unit_and_what_was_there(remaining: int) -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5))

    with pytest.raises(ValueError, match="between one unit"):
        book.reduce(1, remaining)
    assert queue(book, SELL) == [(1, 5)]


def test_an_amend_up_goes_to_the_back_of_the_queue() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5), resting(2, CAROL, SELL, 100, 5))

    amended = book.remove(1)
    assert amended is not None
    match(book, Incoming(1, BOB, SELL, 100, 6, GTC, False, priority=3), CANCEL_RESTING)

    assert queue(book, SELL) == [(2, 5), (1, 6)]


def test_a_cancel_takes_the_order_off_the_book() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5), resting(2, CAROL, SELL, 101, 5))

    assert book.remove(1) == Resting(1, BOB, SELL, 100, 5, 1)
    assert book.remove(1) is None
    assert 1 not in book
    assert book.levels(SELL) == [(101, 5)]
    assert book.best(SELL) == 101


def test_levels_sum_each_price_best_first_up_to_a_depth() -> None:
    book = book_of(
        resting(1, BOB, BUY, 99, 5),
        resting(2, CAROL, BUY, 100, 2),
        resting(3, BOB, BUY, 99, 1),
        resting(4, CAROL, BUY, 98, 7),
    )

    assert book.levels(BUY) == [(100, 2), (99, 6), (98, 7)]
    assert book.levels(BUY, depth=2) == [(100, 2), (99, 6)]
    assert book.best(BUY) == 100
    assert book.best(SELL) is None


def test_a_book_rebuilt_out_of_time_order_keeps_time_priority() -> None:
    book = book_of(resting(3, BOB, SELL, 100, 1), resting(1, CAROL, SELL, 100, 1))
    book.add(resting(2, BOB, SELL, 100, 1))

    assert [o.order_id for o in book.orders(SELL)] == [1, 2, 3]


def test_an_order_rests_once_and_with_units() -> None:
    book = book_of(resting(1, BOB, SELL, 100, 5))

    with pytest.raises(ValueError, match="already in the book"):
        book.add(resting(1, BOB, SELL, 101, 5))
    with pytest.raises(ValueError, match="units left only"):
        book.add(resting(2, BOB, SELL, 101, 0))


def test_an_unknown_self_trade_mode_is_refused_before_anything_changes() -> None:
    # It used to be found only at the first own order met: Bob's fill had already changed the
    # book, and the error lost its event.
    book = book_of(resting(1, BOB, SELL, 100, 2), resting(2, ALICE, SELL, 100, 4))

    with pytest.raises(ValueError, match="unknown self-trade prevention"):
        match(book, order(3, ALICE, BUY, 100, 5), "cancel_newest")

    assert queue(book, SELL) == [(1, 2), (2, 4)]


def test_an_order_still_in_the_book_is_refused_before_anything_changes() -> None:
    # An amend to a new price must take the order out first; it used to fill and then fail to
    # rest, leaving Bob's order filled with no event to say so.
    book = book_of(resting(1, BOB, SELL, 100, 2), resting(2, ALICE, BUY, 99, 4))

    with pytest.raises(ValueError, match="already in the book"):
        match(book, order(2, ALICE, BUY, 100, 5), CANCEL_RESTING)

    assert queue(book, SELL) == [(1, 2)]
    assert queue(book, BUY) == [(2, 4)]


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
    self_traded: Counter[int] = Counter()  # units own orders lost to self-trade prevention
    fills: list[Fill] = []
    rested: Resting | None = None
    taker_gone = 0  # the incoming's units cancelled, decremented or rested
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
            fills.append(event)
        elif maker_id is not None:
            # A self-trade prevented: the member's own resting order loses units, or all of them.
            assert maker.member_id == incoming.member_id
            if isinstance(event, Cancelled):
                assert event.reason == SELF_TRADE
                assert event.quantity == maker.remaining
                self_traded[maker_id] += event.quantity
                maker.remaining = 0
            else:
                assert isinstance(event, Decremented)
                assert 0 < event.quantity < maker.remaining
                maker.remaining -= event.quantity
                self_traded[maker_id] += event.quantity
                assert event.remaining == maker.remaining
        elif isinstance(event, Decremented):
            assert 0 < event.quantity < left
            left -= event.quantity
            taker_gone += event.quantity
            assert event.remaining == left
        elif isinstance(event, Cancelled):
            assert last, "nothing happens to an order after it is cancelled"
            assert event.quantity == left, "a cancel takes all the order has left"
            taker_gone += event.quantity
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
            taker_gone += left
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
    # Units and cash only change hands. The makers' side, counted from the book before and
    # after at each maker's own price, gave up exactly what the taker's side got, and was paid
    # exactly what the taker's side paid.
    after = {o.order_id: o.remaining for o in map(book.get, before) if o}
    traded = {i: o.remaining - after.get(i, 0) - self_traded[i] for i, o in before.items()}
    assert sum(traded.values()) == incoming.quantity - taker_gone == sum(f.quantity for f in fills)
    makers_amount = sum(units * before[i].price for i, units in traded.items())
    assert makers_amount == sum(f.price * f.quantity for f in fills)


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
