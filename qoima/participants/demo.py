"""Demo participants for the embedded default; created through the services, so audited."""

import datetime
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from issuance.demo import demo_pdf

from .models import STAFF_ROLES, HolderProfile, Organisation, Permit, Role, User
from .services import (
    holder_register,
    holder_verify,
    organisation_register,
    organisation_verification_submit,
    organisation_verify,
    permit_verify,
    user_create,
)

DEMO_PASSWORD = "qoima-demo-2026"  # noqa: S105 - published demo logins, never in production


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    username: str
    password: str = DEMO_PASSWORD


DEMO_LOGINS = [
    DemoLogin(Role.ISSUER_STAFF, "issuer"),
    DemoLogin(Role.HOLDER, "holder1"),
    DemoLogin(Role.HOLDER, "holder2"),
    DemoLogin(Role.COMPLIANCE_OFFICER, "compliance"),
    # A second officer: an approval takes effect only when a different officer confirms it.
    DemoLogin(Role.COMPLIANCE_OFFICER, "compliance2"),
    DemoLogin(Role.REGULATOR, "regulator"),
    DemoLogin(Role.PLATFORM_ADMIN, "admin"),
    DemoLogin(Role.TREASURY_OFFICER, "treasury"),
    # A second treasury officer: a large withdrawal is paid only once another has approved it.
    DemoLogin(Role.TREASURY_OFFICER, "treasury2"),
]

DEMO_ISSUER_BIN = "940140000385"
DEMO_HOLDERS = [
    ("holder1", HolderProfile.Kind.INDIVIDUAL, "Әлия Серікқызы Нұрланова", "791028302728"),
    ("holder2", HolderProfile.Kind.LEGAL_ENTITY, "ТОО «Demo Holder»", "950341000052"),
]


def demo_load(*, today: datetime.date | None = None) -> bool:
    """Create whichever demo participants do not exist yet; returns False when none was
    missing (so an older demo database gains logins added since).

    Each step is a use case that commits on its own, as a person's would; a load interrupted
    between a registration and its verification verifies on the next run.
    """
    today = today or timezone.localdate()
    existing = set(
        User.objects.filter(username__in=[login.username for login in DEMO_LOGINS]).values_list(
            "username", flat=True
        )
    )
    for login in DEMO_LOGINS:
        if login.role in STAFF_ROLES and login.username not in existing:
            user_create(
                actor=None,
                username=login.username,
                email=f"{login.username}@demo.qoima.kz",
                password=login.password,
                role=login.role,
            )
    officer = User.objects.get(username="compliance")
    if "issuer" not in existing:
        organisation_register(
            kind=Organisation.Kind.LEGAL_ENTITY,
            legal_name="ТОО «Qoima Demo Agro»",
            identification_number=DEMO_ISSUER_BIN,
            registered_address="Астана, пр. Мәңгілік Ел, 55",
            permit_number="KZ-ОЦА-2026-0001",
            permit_authority=(
                "Министерство цифрового развития, инноваций и аэрокосмической промышленности РК"
            ),
            permit_issued_on=today - datetime.timedelta(days=30),
            permit_document=SimpleUploadedFile(
                "permit-KZ-2026-0001.pdf", demo_pdf("Demo issuance permit KZ-2026-0001")
            ),
            username="issuer",
            email="issuer@demo.qoima.kz",
            password=DEMO_PASSWORD,
        )
    # The demo issuer may issue at once: compliance verifies its permit as it would.
    for permit in Permit.objects.filter(
        organisation__identification_number=DEMO_ISSUER_BIN, status=Permit.Status.PENDING
    ):
        permit_verify(officer=officer, permit_id=permit.pk, document_ref="DEMO-PERMIT-CHECK")
    demo_issuer = Organisation.objects.get(identification_number=DEMO_ISSUER_BIN)
    if demo_issuer.verification_status == Organisation.Verification.PENDING:
        # And the organisation: its staff send the documents, compliance checks them.
        organisation_verification_submit(
            actor=demo_issuer.staff.get(username="issuer"),
            registration_document=SimpleUploadedFile(
                "registration.pdf", demo_pdf("Demo certificate of state registration")
            ),
            beneficial_owners="Асанов Ерлан; 791028302728; 100",
            signatory_name="Асанов Ерлан",
            signatory_position="Директор",
            authority_document=SimpleUploadedFile(
                "charter.pdf", demo_pdf("Demo charter: the director signs for the company")
            ),
        )
        organisation_verify(
            officer=officer,
            organisation_id=demo_issuer.pk,
            confirmed=["registration", "owners", "signatory"],
        )
    for username, kind, name, number in DEMO_HOLDERS:
        if username not in existing:
            holder_register(
                username=username,
                email=f"{username}@demo.qoima.kz",
                password=DEMO_PASSWORD,
                kind=kind,
                full_name=name,
                identification_number=number,
            )
    for holder in HolderProfile.objects.filter(
        user__username__in=[username for username, *_rest in DEMO_HOLDERS],
        verification_status=HolderProfile.Status.UNVERIFIED,
    ).select_related("user"):
        holder_verify(
            officer=officer, holder_id=holder.pk, document_ref=f"DEMO-KYC-{holder.user.username}"
        )
    return len(existing) < len(DEMO_LOGINS)
