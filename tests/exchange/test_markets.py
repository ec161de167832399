"""Markets: opened, changed, halted and resumed by the platform administrator alone, every
change audited with what it was and what it became, settings that would make an amount
inexact refused with what to change."""

from dataclasses import replace

import pytest
from django.test import Client
from django.urls import reverse

from qoima.audit.models import AuditEntry
from qoima.chain.models import PlatformToken
from qoima.errors import Conflict, InvalidInput, NotAllowed
from qoima.exchange.models import Market, OrderChange
from qoima.exchange.services import (
    market_halt,
    market_open,
    market_resume,
    market_update,
    order_place,
)
from qoima.participants.models import Role
from tests.factories import make_user
from tests.issuance.conftest import issued_without_chain, make_world

from .trading import SETTINGS, deposit, make_market

pytestmark = pytest.mark.django_db


def page_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def token():
    application = issued_without_chain(make_world(holder_count=1))
    return PlatformToken.objects.get(address=application.token_address)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"tick_tiyn": 1, "lot_units": 1},
            "A lot at one tick must come to a whole number of tiyn: 0.01 WHT3 at 0.01\xa0₸ "
            "does not. Make the lot or the tick larger.",
        ),
        ({"min_units": 150}, "The smallest order must be a whole number of lots of 1.00 WHT3."),
        ({"max_units": 150_050}, "The largest order must be a whole number of lots of 1.00 WHT3."),
        (
            {"min_units": 500, "max_units": 200},
            "The largest order must be at least the smallest, 5.00 WHT3.",
        ),
        (
            {"band_bps": 10_000},
            "The price band is between 1 and 9999 basis points (0.01 % to 99.99 %).",
        ),
        ({"taker_fee_bps": 1001}, "A fee is between 0 and 1000 basis points (10 %)."),
        (
            {"reference_price": 100_025},
            "The reference price must be a whole number of ticks of 0.50\xa0₸.",
        ),
        ({"self_trade_prevention": "nothing"}, "Choose a self-trade prevention mode."),
    ],
)
def test_settings_that_would_make_an_amount_inexact_are_refused(token, change, message):
    admin = make_user(Role.PLATFORM_ADMIN)
    with pytest.raises(InvalidInput) as refused:
        market_open(actor=admin, token_id=token.pk, values=replace(SETTINGS, **change))
    assert str(refused.value.message) == message
    assert not Market.objects.exists()


def test_only_the_platform_administrator_sets_markets(token):
    for role in (Role.HOLDER, Role.ISSUER_STAFF, Role.COMPLIANCE_OFFICER, Role.REGULATOR):
        with pytest.raises(NotAllowed, match="Markets are set by the platform administrator"):
            market_open(actor=make_user(role), token_id=token.pk, values=SETTINGS)
    admin = make_user(Role.PLATFORM_ADMIN)
    market_open(actor=admin, token_id=token.pk, values=SETTINGS)
    with pytest.raises(Conflict, match="This asset already has a market"):
        market_open(actor=admin, token_id=token.pk, values=SETTINGS)


def test_every_change_is_audited_with_before_and_after():
    trading = make_market(make_world(holder_count=1))
    opened = AuditEntry.objects.get(action="exchange.market_opened")
    assert opened.details["after"]["tick_tiyn"] == 50
    market_update(
        actor=trading.admin,
        market_id=trading.market.pk,
        values=replace(SETTINGS, taker_fee_bps=25, band_bps=500),
    )
    changed = AuditEntry.objects.get(action="exchange.market_changed")
    assert changed.details == {
        "before": {"band_bps": 1000, "taker_fee_bps": 20},
        "after": {"band_bps": 500, "taker_fee_bps": 25},
    }
    market_halt(actor=trading.admin, market_id=trading.market.pk, reason="regulator")
    market_resume(actor=trading.admin, market_id=trading.market.pk)
    halted = AuditEntry.objects.get(action="exchange.market_halted")
    resumed = AuditEntry.objects.get(action="exchange.market_resumed")
    assert (halted.details["before"], halted.details["after"], halted.details["reason"]) == (
        "open",
        "halted",
        "regulator",
    )
    assert (resumed.details["before"], resumed.details["after"]) == ("halted", "open")


def test_a_halt_asks_for_every_open_order_to_be_cancelled_and_takes_no_more():
    trading = make_market(make_world(holder_count=1))
    holder = trading.world.holders[0]
    deposit(holder, 1_000_000)
    order, _ = order_place(
        actor=holder.user,
        market_id=trading.market.pk,
        client_order_id="h",
        side="buy",
        type="limit",
        time_in_force="gtc",
        price=100_000,
        quantity=100,
    )
    market_halt(actor=trading.admin, market_id=trading.market.pk, reason="volatility")
    change = OrderChange.objects.get(order=order)
    assert (change.kind, change.reason) == ("cancel", "market_halted")
    with pytest.raises(Conflict, match="already halted"):
        market_halt(actor=trading.admin, market_id=trading.market.pk, reason="volatility")
    with pytest.raises(InvalidInput, match="Choose why the market is halted"):
        market_halt(actor=trading.admin, market_id=trading.market.pk, reason="because")

    text = (
        page_for(holder.user)
        .get(reverse("exchange-trade", args=[trading.market.pk]))
        .content.decode()
    )
    assert "Trading is halted: Unusual price movement." in text
    assert "cancel requested" in text


