"""Two verified holders with custodial wallets, and an asset the platform has indexed."""

from dataclasses import dataclass

import pytest
from django.conf import settings

from qoima.chain.models import TokenBalance
from qoima.custody.models import Wallet
from qoima.participants.models import HolderProfile, Role, User
from qoima.participants.services import holder_register, holder_verify
from tests.factories import PASSWORD, make_user, token_row

TOKEN = "0x1000000000000000000000000000000000000001"
# 1,000.00 units of a two-decimal asset.
HELD = 100_000


@dataclass
class Party:
    user: User
    holder: HolderProfile
    wallet: Wallet


def verified_holder(username: str, number: str, kind: str, officer: User) -> Party:
    holder = holder_register(
        username=username,
        email=f"{username}@example.kz",
        password=PASSWORD,
        kind=kind,
        full_name=username.title(),
        identification_number=number,
    )
    holder = holder_verify(officer=officer, holder_id=holder.pk, document_ref=f"KYC-{username}")
    return Party(holder.user, holder, Wallet.objects.get(holder=holder))


@pytest.fixture
def officer(db):
    return make_user(Role.COMPLIANCE_OFFICER)


@pytest.fixture
def alice(officer):
    return verified_holder("alice", "791028302728", HolderProfile.Kind.INDIVIDUAL, officer)


@pytest.fixture
def bank(officer):
    return verified_holder("bank", "950341000052", HolderProfile.Kind.LEGAL_ENTITY, officer)


@pytest.fixture
def asset(alice):
    """An issued asset as the indexer records it, of which Alice's wallet holds 1,000.00."""
    token = token_row(TOKEN, symbol="ABAY10", decimals=2, name="Абай 10 үй-жайы")
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID, token_address=TOKEN, holder=alice.wallet.address, amount=HELD
    )
    return token
