"""The exchange under faults, with real processes: the matcher (``manage.py runmatcher``) and
Celery workers killed with SIGKILL and started afresh, a seller frozen on-chain between match
and mining, duplicate and concurrent orders from several processes.

Each test runs against the test database (PostgreSQL in CI), the real broker, a real worker
and anvil with the platform registry deployed, a real issued asset and verified holders with
custodial wallets, and ends with the chain's reconciliation run (the exchange's checks
included) at zero differences, read on the run's page and in its API as the regulator reads
them.
"""

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.models import Q, Sum
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry
from qoima.chain.deployment import platform_keys, platform_registry_ensure
from qoima.chain.direct import PlatformRegistry
from qoima.chain.indexer import index_until_head
from qoima.chain.models import (
    ChainTransaction,
    Operation,
    PlatformDeployment,
    PlatformToken,
    TokenBalance,
)
from qoima.chain.reconciliation import reconcile
from qoima.chain.tasks import chain_confirm, chain_sweep
from qoima.exchange.matching import engine
from qoima.exchange.matching.matcher import market_step
from qoima.exchange.models import (
    CashAccount,
    Market,
    MarketEvent,
    MatcherHeartbeat,
    Member,
    Order,
    Posting,
    Trade,
)
from qoima.exchange.services.orders import order_place
from qoima.participants.models import Role
from tests.conftest import WorkerFactory, WorkerProcess
from tests.exchange.conftest import Party, verified_holder
from tests.exchange.matching_world import deposit
from tests.factories import make_user, valid_iins
from tests.onchain import Issued, issued_token, mined_attempts
from tests.processes import database_url

from .exchange_traders import orders_placed

ROOT = Path(__file__).resolve().parent.parent.parent
# 100.00 ₸ a unit of a whole-unit asset; 0.1 % maker and 0.2 % taker fees.
PRICE = 10_000
MAKER_BPS, TAKER_BPS = 10, 20


# ------------------------------------------------------------------------------ the world


@dataclass
class Floor:
    """An issued asset's market with verified holders: sellers holding units on-chain,
    buyers with cash deposited."""

    issued: Issued
    market: Market
    sellers: list[Party]
    buyers: list[Party]
    worker: WorkerProcess
    units: int
    cash: int

    @property
    def parties(self) -> list[Party]:
        return self.sellers + self.buyers


def operations_settled(kind: str) -> bool:
    # As beat would: follow receipts every time the test looks.
    chain_confirm.delay()
    return not Operation.objects.filter(kind=kind).exclude(state=Operation.State.CONFIRMED).exists()


def floor(
    worker_factory: WorkerFactory,
    chain,
    *,
    sellers: int,
    buyers: int,
    units: int = 1_000,
    cash: int = 10_000_000,
) -> Floor:
    platform_registry_ensure(chain)
    worker = worker_factory.start()
    officer = make_user(Role.COMPLIANCE_OFFICER)
    numbers = valid_iins(sellers + buyers)
    parties = [
        verified_holder(f"trader{i}", number, "individual", officer)
        for i, number in enumerate(numbers)
    ]
    # Verified holders' wallets are allowlisted on-chain by the worker.
    worker.wait_for(lambda: operations_settled("allowlist"))
    issued = issued_token(chain)
    operator = platform_keys()[1]
    for i, party in enumerate(parties[:sellers]):
        issued.token.record_transfer(
            operator, issued.issuer, party.wallet.address, units, 10**15 + 100 + i
        )
    index_until_head(w3=chain)
    token = PlatformToken.objects.get(chain_id=settings.CHAIN_ID, address=issued.token.address)
    market = Market.objects.create(
        token=token,
        tick_tiyn=1,
        lot_units=1,
        min_units=1,
        max_units=1_000,
        band_bps=5_000,
        maker_fee_bps=MAKER_BPS,
        taker_fee_bps=TAKER_BPS,
        reference_price=PRICE,
    )
    for i, party in enumerate(parties):
        deposit(party.holder, 0 if i < sellers else cash)
    return Floor(issued, market, parties[:sellers], parties[sellers:], worker, units, cash)


