"""The market's chart, book and trades in the browser: lightweight-charts draws the candles
served with the page, and the fragments read in the page's language."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from qoima.chain.models import PlatformToken
from qoima.exchange.models import Order
from qoima.participants.models import HolderProfile, Role
from tests.exchange.conftest import verified_holder
from tests.exchange.factories_market import Journal, make_market, make_member
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_chart_draws_the_candles_and_the_book_reads_in_tenge(
    committed_db, live_server, page_factory
):
    officer = make_user(Role.COMPLIANCE_OFFICER)
    alice = verified_holder("alice", "791028302728", HolderProfile.Kind.INDIVIDUAL, officer)
    bank = verified_holder("bank", "950341000052", HolderProfile.Kind.LEGAL_ENTITY, officer)
    token = PlatformToken.objects.create(
        chain_id=settings.CHAIN_ID,
        address="0x1000000000000000000000000000000000000001",
        asset_id="0x" + "ab" * 32,
        block_number=1,
        name="Абай 10",
        symbol="ABAY10",
        decimals=2,
    )
    market = make_market(token)
    seller, buyer = make_member(alice.holder), make_member(bank.holder)
    now = timezone.now()
    journal = Journal(market=market, user=alice.user, at=now - datetime.timedelta(hours=5))
    for hours, price in [(5, 50_000), (3, 52_000), (1, 51_000)]:
        at = now - datetime.timedelta(hours=hours)
        sell = journal.order(seller, Order.Side.SELL, price, 100, at=at)
        taker = journal.order(buyer, Order.Side.BUY, price, 100, at=at, accept=False)
        journal.trade(taker, sell, 100, at=at)
    journal.order(buyer, Order.Side.BUY, 49_000, 250, at=now)

    page = page_factory("ru-RU")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}/exchange/markets/{market.pk}/chart/")
    page.wait_for_selector("[data-market-chart] canvas")
    assert page.locator("[data-market-chart] canvas").count() >= 1
    page.click("[data-candle-interval='1m']")
    page.wait_for_timeout(300)
    assert page.locator("[data-candle-interval='1m']").get_attribute("aria-pressed") == "true"
    assert errors == []

    page.goto(f"{live_server.url}/exchange/markets/")
    row = page.locator("[data-testid=market-row]")
    assert "510,00\xa0₸" in row.inner_text()
    page.goto(f"{live_server.url}/exchange/markets/{market.pk}/book/")
    assert "490,00\xa0₸" in page.locator("[data-testid=bid]").inner_text()
