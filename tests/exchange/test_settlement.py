"""Settlement, delivery versus payment: a trade's cash follows its transfer's outcome."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from qoima.audit.models import AuditEntry
from qoima.chain.manager import operations_settled
from qoima.chain.manager.requests import operations_cancel
from qoima.chain.models import Operation
from qoima.exchange.matching.matcher import market_step
from qoima.exchange.models import CashAccount, Posting, Trade
from qoima.exchange.services.cash import platform_account

from .matching_world import PRICE, exchange

pytestmark = pytest.mark.django_db

AVAILABLE = CashAccount.Kind.AVAILABLE
PENDING = CashAccount.Kind.PENDING


def traded():
    ex = exchange()
    alice, bob, _ = ex.traders
    ex.sell(alice, 500)
    ex.buy(bob, 500)
    market_step(market_id=ex.market.pk)
    return ex, alice, bob, Trade.objects.get()


def settle(operation: Operation, state: str) -> None:
    """As the confirmer hands a final operation over, in its transaction."""
    operation.state = state
    with transaction.atomic():
        operations_settled([operation])


def test_a_confirmed_transfer_makes_the_trade_final_and_pays_the_seller():
    _ex, alice, bob, trade = traded()
    # 500.00 ₸; the buyer took (0.2 % = 1.00 ₸), the seller made (0.1 % = 0.50 ₸).
    assert (bob.cash(PENDING), trade.buyer_fee_tiyn, trade.seller_fee_tiyn) == (50_100, 100, 50)
    fees = platform_account(CashAccount.Kind.FEES)

    settle(trade.operation, Operation.State.CONFIRMED)
    settle(trade.operation, Operation.State.CONFIRMED)  # handed over again: nothing more

    trade.refresh_from_db()
    assert trade.state == Trade.State.FINAL
    assert trade.settled_at is not None
    assert bob.cash(PENDING) == 0
    assert bob.cash(AVAILABLE) == 10_000_000 - 50_100
    assert alice.cash(AVAILABLE) == 10_000_000 + 50_000 - 50
    fees.refresh_from_db()
    assert fees.balance == 150
    assert Posting.objects.filter(reference=f"trade:{trade.pk}", kind="trade_settled").count() == 1
    entry = AuditEntry.objects.get(action="exchange.trade_settled")
    assert entry.object_id == str(trade.pk)
    assert entry.details["amount_tiyn"] == 50_000


def test_a_failed_transfer_breaks_the_trade_and_returns_the_cash():
    ex, alice, bob, trade = traded()
    assert ex.units(alice) == (100_000, 500)

    with transaction.atomic():
        operations_cancel(addresses=[alice.wallet], code="HolderSuspended")
    trade.operation.refresh_from_db()
    settle(trade.operation, Operation.State.FAILED)  # handed over again: nothing more

    trade.refresh_from_db()
    assert (trade.state, trade.reason) == (Trade.State.BROKEN, "HolderSuspended")
    assert (bob.cash(PENDING), bob.cash(AVAILABLE)) == (0, 10_000_000)
    assert alice.cash(AVAILABLE) == 10_000_000
    # The units stay with the seller, free again.
    assert ex.units(alice) == (100_000, 0)
    assert Posting.objects.filter(reference=f"trade:{trade.pk}", kind="trade_broken").count() == 1
    entry = AuditEntry.objects.get(action="exchange.trade_broken")
    assert entry.details["reason"] == "HolderSuspended"


def test_an_unknown_outcome_leaves_the_trade_settling():
    _ex, _alice, bob, trade = traded()
    settle(trade.operation, Operation.State.SUBMITTED)
    trade.refresh_from_db()
    assert trade.state == Trade.State.PENDING
    assert bob.cash(PENDING) == 50_100
    assert trade.price == PRICE


def test_the_members_fills_refresh_themselves_until_the_trade_is_final():
    _ex, _alice, bob, trade = traded()
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(bob.user)
    url = reverse("exchange-orders-live")
    with translation.override("ru"):
        settling, final = str(Trade.State.PENDING.label), str(Trade.State.FINAL.label)

    waiting = client.get(url).content.decode()
    assert f'data-testid="fill-{trade.pk}"' in waiting
    assert settling in waiting
    # The buy has filled: nothing of bob's waits for the matcher, but the fill's transfer is
    # still on its way, so the list keeps asking.
    assert 'hx-trigger="every 2s"' in waiting

    settle(trade.operation, Operation.State.CONFIRMED)
    done = client.get(url).content.decode()
    assert final in done
    assert "every 2s" not in done
