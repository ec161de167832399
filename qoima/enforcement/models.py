"""Acts of enforcement and the legal documents they rest on."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from issuance.storage import document_storage
from qoima.chain.fields import Uint256Field
from qoima.chain.models import Operation
from qoima.custody.models import Wallet


class LegalBasis(models.Model):
    """The document an act rests on: a court decision, an enforcement officer's order, an
    instruction of the financial-monitoring agency. Checked by content and hashed like an
    issuance document; its SHA-256 is the reason hash the act's event carries on-chain."""

    class Kind(models.TextChoices):
        COURT_DECISION = "court_decision", _("Court decision")
        ENFORCEMENT_ORDER = "enforcement_order", _("Enforcement officer's order")
        FINANCIAL_MONITORING = (
            "financial_monitoring",
            _("Instruction of the Financial Monitoring Agency"),
        )
        REGULATOR_INSTRUCTION = "regulator_instruction", _("Regulator's instruction")
        INHERITANCE = "inheritance", _("Certificate of inheritance")
        HOLDER_APPLICATION = "holder_application", _("Holder's application")
        PLATFORM_DECISION = "platform_decision", _("Decision of the platform's management")

    kind = models.CharField(_("kind of document"), max_length=32, choices=Kind.choices)
    number = models.CharField(_("document number"), max_length=64)
    issued_on = models.DateField(_("dated"))
    authority = models.CharField(_("issued by"), max_length=255)
    document = models.FileField(_("document"), storage=document_storage, max_length=200)
    document_sha256 = models.CharField(_("SHA-256 of the document"), max_length=64)
    document_content_type = models.CharField(_("content type"), max_length=64)
    document_original_name = models.CharField(_("file name"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} № {self.number}"

    @property
    def reason_hash(self) -> str:
        return "0x" + self.document_sha256


class EnforcementAct(models.Model):
    """One act of enforcement, from the officer's request to its on-chain outcome.

    Forced transfers and the platform's pauses need a second officer's confirmation before
    anything is carried out (maker-checker); the other acts are carried out when asked for.
    ``wallet`` is the address acted on (the sender of a forced transfer), ``token_address``
    the asset (blank for an address's freeze and the platform's pause).
    """

    class Kind(models.TextChoices):
        FREEZE_WALLET = "freeze_wallet", _("Freeze of a wallet")
        UNFREEZE_WALLET = "unfreeze_wallet", _("Unfreeze of a wallet")
        FREEZE_UNITS = "freeze_units", _("Freeze of units")
        UNFREEZE_UNITS = "unfreeze_units", _("Release of frozen units")
        FORCED_TRANSFER = "forced_transfer", _("Forced transfer")
        PAUSE_ASSET = "pause_asset", _("Pause of an asset")
        UNPAUSE_ASSET = "unpause_asset", _("End of an asset's pause")
        PAUSE_PLATFORM = "pause_platform", _("Pause of the whole platform")
        UNPAUSE_PLATFORM = "unpause_platform", _("End of the platform's pause")
        # A new custodial wallet for the holder, every unfrozen unit of the old one moved to it
        # (forced transfers), the old one delisted: a lost or compromised key.
        RECOVER_WALLET = "recover_wallet", _("Recovery to a new wallet")

    class State(models.TextChoices):
        AWAITING_CONFIRMATION = "awaiting", _("Awaiting a second officer")
        REJECTED = "rejected", _("Rejected")
        PENDING = "pending", _("Pending on-chain")
        CONFIRMED = "confirmed", _("Confirmed on-chain")
        FAILED = "failed", _("Failed on-chain")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    legal_basis = models.ForeignKey(
        LegalBasis, verbose_name=_("legal basis"), on_delete=models.PROTECT, related_name="acts"
    )
    reason = models.TextField(_("reason"))
    wallet = models.ForeignKey(
        Wallet,
        verbose_name=_("wallet"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enforcement_acts",
    )
    receiver_wallet = models.ForeignKey(
        Wallet,
        verbose_name=_("receiving wallet"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    token_address = models.CharField(_("asset's token"), max_length=42, blank=True)
    amount = Uint256Field(_("units"), null=True, blank=True)
    operation = models.OneToOneField(
        Operation,
        verbose_name=_("on-chain operation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enforcement_act",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rejected by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rejection_reason = models.TextField(_("why rejected"), blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enforcement act")
        verbose_name_plural = _("enforcement acts")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["kind", "token_address", "state"])]
        constraints = [
            # A second officer confirms a maker-checker act; nobody confirms their own.
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("requested_by")),
                name="enforcement_act_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="enforcement_act_amount_positive",
            ),
            # Once carried out, an act has its operation.
            models.CheckConstraint(
                condition=Q(state__in=["awaiting", "rejected"]) | Q(operation__isnull=False),
                name="enforcement_act_carried_out_has_operation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
