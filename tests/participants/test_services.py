import datetime

import pytest
from eth_account import Account

from qoima.audit.models import AuditEntry
from qoima.chain.models import Operation
from qoima.custody.keys import key_decrypt
from qoima.custody.models import Wallet
from qoima.errors import Conflict, InvalidInput, NotAllowed, NotFound
from qoima.participants.models import HolderProfile, Organisation, Role, User
from qoima.participants.selectors import user_role
from qoima.participants.services import (
    holder_register,
    holder_suspend,
    holder_verify,
    organisation_register,
    user_create,
)
from tests.factories import HolderProfileFactory, make_user, pdf_upload

pytestmark = pytest.mark.django_db

REGISTRATION = {
    "kind": "legal_entity",
    "legal_name": "ТОО «Астық»",
    "identification_number": "940140000385",
    "registered_address": "Astana",
    "permit_number": "KZ-1",
    "permit_authority": "MDDIAI",
    "permit_issued_on": datetime.date(2026, 1, 10),
    "permit_document": pdf_upload(),
    "username": "astyq",
    "email": "office@astyq.kz",
    "password": "Strong-passphrase-42",
}


def test_issuer_registration_creates_organisation_permit_staff_and_audit_entry():
    organisation = organisation_register(**REGISTRATION)
    permit = organisation.permits.get()
    assert permit.expires_on == datetime.date(2029, 1, 10)
    staff = organisation.staff.get()
    assert user_role(staff) == Role.ISSUER_STAFF
    entry = AuditEntry.objects.get(action="organisation.registered")
    assert entry.actor == staff
    assert entry.object_id == str(organisation.pk)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"identification_number": "940140000386"}, "identification_number"),
        ({"identification_number": "050150001232"}, "identification_number"),
        ({"kind": "foreign_company"}, "kind"),
        ({"password": "123"}, "password"),
        ({"permit_expires_on": datetime.date(2025, 1, 1)}, "permit_expires_on"),
        ({"permit_issued_on": datetime.date(1, 1, 1)}, "permit_issued_on"),
        ({"permit_expires_on": datetime.date(9999, 12, 31)}, "permit_expires_on"),
    ],
)
def test_bad_registration_changes_nothing(changes, field):
    with pytest.raises(InvalidInput) as error:
        organisation_register(**{**REGISTRATION, **changes})
    assert error.value.field == field
    assert not Organisation.objects.exists()
    assert not User.objects.exists()
    assert not AuditEntry.objects.exists()


def test_an_organisation_registers_once():
    organisation_register(**REGISTRATION)
    with pytest.raises(InvalidInput):
        organisation_register(**{**REGISTRATION, "username": "other", "permit_number": "KZ-2"})
    assert Organisation.objects.count() == 1


def test_holder_lifecycle_unverified_verified_suspended_verified():
    holder = holder_register(
        username="aliya",
        email="aliya@example.kz",
        password="Strong-passphrase-42",
        kind=HolderProfile.Kind.INDIVIDUAL,
        full_name="Aliya",
        identification_number="791028302728",
    )
    assert holder.verification_status == HolderProfile.Status.UNVERIFIED
    officer = make_user(Role.COMPLIANCE_OFFICER)
    holder = holder_verify(officer=officer, holder_id=holder.pk, document_ref="KYC-1")
    assert holder.verification_status == HolderProfile.Status.VERIFIED
    assert holder.verified_by == officer
    assert holder.verified_at is not None
    with pytest.raises(Conflict):
        holder_verify(officer=officer, holder_id=holder.pk, document_ref="KYC-1")
    holder = holder_suspend(officer=officer, holder_id=holder.pk, reason="Court order 5")
    assert holder.verification_status == HolderProfile.Status.SUSPENDED
    holder = holder_verify(officer=officer, holder_id=holder.pk, document_ref="KYC-2")
    assert holder.verification_status == HolderProfile.Status.VERIFIED
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions == [
        "holder.registered",
        "holder.verified",
        "custody.wallet_opened",
        "custody.wallet_allowlist",
        "holder.suspended",
        "custody.wallet_delist",
        "holder.verified",
        "custody.wallet_allowlist",
    ]
    # One custodial wallet, allowlisted, taken off and put back on-chain in that order.
    (wallet,) = Wallet.objects.filter(holder=holder)
    assert wallet.kind == Wallet.Kind.CUSTODIAL
    assert Account.from_key(key_decrypt(wallet.encrypted_key)).address == wallet.address
    assert list(
        Operation.objects.filter(account=wallet.address)
        .order_by("pk")
        .values_list("kind", flat=True)
    ) == ["allowlist", "delist", "allowlist"]


def test_holder_number_must_match_kind():
    with pytest.raises(InvalidInput):
        holder_register(
            username="x",
            email="x@example.kz",
            password="Strong-passphrase-42",
            kind=HolderProfile.Kind.INDIVIDUAL,
            full_name="X",
            identification_number="940140000385",
        )
    assert not HolderProfile.objects.exists()


@pytest.mark.parametrize("role", [Role.HOLDER, Role.ISSUER_STAFF, Role.REGULATOR])
def test_only_compliance_verifies_holders(role):
    holder = HolderProfileFactory()
    with pytest.raises(NotAllowed):
        holder_verify(officer=make_user(role), holder_id=holder.pk, document_ref="K")
    holder.refresh_from_db()
    assert holder.verification_status == HolderProfile.Status.UNVERIFIED


def test_unknown_holder_is_not_found():
    with pytest.raises(NotFound):
        holder_verify(officer=make_user(Role.COMPLIANCE_OFFICER), holder_id=999, document_ref="K")


def test_only_platform_admin_creates_staff_accounts():
    with pytest.raises(NotAllowed):
        user_create(
            actor=make_user(Role.COMPLIANCE_OFFICER),
            username="new",
            email="n@example.kz",
            password="Strong-passphrase-42",
            role=Role.COMPLIANCE_OFFICER,
        )
    user = user_create(
        actor=make_user(Role.PLATFORM_ADMIN),
        username="new",
        email="n@example.kz",
        password="Strong-passphrase-42",
        role=Role.COMPLIANCE_OFFICER,
    )
    assert user_role(user) == Role.COMPLIANCE_OFFICER
    assert AuditEntry.objects.get(action="user.created").details == {"role": "compliance_officer"}
