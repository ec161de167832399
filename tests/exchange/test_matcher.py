"""The matcher: orders and changes of a market matched in arrival order, and everything that
follows written in one step (journal, orders, trades, cash, the transfers' requests)."""

import datetime

import pytest
from django.utils import timezone

from qoima.chain.models import Hold, Operation, TokenBalance
from qoima.exchange.matching import matcher
from qoima.exchange.matching.matcher import book_drop, market_step
from qoima.exchange.models import (
    CashAccount,
    Market,
    MarketEvent,
    Order,
    OrderChange,
    Posting,
    Trade,
)

from .matching_world import PRICE, amend, cancel, exchange, fresh

pytestmark = pytest.mark.django_db

HELD = CashAccount.Kind.HELD
PENDING = CashAccount.Kind.PENDING
AVAILABLE = CashAccount.Kind.AVAILABLE


def journal(market):
    return list(
        MarketEvent.objects.filter(market=market)
        .order_by("seq")
        .values_list("seq", "kind", "order_id", "other_order_id", "price", "quantity", "reason")
    )


def test_a_crossing_pair_trades_once_and_moves_cash_and_units():
    ex = exchange()
    alice, bob, _ = ex.traders
    sell = ex.sell(alice, 500)
    buy = ex.buy(bob, 500, PRICE + 100)
    # 5 tokens at 101.00 ₸ with the 0.2 % taker fee held: 505.00 + 1.01 ₸.
    assert bob.cash(HELD) == 50_601

    step = market_step(market_id=ex.market.pk)

    assert (step.orders, step.trades) == (2, 1)
    trade = Trade.objects.get()
    # The price is the resting order's; the buyer took, so pays the taker fee, the seller the
    # maker fee.
    assert (trade.price, int(trade.quantity), trade.amount_tiyn) == (PRICE, 500, 50_000)
    assert (trade.buyer_fee_tiyn, trade.seller_fee_tiyn) == (100, 50)
    assert (trade.buyer_id, trade.seller_id, trade.maker_side) == (
        bob.member.pk,
        alice.member.pk,
        Order.Side.SELL,
    )
    assert trade.state == Trade.State.PENDING
    assert (fresh(sell).state, fresh(buy).state) == (Order.State.FILLED, Order.State.FILLED)
    assert fresh(sell).priority_seq == 1
    assert journal(ex.market) == [
        (1, "accepted", sell.pk, None, PRICE, 500, ""),
        (2, "traded", buy.pk, sell.pk, PRICE, 500, ""),
    ]
    market = Market.objects.get()
    assert (market.last_seq, market.last_price, market.reference_price) == (2, PRICE, PRICE)
    # Bob: 500.00 + 1.00 ₸ pending settlement, the 1.01 ₸ better than his limit back.
    assert (bob.cash(HELD), bob.cash(PENDING)) == (0, 50_100)
    assert bob.cash(AVAILABLE) == 10_000_000 - 50_100
    assert set(
        Posting.objects.filter(reference=f"trade:{trade.pk}").values_list("kind", flat=True)
    ) == {Posting.Kind.TRADE_MATCHED}
    # Alice's units left the order's hold for the trade's one recorded transfer.
    operation = trade.operation
    assert (operation.kind, operation.purpose, int(operation.amount)) == (
        Operation.Kind.TRANSFER,
        "exchange.trade",
        500,
    )
    assert (operation.sender, operation.receiver) == (alice.wallet, bob.wallet)
    assert operation.idempotency_key == f"exchange.trade:{ex.market.pk}:2"
    assert ex.units(alice) == (100_000, 500)
    assert not Hold.objects.filter(released_at__isnull=True).exists()
    assert fresh(sell).reserved_units == 0
    assert fresh(buy).held_tiyn == 0


def test_partial_fills_and_price_time_priority_across_steps():
    ex = exchange()
    alice, bob, carol = ex.traders
    first = ex.sell(alice, 300)
    market_step(market_id=ex.market.pk)
    second = ex.sell(carol, 300)
    better = ex.sell(carol, 100, PRICE - 50)
    market_step(market_id=ex.market.pk)
    buy = ex.buy(bob, 500, PRICE)
    market_step(market_id=ex.market.pk)

    trades = list(Trade.objects.order_by("seq").values_list("sell_order_id", "price", "quantity"))
    # The better price first, then the earlier order at the same price, then the later one.
    assert trades == [(better.pk, PRICE - 50, 100), (first.pk, PRICE, 300), (second.pk, PRICE, 100)]
    assert fresh(buy).state == Order.State.FILLED
    second = fresh(second)
    assert (second.state, int(second.filled), int(second.reserved_units)) == (
        Order.State.PARTIALLY_FILLED,
        100,
        200,
    )
    assert ex.units(carol) == (100_000, 400)


