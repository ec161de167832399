import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from issuance.storage import document_storage

from .identifiers import validate_identification_number


class Role(models.TextChoices):
    """Each user holds exactly one role; each role is a Django group of the same name."""

    ISSUER_STAFF = "issuer_staff", _("Issuer staff")
    HOLDER = "holder", _("Holder")
    COMPLIANCE_OFFICER = "compliance_officer", _("Compliance officer")
    REGULATOR = "regulator", _("Regulator")
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")
    # Keeps the tenge ledger in step with the bank: imports statements, allocates receipts and
    # pays withdrawals. Never trades.
    TREASURY_OFFICER = "treasury_officer", _("Treasury officer")


# The platform's own people: shorter sessions and longer passwords than its participants'.
STAFF_ROLES = frozenset(
    {Role.PLATFORM_ADMIN, Role.COMPLIANCE_OFFICER, Role.REGULATOR, Role.TREASURY_OFFICER}
)


class Organisation(models.Model):
    """An issuer: a Kazakh legal entity (BIN) or individual entrepreneur (IIN, or BIN type 6)."""

    class Kind(models.TextChoices):
        LEGAL_ENTITY = "legal_entity", _("Legal entity")
        INDIVIDUAL_ENTREPRENEUR = "individual_entrepreneur", _("Individual entrepreneur")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    legal_name = models.CharField(_("legal name"), max_length=255)
    identification_number = models.CharField(
        _("BIN / IIN"),
        max_length=12,
        unique=True,
        validators=[validate_identification_number],
        help_text=_(
            "12 digits: BIN for a legal entity, IIN or BIN for an individual entrepreneur."
        ),
    )
    registered_address = models.CharField(_("registered address"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Know your business: the organisation counts once a compliance officer has checked its
    # registration, its beneficial owners and its signatory's authority against documents.
    class Verification(models.TextChoices):
        PENDING = "pending", _("Pending verification")
        VERIFIED = "verified", _("Verified")
        REFUSED = "refused", _("Refused by compliance")

    verification_status = models.CharField(
        _("verification"), max_length=16, choices=Verification.choices, default=Verification.PENDING
    )
    # [{"name": ..., "identification_number": ..., "share": "25.5"}], as the issuer declared them.
    beneficial_owners = models.JSONField(_("beneficial owners"), default=list, blank=True)
    signatory_name = models.CharField(_("signatory"), max_length=255, blank=True)
    signatory_position = models.CharField(_("signatory's position"), max_length=255, blank=True)
    registration_document = models.FileField(
        _("state registration document"), storage=document_storage, max_length=200, blank=True
    )
    registration_sha256 = models.CharField(_("its SHA-256"), max_length=64, blank=True)
    authority_document = models.FileField(
        _("signatory's authority document"), storage=document_storage, max_length=200, blank=True
    )
    authority_sha256 = models.CharField(_("its SHA-256"), max_length=64, blank=True)
    verification_submitted_at = models.DateTimeField(
        _("sent for verification at"), null=True, blank=True
    )
    verified_by = models.ForeignKey(
        "participants.User",
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verification_note = models.TextField(_("compliance's note"), blank=True)

    class Meta:
        verbose_name = _("issuer organisation")
        verbose_name_plural = _("issuer organisations")
        ordering = ["legal_name"]
        permissions = [("verify_organisation", "Can verify issuer organisations")]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.identification_number})"


# API tokens (qoima.accounts.models.ApiToken) build on django-rest-knox's untyped model, so
# django-stubs cannot type their manager on the user.
class User(AbstractUser):  # type: ignore[django-manager-missing]
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Permit(models.Model):
    """The issuer's permit for issue and circulation of backed digital assets.

    What an issuer records is only its statement: the permit counts once a compliance officer
    has verified it against the uploaded permit document.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending verification")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Revoked")
        REFUSED = "refused", _("Refused by compliance")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="permits",
    )
    number = models.CharField(_("permit number"), max_length=64)
    authority = models.CharField(_("issuing authority"), max_length=255)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    document = models.FileField(
        _("permit document"), storage=document_storage, max_length=200, blank=True
    )
    document_sha256 = models.CharField(_("SHA-256 of the document"), max_length=64, blank=True)
    document_content_type = models.CharField(_("content type"), max_length=64, blank=True)
    document_original_name = models.CharField(_("file name"), max_length=255, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    status_reason = models.TextField(_("reason for the status"), blank=True)
    status_document_ref = models.CharField(_("document reference"), max_length=255, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("status changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("issuance permit")
        verbose_name_plural = _("issuance permits")
        ordering = ["-issued_on"]
        constraints = [
            # One authority never issues one number twice, whatever its spelling's case; a
            # permit compliance refused does not hold its number.
            models.UniqueConstraint(
                Upper("authority"),
                Upper("number"),
                condition=~Q(status="refused"),
                name="permit_unique_number_per_authority",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("issued_on")),
                name="permit_expires_after_issue",
            ),
            # A permit in force says who verified it, when, and against which document.
            models.CheckConstraint(
                condition=~Q(status__in=["active", "suspended"])
                | (
                    Q(verified_by__isnull=False)
                    & Q(verified_at__isnull=False)
                    & ~Q(document_sha256="")
                ),
                name="permit_in_force_is_verified",
            ),
        ]
        permissions = [("change_permit_status", "Can suspend, revoke and reinstate permits")]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_status_display()})"

    def is_valid_on(self, on: datetime.date) -> bool:
        return (
            self.status == self.Status.ACTIVE
            and self.verified_at is not None
            and self.issued_on <= on <= self.expires_on
        )


class HolderProfile(models.Model):
    """A participant who may hold backed assets once compliance has verified them."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual (IIN)")
        LEGAL_ENTITY = "legal_entity", _("Legal entity (BIN)")

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Unverified")
        VERIFIED = "verified", _("Verified")
        SUSPENDED = "suspended", _("Suspended")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="holder_profile",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    full_name = models.CharField(_("full or legal name"), max_length=255)
    identification_number = models.CharField(
        _("IIN / BIN"), max_length=12, unique=True, validators=[validate_identification_number]
    )
    verification_status = models.CharField(
        _("verification status"), max_length=16, choices=Status.choices, default=Status.UNVERIFIED
    )
    status_reason = models.TextField(_("reason for the status"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("holder")
        verbose_name_plural = _("holders")
        ordering = ["full_name"]
        constraints = [
            # A verified holder always says who verified them and when.
            models.CheckConstraint(
                condition=~Q(verification_status="verified")
                | (Q(verified_by__isnull=False) & Q(verified_at__isnull=False)),
                name="holder_verified_has_verifier",
            ),
        ]
        permissions = [("verify_holder", "Can verify, suspend and reinstate holders")]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.identification_number})"
