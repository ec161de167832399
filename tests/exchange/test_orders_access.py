"""Who may open each trading page and call each order endpoint: every role and anonymous."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qoima.accounts.models import ApiToken
from qoima.exchange.models import Order
from qoima.exchange.services import order_place
from qoima.participants.models import Role
from tests.factories import make_user
from tests.issuance.conftest import make_world

from .trading import deposit, make_market

pytestmark = pytest.mark.django_db

ROLES = [None, *Role]
TRADERS = {Role.HOLDER, Role.ISSUER_STAFF}


@pytest.fixture
def trading():
    trading = make_market(make_world(holder_count=1))
    holder = trading.world.holders[0]
    deposit(holder, 1_000_000)
    order, _ = order_place(
        actor=holder.user,
        market_id=trading.market.pk,
        client_order_id="m",
        side="buy",
        type="limit",
        time_in_force="gtc",
        price=100_000,
        quantity=100,
    )
    trading.order = order
    return trading


def _user(trading, role):
    if role is None:
        return None
    return {
        Role.HOLDER: trading.world.holders[0].user,
        Role.ISSUER_STAFF: trading.world.issuer,
        Role.PLATFORM_ADMIN: trading.admin,
    }.get(role) or make_user(role)


def _pages(trading):
    market, order = trading.market.pk, trading.order.pk
    preview = {
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "price": "1000",
        "quantity": "1",
        "client_order_id": "p",
    }
    return [
        ("get", reverse("exchange-trade", args=[market]), {}, {Role.HOLDER}),
        ("post", reverse("exchange-preview", args=[market]), preview, TRADERS),
        ("post", reverse("exchange-order-amend", args=[order]), {"quantity": "2"}, TRADERS),
        ("post", reverse("exchange-order-cancel", args=[order]), {}, TRADERS),
        ("get", reverse("exchange-orders-live"), {"market": market}, TRADERS),
        ("get", reverse("exchange-offering"), {}, {Role.ISSUER_STAFF}),
        ("get", reverse("exchange-markets-manage"), {}, {Role.PLATFORM_ADMIN}),
        ("get", reverse("exchange-market-manage", args=[market]), {}, {Role.PLATFORM_ADMIN}),
        (
            "post",
            reverse("exchange-market-halt", args=[market]),
            {"reason": "technical"},
            {Role.PLATFORM_ADMIN},
        ),
        ("post", reverse("exchange-market-resume", args=[market]), {}, {Role.PLATFORM_ADMIN}),
    ]


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
def test_each_trading_page_answers_its_roles_and_refuses_the_others(trading, role):
    user = _user(trading, role)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    for method, url, data, allowed in _pages(trading):
        response = getattr(client, method)(url, data)
        where = response.headers.get("Location", "")
        if role is None:
            assert response.status_code == 302, url
            assert "/accounts/login/" in where, url
        elif role in allowed:
            assert response.status_code in (200, 302), (url, response.status_code)
            assert "/accounts/login/" not in where, url
        else:
            assert response.status_code == 403, (url, role, response.status_code)


def _endpoints(trading):
    order = trading.order.pk
    place = {
        "market": trading.market.pk,
        "client_order_id": "api",
        "side": "sell",
        "price": "1000",
        "quantity": "1",
    }
    return [
        ("get", reverse("api-orders"), {}),
        ("post", reverse("api-orders"), place),
        ("get", reverse("api-order", args=[order])),
        ("post", reverse("api-order-amend", args=[order]), {"quantity": "3"}),
        ("post", reverse("api-order-cancel", args=[order]), {}),
        ("get", reverse("api-fills"), {}),
    ]


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
def test_each_order_endpoint_answers_members_and_refuses_everyone_else(trading, role):
    user = _user(trading, role)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=user, scope='write')[1]}"
        )
    for method, url, *data in _endpoints(trading):
        body = data[0] if data else {}
        response = (
            getattr(client, method)(url, body, format="json")
            if method == "post"
            else (client.get(url, body))
        )
        assert response.status_code < 500, (url, response.content)
        if role is None:
            assert response.status_code == 401, url
        elif role in TRADERS:
            # A member may be refused by the rules (the holder's order is not the issuer's:
            # 404), never by its role.
            assert response.status_code != 403, (url, response.content)
        else:
            assert response.status_code == 403, (url, role)
            assert response.json()["detail"]


def test_the_holders_own_order_answers_through_the_api_and_the_issuers_does_not(trading):
    holder, issuer = trading.world.holders[0].user, trading.world.issuer
    for user, status in ((holder, 200), (issuer, 404)):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.force_authenticate(user)
        assert client.get(reverse("api-order", args=[trading.order.pk])).status_code == status


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "en",
            [
                "WHT3 market",
                "New order",
                "Open orders",
                "Your fills",
                "1,000.00\xa0₸",
                "1,100.00\xa0₸",
                "Cancel",
                "Amend",
            ],
        ),
        ("ru", ["1\xa0000,00\xa0₸", "1\xa0100,00\xa0₸", "0,50\xa0₸", "1,00\xa0WHT3"]),
    ],
)
def test_the_market_page_reads_in_each_language(trading, language, texts):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(trading.world.holders[0].user)
    response = client.get(reverse("exchange-trade", args=[trading.market.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert f'lang="{language}"' in text
    for expected in texts:
        assert expected in text, expected
    assert Order.objects.count() == 1
