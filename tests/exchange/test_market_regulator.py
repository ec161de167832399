"""The regulator's view of the exchange: orders and trades with millisecond times, broken
trades, self-trade preventions, the book at a moment, the daily market report, and their
exports; read in Russian and English, refused for every other role."""

import csv
import datetime
import io
import json
import zoneinfo
from collections.abc import Iterator
from typing import cast

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from qoima.exchange.models import MarketEvent, Order, Trade
from qoima.participants.models import Role
from tests.factories import make_user

from .factories_market import Journal, make_market, make_member

pytestmark = pytest.mark.django_db
BUY, SELL = Order.Side.BUY, Order.Side.SELL
ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
T0 = datetime.datetime(2026, 12, 3, 10, 15, 30, 123_000, tzinfo=ALMATY)
SECOND = datetime.timedelta(seconds=1)
PAGES = [
    "registry-exchange-orders",
    "registry-exchange-trades",
    "registry-exchange-journal",
    "registry-exchange-book",
    "registry-exchange-daily",
]


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(cast(Iterator[bytes], response.streaming_content)).decode("utf-8")


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(body(response).removeprefix("\ufeff"))))


@pytest.fixture
def market_world(alice, bank, asset):
    """Alice sells, Bank buys: one trade final, one broken, a self-trade prevented and a
    cancellation, on 3 December 2026 (Almaty)."""
    market = make_market(asset)
    journal = Journal(market=market, user=alice.user, at=T0)
    seller, buyer = make_member(alice.holder), make_member(bank.holder)
    sell = journal.order(seller, SELL, 51_000, 300, at=T0)
    bid = journal.order(buyer, BUY, 49_000, 100, at=T0 + SECOND)
    taker = journal.order(buyer, BUY, 51_000, 100, at=T0 + 2 * SECOND, accept=False)
    final = journal.trade(taker, sell, 100, at=T0 + 2 * SECOND, state=Trade.State.FINAL)
    taker2 = journal.order(buyer, BUY, 51_000, 50, at=T0 + 3 * SECOND, accept=False)
    broken = journal.trade(taker2, sell, 50, at=T0 + 3 * SECOND, state=Trade.State.BROKEN)
    Trade.objects.filter(pk=broken.pk).update(reason="AccountFrozen")
    own = journal.order(seller, BUY, 51_000, 10, at=T0 + 4 * SECOND, accept=False)
    journal.event(
        MarketEvent.Kind.SELF_TRADE_PREVENTED,
        own,
        at=T0 + 4 * SECOND,
        other_order=sell,
        price=51_000,
        quantity=0,
        reason="cancel_incoming",
    )
    journal.cancel(bid, at=T0 + 5 * SECOND)
    return {
        "market": market,
        "final": final,
        "broken": broken,
        "sell": sell,
        "bid": bid,
        "journal": journal,
    }


@pytest.mark.parametrize("role", [r for r in Role if r != Role.REGULATOR])
def test_only_the_regulator_reads_the_exchange_pages(market_world, role):
    client = client_for(make_user(role))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403, name


def test_anonymous_users_are_sent_to_sign_in(market_world):
    for name in PAGES:
        response = client_for(None).get(reverse(name))
        assert response.status_code == 302
        assert "login" in response["Location"]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_exchange_page_reads_in_each_language(market_world, language):
    client = client_for(make_user(Role.REGULATOR), language)
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert f'lang="{language}"' in response.content.decode()


def test_orders_with_millisecond_times_filtered_by_member(market_world, bank):
    client = client_for(make_user(Role.REGULATOR), "ru")
    page = client.get(
        reverse("registry-exchange-orders"), {"member": bank.holder.identification_number}
    ).content.decode()
    assert page.count('data-testid="order-row"') == 3
    # 10:15:31.123 in Almaty, the bid's entry; and its price in tenge.
    assert "03.12.2026 10:15:31.123" in page
    assert "490,00\xa0₸" in page
    assert "Bank" in page
    everyone = client.get(reverse("registry-exchange-orders")).content.decode()
    assert everyone.count('data-testid="order-row"') == 5
    none_that_day = client.get(
        reverse("registry-exchange-orders"), {"date_from": "2026-12-04"}
    ).content.decode()
    assert 'data-testid="no-orders"' in none_that_day


def test_broken_trades_are_listed_with_their_reason(market_world):
    client = client_for(make_user(Role.REGULATOR))
    page = client.get(reverse("registry-exchange-trades"), {"state": "broken"}).content.decode()
    assert page.count('data-testid="trade-row"') == 1
    assert "AccountFrozen" in page
    assert "Broken" in page
    rows = csv_rows(client.get(reverse("registry-exchange-trades"), {"export": "csv"}))
    assert [(r["state"], r["price_kzt"], r["quantity_units"], r["amount_kzt"]) for r in rows] == [
        ("broken", "510.00", "50", "255.00"),
        ("final", "510.00", "100", "510.00"),
    ]
    assert rows[1]["matched_at"] == "2026-12-03T10:15:32.123+05:00"
    assert rows[1]["buyer_bin_iin"] == "950341000052"
    assert rows[1]["seller_bin_iin"] == "791028302728"


