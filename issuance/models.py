from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qoima.chain.fields import Uint256Field
from qoima.chain.models import Operation
from qoima.chain.reasons import failure_text
from qoima.participants.models import HolderProfile, Organisation, Permit

from .storage import document_storage


class AssetClass(models.TextChoices):
    """What an application says its asset is; only the first four may be backed (Art. 5)."""

    TANGIBLE_ASSET = "tangible_asset", _("Tangible asset")
    TANGIBLE_SERVICE = "tangible_service", _("Tangible service")
    IP_ASSET = "ip_asset", _("Intellectual-property asset")
    INTELLECTUAL_SERVICE = "intellectual_service", _("Intellectual service")
    MONEY = "money", _("Money")
    SECURITIES = "securities", _("Securities")
    FINANCIAL_INSTRUMENT = "financial_instrument", _("Financial instrument or financial asset")
    DERIVATIVE = "derivative", _("Derivative")
    CRYPTO = "crypto", _("Cryptocurrency (unbacked digital asset)")


class Application(models.Model):
    """An issuer's application to issue a backed digital asset, from draft to minted token."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("In review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved, awaiting a second officer")
        REJECTED = "rejected", _("Rejected")
        ISSUING = "issuing", _("Being issued on-chain")
        ISSUED = "issued", pgettext_lazy("application status", "Issued")
        FAILED = "failed", _("Issue failed on-chain")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("issuer"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drafted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("asset name"), max_length=100)
    symbol = models.CharField(_("symbol"), max_length=11)
    asset_class = models.CharField(_("asset class"), max_length=32, choices=AssetClass.choices)
    description = models.TextField(_("description of the underlying asset"))
    asset_identifier = models.CharField(
        _("registry identifier"),
        max_length=128,
        help_text=_("Cadastral number, patent number, trademark certificate number or similar."),
    )
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=0)
    # Both in the token's smallest units.
    backed_units = Uint256Field(_("backed units"))
    mint_units = Uint256Field(_("units to mint"))
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.DRAFT
    )
    status_reason = models.TextField(_("reason"), blank=True)
    # Each submission after a change request is a new revision; reviews name theirs.
    revision = models.PositiveIntegerField(_("revision"), default=0)
    permit = models.ForeignKey(
        Permit,
        verbose_name=_("permit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    issue_operation = models.OneToOneField(
        Operation,
        verbose_name=_("issue on-chain"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    mint_operation = models.OneToOneField(
        Operation,
        verbose_name=_("mint on-chain"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    token_address = models.CharField(_("token"), max_length=42, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("asset application")
        verbose_name_plural = _("asset applications")
        ordering = ["-created_at"]
        constraints = [
            # Maker-checker: the officer who confirms an approval is never the one who made it.
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=F("approved_by")),
                name="application_checker_is_not_maker",
            ),
            models.CheckConstraint(
                condition=Q(mint_units__gt=0) & Q(mint_units__lte=F("backed_units")),
                name="application_mint_within_backed_units",
            ),
            models.UniqueConstraint(
                fields=["token_address"],
                condition=~Q(token_address=""),
                name="application_unique_token",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.symbol})"

    def failure(self) -> str:
        """Why its issue or mint failed on-chain, in the reader's language ("" otherwise)."""
        for operation in (self.issue_operation, self.mint_operation):
            if operation is not None and operation.state == Operation.State.FAILED:
                return failure_text(operation)
        return ""

    @property
    def asset_id(self) -> str:
        """The asset's id on-chain (a bytes32): one per application, never reused."""
        return f"qoima-application-{self.pk}"

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.CHANGES_REQUESTED)