def test_a_resting_buy_filled_in_parts_keeps_what_it_still_needs():
    ex = exchange()
    alice, bob, _ = ex.traders
    buy = ex.buy(bob, 1000)
    market_step(market_id=ex.market.pk)
    ex.sell(alice, 400)
    market_step(market_id=ex.market.pk)
    buy = fresh(buy)
    assert (buy.state, int(buy.filled)) == (Order.State.PARTIALLY_FILLED, 400)
    # 6 tokens at 100.00 ₸ and the taker fee still held; 4 tokens and the maker fee pending.
    assert buy.held_tiyn == 60_000 + 120
    assert (bob.cash(HELD), bob.cash(PENDING)) == (60_120, 40_040)
    assert bob.cash(AVAILABLE) == 10_000_000 - 60_120 - 40_040


def test_self_trade_prevention_cancels_the_resting_order_by_default():
    ex = exchange()
    alice, bob, _ = ex.traders
    resting = ex.sell(alice, 200)
    other = ex.sell(bob, 200, PRICE + 10)
    market_step(market_id=ex.market.pk)
    buy = ex.buy(alice, 300, PRICE + 10)
    market_step(market_id=ex.market.pk)

    resting = fresh(resting)
    assert (resting.state, resting.reason) == (Order.State.CANCELLED, "self_trade")
    assert ex.units(alice)[1] == 0
    trade = Trade.objects.get()
    assert (trade.sell_order_id, trade.buy_order_id, int(trade.quantity)) == (other.pk, buy.pk, 200)
    assert ("self_trade_prevented", resting.pk, buy.pk, "self_trade") in [
        (kind, order, other_order, reason)
        for _s, kind, order, other_order, _p, _q, reason in journal(ex.market)
    ]
    assert fresh(buy).state == Order.State.PARTIALLY_FILLED


def test_ioc_fok_and_post_only():
    ex = exchange()
    alice, bob, _ = ex.traders
    ex.sell(alice, 200)
    market_step(market_id=ex.market.pk)
    fok = ex.buy(bob, 300, time_in_force=Order.TimeInForce.FOK)
    post = ex.buy(bob, 100, post_only=True)
    ioc = ex.buy(bob, 300, time_in_force=Order.TimeInForce.IOC)
    market_step(market_id=ex.market.pk)

    fok, post, ioc = fresh(fok), fresh(post), fresh(ioc)
    assert (fok.state, fok.reason, int(fok.filled)) == (Order.State.CANCELLED, "fill_or_kill", 0)
    assert (post.state, post.reason) == (Order.State.CANCELLED, "post_only")
    assert (ioc.state, ioc.reason, int(ioc.filled)) == (Order.State.CANCELLED, "unfilled", 200)
    # Everything held for them is back but what the fill took.
    assert bob.cash(HELD) == 0
    assert bob.cash(PENDING) == 20_000 + 40
    assert bob.cash(AVAILABLE) == 10_000_000 - 20_040


def test_cancel_releases_and_amend_keeps_or_loses_priority():
    ex = exchange()
    alice, bob, carol = ex.traders
    a = ex.sell(alice, 300)
    c = ex.sell(carol, 300)
    gone = ex.buy(bob, 100, PRICE - 500)
    market_step(market_id=ex.market.pk)
    cancel(gone)
    # Alice's order down to 200 keeps its place; Carol's to a better price moves ahead of it.
    kept = amend(a, quantity=200)
    moved = amend(c, price=PRICE - 1)
    market_step(market_id=ex.market.pk)

    assert fresh(gone).state == Order.State.CANCELLED
    assert bob.cash(HELD) == 0
    assert bob.cash(AVAILABLE) == 10_000_000
    assert OrderChange.objects.get(pk=kept.pk).state == OrderChange.State.DONE
    a, c = fresh(a), fresh(c)
    assert (int(a.quantity), a.priority_seq) == (200, 1)
    assert ex.units(alice) == (100_000, 200)
    assert c.price == PRICE - 1
    assert c.priority_seq > a.priority_seq
    assert moved.pk
    assert OrderChange.objects.get(pk=moved.pk).state == OrderChange.State.DONE

    # A buy at the old price takes Carol's first (better price), then Alice's.
    ex.buy(bob, 400)
    market_step(market_id=ex.market.pk)
    assert list(Trade.objects.order_by("seq").values_list("sell_order_id", "quantity")) == [
        (c.pk, 300),
        (a.pk, 100),
    ]
    # Losing priority at the same price: Alice's larger quantity goes behind a newer order.
    newer = ex.sell(carol, 100)
    market_step(market_id=ex.market.pk)
    amend(a, quantity=400)
    market_step(market_id=ex.market.pk)
    assert fresh(a).priority_seq > fresh(newer).priority_seq
    # 300 units held for the order, and the 100 sold waiting for their transfer.
    assert ex.units(alice)[1] == 400
    assert int(fresh(a).reserved_units) == 300


