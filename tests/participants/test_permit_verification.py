"""What an issuer records as its permit is checked before it is stored, and counts only once
compliance verified it against its document."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from qoima.audit.models import AuditEntry
from qoima.participants.models import Permit, Role
from tests.factories import PermitFactory, make_user, pdf_upload

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def record(client: Client, **changes):
    data = {
        "number": "R-1",
        "authority": "MDDIAI",
        "issued_on": "2026-05-01",
        "document": pdf_upload(),
        **changes,
    }
    return client.post(reverse("issuer-permit-add"), data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issued_on": "0001-01-01"}, "cannot be issued before 1 April 2023"),
        ({"issued_on": "2023-03-31"}, "cannot be issued before 1 April 2023"),
        ({"issued_on": "9999-12-31"}, "cannot be issued in the future"),
        ({"issued_on": "2099-01-01"}, "cannot be issued in the future"),
        ({"expires_on": "9999-12-31"}, "at most 3 years"),
        ({"expires_on": "2029-05-02"}, "at most 3 years"),
        ({"expires_on": "2026-05-01"}, "must expire after"),
        ({"number": "   "}, "This field is required"),
    ],
)
def test_an_implausible_permit_is_refused_and_nothing_is_recorded(changes, message):
    issuer = make_user(Role.ISSUER_STAFF)
    response = record(client_for(issuer), **changes)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Permit.objects.exists()
    assert not AuditEntry.objects.exists()


def test_the_longest_term_is_accepted_and_the_permit_waits_for_verification():
    issuer = make_user(Role.ISSUER_STAFF)
    client = client_for(issuer)
    assert record(client, expires_on="2029-05-01").status_code == 302
    permit = Permit.objects.get()
    assert permit.status == Permit.Status.PENDING
    assert permit.verified_by is None
    assert len(permit.document_sha256) == 64
    page = client.get(reverse("dashboard-issuer")).content.decode()
    assert "Pending verification" in page
    assert "Permit R-1 is not verified yet" in page


@pytest.mark.parametrize(
    ("number", "authority"),
    [("P-1", "MDDIAI"), ("p-1", "mddiai"), ("  P-1 ", " MDDIAI  ")],
)
def test_a_number_the_authority_already_issued_is_refused(number, authority):
    PermitFactory(
        number="P-1", authority="MDDIAI", organisation__identification_number="950341000052"
    )
    issuer = make_user(Role.ISSUER_STAFF)
    response = record(client_for(issuer), number=number, authority=authority)
    assert response.status_code == 400
    assert "already issued a permit with this number" in response.content.decode()
    assert Permit.objects.count() == 1


def test_a_document_that_is_not_a_pdf_or_image_is_refused():
    issuer = make_user(Role.ISSUER_STAFF)
    response = record(
        client_for(issuer),
        document=SimpleUploadedFile("permit.pdf", b"<html><script>x()</script></html>"),
    )
    assert response.status_code == 400
    assert "is not a PDF, PNG or JPEG file" in response.content.decode()
    assert not Permit.objects.exists()


def test_compliance_refuses_a_permit_with_a_reason_and_the_number_is_free_again():
    issuer = make_user(Role.ISSUER_STAFF)
    client = client_for(issuer)
    record(client)
    permit = Permit.objects.get()
    officer = client_for(make_user(Role.COMPLIANCE_OFFICER))
    empty = officer.post(reverse("permit-refuse", args=[permit.pk]), {"reason": " "})
    assert empty.status_code == 400
    refused = officer.post(
        reverse("permit-refuse", args=[permit.pk]), {"reason": "Not in the authority's register"}
    )
    assert refused.status_code == 302
    permit.refresh_from_db()
    assert permit.status == Permit.Status.REFUSED
    page = client.get(reverse("dashboard-issuer")).content.decode()
    assert "Refused by compliance" in page
    assert "Not in the authority&#x27;s register" in page
    again = officer.post(reverse("permit-verify", args=[permit.pk]), {"document_ref": "R"})
    assert again.status_code == 409
    assert record(client).status_code == 302
    assert AuditEntry.objects.filter(action="permit.refused").count() == 1


def test_only_compliance_verifies_and_a_permit_without_a_document_needs_one():
    permit = PermitFactory(status=Permit.Status.PENDING, verified_by=None, verified_at=None)
    Permit.objects.filter(pk=permit.pk).update(document_sha256="")
    issuer = make_user(Role.ISSUER_STAFF, organisation=permit.organisation)
    url = reverse("permit-verify", args=[permit.pk])
    assert client_for(issuer).post(url, {"document_ref": "R"}).status_code == 403
    officer = client_for(make_user(Role.COMPLIANCE_OFFICER))
    missing = officer.post(url, {"document_ref": "R"})
    assert missing.status_code == 400
    assert "upload the permit document" in missing.content.decode()
    assert officer.post(url, {"document_ref": "R", "document": pdf_upload()}).status_code == 302
    permit.refresh_from_db()
    assert permit.status == Permit.Status.ACTIVE
    assert permit.document_sha256
    entry = AuditEntry.objects.get(action="permit.verified")
    assert entry.details["document_sha256"] == permit.document_sha256


def test_the_permit_document_is_for_compliance_the_regulator_and_its_own_issuer():
    issuer = make_user(Role.ISSUER_STAFF)
    record(client_for(issuer))
    permit = Permit.objects.get()
    url = reverse("permit-document", args=[permit.pk])
    for role in (Role.COMPLIANCE_OFFICER, Role.REGULATOR):
        response = client_for(make_user(role)).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client_for(issuer).get(url).status_code == 200
    other = make_user(
        Role.ISSUER_STAFF,
        organisation=PermitFactory(organisation__identification_number="950341000052").organisation,
    )
    assert client_for(other).get(url).status_code == 404
    assert client_for(make_user(Role.HOLDER)).get(url).status_code == 403


def test_the_database_refuses_a_second_permit_with_the_same_number_from_one_authority():
    from django.db import IntegrityError, transaction

    first = PermitFactory(number="P-9", authority="MDDIAI")
    with pytest.raises(IntegrityError), transaction.atomic():
        PermitFactory(number="p-9", authority="mddiai", organisation=first.organisation)
    with pytest.raises(IntegrityError), transaction.atomic():
        PermitFactory(organisation=first.organisation, verified_by=None, verified_at=None)


REGISTRATION = {
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


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"permit_issued_on": "0001-01-01"}, "permit_issued_on", "cannot be issued before"),
        ({"permit_issued_on": "9999-12-31"}, "permit_issued_on", "cannot be issued in the future"),
        ({"permit_expires_on": "9999-12-31"}, "permit_expires_on", "at most 3 years"),
    ],
)
def test_registration_with_implausible_permit_dates_registers_nothing(changes, field, message):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("register-issuer"), {**REGISTRATION, **changes, "permit_document": pdf_upload()}
    )
    assert page.status_code == 400
    assert message in page.content.decode()
    api = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("api-issuer-register"),
        {**REGISTRATION, **changes, "permit_document": pdf_upload()},
    )
    assert api.status_code == 400
    assert api.json()["field"] == field
    assert message in api.json()["detail"]
    assert not Permit.objects.exists()
    assert not AuditEntry.objects.exists()
