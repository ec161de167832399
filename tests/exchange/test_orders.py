"""Orders: placed with their cash held or units reserved in the same transaction, checked
against the market's rules with messages that name the amounts, cancelled and amended through
requests the matcher carries out, and idempotent by the member's client order id."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qoima.accounts.services import api_token_issue
from qoima.audit.models import AuditEntry
from qoima.chain.models import Hold, TokenBalance
from qoima.custody.selectors import custodial_wallet, organisation_wallet
from qoima.errors import Conflict, InvalidInput, NotAllowed
from qoima.exchange.models import Member, Order, OrderChange, Posting
from qoima.exchange.services import market_halt, order_amend, order_cancel, order_place
from qoima.participants.models import HolderProfile, User
from qoima.participants.selectors import user_role
from qoima.participants.services import holder_suspend
from tests.issuance.conftest import make_world

from .trading import balances, deposit, make_market

pytestmark = pytest.mark.django_db

BUY = {"side": "buy", "type": "limit", "time_in_force": "gtc"}
SELL = {"side": "sell", "type": "limit", "time_in_force": "gtc"}


@pytest.fixture
def trading():
    return make_market(make_world(holder_count=2))


def _holder_units(trading, holder, units):
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=trading.token.address,
        holder=custodial_wallet(holder).address,
        amount=units,
    )


def api_for(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def page_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_a_buy_holds_its_amount_and_the_taker_fee_in_the_same_transaction(trading):
    holder = trading.world.holders[0]
    member = deposit(holder, 1_000_000)
    # 5.00 units at 1 000.00 ₸: 5 000.00 ₸ and a fee of 0.20 %, 10.00 ₸.
    order, created = order_place(
        actor=holder.user,
        market_id=trading.market.pk,
        client_order_id="b-1",
        price=100_000,
        quantity=500,
        **BUY,
    )
    assert created
    assert (order.state, order.held_tiyn, order.reserved_units) == ("received", 501_000, 0)
    assert balances(member) == {"available": 499_000, "held": 501_000, "pending": 0}
    posting = Posting.objects.get(reference=f"order:{order.pk}")
    assert posting.kind == Posting.Kind.ORDER_HELD
    assert AuditEntry.objects.filter(
        action="exchange.order_placed", object_id=str(order.pk)
    ).exists()

    page = page_for(holder.user).get(reverse("exchange-trade", args=[trading.market.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "WHT3 market" in text
    assert f'data-testid="order-{order.pk}"' in text
    assert "1,000.00\xa0₸" in text
    assert "5.00\xa0WHT3" in text
    assert "Received" in text
    # Until the matcher takes the order, the lists refresh themselves.
    assert 'hx-trigger="every 2s"' in text
    live = page_for(holder.user).get(reverse("exchange-orders-live"), {"market": trading.market.pk})
    assert f'data-testid="order-{order.pk}"' in live.content.decode()
    Order.objects.filter(pk=order.pk).update(state=Order.State.OPEN)
    settled = page_for(holder.user).get(reverse("exchange-orders-live")).content.decode()
    assert "Open" in settled
    assert "every 2s" not in settled


def test_a_sell_reserves_its_units_in_the_chain_ledger(trading):
    holder = trading.world.holders[0]
    _holder_units(trading, holder, 1_000)
    order, _ = order_place(
        actor=holder.user,
        market_id=trading.market.pk,
        client_order_id="s-1",
        price=100_000,
        quantity=300,
        **SELL,
    )
    assert (order.held_tiyn, order.reserved_units) == (0, 300)
    hold = Hold.objects.get(key=f"exchange.order:{order.pk}")
    assert (hold.amount, hold.released_at) == (300, None)
    balance = TokenBalance.objects.get(holder=custodial_wallet(holder).address)
    assert (balance.amount, balance.reserved) == (1_000, 300)


def test_a_market_order_trades_at_the_band_edge_immediately_or_not_at_all(trading):
    holder = trading.world.holders[0]
    deposit(holder, 10_000_000)
    order, _ = order_place(
        actor=holder.user,
        market_id=trading.market.pk,
        client_order_id="m-1",
        side="buy",
        type="market",
        time_in_force="gtc",
        quantity=100,
    )
    # The band's top: 1 000.00 ₸ + 10 %.
    assert (order.price, order.time_in_force, order.post_only) == (110_000, "ioc", False)
    assert order.held_tiyn == 110_000 + 220


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"price": "1000.25"}, "The price must be a whole number of ticks of 0.50\xa0₸."),
        (
            {"price": "1200"},
            "The price must be between 900.00\xa0₸ and 1,100.00\xa0₸ (the band around the "
            "reference price, 1,000.00\xa0₸).",
        ),
        ({"price": ""}, "Give the price of a limit order."),
        ({"quantity": "1.50"}, "The quantity must be a whole number of lots of 1.00 WHT3."),
        ({"quantity": "20000"}, "The largest order is 10,000.00 WHT3."),
        ({"quantity": "1.001"}, "This asset has 2 decimal places; the amount has more."),
        ({"quantity": "-1"}, "The amount must be above zero."),
        (
            {"quantity": "100"},
            "You have 50,000.00\xa0₸ available; this needs 100,200.00\xa0₸ "
            "(the amount and the fee).",
        ),
        ({"time_in_force": "gtd"}, "Give the date the order is good till."),
        (
            {"time_in_force": "gtd", "expires_at": "2020-01-01T00:00:00Z"},
            "The good-till date must be in the future.",
        ),
        (
            {"time_in_force": "ioc", "post_only": True},
            "A post-only order rests in the book: make it good till cancelled or a date.",
        ),
    ],
)
def test_an_order_against_the_rules_is_refused_with_the_amounts_and_changes_nothing(
    trading, body, message
):
    holder = trading.world.holders[0]
    member = deposit(holder, 5_000_000)
    request = {
        "market": trading.market.pk,
        "client_order_id": "c-1",
        "side": "buy",
        "price": "1000",
        "quantity": "2",
        **body,
    }
    response = api_for(holder.user).post(reverse("api-orders"), request, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == message
    assert not Order.objects.exists()
    assert balances(member) == {"available": 5_000_000, "held": 0, "pending": 0}


def test_a_sell_of_more_units_than_available_names_both_amounts(trading):
    holder = trading.world.holders[0]
    _holder_units(trading, holder, 250)
    response = api_for(holder.user).post(
        reverse("api-orders"),
        {
            "market": trading.market.pk,
            "client_order_id": "s",
            "side": "sell",
            "price": "1000",
            "quantity": "3",
        },
        format="json",
    )
    assert response.status_code == 400
    assert (
        response.json()["detail"] == "You have 2.50 WHT3 available to sell; this needs 3.00 WHT3."
    )
    assert not Order.objects.exists()
    assert not Hold.objects.exists()


def test_a_halted_market_and_an_unverified_or_suspended_holder_place_nothing(trading):
    holder, other = trading.world.holders
    deposit(holder, 5_000_000)
    market_halt(actor=trading.admin, market_id=trading.market.pk, reason="technical")
    with pytest.raises(Conflict, match="This market is halted \\(A technical problem\\)"):
        order_place(
            actor=holder.user,
            market_id=trading.market.pk,
            client_order_id="x",
            price=100_000,
            quantity=100,
            **BUY,
        )
    HolderProfile.objects.filter(pk=other.pk).update(
        verification_status=HolderProfile.Status.UNVERIFIED
    )
    with pytest.raises(NotAllowed, match="Only a verified holder can place orders"):
        order_place(
            actor=other.user,
            market_id=trading.market.pk,
            client_order_id="x",
            price=100_000,
            quantity=100,
            **BUY,
        )
    holder_suspend(officer=trading.world.officer_a, holder_id=holder.pk, reason="Court order")
    with pytest.raises(NotAllowed, match="Your account is suspended"):
        order_place(
            actor=holder.user,
            market_id=trading.market.pk,
            client_order_id="y",
            price=100_000,
            quantity=100,
            **BUY,
        )
    assert not Order.objects.exists()


def test_the_client_order_id_makes_a_resubmission_harmless(trading):
    holder = trading.world.holders[0]
    member = deposit(holder, 1_000_000)
    client = api_for(holder.user)
    body = {
        "market": trading.market.pk,
        "client_order_id": "k-1",
        "side": "buy",
        "price": "1000",
        "quantity": "2",
    }
    first = client.post(reverse("api-orders"), body, format="json")
    assert first.status_code == 201, first.content
    shown = first.json()
    assert (shown["price"], shown["quantity"], shown["held"], shown["state"]) == (
        "1000.00",
        "2.00",
        "2004.00",
        "received",
    )
    again = client.post(reverse("api-orders"), body, format="json")
    assert (again.status_code, again.json()["id"]) == (200, shown["id"])
    conflict = client.post(reverse("api-orders"), {**body, "quantity": "3"}, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == "This client order id was used for another order."
    assert Order.objects.count() == 1
    assert balances(member)["held"] == 200_400


def test_a_new_order_answers_as_it_reads_back_and_the_api_adds_two_statements(trading):
    """Around the placement itself the API reads the token with its user and the user's role,
    and nothing more (the placement reads the market): the answer is the order just written."""
    holder = trading.world.holders[0]
    deposit(holder, 10_000_000)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    _token, key = api_token_issue(user=holder.user, name="Trading bot", scope="write", days=30)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = {
        "market": trading.market.pk,
        "client_order_id": "a-1",
        "side": "buy",
        "price": "1000",
        "quantity": "2",
    }
    assert client.post(reverse("api-orders"), body, format="json").status_code == 201
    actor = User.objects.get(pk=holder.user.pk)
    user_role(actor)
    with CaptureQueriesContext(connection) as placing:
        order_place(
            actor=actor,
            market_id=trading.market.pk,
            client_order_id="s-1",
            price=100_000,
            quantity=200,
            **BUY,
        )
    with CaptureQueriesContext(connection) as posted:
        response = client.post(
            reverse("api-orders"), {**body, "client_order_id": "a-2"}, format="json"
        )
    assert response.status_code == 201, response.content
    assert len(posted) - len(placing) == 2, [query["sql"][:60] for query in posted]
    shown = response.json()
    assert (shown["state"], shown["held"], shown["cancel_requested"]) == (
        "received",
        "2004.00",
        False,
    )
    assert client.get(reverse("api-order", args=[shown["id"]])).json() == shown


def test_a_cancel_is_a_request_the_matcher_carries_out(trading):
    holder = trading.world.holders[0]
    deposit(holder, 1_000_000)
    order, _ = order_place(
        actor=holder.user,
        market_id=trading.market.pk,
        client_order_id="c",
        price=100_000,
        quantity=100,
        **BUY,
    )
    response = page_for(holder.user).post(
        reverse("exchange-order-cancel", args=[order.pk]), follow=True
    )
    text = response.content.decode()
    assert "Cancellation requested: the order leaves the book shortly." in text
    assert "cancel requested" in text
    change = OrderChange.objects.get(order=order)
    assert (change.kind, change.state, change.reason) == ("cancel", "received", "member_request")
    # The cash stays held until the matcher takes the order out of the book.
    order.refresh_from_db()
    assert order.held_tiyn == 100_200

    again = api_for(holder.user).post(reverse("api-order-cancel", args=[order.pk]))
    assert again.status_code == 409
    assert again.json()["detail"] == "A cancellation of this order is already requested."
    Order.objects.filter(pk=order.pk).update(state=Order.State.FILLED)
    closed = api_for(holder.user).post(reverse("api-order-cancel", args=[order.pk]))
    assert closed.status_code == 409
    assert closed.json()["detail"] == "This order is filled: it can no longer be changed."


def test_another_members_order_is_not_found(trading):
    holder, other = trading.world.holders
    deposit(holder, 1_000_000)
    order, _ = order_place(
        actor=holder.user,
        market_id=trading.market.pk,
        client_order_id="c",
        price=100_000,
        quantity=100,
        **BUY,
    )
    assert api_for(other.user).post(reverse("api-order-cancel", args=[order.pk])).status_code == 404
    assert api_for(other.user).get(reverse("api-order", args=[order.pk])).status_code == 404
    assert not OrderChange.objects.exists()


def test_an_amend_up_holds_the_extra_at_once_and_down_holds_nothing(trading):
    holder, seller = trading.world.holders
    member = deposit(holder, 1_000_000)
    order, _ = order_place(
        actor=holder.user,
        market_id=trading.market.pk,
        client_order_id="a",
        price=100_000,
        quantity=100,
        **BUY,
    )
    response = api_for(holder.user).post(
        reverse("api-order-amend", args=[order.pk]),
        {"price": "1010", "quantity": "2"},
        format="json",
    )
    assert response.status_code == 202, response.content
    assert (response.json()["new_price"], response.json()["new_quantity"]) == ("1010.00", "2.00")
    change = OrderChange.objects.get(order=order)
    # 2.00 at 1 010.00 ₸ = 2 020.00 ₸ + 4.04 ₸ fee; 1 002.00 ₸ was held.
    extra = Posting.objects.get(key=f"order.amend:{change.pk}")
    assert extra.legs.get(amount__gt=0).amount == 202_404 - 100_200
    order.refresh_from_db()
    assert order.held_tiyn == 202_404
    assert balances(member) == {"available": 1_000_000 - 202_404, "held": 202_404, "pending": 0}

    _holder_units(trading, seller, 1_000)
    sell, _ = order_place(
        actor=seller.user,
        market_id=trading.market.pk,
        client_order_id="s",
        price=100_000,
        quantity=200,
        **SELL,
    )
    order_amend(actor=seller.user, order_id=sell.pk, new_quantity=500)
    hold = Hold.objects.get(key__startswith=f"exchange.order:{sell.pk}:amend:")
    assert hold.amount == 300
    sell.refresh_from_db()
    assert sell.reserved_units == 500
    order_cancel(actor=seller.user, order_id=sell.pk)
    with pytest.raises(Conflict, match="already requested"):
        order_amend(actor=seller.user, order_id=sell.pk, new_quantity=100)


def test_an_amend_that_changes_nothing_or_breaks_the_rules_is_refused(trading):
    holder = trading.world.holders[0]
    deposit(holder, 1_000_000)
    order, _ = order_place(
        actor=holder.user,
        market_id=trading.market.pk,
        client_order_id="a",
        price=100_000,
        quantity=100,
        **BUY,
    )
    with pytest.raises(InvalidInput, match="Give a new price or a new quantity"):
        order_amend(actor=holder.user, order_id=order.pk, new_price=100_000)
    with pytest.raises(InvalidInput, match="whole number of ticks"):
        order_amend(actor=holder.user, order_id=order.pk, new_price=100_025)
    with pytest.raises(InvalidInput, match="lots of"):
        order_amend(actor=holder.user, order_id=order.pk, new_quantity=150)
    assert not OrderChange.objects.exists()


def test_suspending_a_holder_asks_for_the_cancellation_of_their_open_orders(trading):
    holder = trading.world.holders[0]
    deposit(holder, 1_000_000)
    orders = [
        order_place(
            actor=holder.user,
            market_id=trading.market.pk,
            client_order_id=f"o{n}",
            price=100_000,
            quantity=100,
            **BUY,
        )[0]
        for n in range(3)
    ]
    Order.objects.filter(pk=orders[2].pk).update(state=Order.State.FILLED)
    holder_suspend(officer=trading.world.officer_a, holder_id=holder.pk, reason="Court order 7")
    changes = OrderChange.objects.order_by("order_id")
    assert [(c.order_id, c.kind, c.reason) for c in changes] == [
        (orders[0].pk, "cancel", "holder_suspended"),
        (orders[1].pk, "cancel", "holder_suspended"),
    ]


def test_the_issuer_sells_its_own_units_from_its_wallet_and_buys_nothing(trading):
    issuer = trading.world.issuer
    order, _ = order_place(
        actor=issuer,
        market_id=trading.market.pk,
        client_order_id="ipo-1",
        price=100_000,
        quantity=10_000,
        **SELL,
    )
    assert order.member.organisation_id == issuer.organisation_id
    wallet = organisation_wallet(issuer.organisation)
    assert Hold.objects.get(key=f"exchange.order:{order.pk}").holder == wallet.address
    with pytest.raises(NotAllowed, match="An issuer sells its own units here"):
        order_place(
            actor=issuer,
            market_id=trading.market.pk,
            client_order_id="ipo-2",
            price=100_000,
            quantity=100,
            **BUY,
        )

    page = page_for(issuer).get(reverse("exchange-offering"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Offering" in text
    assert "WHT3 market" in text
    assert f'data-testid="order-{order.pk}"' in text
    assert "100.00\xa0WHT3" in text

    response = page_for(issuer).post(
        reverse("exchange-offering"),
        {
            "market": trading.market.pk,
            "side": "sell",
            "type": "limit",
            "time_in_force": "gtc",
            "price": "1050",
            "quantity": "5",
            "client_order_id": "ipo-3",
        },
        follow=True,
    )
    assert "The order is accepted; it enters the book in a moment." in response.content.decode()
    assert Order.objects.filter(client_order_id="ipo-3", member=order.member).exists()


def test_the_preview_shows_the_fee_and_the_total_the_placement_holds(trading):
    holder = trading.world.holders[0]
    client = page_for(holder.user)
    form = {
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "price": "1000",
        "quantity": "5",
        "client_order_id": "p-1",
    }
    text = client.post(reverse("exchange-preview", args=[trading.market.pk]), form).content.decode()
    assert "5,000.00\xa0₸" in text
    assert "10.00\xa0₸" in text
    assert "5,010.00\xa0₸" in text
    assert "Total held for this order" in text
    wrong = client.post(
        reverse("exchange-preview", args=[trading.market.pk]), {**form, "price": "1000.10"}
    ).content.decode()
    assert "The price must be a whole number of ticks of 0.50\xa0₸." in wrong

    ru = (
        page_for(holder.user, "ru")
        .post(
            reverse("exchange-preview", args=[trading.market.pk]), form, HTTP_ACCEPT_LANGUAGE="ru"
        )
        .content.decode()
    )
    assert "5\xa0010,00\xa0₸" in ru


def test_the_order_form_places_an_order_and_a_refusal_stays_on_the_page(trading):
    holder = trading.world.holders[0]
    deposit(holder, 150_000)
    client = page_for(holder.user)
    url = reverse("exchange-trade", args=[trading.market.pk])
    form = {
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "price": "1000",
        "quantity": "2",
        "client_order_id": "f-1",
    }
    refused = client.post(url, form)
    assert refused.status_code == 400
    assert "You have 1,500.00\xa0₸ available; this needs 2,004.00\xa0₸" in refused.content.decode()
    placed = client.post(url, {**form, "quantity": "1"}, follow=True)
    assert "The order is accepted; it enters the book in a moment." in placed.content.decode()
    assert Order.objects.get().quantity == 100


def test_the_api_lists_orders_by_state_and_market_and_the_fills(trading):
    holder = trading.world.holders[0]
    deposit(holder, 1_000_000)
    order, _ = order_place(
        actor=holder.user,
        market_id=trading.market.pk,
        client_order_id="l",
        price=100_000,
        quantity=100,
        **BUY,
    )
    client = api_for(holder.user)
    listed = client.get(reverse("api-orders"), {"state": "received", "market": trading.market.pk})
    assert [o["id"] for o in listed.json()] == [order.pk]
    assert listed.json()[0]["state_label"] == "Received"
    assert client.get(reverse("api-orders"), {"state": "filled"}).json() == []
    assert client.get(reverse("api-orders"), {"state": "nonsense"}).status_code == 400
    assert client.get(reverse("api-fills")).json() == []
    assert Member.objects.count() == 1


def test_a_good_till_date_order_keeps_its_date(trading):
    holder = trading.world.holders[0]
    deposit(holder, 1_000_000)
    when = timezone.now() + datetime.timedelta(days=2)
    order, _ = order_place(
        actor=holder.user,
        market_id=trading.market.pk,
        client_order_id="g",
        side="buy",
        type="limit",
        time_in_force="gtd",
        price=100_000,
        quantity=100,
        expires_at=when,
    )
    assert order.expires_at == when


def test_the_market_page_and_the_order_list_read_as_many_queries_for_more_orders(trading):
    holder = trading.world.holders[0]
    deposit(holder, 10_000_000)
    client, api = page_for(holder.user), api_for(holder.user)
    counts = []
    for total in (2, 6):
        while Order.objects.count() < total:
            order_place(
                actor=holder.user,
                market_id=trading.market.pk,
                client_order_id=f"q{Order.objects.count()}",
                price=100_000,
                quantity=100,
                **BUY,
            )
        order_cancel(actor=holder.user, order_id=Order.objects.order_by("pk").last().pk)
        with CaptureQueriesContext(connection) as page:
            assert (
                client.get(reverse("exchange-trade", args=[trading.market.pk])).status_code == 200
            )
        with CaptureQueriesContext(connection) as listed:
            assert len(api.get(reverse("api-orders")).json()) == total
        counts.append((len(page), len(listed)))
    assert counts[0] == counts[1]


def test_an_amend_through_the_page_says_it_is_requested(trading):
    holder = trading.world.holders[0]
    deposit(holder, 1_000_000)
    order, _ = order_place(
        actor=holder.user,
        market_id=trading.market.pk,
        client_order_id="pa",
        price=100_000,
        quantity=100,
        **BUY,
    )
    client = page_for(holder.user)
    response = client.post(
        reverse("exchange-order-amend", args=[order.pk]), {"price": "1001.50"}, follow=True
    )
    text = response.content.decode()
    assert "Change requested: the order is amended shortly." in text
    assert "change requested" in text
    assert OrderChange.objects.get(order=order).new_price == 100_150
    refused = client.post(
        reverse("exchange-order-amend", args=[order.pk]), {"price": "2000"}, follow=True
    )
    assert "The price must be between 900.00\xa0₸ and 1,100.00\xa0₸" in refused.content.decode()


def _written(order):
    """What a placement wrote for ``order``, with the ids and times that differ left out."""
    audit = AuditEntry.objects.get(action="exchange.order_placed", object_id=str(order.pk))
    posting = Posting.objects.filter(reference=f"order:{order.pk}").first()
    hold = Hold.objects.filter(key=f"exchange.order:{order.pk}").first()
    row = Order.objects.filter(pk=order.pk).values().get()
    return {
        "order": {k: v for k, v in row.items() if k not in ("id", "client_order_id", "created_at")},
        "audit": (audit.actor_id, audit.actor_repr, audit.object_repr, audit.details, audit.seq),
        "posting": posting
        and (posting.kind, posting.actor_id, sorted(posting.legs.values_list("amount", flat=True))),
        "hold": hold and (hold.token_address, hold.holder, hold.amount, hold.released_at),
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the short path is PostgreSQL's")
def test_a_holders_order_takes_two_statements_and_writes_what_the_general_path_writes(trading):
    from qoima.exchange.services import orders

    holder = trading.world.holders[0]
    member = deposit(holder, 10_000_000)
    _holder_units(trading, holder, 10_000)
    placed = {}
    user_role(holder.user)  # As the API's permission check has read it.
    for name, order in (("buy", BUY), ("sell", SELL)):
        with CaptureQueriesContext(connection) as short:
            placed[name], created = order_place(
                actor=holder.user,
                market_id=trading.market.pk,
                client_order_id=f"short-{name}",
                price=100_000,
                quantity=300,
                **order,
            )
        assert created
        # One statement reads and locks, one writes every row (begin and commit aside).
        statements = [q["sql"] for q in short if "SAVEPOINT" not in q["sql"]]
        assert len(statements) == 2, statements
        general, created = orders._order_place(
            holder.user,
            orders._Request(
                trading.market.pk,
                f"general-{name}",
                order["side"],
                "limit",
                "gtc",
                300,
                100_000,
                False,
                None,
            ),
        )
        assert created
        assert _written(placed[name]) == _written(general)
    assert balances(member) == {
        "available": 10_000_000 - 2 * 300_600,
        "held": 601_200,
        "pending": 0,
    }
    balance = TokenBalance.objects.get(holder=custodial_wallet(holder).address)
    assert (balance.amount, balance.reserved) == (10_000, 600)
    # Both orders read the same to their holder.
    shown = {
        o["client_order_id"]: o for o in api_for(holder.user).get(reverse("api-orders")).json()
    }
    for name in ("buy", "sell"):
        short, general = shown[f"short-{name}"], shown[f"general-{name}"]
        assert {
            k: v for k, v in short.items() if k not in ("id", "client_order_id", "created_at")
        } == {k: v for k, v in general.items() if k not in ("id", "client_order_id", "created_at")}
    assert shown["short-buy"]["held"] == "3006.00"