def place(market: Market, party: Party, side: str, quantity: int, price: int, key: str) -> Order:
    """An order through the placement service, acknowledged when it returns."""
    order, _created = order_place(
        actor=party.user,
        market_id=market.pk,
        client_order_id=key,
        side=side,
        type=Order.Type.LIMIT,
        time_in_force=Order.TimeInForce.GTC,
        price=price,
        quantity=quantity,
    )
    return order


def matcher_start(factory: WorkerFactory, name: str, **extra_env: str) -> WorkerProcess:
    """``manage.py runmatcher`` as a process of its own; stopped with the test's workers."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qoima.settings.test",
        "DATABASE_URL": database_url(),
        "CHAIN_RPC_URL": factory.anvil_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        # The transfers its steps request are sent by the test's worker.
        "CELERY_TASK_DEFAULT_QUEUE": factory.queue,
        "MATCHER_WAIT_SECONDS": "0.2",
        "MATCHER_HEARTBEAT_SECONDS": "0.5",
        # Its steps' batch requests coalesced, as deployed (qoima.chain.tasks).
        "CHAIN_BATCH_REQUEST_SECONDS": "0.1",
        **extra_env,
    }
    log = factory.tmp_path / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runmatcher", "--name", name],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    matcher = WorkerProcess(factory.queue, process, log)
    factory.started.append(matcher)
    return matcher


def heard_from(name: str) -> bool:
    return MatcherHeartbeat.objects.filter(name=name).exists()


def nothing_received(market: Market) -> bool:
    return not Order.objects.filter(market=market, state=Order.State.RECEIVED).exists()


def trades_settled(worker: WorkerProcess, timeout: float = 120.0) -> None:
    def done() -> bool:
        chain_confirm.delay()
        return (
            Trade.objects.exists() and not Trade.objects.filter(state=Trade.State.PENDING).exists()
        )

    worker.wait_for(done, timeout=timeout)


def regulator_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.REGULATOR))
    return client


def member_client(party: Party) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(party.user)
    return client


def assert_reconciled(chain) -> None:
    """The chain's reconciliation run, the exchange's checks included, finds nothing, and
    the regulator reads so on the run's page and in its API."""
    index_until_head(w3=chain)
    run = reconcile(w3=chain)
    assert run.differences == 0, list(
        run.difference_rows.values_list("kind", "subject", "database_value", "chain_value")
    )
    client = regulator_client()
    page = client.get(reverse("registry-reconciliation-run", args=[run.pk]))
    assert page.status_code == 200
    assert "The ledger and the chain agree." in page.content.decode()
    answer = client.get(reverse("api-registry-reconciliation-differences", args=[run.pk]))
    assert answer.status_code == 200
    assert answer.json()["results"] == []


def cash(party: Party, kind: str = CashAccount.Kind.AVAILABLE) -> int:
    return CashAccount.objects.get(member__holder=party.holder, kind=kind).balance


def fills_of(party: Party) -> list[dict]:
    answer = member_client(party).get(reverse("api-fills"))
    assert answer.status_code == 200
    return answer.json()


def assert_orders_filled_once(market: Market) -> None:
    """No fill twice: each order's filled units are exactly its trades' and never more than
    its quantity; one trade per journal ``traded`` entry, each with a transfer of its own;
    the journal has no gap and no repeat."""
    traded: dict[int, int] = defaultdict(int)
    trades = list(Trade.objects.filter(market=market))
    for trade in trades:
        traded[trade.buy_order_id] += int(trade.quantity)
        traded[trade.sell_order_id] += int(trade.quantity)
    for order in Order.objects.filter(market=market):
        assert int(order.filled) == traded.get(order.pk, 0), order.pk
        assert int(order.filled) <= int(order.quantity), order.pk
    operations = [trade.operation_id for trade in trades]
    assert len(set(operations)) == len(operations)
    seqs = list(
        MarketEvent.objects.filter(market=market).order_by("seq").values_list("seq", flat=True)
    )
    market.refresh_from_db()
    assert seqs == list(range(1, market.last_seq + 1))
    assert MarketEvent.objects.filter(market=market, kind=MarketEvent.Kind.TRADED).count() == len(
        trades
    )
    assert sorted(t.seq for t in trades) == sorted(
        MarketEvent.objects.filter(market=market, kind=MarketEvent.Kind.TRADED).values_list(
            "seq", flat=True
        )
    )