def test_the_administrator_opens_and_changes_a_market_through_the_pages(token):
    admin = make_user(Role.PLATFORM_ADMIN)
    client = page_for(admin)
    page = client.get(reverse("exchange-markets-manage"))
    assert "Open a market" in page.content.decode()
    form = {
        "token": token.pk,
        "tick": "0.50",
        "lot": "1",
        "min_quantity": "1",
        "max_quantity": "10000",
        "band_bps": 1000,
        "maker_fee_bps": 10,
        "taker_fee_bps": 20,
        "self_trade_prevention": "cancel_resting",
        "reference_price": "1000",
    }
    refused = client.post(
        reverse("exchange-markets-manage"), {**form, "lot": "0.01", "tick": "0.01"}
    )
    assert refused.status_code == 400
    assert "A lot at one tick must come to a whole number of tiyn" in refused.content.decode()
    opened = client.post(reverse("exchange-markets-manage"), form, follow=True)
    text = opened.content.decode()
    assert "The market is open." in text
    market = Market.objects.get()
    assert (market.tick_tiyn, market.lot_units, market.reference_price) == (50, 100, 100_000)
    assert "1,000.00\xa0₸" in text

    saved = client.post(
        reverse("exchange-market-manage", args=[market.pk]),
        {**form, "taker_fee_bps": 30},
        follow=True,
    )
    assert "The market&#x27;s settings are saved." in saved.content.decode() or (
        "The market's settings are saved." in saved.content.decode()
    )
    halted = client.post(
        reverse("exchange-market-halt", args=[market.pk]), {"reason": "technical"}, follow=True
    )
    assert "The market is halted; its open orders are being cancelled." in halted.content.decode()
    assert "Resume trading" in halted.content.decode()
    resumed = client.post(reverse("exchange-market-resume", args=[market.pk]), follow=True)
    assert "The market is open again." in resumed.content.decode()
    market.refresh_from_db()
    assert (market.status, market.taker_fee_bps) == ("open", 30)


def test_the_markets_page_lists_markets_for_holders_in_russian():
    trading = make_market(make_world(holder_count=1))
    text = page_for(trading.world.holders[0].user, "ru").get(reverse("markets")).content.decode()
    assert "WHT3" in text
    assert "1\xa0000,00\xa0₸" in text
    assert reverse("exchange-trade", args=[trading.market.pk]) in text


def test_the_markets_page_leads_issuers_to_the_offering_of_their_own_assets_only():
    trading = make_market(make_world(holder_count=1))
    # Another issuer's asset, listed too.
    other_token = PlatformToken.objects.create(
        chain_id=trading.token.chain_id,
        address="0x1000000000000000000000000000000000000001",
        asset_id="0x" + "cd" * 32,
        block_number=1,
        name="Абай 10",
        symbol="ABAY10",
        decimals=2,
    )
    other = market_open(actor=trading.admin, token_id=other_token.pk, values=SETTINGS)
    issuer = trading.world.issuer
    page = page_for(issuer).get(reverse("markets")).content.decode()
    offering = reverse("exchange-offering")
    assert f'href="{offering}?market={trading.market.pk}"' in page
    assert f"?market={other.pk}" not in page
    assert reverse("exchange-trade", args=[trading.market.pk]) not in page
    assert "Sell in this market" in page


def test_the_offering_page_shows_the_market_data_of_the_chosen_market():
    trading = make_market(make_world(holder_count=1))
    page = page_for(trading.world.issuer, "ru").get(
        reverse("exchange-offering"), {"market": trading.market.pk}
    )
    text = page.content.decode()
    assert page.status_code == 200
    for part in ("market-ticker", "market-book", "market-trades"):
        assert f'data-testid="{part}"' in text
    assert reverse("market-book", args=[trading.market.pk]) in text
    assert "1\xa0000,00\xa0₸" in text
    assert f'href="{reverse("markets")}"' in text


def test_the_trading_page_shows_the_market_data():
    trading = make_market(make_world(holder_count=1))
    deposit(trading.world.holders[0], 100_000)
    text = (
        page_for(trading.world.holders[0].user, "ru")
        .get(reverse("exchange-trade", args=[trading.market.pk]))
        .content.decode()
    )
    for part in ("market-ticker", "market-chart", "market-book", "market-trades"):
        assert f'data-testid="{part}"' in text
    assert reverse("market-trades", args=[trading.market.pk]) in text
