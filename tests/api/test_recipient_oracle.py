"""Whether an IIN / BIN belongs to a verified holder is not told to whoever asks."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from issuance.models import Distribution
from qoima.exchange.models import Transfer
from tests.factories import valid_iins
from tests.issuance.conftest import issued_without_chain

pytestmark = pytest.mark.django_db
TOKEN = "0x1000000000000000000000000000000000000001"
# A valid IIN that no holder of the platform has.
UNKNOWN = valid_iins(1, start=500)[0]


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def transfer(client, to, amount, key):
    return client.post(
        reverse("api-transfers"),
        {"asset": TOKEN, "to": to, "amount": amount},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_an_over_balance_transfer_answers_the_same_for_a_verified_and_an_unknown_iin(
    alice, bank, asset
):
    client = api_for(alice.user)
    # Alice holds 1,000.00: more than that is refused before anyone is looked up.
    to_bank = transfer(client, bank.holder.identification_number, "1000000", "k-1")
    to_nobody = transfer(client, UNKNOWN, "1000000", "k-2")
    assert to_bank.status_code == to_nobody.status_code == 400
    assert (
        to_bank.json()
        == to_nobody.json()
        == {
            "detail": "You have 1,000.00 ABAY10 available.",
            "code": "insufficient_balance",
            "field": "amount",
        }
    )
    assert not Transfer.objects.exists()


def test_within_the_balance_an_unknown_iin_is_refused(alice, bank, asset):
    response = transfer(api_for(alice.user), UNKNOWN, "10", "k-1")
    assert response.status_code == 400
    assert response.json()["field"] == "to"


def test_transfers_are_throttled_per_user(alice, bank, asset, throttle_rate):
    throttle_rate("3/minute")
    client = api_for(alice.user)
    answers = [transfer(client, UNKNOWN, "10", f"k-{n}").status_code for n in range(3)]
    assert answers == [400, 400, 400]
    throttled = transfer(client, bank.holder.identification_number, "10", "k-9")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert "throttled" in throttled.json()["detail"].lower()
    assert not Transfer.objects.exists()
    # Reading one's own transfers is not a lookup of anyone.
    assert client.get(reverse("api-transfers")).status_code == 200


def send(client, application, receiver, amount, key):
    return client.post(
        reverse("api-distributions", args=[application.pk]),
        {"receiver": receiver, "amount": amount},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_an_over_balance_single_send_answers_the_same_for_a_verified_and_an_unknown_iin(world):
    application = issued_without_chain(world, units=100_000)
    client = api_for(world.issuer)
    known = send(client, application, world.holders[0].identification_number, "5000", "d-1")
    unknown = send(client, application, UNKNOWN, "5000", "d-2")
    assert known.status_code == unknown.status_code == 400
    assert known.json() == unknown.json()
    assert known.json()["code"] == "insufficient_balance"
    assert not Distribution.objects.exists()


def test_single_sends_are_throttled_per_user(world, throttle_rate):
    throttle_rate("2/minute")
    application = issued_without_chain(world)
    client = api_for(world.issuer)
    assert [send(client, application, UNKNOWN, "1", f"d-{n}").status_code for n in range(2)] == [
        400,
        400,
    ]
    assert send(client, application, UNKNOWN, "1", "d-3").status_code == 429


def test_the_transfer_page_shares_the_throttle_and_the_answer(alice, bank, asset, throttle_rate):
    from django.test import Client

    throttle_rate("2/minute")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alice.user)

    def post(to, amount, key):
        return client.post(
            reverse("holder-transfers"),
            {"asset": TOKEN, "to": to, "amount": amount, "idempotency_key": key},
        )

    to_bank = post(bank.holder.identification_number, "1000000", "p-1")
    to_nobody = post(UNKNOWN, "1000000", "p-2")
    assert to_bank.status_code == to_nobody.status_code == 400
    assert "You have 1,000.00 ABAY10 available." in to_bank.text
    assert "You have 1,000.00 ABAY10 available." in to_nobody.text
    throttled = post(UNKNOWN, "10", "p-3")
    assert throttled.status_code == 429
    assert "Too many requests; please try again in a minute." in throttled.text
    assert not Transfer.objects.exists()


def test_anonymous_holder_registrations_are_throttled_per_address(throttle_rate):
    from django.test import Client

    from qoima.participants.models import HolderProfile

    throttle_rate("2/minute", scope="registration")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    numbers = valid_iins(3, start=600)

    def register(n):
        return client.post(
            reverse("register-holder"),
            {
                "kind": "individual",
                "full_name": f"Holder {n}",
                "identification_number": numbers[n],
                "username": f"h{n}",
                "email": f"h{n}@example.kz",
                "password": "Strong-passphrase-42",
            },
        )

    assert register(0).status_code == 302
    client.logout()
    assert register(1).status_code == 302
    client.logout()
    throttled = register(2)
    assert throttled.status_code == 429
    assert "Too many requests; please try again in a minute." in throttled.text
    assert HolderProfile.objects.count() == 2


def test_issuer_registrations_are_throttled_per_address_on_the_page_and_the_api(throttle_rate):
    from django.test import Client

    from qoima.participants.models import Organisation
    from tests.factories import pdf_upload

    throttle_rate("2/minute", scope="registration")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    def register(url):
        # Refused for its number (a corrupted check digit): the answer still tells something,
        # so it counts.
        return client.post(
            reverse(url),
            {
                "kind": "legal_entity",
                "legal_name": "ТОО «Астық»",
                "identification_number": "940140000386",
                "permit_number": "KZ-1",
                "permit_authority": "MDDIAI",
                "permit_issued_on": "2026-01-10",
                "permit_document": pdf_upload(),
                "username": "astyq",
                "email": "office@astyq.kz",
                "password": "Strong-passphrase-42",
            },
        )

    assert register("register-issuer").status_code == 400
    assert register("api-issuer-register").status_code == 400
    page = register("register-issuer")
    assert page.status_code == 429
    assert "Too many requests; please try again in a minute." in page.text
    assert register("api-issuer-register").status_code == 429
    assert not Organisation.objects.exists()