def assert_books_balanced(floor_: Floor) -> None:
    """Cash and units conserved, nothing negative, nothing left pending."""
    assert not CashAccount.objects.filter(member__isnull=False, balance__lt=0).exists()
    assert not TokenBalance.objects.filter(Q(amount__lt=0) | Q(reserved__lt=0)).exists()
    members = Member.objects.filter(holder__in=[p.holder for p in floor_.parties])
    accounts = CashAccount.objects.filter(member__in=members)
    assert accounts.filter(kind=CashAccount.Kind.PENDING).aggregate(s=Sum("balance"))["s"] == 0
    fees = Trade.objects.filter(state=Trade.State.FINAL).aggregate(
        b=Sum("buyer_fee_tiyn"), s=Sum("seller_fee_tiyn")
    )
    fees_taken = (fees["b"] or 0) + (fees["s"] or 0)
    deposited = floor_.cash * len(floor_.buyers)
    assert accounts.aggregate(s=Sum("balance"))["s"] + fees_taken == deposited
    token = floor_.issued.token
    wallets = [p.wallet.address for p in floor_.parties]
    assert sum(token.balance_of(w) for w in wallets) == floor_.units * len(floor_.sellers)
    moved: dict[int, int] = defaultdict(int)
    for buyer, seller, units in Trade.objects.filter(state=Trade.State.FINAL).values_list(
        "buyer_id", "seller_id", "quantity"
    ):
        moved[buyer] += int(units)
        moved[seller] -= int(units)
    for i, party in enumerate(floor_.parties):
        start = floor_.units if i < len(floor_.sellers) else 0
        member = Member.objects.get(holder=party.holder)
        assert token.balance_of(party.wallet.address) == start + moved[member.pk]


# ------------------------------------------------------------------------------ 1. the matcher


def expected_matching(market: Market) -> tuple[list[tuple[int, int, int, int]], dict[int, int]]:
    """The fills and the book the pure engine gives for the market's orders in the order they
    came, as one matcher that never stopped would: (buy, sell, price, units) in sequence, and
    what each resting order has left."""
    book = engine.Book()
    fills = []
    for n, order in enumerate(Order.objects.filter(market=market).order_by("created_at", "pk")):
        outcome = engine.match(
            book,
            engine.Incoming(
                order.pk,
                order.member_id,
                order.side,
                order.price,
                int(order.quantity),
                engine.GTC,
                False,
                (n + 1) * 1_000,
            ),
            market.self_trade_prevention,
        )
        for event in outcome.events:
            if isinstance(event, engine.Fill):
                buy, sell = (
                    (order.pk, event.maker_order_id)
                    if order.side == Order.Side.BUY
                    else (event.maker_order_id, order.pk)
                )
                fills.append((buy, sell, event.price, event.quantity))
    resting = {}
    for order in Order.objects.filter(market=market):
        left = book.get(order.pk)
        if left is not None:
            resting[order.pk] = left.remaining
    return fills, resting


