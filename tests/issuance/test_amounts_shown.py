"""Amounts an issuer and a holder read are in the asset's units and their language, and the
party short of units is named as people know it, never by its wallet's address."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from issuance import services
from issuance.models import Application, Distribution, Redemption
from qoima.chain.models import Operation

from .conftest import issued_without_chain

NBSP = "\xa0"


def client_for(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("language", "needed", "available"),
    [
        ("en", "1,998.00 WHT3", "1,000.00 WHT3"),
        ("ru", f"1{NBSP}998,00 WHT3", f"1{NBSP}000,00 WHT3"),
    ],
)
def test_the_csv_check_says_the_amounts_in_the_assets_units(world, language, needed, available):
    application = issued_without_chain(world, units=100_000)  # 1,000.00 WHT3
    a, b = world.holders
    client = client_for(world.issuer, language)
    rows = f"{a.identification_number},999.00\n{b.pk},999.00\n".encode()
    response = client.post(
        reverse("issuance-csv", args=[application.pk]),
        {"file": SimpleUploadedFile("rows.csv", rows), "idempotency_key": "k"},
    )
    assert response.status_code == 302
    distribution = Distribution.objects.get()
    services.distribution_process(distribution_id=distribution.pk)

    page = client.get(reverse("issuance-distribution", args=[distribution.pk])).content.decode()
    assert needed in page
    assert available in page
    assert "199800" not in page
    assert "100000" not in page
    answer = client.get(reverse("api-distribution", args=[distribution.pk])).json()
    (error,) = answer["errors"]
    assert needed in error["reason"]
    assert available in error["reason"]
    assert not Operation.objects.filter(kind="transfer").exists()


@pytest.mark.parametrize(
    ("language", "available", "needed"),
    [
        ("en", "1,000.00 WHT3", "2,000.00 WHT3"),
        ("ru", f"1{NBSP}000,00 WHT3", f"2{NBSP}000,00 WHT3"),
    ],
)
def test_a_send_above_the_balance_names_the_issuer_and_the_amounts(
    world, language, available, needed
):
    application = issued_without_chain(world, units=100_000)
    organisation = world.issuer.organisation
    client = client_for(world.issuer, language)
    response = client.post(
        reverse("api-distributions", args=[application.pk]),
        {"receiver": world.holders[0].identification_number, "amount": "2000"},
        content_type="application/json",
        headers={"Idempotency-Key": "big"},
    )
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "insufficient_balance"
    assert organisation.identification_number in answer["detail"]
    assert organisation.legal_name in answer["detail"]
    assert available in answer["detail"]
    assert needed in answer["detail"]
    assert "0x" not in answer["detail"]

    page = client.post(
        reverse("issuance-send", args=[application.pk]),
        {
            "receiver": world.holders[0].identification_number,
            "amount": "2000",
            "idempotency_key": "p",
        },
    )
    assert page.status_code == 400
    assert available in page.content.decode()
    assert needed in page.content.decode()
    assert not Operation.objects.filter(kind="transfer").exists()
    assert not Distribution.objects.exists()


def test_a_send_of_1e30_is_refused_as_no_amount(world):
    application = issued_without_chain(world)
    client = client_for(world.issuer)
    response = client.post(
        reverse("api-distributions", args=[application.pk]),
        {"receiver": world.holders[0].identification_number, "amount": "1e30"},
        content_type="application/json",
        headers={"Idempotency-Key": "e"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "amount_not_a_number"
    assert "Enter the amount as a number" in response.json()["detail"]
    assert not Distribution.objects.exists()


def test_a_redemption_above_the_balance_says_the_most_in_russian(world):
    application = issued_without_chain(world)
    holder = world.holders[0]
    response = client_for(holder.user, "ru").post(
        reverse("api-redemptions", args=[application.pk]),
        json.dumps({"amount": "1"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "0,00 WHT3" in response.json()["detail"]
    assert not Redemption.objects.exists()


@pytest.mark.parametrize(("language", "backed"), [("en", "(1,000.50)"), ("ru", f"(1{NBSP}000,50)")])
def test_minting_above_the_backed_units_names_them_in_the_readers_format(world, language, backed):
    form = {
        "name": "Wheat, class 3",
        "symbol": "WHT3",
        "asset_class": "tangible_asset",
        "description": "Grain at the elevator.",
        "asset_identifier": "12:345:678:901",
        "decimals": "2",
        "backed_amount": "1000.5",
        "mint_amount": "1000.51",
    }
    response = client_for(world.issuer, language).post(reverse("issuance-new"), form)
    assert response.status_code == 400
    assert backed in response.content.decode()
    assert not Application.objects.exists()
