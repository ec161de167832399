import datetime
import hashlib

import factory
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qoima.participants.models import HolderProfile, Organisation, Permit, Role, User

PASSWORD = "correct-horse-battery-9"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf_upload(name: str = "permit.pdf", extra: bytes = b"") -> SimpleUploadedFile:
    """A small PDF, recognised by its content; ``extra`` bytes make a different document."""
    return SimpleUploadedFile(name, PDF + extra, content_type="application/pdf")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("identification_number",)

    kind = Organisation.Kind.LEGAL_ENTITY
    legal_name = factory.Sequence(lambda n: f"ТОО «Issuer {n}»")
    identification_number = "940140000385"
    # An organisation compliance has verified; tests of verification itself ask for PENDING.
    verification_status = Organisation.Verification.VERIFIED
    verified_by = factory.LazyFunction(lambda: permit_verifier())
    verified_at = factory.LazyFunction(timezone.now)


class PermitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Permit

    organisation = factory.SubFactory(OrganisationFactory)
    number = factory.Sequence(lambda n: f"P-{n:05d}")
    authority = "Ministry of Digital Development"
    issued_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=10))
    expires_on = factory.LazyAttribute(lambda p: p.issued_on + datetime.timedelta(days=3 * 365))
    # A permit in force, as a compliance officer verified it against its document; tests of
    # verification itself ask for status=PENDING and no verifier.
    status = Permit.Status.ACTIVE
    document_sha256 = factory.LazyAttribute(
        lambda p: hashlib.sha256(f"{p.authority}/{p.number}".encode()).hexdigest()
    )
    document_content_type = "application/pdf"
    verified_by = factory.LazyFunction(lambda: permit_verifier())
    verified_at = factory.LazyFunction(timezone.now)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.kz")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=Role(extracted).value))
        if create:
            self.save()


class HolderProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HolderProfile

    user = factory.SubFactory(UserFactory, role=Role.HOLDER)
    kind = HolderProfile.Kind.INDIVIDUAL
    full_name = factory.Sequence(lambda n: f"Holder {n}")
    identification_number = "791028302728"


def permit_verifier():
    """The one compliance officer the factories' permits name as their verifier."""
    user = User.objects.filter(username="permit-verifier").first()
    return user or UserFactory(username="permit-verifier", role=Role.COMPLIANCE_OFFICER)


def make_user(role: Role, **kwargs):
    if role == Role.ISSUER_STAFF and "organisation" not in kwargs:
        kwargs["organisation"] = OrganisationFactory()
    return UserFactory(role=role, **kwargs)


def valid_iins(count: int, *, start: int = 0) -> list[str]:
    """``count`` distinct valid IINs (men born from 1980 on, serials in turn), skipping the
    first ``start``."""
    from qoima.participants.identifiers import check_digit

    numbers: list[str] = []
    day, seen = datetime.date(1980, 1, 1), 0
    while len(numbers) < count:
        for serial in range(10_000):
            digits = f"{day:%y%m%d}3{serial:04d}"
            control = check_digit(digits)
            if control is None:
                continue
            seen += 1
            if seen > start:
                numbers.append(f"{digits}{control}")
                if len(numbers) == count:
                    break
        day += datetime.timedelta(days=1)
    return numbers


def token_row(address: str, *, symbol: str, decimals: int, name: str = "", asset: str = "ab"):
    """A platform token's row as the indexer records an issue, without the chain: for tests of
    the ledgers and the pages that need only the row."""
    from django.conf import settings

    from qoima.chain.models import PlatformToken

    return PlatformToken.objects.create(
        chain_id=settings.CHAIN_ID,
        address=address,
        asset_id="0x" + asset * 32,
        block_number=1,
        name=name,
        symbol=symbol,
        decimals=decimals,
    )