def test_a_matcher_killed_mid_stream_and_restarted_processes_every_order_once(
    worker_factory, chain
):
    # Started while the world is built.
    first = matcher_start(worker_factory, "first")
    world = floor(worker_factory, chain, sellers=2, buyers=2)
    market = world.market
    rng = random.Random(16)
    acknowledged: list[int] = []

    def batch(size: int, *, after: int | None = None, then=None) -> None:
        for _ in range(size):
            selling = rng.random() < 0.5
            party = rng.choice(world.sellers if selling else world.buyers)
            order = place(
                market,
                party,
                Order.Side.SELL if selling else Order.Side.BUY,
                rng.randint(1, 15),
                rng.randrange(9_700, 10_301, 100),
                f"stream-{len(acknowledged)}",
            )
            acknowledged.append(order.pk)
            if after is not None and len(acknowledged) == after and then is not None:
                then()

    first.wait_for(lambda: heard_from("first"))
    batch(10)
    first.wait_for(lambda: nothing_received(market))
    assert Trade.objects.exists()

    # Killed from outside while orders keep coming, whatever it was doing.
    batch(10, after=13, then=lambda: first.process.send_signal(signal.SIGKILL))
    assert first.wait_for_death() == -signal.SIGKILL
    market.refresh_from_db()
    written = (market.last_seq, MarketEvent.objects.count(), Trade.objects.count())
    waiting = set(
        Order.objects.filter(market=market, state=Order.State.RECEIVED).values_list("pk", flat=True)
    )
    assert waiting

    # Killed at the worst point: the step ran the engine and wrote everything, uncommitted.
    crashing = matcher_start(worker_factory, "crashing", QOIMA_CRASH_AT="matcher_step_written")
    assert crashing.wait_for_death() == -signal.SIGKILL
    market.refresh_from_db()
    assert (market.last_seq, MarketEvent.objects.count(), Trade.objects.count()) == written
    assert waiting <= set(
        Order.objects.filter(market=market, state=Order.State.RECEIVED).values_list("pk", flat=True)
    )

    batch(10)  # while no matcher runs
    last = matcher_start(worker_factory, "last")
    batch(10)  # while the new one rebuilds its book and catches up
    last.wait_for(lambda: nothing_received(market), timeout=60)
    last.stop()

    # Every acknowledged order processed, exactly once.
    assert sorted(Order.objects.filter(market=market).values_list("pk", flat=True)) == sorted(
        acknowledged
    )
    assert nothing_received(market)
    assert_orders_filled_once(market)
    # The same fills and the same book as a matcher that never stopped: the book was rebuilt
    # from the resting orders, and orders after the restart met those placed before it.
    fills, resting = expected_matching(market)
    assert [
        (t.buy_order_id, t.sell_order_id, t.price, int(t.quantity))
        for t in Trade.objects.filter(market=market).order_by("seq")
    ] == fills
    assert {
        o.pk: int(o.quantity) - int(o.filled)
        for o in Order.objects.filter(market=market, state__in=Order.OPEN_STATES)
    } == resting
    # The book anyone reads: resting units by price.
    depth = member_client(world.buyers[0]).get(reverse("api-market-book", args=[market.pk]))
    shown = {
        (level["price"], level["units"])
        for side in ("bids", "asks")
        for level in depth.json()[side]
    }
    by_price: Counter[int] = Counter()
    for order_id, left in resting.items():
        by_price[Order.objects.get(pk=order_id).price] += left
    assert {(price, str(units)) for price, units in by_price.items()} == {
        (int(price), units) for price, units in shown
    }

    trades_settled(world.worker)
    assert not Trade.objects.exclude(state=Trade.State.FINAL).exists()
    assert_books_balanced(world)
    assert_reconciled(chain)


# ------------------------------------------------------------------------------ 2. the worker


@pytest.mark.parametrize("point", ["after_sign", "after_broadcast"])
def test_a_worker_killed_between_match_and_settlement_settles_the_trade_once(
    worker_factory, chain, point
):
    world = floor(worker_factory, chain, sellers=1, buyers=1)
    world.worker.stop()
    crashing = worker_factory.start(QOIMA_CRASH_AT=point)
    (seller,), (buyer,) = world.sellers, world.buyers
    place(world.market, seller, Order.Side.SELL, 5, PRICE, "sell-1")
    place(world.market, buyer, Order.Side.BUY, 5, PRICE, "buy-1")
    market_step(market_id=world.market.pk)
    trade = Trade.objects.get()
    # 500.00 ₸, the buyer pays the taker's 0.2 %.
    paid = trade.amount_tiyn + trade.buyer_fee_tiyn
    assert (trade.state, trade.amount_tiyn, paid) == (Trade.State.PENDING, 50_000, 50_100)

    assert crashing.wait_for_death() == -signal.SIGKILL
    tx = ChainTransaction.objects.get(operations=trade.operation_id)
    if point == "after_sign":
        # Signed and saved, never sent: the chain has not seen the nonce.
        assert chain.eth.get_transaction_count(tx.from_address, "pending") == tx.nonce
    else:
        # On-chain, while the platform's record of it stopped short.
        assert chain.eth.get_transaction_receipt(tx.attempts.get().tx_hash)["status"] == 1
    trade.refresh_from_db()
    assert trade.state == Trade.State.PENDING
    assert cash(buyer, CashAccount.Kind.PENDING) == paid
    assert [f["state"] for f in fills_of(buyer)] == ["pending"]

    worker = worker_factory.start()
    chain_sweep.delay()
    trades_settled(worker)
    # More receipts followed and the handler run again change nothing.
    for _ in range(3):
        chain_confirm.delay()
    worker.wait_for(lambda: not Operation.objects.exclude(state=Operation.State.CONFIRMED).exists())
    trade.refresh_from_db()
    assert trade.state == Trade.State.FINAL
    assert Posting.objects.filter(key=f"trade.settled:{trade.pk}").count() == 1
    assert (
        AuditEntry.objects.filter(
            action=AuditAction.EXCHANGE_TRADE_SETTLED, object_id=str(trade.pk)
        ).count()
        == 1
    )
    assert len(mined_attempts(tx, chain)) == 1
    token = world.issued.token
    assert token.is_ref_used(trade.operation_id)
    assert (token.balance_of(buyer.wallet.address), token.balance_of(seller.wallet.address)) == (
        5,
        world.units - 5,
    )
    assert cash(buyer) == world.cash - paid
    assert cash(buyer, CashAccount.Kind.PENDING) == 0
    assert cash(seller) == trade.amount_tiyn - trade.seller_fee_tiyn
    assert [f["state"] for f in fills_of(buyer)] == ["final"]
    assert [(f["state"], f["side"]) for f in fills_of(seller)] == [("final", "sell")]
    assert_books_balanced(world)
    assert_reconciled(chain)


