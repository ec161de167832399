"""Rates counted in the shared cache: over its rate a request is refused with 429 and
Retry-After, on the page and in the API alike, whatever X-Forwarded-For claims."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qoima.exchange.models import Order
from qoima.participants.models import Role
from tests.exchange.trading import deposit, make_market
from tests.factories import PASSWORD, make_user
from tests.issuance.conftest import make_world

pytestmark = pytest.mark.django_db


def test_logins_from_one_address_are_throttled_whatever_x_forwarded_for_says(throttle_rate):
    throttle_rate("3/minute", scope="login")
    user = make_user(Role.HOLDER)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    answers = [
        client.post(
            reverse("login"),
            {"username": f"nobody{n}", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(3)
    ]
    assert answers == [200, 200, 200]
    refused = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many requests; please try again in a minute." in refused.text
    assert "_auth_user_id" not in client.session


def test_every_anonymous_page_counts_against_the_address(throttle_rate):
    throttle_rate("2/minute", scope="anon")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("register-holder")).status_code == 200
    refused = client.get(reverse("password-reset"))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.text
    # The load balancer's checks are not counted.
    assert client.get("/healthz").status_code == 200
    # Another address is counted apart.
    assert Client(REMOTE_ADDR="192.0.2.1").get(reverse("login")).status_code == 200


def test_the_anonymous_api_is_throttled_per_address_and_a_token_is_counted_apart(throttle_rate):
    throttle_rate("1/minute", scope="anon")
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    url = reverse("api-identification-check")
    assert api.post(url, {"number": "791028302728"}, format="json").status_code == 200
    refused = api.post(url, {"number": "791028302728"}, format="json")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    signed = APIClient()
    signed.force_authenticate(make_user(Role.HOLDER))
    assert signed.get(reverse("api-me")).status_code == 200


def test_password_reset_mails_are_throttled_per_address(throttle_rate, mailoutbox):
    throttle_rate("2/hour", scope="password_reset")
    make_user(Role.HOLDER, email="h@example.kz")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(2):
        assert client.post(reverse("password-reset"), {"email": "h@example.kz"}).status_code == 302
    refused = client.post(reverse("password-reset"), {"email": "h@example.kz"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 60
    assert len(mailoutbox) == 2


def test_api_tokens_are_throttled_per_account(throttle_rate):
    throttle_rate("1/hour", scope="token")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.REGULATOR))
    token = {"name": "Registry tool", "scope": "read", "days": 30}
    assert client.post(reverse("api-token"), token).status_code == 200
    refused = client.post(reverse("api-token"), token)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


def test_orders_are_throttled_per_member_on_the_api_and_the_page(throttle_rate):
    trading = make_market(make_world(holder_count=1))
    holder = trading.world.holders[0]
    deposit(holder, 1_000_000)
    throttle_rate("2/minute", scope="order")
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(holder.user)
    body = {"market": trading.market.pk, "side": "buy", "price": "1000", "quantity": "1"}
    for n in range(2):
        placed = api.post(
            reverse("api-orders"), {**body, "client_order_id": f"o-{n}"}, format="json"
        )
        assert placed.status_code == 201
    refused = api.post(reverse("api-orders"), {**body, "client_order_id": "o-9"}, format="json")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(holder.user)
    form = page.post(
        reverse("exchange-trade", args=[trading.market.pk]),
        {**body, "type": "limit", "time_in_force": "gtc", "client_order_id": "o-10"},
    )
    assert form.status_code == 429
    assert int(form["Retry-After"]) > 0
    assert "Too many requests" in form.text
    assert Order.objects.count() == 2
