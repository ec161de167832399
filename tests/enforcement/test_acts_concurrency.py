"""A wallet's freeze against the holder's own placements and transfers, from several threads at
once: no deadlock, each placement either comes before the freeze (and the freeze cancels it) or
after it (and is refused), and nothing else goes wrong."""

from django.conf import settings

from qoima.chain.models import Operation, TokenBalance
from qoima.custody.selectors import custodial_wallet
from qoima.errors import ApplicationError
from qoima.exchange.models import Order, OrderChange
from qoima.exchange.services import order_place, transfer_request
from tests.exchange.trading import deposit, make_market
from tests.issuance.conftest import make_world
from tests.threads import together

from .acts import K, ask

THREADS = 8


def test_a_wallet_freeze_against_the_holders_own_orders_and_transfers(committed_db):
    trading = make_market(make_world(holder_count=2))
    world = trading.world
    holder, other = world.holders
    deposit(holder, 10_000_000)
    distribute = trading.application
    # The holder's units as the indexer would have recorded them.
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=distribute.token_address,
        holder=custodial_wallet(holder).address,
        amount=1_000,
    )

    def work(i):
        if i == 0:
            return ask(world.officer_a, K.FREEZE_WALLET, subject=holder.identification_number)
        if i % 2:
            return order_place(
                actor=holder.user,
                market_id=trading.market.pk,
                client_order_id=f"c{i}",
                side="buy",
                type="limit",
                time_in_force="gtc",
                price=100_000,
                quantity=100,
            )
        return transfer_request(
            actor=holder.user,
            token_address=distribute.token_address,
            receiver_number=other.identification_number,
            amount="0.01",
            idempotency_key=f"t{i}",
        )

    results = together(THREADS, work)
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, ApplicationError)
    ]
    assert unexpected == []
    refusals = {r.code for r in results if isinstance(r, ApplicationError)}
    assert refusals <= {"wallet_frozen", "movement_restricted", "insufficient_balance"}
    # Every transfer asked for before the freeze was withdrawn by it; after, refused.
    transfers = Operation.objects.filter(kind="transfer", sender=custodial_wallet(holder).address)
    assert set(transfers.values_list("state", flat=True)) <= {"failed"}
    # Every order in the book was placed before the freeze, which asked to cancel it.
    for order in Order.objects.filter(member__holder=holder):
        assert OrderChange.objects.filter(
            order=order, kind="cancel", reason="wallet_frozen"
        ).exists(), order
