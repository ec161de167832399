"""A holder's history: every movement of their wallets, in and out, whoever made it."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qoima.chain.contracts import ZERO_ADDRESS
from qoima.chain.models import (
    Attempt,
    ChainTransaction,
    EventBlock,
    IndexerCursor,
    Operation,
    Receipt,
    TokenBalance,
    TokenTransfer,
)
from qoima.custody.models import Wallet
from tests.factories import OrganisationFactory
from tests.pages import visible_text

from .conftest import TOKEN

pytestmark = pytest.mark.django_db
OUTSIDE = "0x00000000000000000000000000000000DeaDBeef"
ISSUER_WALLET = "0x2000000000000000000000000000000000000002"
KINDS = ["external", "redemption", "distribution"]


class Chain:
    """Rows as the transaction manager and the indexer leave them for confirmed movements."""

    def __init__(self):
        self.block = 100
        self.log = 0

    def logged(self, sender, receiver, units, operation=None):
        self.block += 1
        at = timezone.now() - datetime.timedelta(hours=200 - self.block)
        EventBlock.objects.create(
            chain_id=settings.CHAIN_ID,
            number=self.block,
            block_hash=f"0x{self.block:064x}",
            timestamp=at,
        )
        return TokenTransfer.objects.create(
            chain_id=settings.CHAIN_ID,
            token_address=TOKEN,
            block_number=self.block,
            block_hash=f"0x{self.block:064x}",
            log_index=0,
            tx_hash=f"0x{self.block:064x}",
            sender=sender,
            receiver=receiver,
            amount=units,
            ref=operation.pk if operation else None,
            applied=True,
        )

    def requested(self, kind, sender, receiver, units, **fields):
        self.log += 1
        sent = ChainTransaction.objects.create(
            chain_id=settings.CHAIN_ID,
            from_address=ISSUER_WALLET,
            to_address=TOKEN,
            data="0x",
            function="recordTransfers",
            nonce=self.log,
            state="confirmed",
        )
        return Operation.objects.create(
            kind=kind,
            chain_id=settings.CHAIN_ID,
            token_address=TOKEN,
            sender=sender,
            receiver=receiver,
            amount=units,
            idempotency_key=f"op-{self.log}",
            state="confirmed",
            transaction=sent,
            **fields,
        )


@pytest.fixture
def moved(alice, bank, asset):
    """Alice received 1,500.00 by distribution, redeemed 200.00, and got 300.00 from a wallet
    outside the platform: 1,600.00 now (the fixture's 1,000.00 balance is replaced)."""
    issuer = OrganisationFactory(legal_name="ТОО «Абай Девелопмент»")
    Wallet.objects.create(
        organisation=issuer, kind="custodial", address=ISSUER_WALLET, encrypted_key=b"k"
    )
    chain = Chain()
    mint = chain.requested("mint", "", ISSUER_WALLET, 1_000_000)
    chain.logged(ZERO_ADDRESS, ISSUER_WALLET, 1_000_000, mint)
    distribution = chain.requested(
        "transfer", ISSUER_WALLET, alice.wallet.address, 150_000, purpose="issuance.distribution"
    )
    chain.logged(ISSUER_WALLET, alice.wallet.address, 150_000, distribution)
    burn = chain.requested("burn", alice.wallet.address, "", 20_000, purpose="issuance.redemption")
    chain.logged(alice.wallet.address, ZERO_ADDRESS, 20_000, burn)
    chain.logged(OUTSIDE, alice.wallet.address, 30_000)
    TokenBalance.objects.filter(holder=alice.wallet.address).update(amount=160_000)
    return alice


def page(user, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "en",
            [
                "From: ТОО «Абай Девелопмент» (940140000385)",
                "+1,500.00",
                "To: Redemption",
                "−200.00",
                "+300.00",
                "1,600.00",
            ],
        ),
        (
            "ru",
            ["ТОО «Абай Девелопмент» (940140000385)", "+1\xa0500,00", "−200,00", "+300,00"],
        ),
    ],
)
def test_the_wallet_page_shows_every_movement(moved, language, texts):
    html = page(moved.user, language).get(reverse("holder-transfers")).content.decode()
    for text in texts:
        assert text in html
    assert "No movements yet" not in html
    # Newest first: the deposit from outside, the redemption, the distribution.
    rows = [html.index(f'data-testid="movement-{kind}"') for kind in KINDS]
    assert rows == sorted(rows)
    # A wallet outside the platform has no name: its address is shown, copyable in full.
    outside = html[html.index('data-testid="movement-external"') :]
    outside = outside[: outside.index("</tr>")]
    assert OUTSIDE in visible_text(outside)
    assert f'data-copy="{OUTSIDE}"' in outside


