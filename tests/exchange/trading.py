"""A market for the issued asset of ``make_world``, and cash for its members: shared by the
order and market tests, the API fuzz world and the walk."""

from dataclasses import dataclass

from django.db import transaction

from issuance.models import Application
from qoima.chain.models import PlatformToken
from qoima.exchange.models import CashAccount, Market, Member, Posting
from qoima.exchange.services import market_open
from qoima.exchange.services.cash import (
    Entry,
    member_accounts,
    member_ensure_in_transaction,
    platform_account,
    postings_write_in_transaction,
)
from qoima.exchange.services.markets import MarketSettings
from qoima.participants.models import HolderProfile, Role, User
from tests.factories import make_user
from tests.issuance.conftest import World, issued_without_chain

# A two-decimal asset: 0.50 ₸ ticks, lots of 1.00 unit, orders of 1.00 to 10 000.00 units,
# a band of 10 % around 1 000.00 ₸, fees of 0.10 % (maker) and 0.20 % (taker).
SETTINGS = MarketSettings(
    tick_tiyn=50,
    lot_units=100,
    min_units=100,
    max_units=1_000_000,
    band_bps=1000,
    maker_fee_bps=10,
    taker_fee_bps=20,
    self_trade_prevention="cancel_resting",
    reference_price=100_000,
)


@dataclass
class Trading:
    world: World
    application: Application
    token: PlatformToken
    market: Market
    admin: User


def make_market(world: World, *, units: int = 10_000_000) -> Trading:
    application = issued_without_chain(world, units=units)
    token = PlatformToken.objects.get(address=application.token_address)
    admin = make_user(Role.PLATFORM_ADMIN)
    market = market_open(actor=admin, token_id=token.pk, values=SETTINGS)
    return Trading(world, application, token, market, admin)


def deposit(holder: HolderProfile, tiyn: int, key: str = "") -> Member:
    """Cash in the holder's available account, as a matched bank deposit leaves it."""
    with transaction.atomic():
        member = member_ensure_in_transaction(holder=holder)
        available = member_accounts(member)[CashAccount.Kind.AVAILABLE]
        postings_write_in_transaction(
            [
                Entry(
                    kind=Posting.Kind.DEPOSIT,
                    key=key or f"test-deposit:{member.pk}:{tiyn}",
                    reference=f"deposit:{member.pk}",
                    legs=[
                        (platform_account(CashAccount.Kind.OMNIBUS).pk, -tiyn),
                        (available.pk, tiyn),
                    ],
                )
            ]
        )
    return member


def balances(member: Member) -> dict[str, int]:
    return {kind: account.balance for kind, account in member_accounts(member).items()}
