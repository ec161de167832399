"""Market data: depth, candles, ticker, the book replayed from the journal, the API and the
fragments every signed-in user reads."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qoima.exchange.models import MarketEvent, Order, Trade
from qoima.exchange.money import format_tenge
from qoima.exchange.selectors import market as selectors
from qoima.exchange.selectors.market import JournalEntry, book_replay
from qoima.participants.models import Role
from tests.factories import make_user

from .factories_market import Journal, make_market, make_member

pytestmark = pytest.mark.django_db
BUY, SELL = Order.Side.BUY, Order.Side.SELL
Kind = MarketEvent.Kind
ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
# 2026-12-05 10:00 in Almaty.
T0 = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=ALMATY)


@pytest.fixture
def world(alice, bank, asset):
    market = make_market(asset)
    journal = Journal(market=market, user=alice.user, at=T0)
    return market, journal, make_member(alice.holder), make_member(bank.holder)


def test_tenge_reads_per_language():
    assert format_tenge(123_450, language="ru") == "1\xa0234,50\xa0₸"
    assert format_tenge(123_450, language="en") == "1,234.50\xa0₸"
    assert format_tenge(None) == "—"


def test_depth_aggregates_levels_best_first(world):
    market, journal, a, b = world
    journal.order(b, BUY, 49_000, 100)
    journal.order(a, BUY, 49_000, 250)
    journal.order(b, BUY, 48_000, 10)
    journal.order(a, SELL, 51_000, 30)
    journal.order(a, SELL, 50_500, 20)
    partly = journal.order(b, SELL, 50_500, 40)
    Order.objects.filter(pk=partly.pk).update(filled=15, state=Order.State.PARTIALLY_FILLED)
    cancelled = journal.order(b, SELL, 50_000, 5)
    journal.cancel(cancelled)

    found = selectors.depth(market, levels=2)
    assert [(lv.price, lv.units, lv.orders) for lv in found.bids] == [
        (49_000, 350, 2),
        (48_000, 10, 1),
    ]
    assert [(lv.price, lv.units, lv.orders) for lv in found.asks] == [
        (50_500, 45, 2),
        (51_000, 30, 1),
    ]
    assert found.spread == 1_500
    assert found.bids[0].amount == 49_000 * 350 // 100
    assert [lv.price for lv in selectors.depth(market, levels=1).asks] == [50_500]


def test_candles_bucket_by_minute_hour_and_day(world):
    market, journal, a, b = world
    minute = datetime.timedelta(minutes=1)
    prices = [(T0, 50_000, 10), (T0 + minute / 2, 52_000, 5), (T0 + minute, 49_000, 1)]
    prices += [(T0 + datetime.timedelta(hours=1, seconds=5), 51_000, 2)]
    # Past midnight in Almaty (but the same UTC day): the next day's bar.
    prices += [(datetime.datetime(2026, 12, 6, 0, 30, tzinfo=ALMATY), 53_000, 4)]
    for at, price, quantity in prices:
        sell = journal.order(a, SELL, price, quantity, at=at)
        buy = journal.order(b, BUY, price, quantity, at=at)
        journal.trade(buy, sell, quantity, at=at)
    broken = journal.trade(
        journal.order(b, BUY, 90_000, 1, at=T0), journal.order(a, SELL, 90_000, 1, at=T0), 1, at=T0
    )
    Trade.objects.filter(pk=broken.pk).update(state=Trade.State.BROKEN)
    since, until = T0 - datetime.timedelta(days=2), T0 + datetime.timedelta(days=2)

    bars = selectors.candles(market, interval="1m", since=since, until=until)
    first = bars[0]
    assert (first.start, first.open, first.high, first.low, first.close) == (
        T0,
        50_000,
        52_000,
        50_000,
        52_000,
    )
    assert (first.units, first.trades, first.amount) == (15, 2, 5_000 + 2_600)
    assert [b.start for b in bars] == [
        T0,
        T0 + minute,
        T0 + datetime.timedelta(hours=1),
        datetime.datetime(2026, 12, 6, 0, 30, tzinfo=ALMATY),
    ]
    hours = selectors.candles(market, interval="1h", since=since, until=until)
    assert next((h.open, h.high, h.low, h.close, h.units) for h in hours) == (
        50_000,
        52_000,
        49_000,
        49_000,
        16,
    )
    days = selectors.candles(market, interval="1d", since=since, until=until)
    assert [(d.start.astimezone(ALMATY).date(), d.close, d.trades) for d in days] == [
        (datetime.date(2026, 12, 5), 51_000, 4),
        (datetime.date(2026, 12, 6), 53_000, 1),
    ]


def test_ticker_covers_the_last_day(world):
    market, journal, a, b = world
    now = T0 + datetime.timedelta(days=1, hours=2)
    for at, price in [
        (T0, 40_000),
        (T0 + datetime.timedelta(hours=3), 45_000),
        (T0 + datetime.timedelta(hours=20), 44_000),
    ]:
        journal.trade(
            journal.order(b, BUY, price, 100, at=at),
            journal.order(a, SELL, price, 100, at=at),
            100,
            at=at,
        )
    found = selectors.ticker(market, now=now)
    assert (found.last_price, found.base_price, found.high, found.low) == (
        44_000,
        40_000,
        45_000,
        44_000,
    )
    assert (found.units, found.amount, found.trades) == (200, 89_000, 2)
    assert (found.change, found.change_percent) == (4_000, 10.0)


def entry(seq, kind, order_id, side="buy", price=None, quantity=None, other=None, traded=0):
    return JournalEntry(seq, kind, order_id, side, price, quantity, other, traded)


def test_replay_rebuilds_the_book_entry_by_entry():
    journal = [
        entry(1, Kind.ACCEPTED, 1, BUY, 100, 10),
        entry(2, Kind.ACCEPTED, 2, BUY, 100, 5),
        entry(3, Kind.ACCEPTED, 3, SELL, 105, 7),
        # A sell of 8 arrives (order 4, never resting): 8 off order 1.
        entry(4, Kind.TRADED, 4, SELL, 100, 0, other=1, traded=8),
        # Order 2 amended down: keeps its place; order 3 to a new price: loses it.
        entry(5, Kind.AMENDED, 2, BUY, 100, 4),
        entry(6, Kind.AMENDED, 3, SELL, 104, 7),
        entry(7, Kind.ACCEPTED, 5, SELL, 104, 3),
        entry(8, Kind.SELF_TRADE_PREVENTED, 5, SELL, 104, 0),
        entry(9, Kind.ACCEPTED, 6, BUY, 101, 2),
        entry(10, Kind.CANCELLED, 6, BUY, 101, 0),
        entry(11, Kind.HALTED, None),
    ]
    book = book_replay(journal)
    assert [(o.order_id, o.price, o.units, o.priority) for o in book.side(BUY)] == [
        (1, 100, 2, 1),
        (2, 100, 4, 2),
    ]
    assert [(o.order_id, o.price, o.units, o.priority) for o in book.side(SELL)] == [(3, 104, 7, 6)]
    assert (book.seq, book.halted) == (11, True)
    assert [(lv.price, lv.units, lv.orders) for lv in book.levels(BUY, 0)] == [(100, 6, 2)]
    # Up to any entry: the book as it stood then.
    assert [(o.order_id, o.units) for o in book_replay(journal[:3]).side(BUY)] == [(1, 10), (2, 5)]
    assert book_replay([]).orders == {}


def test_replay_fills_a_resting_taker_and_empties_a_filled_maker():
    book = book_replay(
        [
            entry(1, Kind.ACCEPTED, 1, SELL, 100, 5),
            entry(2, Kind.ACCEPTED, 2, BUY, 101, 9),
            entry(3, Kind.TRADED, 2, BUY, 101, 4, other=1, traded=5),
            entry(4, Kind.EXPIRED, 9, BUY),
        ]
    )
    assert [(o.order_id, o.units) for o in book.side(BUY)] == [(2, 4)]
    assert book.side(SELL) == []


def test_book_at_any_moment_from_the_journal(world):
    market, journal, a, b = world
    minute = datetime.timedelta(minutes=1)
    resting = journal.order(a, SELL, 50_000, 100, at=T0)
    journal.order(a, SELL, 50_100, 10, at=T0 + minute)
    taker = journal.order(b, BUY, 50_000, 40, at=T0 + 2 * minute, accept=False)
    journal.trade(taker, resting, 40, at=T0 + 2 * minute)
    journal.cancel(resting, at=T0 + 3 * minute)

    def asks(moment):
        return [(o.price, o.units) for o in selectors.book_at(market, moment).side(SELL)]

    assert asks(T0 - minute) == []
    assert asks(T0 + minute) == [(50_000, 100), (50_100, 10)]
    assert asks(T0 + 2 * minute + datetime.timedelta(seconds=1)) == [(50_000, 60), (50_100, 10)]
    assert asks(T0 + 5 * minute) == [(50_100, 10)]


# ------------------------------------------------------------------------------ API and pages


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def traded(world):
    market, journal, a, b = world
    now = timezone.now()
    journal.order(a, SELL, 52_000, 500, at=now)
    sell = journal.order(a, SELL, 51_000, 300, at=now)
    journal.order(b, BUY, 49_000, 250, at=now)
    journal.trade(journal.order(b, BUY, 51_000, 125, at=now, accept=False), sell, 125, at=now)
    return market


def test_the_market_api_answers_every_signed_in_role(traded):
    market = traded
    for role in Role:
        client = api_for(make_user(role))
        listed = client.get(reverse("api-markets"))
        assert listed.status_code == 200
        assert [(m["symbol"], m["last_price"]) for m in listed.json()] == [("ABAY10", None)]
        book = client.get(reverse("api-market-book", args=[market.pk])).json()
        assert [(lv["price"], lv["quantity"], lv["orders"]) for lv in book["bids"]] == [
            (49_000, "2.50", 1)
        ]
        assert [(lv["price"], lv["units"]) for lv in book["asks"]] == [
            (51_000, "175"),
            (52_000, "500"),
        ]
        trades = client.get(reverse("api-market-trades", args=[market.pk])).json()
        assert [(t["price"], t["quantity"], t["side"], t["amount_tiyn"]) for t in trades] == [
            (51_000, "1.25", "buy", 63_750)
        ]
        candles = client.get(reverse("api-market-candles", args=[market.pk]), {"interval": "1m"})
        assert [(c["open"], c["close"], c["units"]) for c in candles.json()] == [
            (51_000, 51_000, "125")
        ]
        ticker = client.get(reverse("api-market-ticker", args=[market.pk])).json()
        assert (
            ticker["last_price"],
            ticker["quantity"],
            ticker["amount_tiyn"],
            ticker["change"],
        ) == (51_000, "1.25", 63_750, 1_000)
        assert client.get(reverse("api-market", args=[market.pk])).json()["taker_fee_bps"] == 20


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("api-market-candles", {}, "interval"),
        ("api-market-candles", {"interval": "5m"}, "interval"),
        ("api-market-book", {"levels": "0"}, "levels"),
        ("api-market-book", {"levels": "101"}, "levels"),
        ("api-market-book", {"levels": "²"}, "levels"),
        ("api-market-trades", {"limit": "-1"}, "limit"),
        ("api-market-trades", {"limit": "9" * 40}, "limit"),
    ],
)
def test_the_market_api_refuses_bad_parameters(traded, alice, name, params, field):
    response = api_for(alice.user).get(reverse(name, args=[traded.pk]), params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_the_market_api_needs_a_signed_in_user_and_a_market(traded, alice):
    assert APIClient().get(reverse("api-markets")).status_code in (401, 403)
    missing = api_for(alice.user).get(reverse("api-market-book", args=[traded.pk + 999]))
    assert missing.status_code == 404


PAGES = ["markets", "market-chart", "market-book", "market-trades", "market-ticker"]


def _url(name, market):
    return reverse(name) if name == "markets" else reverse(name, args=[market.pk])


@pytest.mark.parametrize("role", list(Role))
def test_market_pages_for_every_role(client, traded, role):
    client.force_login(make_user(role))
    for name in PAGES:
        response = client.get(_url(name, traded), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, name
    assert client.post(_url("market-book", traded)).status_code == 405


def test_market_pages_send_anonymous_users_to_sign_in(client, traded):
    for name in PAGES:
        response = client.get(_url(name, traded))
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_market_fragments_read_in_tenge(client, traded, alice):
    client.force_login(alice.user)
    client.cookies["django_language"] = "ru"
    markets = client.get(reverse("markets")).content.decode()
    assert "ABAY10" in markets
    assert "510,00\xa0₸" in markets
    book = client.get(reverse("market-book", args=[traded.pk])).content.decode()
    assert "490,00\xa0₸" in book
    assert "1,75\xa0ABAY10" in book
    assert f'hx-get="/exchange/markets/{traded.pk}/book/"' in book
    trades = client.get(reverse("market-trades", args=[traded.pk])).content.decode()
    assert "510,00\xa0₸" in trades
    assert "1,25\xa0ABAY10" in trades
    ticker = client.get(reverse("market-ticker", args=[traded.pk])).content.decode()
    assert "637,50\xa0₸" in ticker
    assert "10,00\xa0₸" in ticker
    chart = client.get(reverse("market-chart", args=[traded.pk])).content.decode()
    assert f'id="market-candles-{traded.pk}"' in chart
    assert "lightweight-charts.standalone.production.js" in chart
    assert "/exchange/market-chart.js" in chart
    client.cookies["django_language"] = "en"
    assert "510.00\xa0₸" in client.get(reverse("markets")).content.decode()


def test_the_markets_page_says_what_to_expect_when_empty(client, alice):
    client.force_login(alice.user)
    response = client.get(reverse("markets"), HTTP_ACCEPT_LANGUAGE="en")
    assert "No market is open yet." in response.content.decode()


def test_the_markets_page_reads_the_same_queries_for_more_markets(client, traded, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qoima.chain.models import PlatformToken

    client.force_login(alice.user)

    def count():
        client.get(reverse("markets"))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("markets")).status_code == 200
        return len(captured.captured_queries)

    few = count()
    for n in range(2):
        token = PlatformToken.objects.create(
            chain_id=traded.token.chain_id,
            address=f"0x20000000000000000000000000000000000000{n:02d}",
            asset_id="0x" + f"{n:02x}" * 32,
            block_number=1,
            name=f"Asset {n}",
            symbol=f"AST{n}",
            decimals=0,
        )
        make_market(token)
    assert count() == few
    assert client.get(reverse("markets")).content.decode().count('data-testid="market-row"') == 3
