"""A trade settles on-chain: the matcher matches, a real worker records the transfer on anvil,
and the confirmation makes the trade final and pays the seller."""

from django.conf import settings

from qoima.chain.deployment import platform_keys, platform_registry_ensure
from qoima.chain.indexer import index_until_head
from qoima.chain.models import Operation, PlatformToken
from qoima.chain.tasks import chain_confirm
from qoima.exchange.matching.matcher import market_step
from qoima.exchange.models import CashAccount, Market, Order, Trade
from tests.exchange.conftest import verified_holder
from tests.exchange.matching_world import Trader, deposit, place
from tests.factories import make_user
from tests.onchain import issued_token


def settled(kind: str) -> bool:
    # As beat would: follow receipts every time the test looks.
    chain_confirm.delay()
    return not Operation.objects.filter(kind=kind).exclude(state=Operation.State.CONFIRMED).exists()


def test_a_trade_settles_on_chain_and_becomes_final(worker_factory, chain):
    platform_registry_ensure(chain)
    worker = worker_factory.start()
    officer = make_user("compliance_officer")
    alice = verified_holder("alice", "791028302728", "individual", officer)
    bank = verified_holder("bank", "950341000052", "legal_entity", officer)
    worker.wait_for(lambda: settled("allowlist"))
    issued = issued_token(chain)
    issued.token.record_transfer(
        platform_keys()[1], issued.issuer, alice.wallet.address, 1_000, 10**15 + 7
    )
    index_until_head(w3=chain)
    token = PlatformToken.objects.get(chain_id=settings.CHAIN_ID, address=issued.token.address)
    # A whole-unit asset at 2,500.00 ₸ a unit, no fees to keep the sums plain.
    market = Market.objects.create(
        token=token,
        tick_tiyn=1,
        lot_units=1,
        min_units=1,
        max_units=1_000,
        band_bps=5_000,
        maker_fee_bps=0,
        taker_fee_bps=0,
        reference_price=250_000,
    )
    seller = Trader(deposit(alice.holder, 0), alice.holder, alice.wallet.address)
    buyer = Trader(deposit(bank.holder, 10_000_000), bank.holder, bank.wallet.address)
    place(market, seller, Order.Side.SELL, 4, 250_000)
    place(market, buyer, Order.Side.BUY, 4, 250_000)

    market_step(market_id=market.pk)
    trade = Trade.objects.get()
    assert (trade.state, trade.amount_tiyn) == (Trade.State.PENDING, 1_000_000)

    worker.wait_for(lambda: settled("transfer"))
    trade.refresh_from_db()
    assert trade.state == Trade.State.FINAL
    assert issued.token.is_ref_used(trade.operation_id)
    assert issued.token.balance_of(bank.wallet.address) == 4
    assert seller.cash(CashAccount.Kind.AVAILABLE) == 1_000_000
    assert buyer.cash(CashAccount.Kind.AVAILABLE) == 9_000_000
    assert buyer.cash(CashAccount.Kind.PENDING) == 0