def test_the_history_api_lists_every_movement_newest_first(moved):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(moved.user)
    body = client.get(reverse("api-wallet-history")).json()
    shown = [
        (
            m["kind"],
            m["direction"],
            m["counterparty"],
            m["counterparty_id_number"],
            m["amount"],
            m["state"],
            m["symbol"],
        )
        for m in body
    ]
    assert shown == [
        ("external", "in", OUTSIDE, "", "300.00", "confirmed", "ABAY10"),
        ("redemption", "out", "Redemption", "", "200.00", "confirmed", "ABAY10"),
        (
            "distribution",
            "in",
            "ТОО «Абай Девелопмент»",
            "940140000385",
            "1500.00",
            "confirmed",
            "ABAY10",
        ),
    ]
    assert all(m["tx_hash"] and m["block_number"] and m["time"] for m in body)


def test_a_requested_transfer_shows_its_live_state_once(moved, bank):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(moved.user)
    sent = client.post(
        reverse("api-transfers"),
        {"asset": TOKEN, "to": "950341000052", "amount": "12.50"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    ).json()
    for user, direction in ((moved.user, "out"), (bank.user, "in")):
        client.force_authenticate(user)
        newest = client.get(reverse("api-wallet-history")).json()[0]
        assert (newest["kind"], newest["direction"], newest["state"], newest["transfer_id"]) == (
            "transfer",
            direction,
            "pending",
            sent["id"],
        )
    # Once the chain logged it, it is one row, confirmed.
    operation = Operation.objects.get(exchange_transfer__pk=sent["id"])
    chain = Chain()
    chain.block = 500
    sent_tx = ChainTransaction.objects.create(
        chain_id=settings.CHAIN_ID,
        from_address=moved.wallet.address,
        to_address=TOKEN,
        data="0x",
        function="recordTransfers",
        nonce=99,
        state="confirmed",
    )
    attempt = Attempt.objects.create(
        transaction=sent_tx,
        chain_id=settings.CHAIN_ID,
        tx_hash="0x" + "77" * 32,
        raw=b"signed",
        max_fee_per_gas=1,
        max_priority_fee_per_gas=1,
    )
    Receipt.objects.create(
        attempt=attempt,
        tx_hash=attempt.tx_hash,
        block_number=501,
        block_hash="0x" + "01" * 32,
        status=1,
        gas_used=1,
    )
    Operation.objects.filter(pk=operation.pk).update(state="confirmed", transaction=sent_tx)
    # Confirmed in a block the indexer has not read yet: still shown, confirmed.
    IndexerCursor.objects.create(chain_id=settings.CHAIN_ID, block_number=500, applied_block=500)
    client.force_authenticate(moved.user)
    newest = client.get(reverse("api-wallet-history")).json()[0]
    assert (newest["transfer_id"], newest["state"], newest["block_number"]) == (
        sent["id"],
        "confirmed",
        501,
    )
    IndexerCursor.objects.update(block_number=501, applied_block=501)
    chain.logged(moved.wallet.address, bank.wallet.address, 1250, operation)
    client.force_authenticate(moved.user)
    body = client.get(reverse("api-wallet-history")).json()
    assert [m["transfer_id"] for m in body].count(sent["id"]) == 1
    assert body[0]["state"] == "confirmed"


def test_the_live_refresh_carries_the_new_balance(moved, bank):
    client = page(moved.user, "en")
    client.post(
        reverse("holder-transfers"),
        {
            "asset": TOKEN,
            "to": "950341000052",
            "amount": "100",
            "idempotency_key": client.get(reverse("holder-transfers"))
            .context["form"]
            .initial["idempotency_key"],
        },
    )
    TokenBalance.objects.filter(holder=moved.wallet.address).update(amount=150_000)
    live = client.get(reverse("holder-transfers-list"), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in live
    assert 'id="wallet"' in live
    assert 'hx-swap-oob="true"' in live
    # 1,500.00 held, 100.00 of it on its way out.
    assert "1,500.00" in live
    assert "1,400.00" in live
