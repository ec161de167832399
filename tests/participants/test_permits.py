import datetime

import pytest

from qoima.audit.models import AuditEntry
from qoima.errors import Conflict, InvalidInput, NotAllowed
from qoima.participants.models import Permit, Role
from qoima.participants.selectors import permit_is_valid, permit_validity
from qoima.participants.services import permit_add, permit_default_expiry, permit_set_status
from tests.factories import PermitFactory, make_user, pdf_upload

pytestmark = pytest.mark.django_db

ISSUED = datetime.date(2025, 3, 1)
EXPIRES = datetime.date(2028, 3, 1)


@pytest.fixture
def permit():
    return PermitFactory(issued_on=ISSUED, expires_on=EXPIRES)


def test_active_permit_is_valid_from_issue_to_expiry_inclusive(permit):
    assert permit_is_valid(permit, on=ISSUED)
    assert permit_is_valid(permit, on=datetime.date(2026, 11, 25))
    assert permit_is_valid(permit, on=EXPIRES)


def test_permit_past_its_expiry_date_is_not_valid(permit):
    day_after = EXPIRES + datetime.timedelta(days=1)
    assert not permit_is_valid(permit, on=day_after)
    assert "expired" in permit_validity(permit, on=day_after).reason


def test_permit_before_its_issue_date_is_not_valid(permit):
    assert not permit_is_valid(permit, on=ISSUED - datetime.timedelta(days=1))


@pytest.mark.parametrize(
    ("status", "word"), [(Permit.Status.SUSPENDED, "suspended"), (Permit.Status.REVOKED, "revoked")]
)
def test_suspended_or_revoked_permit_is_not_valid_within_its_dates(permit, status, word):
    officer = make_user(Role.COMPLIANCE_OFFICER)
    permit_set_status(
        actor=officer, permit_id=permit.pk, status=status, reason="Order", document_ref="No. 1"
    )
    permit.refresh_from_db()
    assert not permit_is_valid(permit, on=datetime.date(2026, 1, 1))
    assert word in permit_validity(permit, on=datetime.date(2026, 1, 1)).reason
    entry = AuditEntry.objects.get(action=f"permit.{status}")
    assert entry.actor == officer
    assert entry.details == {"from": "active", "reason": "Order", "document_ref": "No. 1"}


def test_suspended_permit_can_be_reinstated_but_revoked_cannot(permit):
    officer = make_user(Role.COMPLIANCE_OFFICER)
    args = {"actor": officer, "permit_id": permit.pk, "reason": "r", "document_ref": "d"}
    permit_set_status(status=Permit.Status.SUSPENDED, **args)
    permit_set_status(status=Permit.Status.ACTIVE, **args)
    assert permit_is_valid(Permit.objects.get(pk=permit.pk), on=datetime.date(2026, 1, 1))
    permit_set_status(status=Permit.Status.REVOKED, **args)
    with pytest.raises(Conflict):
        permit_set_status(status=Permit.Status.ACTIVE, **args)
    assert Permit.objects.get(pk=permit.pk).status == Permit.Status.REVOKED


def test_permit_status_change_needs_compliance_a_reason_and_a_document(permit):
    issuer = make_user(Role.ISSUER_STAFF, organisation=permit.organisation)
    with pytest.raises(NotAllowed):
        permit_set_status(
            actor=issuer, permit_id=permit.pk, status="revoked", reason="r", document_ref="d"
        )
    officer = make_user(Role.COMPLIANCE_OFFICER)
    with pytest.raises(InvalidInput):
        permit_set_status(
            actor=officer, permit_id=permit.pk, status="revoked", reason=" ", document_ref="d"
        )
    assert Permit.objects.get(pk=permit.pk).status == Permit.Status.ACTIVE
    assert not AuditEntry.objects.filter(action__startswith="permit.").exists()


def test_permit_term_defaults_to_three_years(permit):
    assert permit_default_expiry(datetime.date(2026, 1, 15), years=3) == datetime.date(2029, 1, 15)
    assert permit_default_expiry(datetime.date(2024, 2, 29), years=3) == datetime.date(2027, 2, 28)
    officer = make_user(Role.COMPLIANCE_OFFICER)
    renewed = permit_add(
        actor=officer,
        organisation=permit.organisation,
        number="P-RENEWED",
        authority=permit.authority,
        issued_on=datetime.date(2026, 2, 1),
        document=pdf_upload(),
    )
    assert renewed.expires_on == datetime.date(2029, 2, 1)


def test_issuer_staff_cannot_add_permits_to_another_organisation(permit):
    outsider = make_user(
        Role.ISSUER_STAFF,
        organisation=PermitFactory(organisation__identification_number="950341000052").organisation,
    )
    with pytest.raises(NotAllowed):
        permit_add(
            actor=outsider,
            organisation=permit.organisation,
            number="X",
            authority="A",
            issued_on=datetime.date(2026, 1, 1),
            document=pdf_upload(),
        )
