"""Concurrent placements against committed data: one order per client order id whoever sends
it how often, and one member's cash held by many orders at once never below zero."""

from collections import Counter

import pytest

from qoima.errors import ApplicationError
from qoima.exchange.models import Order, Posting
from qoima.exchange.services import order_place
from tests.issuance.conftest import make_world
from tests.threads import together

from .trading import balances, deposit, make_market

THREADS = 8


def test_the_same_client_order_id_from_many_threads_is_one_order_and_one_hold(committed_db):
    trading = make_market(make_world(holder_count=1))
    holder = trading.world.holders[0]
    member = deposit(holder, 10_000_000)

    def place(_i):
        return order_place(
            actor=holder.user,
            market_id=trading.market.pk,
            client_order_id="twice",
            side="buy",
            type="limit",
            time_in_force="gtc",
            price=100_000,
            quantity=100,
        )

    results = together(THREADS, place)
    assert not [r for r in results if isinstance(r, Exception)], results
    orders = {order.pk for order, _created in results}
    assert len(orders) == 1
    assert sorted(created for _order, created in results) == [False] * (THREADS - 1) + [True]
    assert Order.objects.count() == 1
    assert Posting.objects.filter(kind=Posting.Kind.ORDER_HELD).count() == 1
    assert balances(member) == {"available": 10_000_000 - 100_200, "held": 100_200, "pending": 0}


def test_eight_threads_buying_against_one_members_cash_never_take_it_below_zero(committed_db):
    trading = make_market(make_world(holder_count=1))
    holder = trading.world.holders[0]
    # Cash for five orders of 1 002.00 ₸ (1.00 unit at 1 000.00 ₸ and the fee), not six.
    member = deposit(holder, 5 * 100_200 + 100_000)

    def place(i):
        return order_place(
            actor=holder.user,
            market_id=trading.market.pk,
            client_order_id=f"t{i}",
            side="buy",
            type="limit",
            time_in_force="gtc",
            price=100_000,
            quantity=100,
        )

    results = together(THREADS, place)
    outcomes = Counter(
        "placed" if isinstance(r, tuple) else getattr(r, "code", repr(r)) for r in results
    )
    assert outcomes == {"placed": 5, "insufficient_cash": 3}, results
    refusal = next(r for r in results if isinstance(r, ApplicationError))
    assert str(refusal.message) == (
        "You have 1,000.00\xa0₸ available; this needs 1,002.00\xa0₸ (the amount and the fee)."
    )
    held = sum(order.held_tiyn for order in Order.objects.all())
    assert balances(member) == {"available": 100_000, "held": held, "pending": 0}
    assert held == 5 * 100_200


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
