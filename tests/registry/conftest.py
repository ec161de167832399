"""A regulator, and a ledger to supervise: written as the indexer writes it (no chain needed),
or made for real on anvil through the issuance services and the transaction manager."""

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from issuance import services
from issuance.models import Application
from qoima.chain.contracts import ZERO_ADDRESS
from qoima.chain.deployment import platform_registry_ensure
from qoima.chain.indexer import index_until_head
from qoima.chain.models import EventBlock, IndexerCursor, TokenBalance, TokenTransfer
from qoima.custody.selectors import custodial_wallet, organisation_wallet
from qoima.custody.services import wallet_allowlist_set_in_transaction
from qoima.participants.models import HolderProfile, Role, User
from tests.chain.conftest import run_until_settled
from tests.factories import make_user
from tests.issuance.conftest import World, issued_without_chain, make_world


def client_for(user: User | None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def regulator(db: None) -> User:
    return make_user(Role.REGULATOR)


@pytest.fixture
def regulator_client(regulator: User) -> Client:
    return client_for(regulator)


# ------------------------------------------------------------------------------ a ledger


@dataclass
class Ledger:
    """An issued asset, its holders and transfers as the indexer stores them."""

    world: World
    application: Application
    issuer_wallet: str
    wallets: list[str]
    transfers: list[TokenTransfer]
    # The day each block is on (one block per transfer).
    days: dict[int, datetime.date]

    @property
    def holders(self) -> list[HolderProfile]:
        return self.world.holders


def _hash(n: int) -> str:
    return "0x" + f"{n:064x}"


def make_ledger(*, holder_count: int = 3, rounds: int = 4) -> Ledger:
    """A mint of 1,000,000 units to the issuer, then ``rounds`` rounds of one transfer to each
    holder, a block and a day per transfer (the first day ten days ago), all applied."""
    world = make_world(holder_count=holder_count)
    application = issued_without_chain(world, units=0)
    TokenBalance.objects.filter(token_address=application.token_address).delete()
    issuer_wallet = organisation_wallet(application.organisation)
    assert issuer_wallet is not None
    wallets = []
    for holder in world.holders:
        wallet = custodial_wallet(holder)
        assert wallet is not None
        wallets.append(wallet.address)
    token = application.token_address
    chain_id = settings.CHAIN_ID
    start = timezone.localdate() - datetime.timedelta(days=10)
    moves: list[tuple[str, str, int]] = [(ZERO_ADDRESS, issuer_wallet.address, 1_000_000)]
    for round_ in range(rounds):
        moves += [(issuer_wallet.address, w, 100 * (round_ + 1)) for w in wallets]
    transfers, days = [], {}
    balances: dict[str, int] = {}
    for n, (sender, receiver, amount) in enumerate(moves, start=1):
        day = start + datetime.timedelta(days=(n - 1) // (holder_count or 1))
        days[n] = day
        moment = datetime.datetime.combine(
            day, datetime.time(12), tzinfo=timezone.get_default_timezone()
        )
        EventBlock.objects.create(
            chain_id=chain_id, number=n, block_hash=_hash(n), timestamp=moment
        )
        transfers.append(
            TokenTransfer.objects.create(
                chain_id=chain_id,
                token_address=token,
                block_number=n,
                block_hash=_hash(n),
                log_index=0,
                tx_hash=_hash(10_000 + n),
                sender=sender,
                receiver=receiver,
                amount=amount,
                ref=1_000 + n,
                applied=True,
            )
        )
        balances[receiver] = balances.get(receiver, 0) + amount
        if sender != ZERO_ADDRESS:
            balances[sender] -= amount
    for address, amount in balances.items():
        TokenBalance.objects.create(
            chain_id=chain_id, token_address=token, holder=address, amount=amount
        )
    IndexerCursor.objects.update_or_create(
        chain_id=chain_id, defaults={"block_number": len(moves), "applied_block": len(moves)}
    )
    return Ledger(world, application, issuer_wallet.address, wallets, transfers, days)


@pytest.fixture
def ledger(db: None) -> Ledger:
    return make_ledger()


# ------------------------------------------------------------------------------ on anvil


def settle(chain: Any, done: Any, rounds: int = 6) -> None:
    """Run the workers' steps in this process until ``done()`` holds."""
    for _ in range(rounds):
        run_until_settled(chain)
        if done():
            return
    raise AssertionError("the chain work did not settle")


def issued_on_chain(chain: Any) -> tuple[World, Application]:
    """An application issued and minted on anvil, and 12.50 sent to each of three holders."""
    platform_registry_ensure(chain)
    world = make_world(holder_count=3)
    for holder in world.holders:
        wallet = custodial_wallet(holder)
        assert wallet is not None
        with transaction.atomic():
            wallet_allowlist_set_in_transaction(
                wallet=wallet, allowed=True, event="verified", actor=world.officer_a
            )
    application = world.approved()
    services.application_confirm(officer=world.officer_b, application_id=application.pk)
    settle(
        chain,
        lambda: Application.objects.get(pk=application.pk).status == Application.Status.ISSUED,
    )
    application.refresh_from_db()
    index_until_head(w3=chain)
    for n, holder in enumerate(world.holders):
        services.distribution_send(
            actor=world.issuer,
            application_id=application.pk,
            receiver=holder.identification_number,
            amount="12.50",
            idempotency_key=f"registry-{n}",
        )
    settle(chain, lambda: TokenTransfer.objects.filter(ref__isnull=False).count() == 4)
    return world, application
