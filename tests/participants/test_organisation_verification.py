"""An issuer organisation counts once compliance has verified it; a refusal says why where the
issuer reads it, and its documents are only for compliance, the regulator and its own staff."""

import pytest
from django.test import Client
from django.urls import reverse

from qoima.errors import Conflict, InvalidInput, NotAllowed
from qoima.participants.models import Organisation, Role
from qoima.participants.services import (
    organisation_refuse,
    organisation_verification_submit,
    organisation_verify,
)
from tests.factories import OrganisationFactory, make_user, pdf_upload

pytestmark = pytest.mark.django_db

CHECKS = ["registration", "owners", "signatory"]


@pytest.fixture
def pending():
    organisation = OrganisationFactory(
        identification_number="950341000052",
        verification_status=Organisation.Verification.PENDING,
        verified_by=None,
        verified_at=None,
    )
    return organisation, make_user(Role.ISSUER_STAFF, organisation=organisation)


def send(staff, owners="Асанов Ерлан; 791028302728; 100"):
    return organisation_verification_submit(
        actor=staff,
        registration_document=pdf_upload("registration.pdf", b"% registration"),
        beneficial_owners=owners,
        signatory_name="Асанов Ерлан",
        signatory_position="Директор",
        authority_document=pdf_upload("charter.pdf", b"% charter"),
    )


def test_nothing_is_verified_before_the_documents_are_sent(pending):
    organisation, _staff = pending
    with pytest.raises(Conflict, match="has not sent its documents"):
        organisation_verify(
            officer=make_user(Role.COMPLIANCE_OFFICER),
            organisation_id=organisation.pk,
            confirmed=CHECKS,
        )


@pytest.mark.parametrize(
    ("owners", "message"),
    [
        ("", "List the beneficial owners."),
        ("Асанов; 791028302728; 60\nБеков; 940140000385; 50", "more than 100 %"),
        ("Асанов; 791028302728", "Line 1: write each owner"),
        ("Асанов; 791028302728; 0", "Line 1: write each owner"),
    ],
)
def test_bad_owners_are_refused_with_what_to_write(pending, owners, message):
    _organisation, staff = pending
    with pytest.raises(InvalidInput, match=message) as refused:
        send(staff, owners)
    assert refused.value.field == "beneficial_owners"


def test_a_refused_organisation_reads_why_when_it_submits(pending):
    organisation, staff = pending
    send(staff)
    officer = make_user(Role.COMPLIANCE_OFFICER)
    with pytest.raises(NotAllowed):
        organisation_verify(officer=staff, organisation_id=organisation.pk, confirmed=CHECKS)
    organisation_refuse(
        officer=officer, organisation_id=organisation.pk, reason="The charter is not signed."
    )
    organisation.refresh_from_db()
    assert organisation.verification_status == Organisation.Verification.REFUSED
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    page = client.get(reverse("dashboard-issuer")).content.decode()
    assert "Refused by compliance" in page
    assert "The charter is not signed." in page


def test_its_documents_are_for_compliance_the_regulator_and_its_own_staff(pending):
    organisation, staff = pending
    send(staff)
    url = reverse("organisation-document", args=[organisation.pk, "registration"])
    for user, status in (
        (staff, 200),
        (make_user(Role.COMPLIANCE_OFFICER), 200),
        (make_user(Role.REGULATOR), 200),
        (make_user(Role.ISSUER_STAFF), 404),
        (make_user(Role.HOLDER), 403),
    ):
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == status, user
    assert Client().get(url).status_code == 302