# ------------------------------------------------------------------------------ 3. frozen


def test_a_seller_frozen_between_match_and_mining_breaks_the_trade(worker_factory, chain):
    world = floor(worker_factory, chain, sellers=1, buyers=1)
    # Nothing sends the trade's transfer until the freeze is on-chain.
    world.worker.stop()
    (seller,), (buyer,) = world.sellers, world.buyers
    place(world.market, seller, Order.Side.SELL, 7, PRICE, "sell-1")
    place(world.market, buyer, Order.Side.BUY, 7, PRICE, "buy-1")
    market_step(market_id=world.market.pk)
    trade = Trade.objects.get()
    assert trade.state == Trade.State.PENDING

    registry = PlatformRegistry(chain, PlatformDeployment.objects.get().registry_address)
    registry.set_frozen(platform_keys()[2], seller.wallet.address, True, b"\x03" * 32)

    worker = worker_factory.start()
    chain_sweep.delay()
    trades_settled(worker)
    trade.refresh_from_db()
    assert (trade.state, trade.reason) == (Trade.State.BROKEN, "RegistryFrozen")
    # The buyer has every tiyn back; the seller keeps every unit, none reserved.
    assert cash(buyer) == world.cash
    assert cash(buyer, CashAccount.Kind.HELD) == cash(buyer, CashAccount.Kind.PENDING) == 0
    assert cash(seller) == 0
    token = world.issued.token
    assert token.balance_of(seller.wallet.address) == world.units
    assert token.balance_of(buyer.wallet.address) == 0
    assert not token.is_ref_used(trade.operation_id)
    index_until_head(w3=chain)
    balance = TokenBalance.objects.get(token_address=token.address, holder=seller.wallet.address)
    assert (int(balance.amount), int(balance.reserved)) == (world.units, 0)
    assert (
        AuditEntry.objects.filter(
            action=AuditAction.EXCHANGE_TRADE_BROKEN, object_id=str(trade.pk)
        ).count()
        == 1
    )

    # Both members read why, in the API and on the market's page.
    why = "A party's wallet was frozen before the transfer was mined"
    for party, side in ((buyer, "buy"), (seller, "sell")):
        (fill,) = fills_of(party)
        assert (fill["side"], fill["state"], fill["reason"]) == (side, "broken", "RegistryFrozen")
        assert why in fill["reason_label"]
        page = member_client(party).get(reverse("exchange-trade", args=[world.market.pk]))
        text = page.content.decode()
        assert "Broken" in text
        assert escape(why) in text
    # The regulator's broken trades.
    listing = regulator_client().get(reverse("registry-exchange-trades"), {"state": "broken"})
    assert listing.status_code == 200
    text = listing.content.decode()
    assert text.count('data-testid="trade-row"') == 1
    assert f"#{trade.seq}" in text
    assert "RegistryFrozen" in text
    assert "Broken" in text
    assert escape(why) in text
    assert f"transfer #{trade.operation_id}" in text
    assert_books_balanced(world)
    assert_reconciled(chain)


