"""Tenge in and out of the platform's bank account: members' own bank accounts, the bank's
statements as imported, each credit line of them, and withdrawals.

The ledger (``cash.py``) says whose the money is; these rows say why it moved: a deposit's
posting names its statement line, a withdrawal's postings name the withdrawal. The bank's own
references are unique here, so no receipt is counted twice and no payment recorded twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .cash import Member, Posting


class BankAccount(models.Model):
    """A member's account at a Kazakh bank, the only place its withdrawals are paid to."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="bank_accounts"
    )
    # Compact form (no spaces), check digits verified when added.
    iban = models.CharField(_("IBAN"), max_length=34)
    holder_name = models.CharField(_("account holder"), max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["member", "iban"], name="bank_account_unique"),
            models.CheckConstraint(condition=Q(iban__startswith="KZ"), name="bank_account_kz"),
        ]

    def __str__(self) -> str:
        return self.iban


class StatementImport(models.Model):
    """One bank statement file, imported once: its SHA-256 is unique."""

    class Format(models.TextChoices):
        MT940 = "mt940", _("SWIFT MT940")
        CSV = "csv", _("CSV")

    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, unique=True)
    file_name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    # What the file held: credits matched to a member, credits left for a person, and lines
    # passed over (debits, and credits already imported from an earlier statement).
    matched_count = models.PositiveIntegerField(_("matched"), default=0)
    unallocated_count = models.PositiveIntegerField(_("unallocated"), default=0)
    skipped_count = models.PositiveIntegerField(_("passed over"), default=0)

    class Meta:
        verbose_name = _("statement import")
        verbose_name_plural = _("statement imports")
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name


class StatementLine(models.Model):
    """A credit to the platform's bank account, as the statement showed it."""

    class State(models.TextChoices):
        MATCHED = "matched", _("Matched to a member")
        UNALLOCATED = "unallocated", _("Awaiting allocation")
        ALLOCATED = "allocated", _("Allocated by hand")
        RETURNED = "returned", _("Returned to the sender")

    statement = models.ForeignKey(
        StatementImport,
        verbose_name=_("statement"),
        on_delete=models.PROTECT,
        related_name="lines",
    )
    bank_reference = models.CharField(_("bank reference"), max_length=64, unique=True)
    value_date = models.DateField(_("value date"))
    amount = models.BigIntegerField(_("amount (tiyn)"))
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    payer_iban = models.CharField(_("payer's IBAN"), max_length=34, blank=True)
    purpose = models.CharField(_("purpose of payment"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deposits",
    )
    # The posting that credited the member (matched, allocated) or the settlement account.
    posting = models.OneToOneField(
        Posting, verbose_name=_("posting"), on_delete=models.PROTECT, related_name="+"
    )
    # The posting and the bank's reference of what a person did with an unallocated line.
    handled_posting = models.OneToOneField(
        Posting,
        verbose_name=_("handling posting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    return_reference = models.CharField(
        _("bank reference of the return"), max_length=64, blank=True
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["state", "created_at"], name="statement_line_queue")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="statement_line_positive"),
            # A line with a member is one the member was credited with; a returned line has
            # the bank's reference of the return.
            models.CheckConstraint(
                condition=Q(state__in=["matched", "allocated"], member__isnull=False)
                | Q(state__in=["unallocated", "returned"], member__isnull=True),
                name="statement_line_member_of_state",
            ),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(return_reference=""),
                name="statement_line_returned_reference",
            ),
            models.UniqueConstraint(
                fields=["return_reference"],
                condition=~Q(return_reference=""),
                name="statement_line_return_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.bank_reference


class Withdrawal(models.Model):
    """Tenge a member asked to be paid to its own bank account; held from the request on."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("To be paid")
        AWAITING_SECOND = "awaiting_second", _("Awaiting a second officer")
        APPROVED = "approved", _("Approved, to be paid")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        REFUSED = "refused", _("Refused")

    OPEN_STATES = (State.REQUESTED, State.AWAITING_SECOND, State.APPROVED)

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="withdrawals"
    )
    bank_account = models.ForeignKey(
        BankAccount,
        verbose_name=_("bank account"),
        on_delete=models.PROTECT,
        related_name="withdrawals",
    )
    amount = models.BigIntegerField(_("amount (tiyn)"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    bank_reference = models.CharField(_("bank reference of the payment"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    # The client's key for the request: the same request sent twice is one withdrawal.
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paid by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled or refused by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("cancelled or refused at"), null=True, blank=True)

    class Meta:
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["state", "requested_at"], name="withdrawal_queue")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawal_positive"),
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="withdrawal_idempotency_key_unique",
            ),
            models.UniqueConstraint(
                fields=["bank_reference"],
                condition=~Q(bank_reference=""),
                name="withdrawal_bank_reference_unique",
            ),
            models.CheckConstraint(
                condition=~Q(state="paid") | (~Q(bank_reference="") & Q(paid_by__isnull=False)),
                name="withdrawal_paid_with_reference",
            ),
            # Maker-checker: the officer who approved is never the one who pays.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(paid_by__isnull=True)
                | ~Q(approved_by=F("paid_by")),
                name="withdrawal_two_officers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.amount}"

    @property
    def is_open(self) -> bool:
        """Not paid, cancelled or refused yet: the amount is still held."""
        return self.state in self.OPEN_STATES