class Document(models.Model):
    """A stored file of an application. Never changed: a new version supersedes it."""

    class Kind(models.TextChoices):
        ISSUANCE_DECISION = "issuance_decision", _("Issuance decision")
        PROOF_OF_RIGHTS = "proof_of_rights", _("Proof of rights")
        OTHER = "other", _("Other document")

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="documents",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    number = models.CharField(_("document number"), max_length=64, blank=True)
    dated_on = models.DateField(_("dated"), null=True, blank=True)
    signatory = models.CharField(_("signatory"), max_length=200, blank=True)
    file = models.FileField(_("file"), storage=document_storage, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=64)
    original_name = models.CharField(_("file name"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["kind", "-uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="issuance_decision")
                | (~Q(number="") & Q(dated_on__isnull=False) & ~Q(signatory="")),
                name="document_decision_has_number_date_signatory",
            ),
            models.CheckConstraint(
                condition=~Q(kind="proof_of_rights") | Q(dated_on__isnull=False),
                name="document_proof_is_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sha256[:12]}"


class Review(models.Model):
    """One step of an application's history: a submission or an officer's decision."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        APPROVE = "approve", _("Approved")
        CONFIRM = "confirm", _("Confirmed the approval")
        REJECT = "reject", _("Rejected")
        REQUEST_CHANGES = "request_changes", _("Requested changes")

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="reviews"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    revision = models.PositiveIntegerField(_("revision"))
    # The Art. 5 items the officer confirmed, by number, with what each was checked against.
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)
    note = models.TextField(_("reason or note"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review step")
        verbose_name_plural = _("review steps")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} #{self.application_id}"


class Distribution(models.Model):
    """The issuer sends units of an issued asset to verified holders: one, or a CSV file."""

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Checking the file")
        INVALID = "invalid", _("Refused: the file has errors")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Done")

    application = models.ForeignKey(
        Application, verbose_name=_("asset"), on_delete=models.PROTECT, related_name="distributions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    # The uploaded rows, kept until they are checked and turned into lines.
    content = models.BinaryField(_("uploaded file"), null=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.VALIDATING
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    total_units = Uint256Field(_("units"), default=0)
    # Every bad row of a refused file (line 0: the file as a whole), each problem as a code and
    # its parameters: [{"line": n, "problems": [{"code": "...", "params": {...}}]}]. Put into
    # words when read, in the reader's language (selectors.distribution_errors).
    errors = models.JSONField(_("errors"), default=list, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "idempotency_key"], name="distribution_idempotent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.row_count}"


class DistributionLine(models.Model):
    distribution = models.ForeignKey(
        Distribution, verbose_name=_("distribution"), on_delete=models.CASCADE, related_name="lines"
    )
    line = models.PositiveIntegerField(_("line"))
    holder = models.ForeignKey(
        HolderProfile, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="+"
    )
    amount = Uint256Field(_("units"))
    operation = models.OneToOneField(
        Operation, verbose_name=_("on-chain"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("distribution line")
        verbose_name_plural = _("distribution lines")
        ordering = ["line"]
        constraints = [
            models.UniqueConstraint(fields=["distribution", "line"], name="distribution_line_once")
        ]

    def __str__(self) -> str:
        return f"{self.distribution_id}:{self.line}"


class Redemption(models.Model):
    """A holder asks the issuer to deliver the underlying asset; fulfilled, the units burn."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Awaiting the issuer")
        REFUSED = "refused", _("Refused by the issuer")
        BURNING = "burning", _("Fulfilled, burning on-chain")
        REDEEMED = "redeemed", _("Redeemed")
        FAILED = "failed", _("Burn failed on-chain")

    application = models.ForeignKey(
        Application, verbose_name=_("asset"), on_delete=models.PROTECT, related_name="redemptions"
    )
    holder = models.ForeignKey(
        HolderProfile, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="+"
    )
    amount = Uint256Field(_("units"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    fulfilment_reference = models.CharField(_("delivery reference"), max_length=255, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    operation = models.OneToOneField(
        Operation,
        verbose_name=_("burn on-chain"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="redemption_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status__in=["burning", "redeemed"]) | ~Q(fulfilment_reference=""),
                name="redemption_fulfilled_has_reference",
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""),
                name="redemption_refused_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.symbol} · {self.amount}"

    def failure(self) -> str:
        """Why its burn failed on-chain, in the reader's language ("" otherwise)."""
        operation = self.operation
        if operation is not None and operation.state == Operation.State.FAILED:
            return failure_text(operation)
        return ""


class DocumentCheck(models.Model):
    """One scheduled re-hash of a stored document, compared with its recorded hashes."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="checks"
    )
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)
    # What re-reading the stored file gave; blank when the file could not be read.
    file_sha256 = models.CharField(_("SHA-256 of the stored file"), max_length=64, blank=True)
    # The hash the token records for it; blank when the chain holds none for it.
    chain_sha256 = models.CharField(_("SHA-256 on chain"), max_length=64, blank=True)
    ok = models.BooleanField(_("intact"))
    problem = models.TextField(_("problem"), blank=True)

    class Meta:
        verbose_name = _("document check")
        verbose_name_plural = _("document checks")
        ordering = ["-checked_at", "-pk"]
        indexes = [models.Index(fields=["document", "-checked_at"], name="document_check_latest")]

    def __str__(self) -> str:
        return f"{self.document_id} {'ok' if self.ok else 'altered'}"