# ------------------------------------------------------------------------------ 4. duplicates


def test_the_same_order_sent_at_once_from_several_clients_is_one_order_one_hold(
    worker_factory, chain
):
    world = floor(worker_factory, chain, sellers=1, buyers=1)
    (seller,), (buyer,) = world.sellers, world.buyers
    body = {
        "market": world.market.pk,
        "client_order_id": "twice-1",
        "side": "buy",
        "type": "limit",
        "price": "100.00",
        "quantity": "6",
    }
    clients = 4
    barrier = threading.Barrier(clients)
    answers: list[tuple[int, dict]] = []
    failures: list[BaseException] = []

    def send() -> None:
        try:
            client = member_client(buyer)
            barrier.wait(timeout=30)
            response = client.post(reverse("api-orders"), body, content_type="application/json")
            answers.append((response.status_code, response.json()))
        except BaseException as error:  # reported by the test's thread below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert sorted(status for status, _ in answers) == [200] * (clients - 1) + [201]
    (order_id,) = {answer["id"] for _, answer in answers}
    order = Order.objects.get(pk=order_id)
    # 600.00 ₸ and the 0.2 % taker fee, held once.
    held = 60_120
    assert Order.objects.filter(member=order.member).count() == 1
    assert (
        Posting.objects.filter(kind=Posting.Kind.ORDER_HELD, reference=f"order:{order.pk}").count()
        == 1
    )
    assert (cash(buyer), cash(buyer, CashAccount.Kind.HELD)) == (world.cash - held, held)
    listed = member_client(buyer).get(reverse("api-orders")).json()
    assert [(o["client_order_id"], o["held"]) for o in listed] == [("twice-1", "601.20")]

    place(world.market, seller, Order.Side.SELL, 6, PRICE, "sell-1")
    market_step(market_id=world.market.pk)
    trades_settled(world.worker)
    assert [(f["state"], f["quantity"]) for f in fills_of(buyer)] == [("final", "6")]
    assert_books_balanced(world)
    assert_reconciled(chain)


# ------------------------------------------------------------------------------ 5. contention


def test_eight_processes_trading_at_once_fill_nothing_twice(worker_factory, chain):
    # Two matchers, taking turns on the market's book; they start while the world is built.
    matchers = [matcher_start(worker_factory, name) for name in ("left", "right")]
    world = floor(worker_factory, chain, sellers=4, buyers=4, units=400, cash=3_000_000)
    market = world.market
    for matcher in matchers:
        matcher.wait_for(lambda m=matcher: heard_from(m.log.stem))
    # Forked, each with a connection of its own: none shares the test's.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(world.parties))
    results = context.Queue()
    processes = [
        context.Process(
            target=orders_placed,
            kwargs={
                "database_url": database_url(),
                "queue": worker_factory.queue,
                "username": party.user.username,
                "market_id": market.pk,
                "side": "sell" if party in world.sellers else "buy",
                "count": 15,
                "seed": i,
                "barrier": barrier,
                "results": results,
            },
        )
        for i, party in enumerate(world.parties)
    ]
    for process in processes:
        process.start()
    placed = [results.get(timeout=150) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    acknowledged = [pk for _user, pks, _refused in placed for pk in pks]
    assert len(acknowledged) == len(set(acknowledged)) > 100

    matchers[0].wait_for(lambda: nothing_received(market), timeout=60)
    for matcher in matchers:
        matcher.stop()
    assert sorted(Order.objects.filter(market=market).values_list("pk", flat=True)) == sorted(
        acknowledged
    )
    assert_orders_filled_once(market)
    assert Trade.objects.count() > 10

    trades_settled(world.worker, timeout=150)
    assert not Trade.objects.exclude(state=Trade.State.FINAL).exists()
    # Each member's fills, as they read them, are its side of the trades.
    for party in world.parties:
        member = Member.objects.get(holder=party.holder)
        mine = Trade.objects.filter(Q(buyer=member) | Q(seller=member)).count()
        assert [f["state"] for f in fills_of(party)] == ["final"] * mine
    assert_books_balanced(world)
    assert_reconciled(chain)
