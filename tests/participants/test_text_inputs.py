"""Names, numbers, references and reasons made only of spaces and invisible characters are
refused with a message, on the registration pages, the API and the compliance actions."""

import pytest
from django.test import Client
from django.urls import reverse

from qoima.audit.models import AuditEntry
from qoima.participants.models import HolderProfile, Organisation, Permit, Role, User
from tests.factories import HolderProfileFactory, make_user, pdf_upload

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
ISSUER_FORM = {
    "kind": "legal_entity",
    "legal_name": "ТОО «Астық»",
    "identification_number": "940140000385",
    "registered_address": "Astana",
    "permit_number": "KZ-1",
    "permit_authority": "MDDIAI",
    "permit_issued_on": "2026-01-10",
    "username": "astyq",
    "email": "office@astyq.kz",
    "password": "Strong-passphrase-42",
}
HOLDER_FORM = {
    "kind": "individual",
    "full_name": "Әлия Нұрланова",
    "identification_number": "791028302728",
    "username": "aliya",
    "email": "aliya@example.kz",
    "password": "Strong-passphrase-42",
}


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("legal_name", "Give the organisation"),
        ("permit_number", "Give the permit"),
        ("permit_authority", "Give the authority that issued the permit."),
    ],
)
def test_an_issuer_registering_with_an_invisible_text_is_refused(db, field, message):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.post(
        reverse("register-issuer"),
        {**ISSUER_FORM, field: ZERO_WIDTH, "permit_document": pdf_upload()},
    )
    assert page.status_code == 400
    assert message in page.content.decode()
    api = client.post(
        reverse("api-issuer-register"),
        {**ISSUER_FORM, field: ZERO_WIDTH, "permit_document": pdf_upload()},
    )
    assert api.status_code == 400
    assert message in api.json()["detail"]
    assert not Organisation.objects.exists()
    assert not Permit.objects.exists()
    assert not User.objects.exists()


def test_a_holder_registering_with_an_invisible_name_is_refused(db):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("register-holder"), {**HOLDER_FORM, "full_name": f" {ZERO_WIDTH}\u3000"}
    )
    assert page.status_code == 400
    assert "Give the holder" in page.content.decode()
    assert not HolderProfile.objects.exists()
    assert not User.objects.exists()


def test_compliance_references_and_reasons_of_invisible_characters_are_refused(db):
    holder = HolderProfileFactory()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.COMPLIANCE_OFFICER))
    verify = client.post(reverse("holder-verify", args=[holder.pk]), {"document_ref": ZERO_WIDTH})
    assert verify.status_code == 400
    assert "Give the reference of the identity check." in verify.content.decode()
    holder.refresh_from_db()
    assert holder.verification_status == HolderProfile.Status.UNVERIFIED
    assert not AuditEntry.objects.filter(action="holder.verified").exists()
