"""The matcher steps a market while eight threads place and cancel orders of the same members:
nothing waits for ever (the lock order holds), and cash and units add up afterwards."""

import random
import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from qoima.chain.models import Hold, Operation
from qoima.exchange.matching.matcher import market_step
from qoima.exchange.models import CashAccount, Order, Trade

from .matching_world import PRICE, cancel, exchange

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_the_matcher_steps_while_members_place_and_cancel():
    ex = exchange(traders=4, cash=1_000_000_000, units=10_000_000)
    errors: list[BaseException] = []
    placing = threading.Event()

    def client(n: int) -> None:
        chance = random.Random(n)
        try:
            for _ in range(25):
                trader = ex.traders[chance.randrange(len(ex.traders))]
                price = PRICE + chance.randrange(-5, 6)
                quantity = chance.randrange(1, 50) * 10
                order = (ex.buy if chance.random() < 0.5 else ex.sell)(trader, quantity, price)
                if chance.random() < 0.3:
                    cancel(order)
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    def matcher() -> None:
        try:
            while placing.is_set():
                market_step(market_id=ex.market.pk, limit=50)
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    placing.set()
    stepper = threading.Thread(target=matcher)
    stepper.start()
    clients = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(timeout=300)
    placing.clear()
    stepper.join(timeout=300)
    assert not errors, errors
    while market_step(market_id=ex.market.pk).work:
        pass

    orders = Order.objects.filter(market=ex.market)
    assert orders.count() == 200
    assert not orders.filter(state=Order.State.RECEIVED).exists()
    assert Trade.objects.exists()
    for trader in ex.traders:
        mine = orders.filter(member=trader.member, state__in=Order.OPEN_STATES)
        held = mine.filter(side="buy").aggregate(total=Sum("held_tiyn"))["total"] or 0
        assert trader.cash(CashAccount.Kind.HELD) == held
        open_units = sum(int(o.reserved_units) for o in mine.filter(side="sell"))
        on_hold = sum(
            int(h.amount)
            for h in Hold.objects.filter(holder=trader.wallet, released_at__isnull=True)
        )
        transfers = sum(
            int(op.amount) for op in Operation.objects.filter(sender=trader.wallet, holding=True)
        )
        assert on_hold == open_units
        assert ex.units(trader)[1] == on_hold + transfers
        # Pending settlement is what the trades it bought cost, fees included.
        bought = Trade.objects.filter(buyer=trader.member)
        assert trader.cash(CashAccount.Kind.PENDING) == sum(
            t.amount_tiyn + t.buyer_fee_tiyn for t in bought
        )
    for order in orders:
        traded = Trade.objects.filter(**{f"{order.side}_order": order}).aggregate(
            total=Sum("quantity")
        )["total"]
        assert int(order.filled) == int(traded or 0) <= int(order.quantity)
    # No crossed book is left.
    best_bid = orders.filter(side="buy", state__in=["open", "partially_filled"]).order_by("-price")
    best_ask = orders.filter(side="sell", state__in=["open", "partially_filled"]).order_by("price")
    if best_bid.exists() and best_ask.exists():
        assert best_bid.first().price < best_ask.first().price