def test_a_trade_opens_its_on_chain_transfer(market_world, alice, bank):
    from django.conf import settings

    from qoima.chain.models import TokenTransfer

    final = market_world["final"]
    record = TokenTransfer.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=final.market.token.address,
        block_number=7,
        block_hash="0x" + "b" * 64,
        log_index=0,
        tx_hash="0x" + "c" * 64,
        sender=alice.wallet.address,
        receiver=bank.wallet.address,
        amount=100,
        ref=final.operation_id,
        applied=True,
    )
    page = client_for(make_user(Role.REGULATOR)).get(reverse("registry-exchange-trades"))
    text = page.content.decode()
    assert text.count('data-testid="trade-transfer"') == 1
    assert f'href="{reverse("registry-transfer", args=[record.pk])}"' in text


def test_self_trade_preventions_from_the_journal(market_world):
    client = client_for(make_user(Role.REGULATOR))
    page = client.get(reverse("registry-exchange-journal")).content.decode()
    assert page.count('data-testid="event-row"') == 1
    assert "Self-trade prevented" in page
    every = client.get(reverse("registry-exchange-journal"), {"kind": ""}).content.decode()
    assert every.count('data-testid="event-row"') == 6
    exported = json.loads(
        body(client.get(reverse("registry-exchange-journal"), {"export": "json"}))
    )
    assert [(e["kind"], e["reason"], e["member_bin_iin"]) for e in exported] == [
        ("self_trade_prevented", "cancel_incoming", "791028302728")
    ]


def test_the_book_at_a_moment(market_world):
    client = client_for(make_user(Role.REGULATOR), "ru")
    market = market_world["market"]
    url = reverse("registry-exchange-book")
    # After the bid rested and before the first trade.
    page = client.get(url, {"market": market.pk, "moment": "2026-12-03T10:15:31.500"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "490,00\xa0₸" in text
    assert "3,00\xa0ABAY10" in text
    # After both trades and the cancellation: 1.50 left to sell, no bid.
    later = client.get(url, {"market": market.pk, "moment": "2026-12-03T10:16"}).content.decode()
    assert "1,50\xa0ABAY10" in later
    assert "490,00\xa0₸" not in later
    before = client.get(url, {"market": market.pk, "moment": "2026-12-03T10:00"}).content.decode()
    assert 'data-testid="book-empty"' in before


def test_the_daily_market_report(market_world):
    client = client_for(make_user(Role.REGULATOR))
    params = {"date_from": "2026-12-01", "date_to": "2026-12-05"}
    page = client.get(reverse("registry-exchange-daily"), params).content.decode()
    assert page.count('data-testid="market-day"') == 1
    rows = csv_rows(client.get(reverse("registry-exchange-daily"), {**params, "export": "csv"}))
    assert rows == [
        {
            "day": "2026-12-03",
            "market": "ABAY10",
            "token_address": market_world["market"].token.address,
            "open_kzt": "510.00",
            "high_kzt": "510.00",
            "low_kzt": "510.00",
            "close_kzt": "510.00",
            "volume_units": "100",
            "volume_kzt": "510.00",
            "trades": "1",
            "orders_placed": "5",
            "orders_cancelled": "1",
            "broken_trades": "1",
        }
    ]


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("registry-exchange-orders", {"member": "12345"}, "at least 12 characters"),
        ("registry-exchange-orders", {"member": "12345678901x"}, "12 digits"),
        ("registry-exchange-orders", {"market": "999999"}, "Select a valid choice"),
        ("registry-exchange-trades", {"state": "lost"}, "Select a valid choice"),
        (
            "registry-exchange-trades",
            {"date_from": "2026-12-05", "date_to": "2026-12-01"},
            "before the start date",
        ),
        ("registry-exchange-journal", {"kind": "nope"}, "Select a valid choice"),
        ("registry-exchange-book", {"market": "1", "moment": "yesterday"}, "Enter a valid date"),
        ("registry-exchange-book", {"moment": "2026-12-03T10:00"}, "This field is required"),
        ("registry-exchange-daily", {"date_from": "2020-01-01", "date_to": "2026-01-01"}, "366"),
    ],
)
def test_bad_filters_are_a_400_with_the_reason(market_world, name, params, message):
    if params.get("market") == "1":
        params = {**params, "market": market_world["market"].pk}
    response = client_for(make_user(Role.REGULATOR)).get(reverse(name), params)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("name", [n for n in PAGES if n != "registry-exchange-book"])
def test_exports_refuse_an_unknown_format_before_the_first_byte(market_world, name):
    client = client_for(make_user(Role.REGULATOR))
    response = client.get(reverse(name), {"export": "xml"})
    assert response.status_code == 400
    assert not isinstance(response, StreamingHttpResponse)
    assert "csv or json" in response.content.decode()
    assert client.get(reverse(name), {"before": "abc"}).status_code == 400 or name.endswith("daily")
