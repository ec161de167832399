"""A broken trade says why to both members, in their fills and on the market's page, in words
that name neither party."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from qoima.chain.manager import operations_settled
from qoima.chain.manager.requests import operations_cancel
from qoima.chain.models import Operation
from qoima.exchange.matching.matcher import market_step
from qoima.exchange.models import Trade

from .matching_world import exchange

pytestmark = pytest.mark.django_db

SUSPENDED = "A party was suspended before the transfer was sent."
RETURNED = "The cash went back to the buyer and the units stayed with the seller."


def fills(user) -> list[dict]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client.get(reverse("api-fills")).json()


def test_both_members_read_why_their_trade_broke():
    ex = exchange()
    alice, bob, _ = ex.traders
    ex.sell(alice, 500)
    ex.buy(bob, 500)
    market_step(market_id=ex.market.pk)
    trade = Trade.objects.get()
    assert [(f["state"], f["reason"], f["reason_label"]) for f in fills(bob.user)] == [
        ("pending", "", "")
    ]

    with transaction.atomic():
        operations_cancel(addresses=[alice.wallet], code="HolderSuspended")
    trade.operation.refresh_from_db()
    assert trade.operation.state == Operation.State.FAILED
    with transaction.atomic():
        operations_settled([trade.operation])

    for trader, side in ((bob, "buy"), (alice, "sell")):
        (fill,) = fills(trader.user)
        assert (fill["side"], fill["state"], fill["reason"]) == (side, "broken", "HolderSuspended")
        assert fill["reason_label"] == f"{SUSPENDED} {RETURNED}"
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(trader.user)
        page = client.get(reverse("exchange-trade", args=[ex.market.pk])).content.decode()
        assert escape(f"{SUSPENDED} {RETURNED}") in page


def test_a_reason_without_words_of_its_own_says_the_transfer_failed():
    ex = exchange()
    alice, bob, _ = ex.traders
    ex.sell(alice, 5)
    ex.buy(bob, 5)
    market_step(market_id=ex.market.pk)
    Trade.objects.update(state=Trade.State.BROKEN, reason="SomethingNew")
    (fill,) = fills(bob.user)
    assert fill["reason_label"] == f"The on-chain transfer failed. {RETURNED}"
