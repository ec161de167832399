"""The transfer API (with idempotency keys) and the holder's wallet page."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qoima.accounts.models import ApiToken
from qoima.chain.models import Operation
from qoima.exchange.models import Transfer
from qoima.participants.models import Role
from tests.factories import make_user

from .conftest import TOKEN

pytestmark = pytest.mark.django_db
BODY = {"asset": TOKEN, "to": "950341000052", "amount": "12.50"}


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(client, body=BODY, key="k-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(reverse("api-transfers"), body, format="json", **headers)


def test_a_transfer_is_made_once_whatever_the_retries(alice, bank, asset):
    client = api_for(alice.user)
    first = post(client)
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["symbol"], body["amount"], body["sender"], body["receiver"], body["state"]) == (
        "ABAY10",
        "12.50",
        "791028302728",
        "950341000052",
        "pending",
    )
    again = post(client)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Transfer.objects.count() == 1
    assert Operation.objects.filter(kind="transfer").count() == 1

    conflict = post(client, {**BODY, "amount": "13"})
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "Conflict"


def test_the_idempotency_key_is_required(alice, bank, asset):
    response = post(api_for(alice.user), key=None)
    assert response.status_code == 400
    assert response.json()["field"] == "idempotency_key"
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "amount": "1.001"},
        {**BODY, "amount": "-1"},
        {**BODY, "amount": "9" * 100},
        {**BODY, "amount": ""},
        {**BODY, "to": "12345"},
        {**BODY, "asset": "0x12"},
        {**BODY, "to": "<script>alert(1)</script>"},
        {"asset": TOKEN},
    ],
)
def test_bad_input_is_a_clear_4xx_that_changes_nothing(alice, bank, asset, body):
    response = post(api_for(alice.user), body)
    assert response.status_code == 400, response.content
    assert response.json()
    assert not Transfer.objects.exists()
    assert not Operation.objects.filter(kind="transfer").exists()


def test_each_holder_sees_only_their_own_transfers(alice, bank, asset, officer):
    from .conftest import verified_holder

    first = post(api_for(alice.user)).json()
    received = api_for(bank.user).get(reverse("api-transfers")).json()
    assert [t["id"] for t in received] == [first["id"]]
    detail = api_for(bank.user).get(reverse("api-transfer", args=[first["id"]]))
    assert detail.status_code == 200
    stranger = verified_holder("carol", "880101400017", "individual", officer)
    assert api_for(stranger.user).get(reverse("api-transfers")).json() == []
    assert (
        api_for(stranger.user).get(reverse("api-transfer", args=[first["id"]])).status_code == 404
    )


def test_the_wallet_shows_balance_reserved_and_available(alice, bank, asset):
    post(api_for(alice.user))
    wallet = api_for(alice.user).get(reverse("api-wallet")).json()
    assert wallet["address"] == alice.wallet.address
    assert wallet["holdings"] == [
        {
            "asset": TOKEN,
            "symbol": "ABAY10",
            "name": "Абай 10 үй-жайы",
            "decimals": 2,
            "balance": "1000.00",
            "reserved": "12.50",
            "available": "987.50",
        }
    ]


def test_token_authentication_works_for_programs(alice, bank, asset):
    _instance, token = ApiToken.objects.create(user=alice.user, name="Program", scope="write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert post(client).status_code == 201


@pytest.mark.parametrize(
    "role", [Role.ISSUER_STAFF, Role.COMPLIANCE_OFFICER, Role.REGULATOR, Role.PLATFORM_ADMIN]
)
@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "api-transfers", []),
        ("post", "api-transfers", []),
        ("get", "api-transfer", [1]),
        ("get", "api-wallet", []),
        ("get", "api-wallet-history", []),
    ],
)
def test_other_roles_and_anonymous_users_are_refused(role, method, name, args):
    url = reverse(name, args=args)
    assert getattr(api_for(make_user(role)), method)(url).status_code == 403
    assert getattr(APIClient(), method)(url).status_code in (401, 403)


# ------------------------------------------------------------------------------ the page


def page_client(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


def form_data(client, **changes):
    page = client.get(reverse("holder-transfers"))
    key = page.context["form"].initial["idempotency_key"]
    return {
        "asset": TOKEN,
        "to": "950341000052",
        "amount": "12.50",
        "idempotency_key": key,
        **changes,
    }


def test_the_page_shows_the_wallet_and_sends_once_however_often_submitted(alice, bank, asset):
    client = page_client(alice.user)
    page = client.get(reverse("holder-transfers"))
    assert page.status_code == 200
    assert alice.wallet.address in page.content.decode()
    # Russian, the default language: a comma for decimals, a space between thousands.
    assert "1\xa0000,00" in page.content.decode()
    data = form_data(client)
    for _ in range(2):
        response = client.post(reverse("holder-transfers"), data)
        assert response.status_code == 302
    assert Transfer.objects.count() == 1
    history = client.get(reverse("holder-transfers-list"))
    assert 'hx-trigger="every 2s"' in history.content.decode()
    assert "Ожидает" in history.content.decode()


@pytest.mark.parametrize(
    ("language", "message"),
    [("ru", "Вам доступно 1\xa0000,00 ABAY10."), ("en", "You have 1,000.00 ABAY10 available.")],
)
def test_the_page_says_what_is_wrong_and_changes_nothing(alice, bank, asset, language, message):
    client = page_client(alice.user, HTTP_ACCEPT_LANGUAGE=language)
    response = client.post(reverse("holder-transfers"), form_data(client, amount="5000"))
    assert response.status_code == 400
    assert message in response.content.decode()
    response = client.post(
        reverse("holder-transfers"), form_data(client, to="<b>x</b>", amount="1")
    )
    assert response.status_code == 400
    assert "<b>x</b>" not in response.content.decode()
    assert not Transfer.objects.exists()


def test_a_forged_form_is_refused(alice, bank, asset):
    client = page_client(alice.user, enforce_csrf_checks=True)
    response = client.post(
        reverse("holder-transfers"), {"asset": TOKEN, "to": "950341000052", "amount": "1"}
    )
    assert response.status_code == 403
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.ISSUER_STAFF, Role.COMPLIANCE_OFFICER, Role.REGULATOR, Role.PLATFORM_ADMIN]
)
def test_the_page_is_for_holders_only(role):
    for name in ("holder-transfers", "holder-transfers-list"):
        assert page_client(make_user(role)).get(reverse(name)).status_code == 403
        anonymous = Client().get(reverse(name))
        assert anonymous.status_code == 302
        assert reverse("login") in anonymous["Location"]
