"""A transfer's amount is read by the platform's one rule, on the API and on the page."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qoima.chain.models import Operation
from qoima.exchange.models import Transfer

from .conftest import TOKEN

pytestmark = pytest.mark.django_db

LENIENT = ["1e30", "1_000", "١٢", "１２", "1,000.00", "+5", "1 00"]


@pytest.mark.parametrize("amount", LENIENT)
def test_the_api_refuses_an_amount_outside_the_rule(alice, bank, asset, amount):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(alice.user)
    response = client.post(
        reverse("api-transfers"),
        {"asset": TOKEN, "to": bank.holder.identification_number, "amount": amount},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "amount"
    assert response.json()["code"] == "amount_not_a_number"
    assert "Enter the amount as a number" in response.json()["detail"]
    assert not Transfer.objects.exists()
    assert not Operation.objects.filter(kind="transfer").exists()


@pytest.mark.parametrize("amount", ["1e30", "1_000", "١٢", "１２"])
def test_the_page_refuses_an_amount_outside_the_rule(alice, bank, asset, amount):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alice.user)
    form = client.get(reverse("holder-transfers")).context["form"]
    response = client.post(
        reverse("holder-transfers"),
        {
            "asset": TOKEN,
            "to": bank.holder.identification_number,
            "amount": amount,
            "idempotency_key": form.initial["idempotency_key"],
        },
    )
    assert response.status_code == 400
    assert "Enter the amount as a number" in response.content.decode()
    assert not Transfer.objects.exists()


def test_an_amount_grouped_with_spaces_is_read(alice, bank, asset):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_authenticate(alice.user)
    response = client.post(
        reverse("api-transfers"),
        {"asset": TOKEN, "to": bank.holder.identification_number, "amount": "1\xa0000,00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 201
    assert response.json()["amount"] == "1000.00"
