"""What an issuer or an officer types is read by one rule per kind of input, on the pages and
the API alike: amounts (ASCII digits, one decimal mark, space grouping) and texts (something a
reader can see). A refusal is a 400 with the message, and nothing is created."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from issuance import services
from issuance.models import Application, Distribution, Redemption, Review
from qoima.chain.models import Operation, TokenBalance
from qoima.custody.selectors import custodial_wallet

from .conftest import issued_without_chain, pdf

FORM = {
    "name": "Wheat, class 3",
    "symbol": "WHT3",
    "asset_class": "tangible_asset",
    "description": "Grain at the elevator.",
    "asset_identifier": "12:345:678:901",
    "decimals": "2",
    "backed_amount": "1000",
    "mint_amount": "1000",
}
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
LENIENT_AMOUNTS = ["1_000", "١٢", "１２", "1e30", "1E3", "+5", "1,000.00", "1 00"]


def client_for(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize("amount", LENIENT_AMOUNTS)
@pytest.mark.parametrize("field", ["backed_amount", "mint_amount"])
def test_an_amount_outside_the_rule_is_refused_on_the_form_and_the_api(world, field, amount):
    client = client_for(world.issuer)
    page = client.post(reverse("issuance-new"), {**FORM, field: amount})
    assert page.status_code == 400
    assert "Enter the amount as a number, such as 12.50." in page.content.decode()
    api = client.post(
        reverse("api-applications"), {**FORM, field: amount}, content_type="application/json"
    )
    assert api.status_code == 400
    assert api.json() == {
        "detail": "Enter the amount as a number, such as 12.50.",
        "code": "amount_not_a_number",
        "field": field,
    }
    assert not Application.objects.exists()


def test_a_russian_amount_in_the_russian_form_is_read(world):
    response = client_for(world.issuer, "ru").post(
        reverse("issuance-new"), {**FORM, "backed_amount": "1\xa0000,50", "mint_amount": "1 000"}
    )
    assert response.status_code == 302
    application = Application.objects.get()
    assert (int(application.backed_units), int(application.mint_units)) == (100_050, 100_000)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", ZERO_WIDTH, "Give the asset a name of up to 100 characters."),
        ("name", " \u00a0\u3000\u200b ", "Give the asset a name of up to 100 characters."),
        ("symbol", ZERO_WIDTH, "The symbol is 2 to 11 Latin capital letters or digits."),
        ("description", f"\n{ZERO_WIDTH}\n", "Describe the underlying asset."),
        ("asset_identifier", ZERO_WIDTH, "registry identifier (cadastral, patent"),
    ],
)
def test_a_text_of_invisible_characters_is_refused_on_the_form_and_the_api(
    world, field, value, message
):
    client = client_for(world.issuer)
    page = client.post(reverse("issuance-new"), {**FORM, field: value})
    assert page.status_code == 400
    assert message in page.content.decode()
    api = client.post(
        reverse("api-applications"), {**FORM, field: value}, content_type="application/json"
    )
    assert api.status_code == 400
    assert api.json()["field"] == field
    assert message in api.json()["detail"]
    assert not Application.objects.exists()


def test_invisible_characters_do_not_hide_money_in_a_name(world):
    response = client_for(world.issuer).post(
        reverse("issuance-new"), {**FORM, "name": "Dol\u200blar"}
    )
    assert response.status_code == 400
    assert "looks like money" in response.content.decode()
    assert not Application.objects.exists()


@pytest.mark.parametrize("name", ["issuance-reject", "issuance-request-changes"])
def test_an_officers_reason_of_invisible_characters_is_refused(world, name):
    application = world.submitted()
    response = client_for(world.officer_a).post(
        reverse(name, args=[application.pk]), {"reason": ZERO_WIDTH}
    )
    assert response.status_code == 400
    assert "Give the reason; the issuer will see it." in response.content.decode()
    api = client_for(world.officer_a).post(
        reverse(f"api-application-{name.removeprefix('issuance-')}", args=[application.pk]),
        {"reason": ZERO_WIDTH},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert api.json()["detail"] == "Give the reason; the issuer will see it."
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert not Review.objects.filter(action__in=["reject", "request_changes"]).exists()


@pytest.mark.parametrize("amount", ["1_000", "١٢", "1e3"])
def test_a_csv_amount_outside_the_rule_is_a_bad_row(world, amount):
    application = issued_without_chain(world)
    holder = world.holders[0]
    client = client_for(world.issuer)
    client.post(
        reverse("issuance-csv", args=[application.pk]),
        {
            "file": SimpleUploadedFile("rows.csv", f"{holder.pk},{amount}\n".encode()),
            "idempotency_key": "k",
        },
    )
    distribution = services.distribution_process(distribution_id=Distribution.objects.get().pk)
    assert distribution.status == Distribution.Status.INVALID
    page = client.get(reverse("issuance-distribution", args=[distribution.pk])).content.decode()
    assert "Write the amount with the digits 0-9 and a point for decimals" in page
    assert not Operation.objects.filter(kind="transfer").exists()


@pytest.mark.parametrize("amount", ["1e30", "1_000", "１２"])
def test_a_send_and_a_redemption_outside_the_rule_are_refused(world, amount):
    application = issued_without_chain(world)
    holder = world.holders[0]
    send = client_for(world.issuer).post(
        reverse("api-distributions", args=[application.pk]),
        {"receiver": holder.identification_number, "amount": amount},
        content_type="application/json",
        headers={"Idempotency-Key": "s"},
    )
    assert send.status_code == 400
    assert send.json()["code"] == "amount_not_a_number"
    redeem = client_for(holder.user).post(
        reverse("issuance-redeem", args=[application.pk]), {"amount": amount}
    )
    assert redeem.status_code == 400
    assert "Enter the amount as a number" in redeem.content.decode()
    assert not Distribution.objects.exists()
    assert not Redemption.objects.exists()


def test_an_issuers_reference_or_reason_of_invisible_characters_is_refused(world):
    application = issued_without_chain(world)
    holder = world.holders[0]
    wallet = custodial_wallet(holder)
    assert wallet is not None
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=application.token_address,
        holder=wallet.address,
        amount=500,
    )
    redemption = services.redemption_request(
        actor=holder.user, application_id=application.pk, amount="5"
    )
    client = client_for(world.issuer)
    fulfil = client.post(
        reverse("api-redemption-fulfil", args=[redemption.pk]),
        {"reference": ZERO_WIDTH},
        content_type="application/json",
    )
    assert fulfil.status_code == 400
    assert fulfil.json()["field"] == "reference"
    assert "Give the reference of what was delivered" in fulfil.json()["detail"]
    refuse = client.post(
        reverse("api-redemption-refuse", args=[redemption.pk]),
        {"reason": ZERO_WIDTH},
        content_type="application/json",
    )
    assert refuse.status_code == 400
    assert refuse.json()["detail"] == "Give the reason; the holder will see it."
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.REQUESTED
    assert not Operation.objects.filter(kind="burn").exists()


def test_an_issuance_decision_numbered_with_invisible_characters_is_refused(world):
    application = world.draft()
    response = client_for(world.issuer).post(
        reverse("api-application-documents", args=[application.pk]),
        {
            "kind": "issuance_decision",
            "number": ZERO_WIDTH,
            "dated_on": "2026-01-10",
            "signatory": "А. Директоров",
            "file": pdf(),
        },
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "An issuance decision needs its number, date and signatory."
    )
    assert not application.documents.exists()