def test_a_cancel_of_a_closed_order_is_refused():
    ex = exchange()
    alice, bob, _ = ex.traders
    sell = ex.sell(alice, 100)
    ex.buy(bob, 100)
    market_step(market_id=ex.market.pk)
    change = cancel(sell)
    market_step(market_id=ex.market.pk)
    change.refresh_from_db()
    assert (change.state, change.refusal) == (OrderChange.State.REFUSED, "order_closed")


def test_orders_good_till_a_date_expire():
    ex = exchange()
    alice, bob, _ = ex.traders
    soon = timezone.now() + datetime.timedelta(seconds=30)
    order = ex.buy(bob, 100, time_in_force=Order.TimeInForce.GTD, expires_at=soon)
    late = ex.sell(
        alice,
        100,
        PRICE + 100,
        time_in_force=Order.TimeInForce.GTD,
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    market_step(market_id=ex.market.pk)
    assert fresh(order).state == Order.State.OPEN
    assert (fresh(late).state, ex.units(alice)) == (Order.State.EXPIRED, (100_000, 0))
    Order.objects.filter(pk=order.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    step = market_step(market_id=ex.market.pk)
    assert step.expired == 1
    assert (fresh(order).state, fresh(order).reason) == (Order.State.EXPIRED, "expired")
    assert bob.cash(HELD) == 0
    assert bob.cash(AVAILABLE) == 10_000_000


def test_the_book_rebuilt_from_the_database_is_the_book_in_memory():
    ex = exchange(traders=4)
    alice, bob, carol, dan = ex.traders
    for i, trader in enumerate((alice, carol, alice, bob, carol)):
        ex.sell(trader, 100 + i, PRICE + i % 2)
        ex.buy(bob if trader != bob else alice, 50 + i, PRICE - 10 - i % 3)
        market_step(market_id=ex.market.pk)
    amend(Order.objects.filter(side="sell").order_by("pk").first(), quantity=50)
    ex.buy(bob, 120, PRICE)
    market_step(market_id=ex.market.pk)

    cached = matcher._books[ex.market.pk][1]
    rebuilt = matcher.book_rebuilt(ex.market.pk)
    for side in ("buy", "sell"):
        assert [(o.order_id, o.price, o.remaining, o.priority) for o in rebuilt.orders(side)] == [
            (o.order_id, o.price, o.remaining, o.priority) for o in cached.orders(side)
        ]
    assert len(rebuilt) == 9

    # The next step on a dropped book trades as the cached one would have.
    expected = [(o.order_id, o.remaining) for o in cached.orders("sell")][:2]
    book_drop()
    ex.buy(dan, expected[0][1] + expected[1][1], PRICE + 1)
    market_step(market_id=ex.market.pk)
    assert (
        list(
            Trade.objects.filter(buy_order__member=dan.member)
            .order_by("seq")
            .values_list("sell_order_id", "quantity")
        )
        == expected
    )


def test_a_step_that_fails_midway_writes_nothing_and_the_next_does_it_the_same(monkeypatch):
    ex = exchange()
    alice, bob, _ = ex.traders
    ex.sell(alice, 300)
    ex.sell(alice, 300, PRICE + 5)
    buy = ex.buy(bob, 500, PRICE + 5)
    seen = {}
    real = matcher._postings_written

    def crash(entries):
        real(entries)
        seen["journal"] = journal(ex.market)
        seen["trades"] = list(Trade.objects.values_list("seq", "price", "quantity"))
        raise RuntimeError("the matcher died")

    monkeypatch.setattr(matcher, "_postings_written", crash)
    with pytest.raises(RuntimeError):
        market_step(market_id=ex.market.pk)
    assert len(seen["trades"]) == 2
    assert ex.market.pk not in matcher._books
    assert not MarketEvent.objects.exists()
    assert not Trade.objects.exists()
    assert not Operation.objects.filter(kind=Operation.Kind.TRANSFER).exists()
    assert fresh(buy).state == Order.State.RECEIVED
    assert bob.cash(PENDING) == 0
    assert ex.units(alice) == (100_000, 600)
    assert Market.objects.get().last_seq == 0

    monkeypatch.setattr(matcher, "_postings_written", real)
    market_step(market_id=ex.market.pk)
    assert journal(ex.market) == seen["journal"]
    assert list(Trade.objects.values_list("seq", "price", "quantity")) == seen["trades"]
    # 3 tokens at 100.00 ₸ and 2 at 100.05 ₸, each with the taker fee rounded up to the tiyn.
    assert bob.cash(PENDING) == 30_000 + 60 + 20_010 + 41


def test_a_halted_market_rejects_what_arrives_and_still_cancels():
    ex = exchange()
    alice, bob, _ = ex.traders
    resting = ex.buy(bob, 100)
    market_step(market_id=ex.market.pk)
    Market.objects.filter(pk=ex.market.pk).update(status=Market.Status.HALTED)
    late = ex.sell(alice, 100)
    cancel(resting, reason="market_halted")
    market_step(market_id=ex.market.pk)

    assert (fresh(late).state, fresh(late).reason) == (Order.State.REJECTED, "market_halted")
    assert (fresh(resting).state, fresh(resting).reason) == (
        Order.State.CANCELLED,
        "market_halted",
    )
    assert not Trade.objects.exists()
    assert ex.units(alice) == (100_000, 0)
    assert bob.cash(AVAILABLE) == 10_000_000


@pytest.mark.parametrize(
    ("mode", "resting_state", "incoming_state", "left"),
    [
        ("cancel_incoming", Order.State.OPEN, Order.State.CANCELLED, 300),
        ("cancel_both", Order.State.CANCELLED, Order.State.CANCELLED, 0),
        ("decrement", Order.State.OPEN, Order.State.CANCELLED, 200),
    ],
)
def test_the_other_self_trade_prevention_modes(mode, resting_state, incoming_state, left):
    ex = exchange(self_trade_prevention=mode)
    alice = ex.traders[0]
    resting = ex.sell(alice, 300)
    market_step(market_id=ex.market.pk)
    incoming = ex.buy(alice, 100)
    market_step(market_id=ex.market.pk)

    resting, incoming = fresh(resting), fresh(incoming)
    assert (resting.state, incoming.state) == (resting_state, incoming_state)
    assert incoming.reason == "self_trade"
    assert not Trade.objects.exists()
    # What the sell still holds is what it still offers; the buy holds nothing.
    assert ex.units(alice)[1] == left
    assert int(resting.quantity) - int(resting.filled) == left or not left
    assert alice.cash(HELD) == 0
    assert alice.cash(AVAILABLE) == 10_000_000
    kinds = [kind for _s, kind, *_rest in journal(ex.market)]
    assert "self_trade_prevented" in kinds


def test_a_seller_whose_units_were_taken_by_a_legal_order_loses_its_orders_not_the_market():
    ex = exchange()
    alice, bob, _ = ex.traders
    sell = ex.sell(alice, 500)
    market_step(market_id=ex.market.pk)
    # A forced transfer took 99,700 of Alice's units, reserved ones included.
    TokenBalance.objects.filter(holder=alice.wallet).update(amount=300)
    buy = ex.buy(bob, 500)

    market_step(market_id=ex.market.pk)

    assert (fresh(sell).state, fresh(sell).reason) == (Order.State.CANCELLED, "units_short")
    assert fresh(buy).state == Order.State.OPEN
    assert not Trade.objects.exists()
    assert ex.units(alice) == (300, 0)
    assert [kind for _s, kind, *_rest in journal(ex.market)] == [
        "accepted",
        "cancelled",
        "accepted",
    ]


def test_a_step_read_compiled_once_is_reused_only_with_its_own_parameters():
    ex = exchange()
    alice, bob, _ = ex.traders
    first, second = ex.sell(alice, 100), ex.buy(bob, 100)

    def received(pk):
        return Order.objects.filter(pk=pk, state=Order.State.RECEIVED).values_list("pk")

    matcher._compiled.clear()
    # Parameters in another order than the text takes them: compiled, never kept.
    statement = matcher._sql_of(
        ("test", "wrong"), ["received", first.pk], lambda: received(first.pk)
    )
    assert matcher._results([statement]) == [[(first.pk,)]]
    assert not any("wrong" in key for key in matcher._compiled)
    # In its own order: kept, and a second call reads another order through the same text.
    statement = matcher._sql_of(
        ("test", "right"), [first.pk, "received"], lambda: received(first.pk)
    )
    assert matcher._results([statement]) == [[(first.pk,)]]
    reused = matcher._sql_of(
        ("test", "right"), [second.pk, "received"], lambda: pytest.fail("compiled again")
    )
    assert reused[0] == statement[0]
    assert matcher._results([reused]) == [[(second.pk,)]]
