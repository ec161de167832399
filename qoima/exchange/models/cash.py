"""The tenge cash ledger: who owns what of the platform's bank (omnibus) account, in tiyn.

Tenge is never a token here (Art. 5 item 3): it stays in the bank, and these rows say whose it
is. Every movement is a ``Posting`` of two or more ``Leg``s whose amounts sum to zero; the
database refuses anything else (``qoima/exchange/triggers.py``): a posting's header can only be
written once its legs are, and only if they sum to zero; no leg joins a written posting; a leg
without its header fails the deferred foreign key at commit; legs and postings are never
changed or deleted; each leg moves its account's balance, and a participant's balance below
zero violates a check constraint. A balance is what the platform owes the account's owner; the
omnibus account's is minus what is in the bank, so all balances together are always zero.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qoima.participants.models import HolderProfile, Organisation


class Member(models.Model):
    """A participant of the exchange: a verified holder, or an issuer selling its own units.

    Its payment reference goes in the purpose of every bank transfer it sends to the platform,
    so that deposits are matched to it by the statement import.
    """

    holder = models.OneToOneField(
        HolderProfile,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member",
    )
    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("issuer organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member",
    )
    payment_reference = models.CharField(_("payment reference"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("exchange member")
        verbose_name_plural = _("exchange members")
        constraints = [
            models.CheckConstraint(
                condition=Q(holder__isnull=False, organisation__isnull=True)
                | Q(holder__isnull=True, organisation__isnull=False),
                name="member_is_holder_or_issuer",
            ),
        ]

    def __str__(self) -> str:
        return self.payment_reference


class CashAccount(models.Model):
    """One account of the ledger: a member's (available, held for orders, pending settlement)
    or the platform's (the bank omnibus account, fees earned, receipts awaiting allocation)."""

    class Kind(models.TextChoices):
        AVAILABLE = "available", _("Available")
        HELD = "held", _("Held for orders and withdrawals")
        PENDING = "pending", _("Pending settlement")
        OMNIBUS = "omnibus", _("Bank omnibus account")
        FEES = "fees", _("Fees earned")
        SETTLEMENT = "settlement", _("Receipts awaiting allocation")

    MEMBER_KINDS = (Kind.AVAILABLE, Kind.HELD, Kind.PENDING)
    PLATFORM_KINDS = (Kind.OMNIBUS, Kind.FEES, Kind.SETTLEMENT)

    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cash_accounts",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Tiyn. Moved only by the ledger's triggers, by the legs written.
    balance = models.BigIntegerField(_("balance (tiyn)"), default=0, db_default=0)

    class Meta:
        verbose_name = _("cash account")
        verbose_name_plural = _("cash accounts")
        constraints = [
            models.UniqueConstraint(fields=["member", "kind"], name="cash_account_unique"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(member__isnull=True), name="cash_account_platform"
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=False, kind__in=["available", "held", "pending"])
                | Q(member__isnull=True, kind__in=["omnibus", "fees", "settlement"]),
                name="cash_account_kind_of_owner",
            ),
            # No participant ever owes the platform: a posting that would take one below zero
            # fails, whatever code wrote it.
            models.CheckConstraint(
                condition=Q(member__isnull=True) | Q(balance__gte=0),
                name="cash_account_member_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member or _('platform')}: {self.kind}"


class Posting(models.Model):
    """One movement of cash between accounts: its legs sum to zero.

    The id is chosen before the legs are written (they name it), and the header written after
    them; ``key`` makes the same movement asked for twice one posting.
    """

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        DEPOSIT_UNALLOCATED = "deposit_unallocated", _("Receipt awaiting allocation")
        DEPOSIT_ALLOCATED = "deposit_allocated", _("Receipt allocated by hand")
        RECEIPT_RETURNED = "receipt_returned", _("Receipt returned to its sender")
        WITHDRAWAL_HELD = "withdrawal_held", _("Withdrawal requested")
        WITHDRAWAL_PAID = "withdrawal_paid", _("Withdrawal paid")
        WITHDRAWAL_RELEASED = "withdrawal_released", _("Withdrawal cancelled")
        ORDER_HELD = "order_held", _("Cash held for an order")
        ORDER_RELEASED = "order_released", _("Cash released from an order")
        TRADE_MATCHED = "trade_matched", _("Trade matched: cash pending settlement")
        TRADE_SETTLED = "trade_settled", _("Trade settled")
        TRADE_BROKEN = "trade_broken", _("Trade broken: cash returned")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=128, unique=True)
    # What it belongs to, as ``<kind>:<id>`` (an order, a trade, a deposit, a withdrawal).
    reference = models.CharField(_("reference"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        indexes = [models.Index(fields=["-created_at"], name="posting_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class Leg(models.Model):
    """One account's part of a posting, in tiyn: positive credits the account, negative
    debits it."""

    posting = models.ForeignKey(
        Posting, verbose_name=_("posting"), on_delete=models.PROTECT, related_name="legs"
    )
    account = models.ForeignKey(
        CashAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="legs"
    )
    amount = models.BigIntegerField(_("amount (tiyn)"))

    class Meta:
        verbose_name = _("posting leg")
        verbose_name_plural = _("posting legs")
        indexes = [models.Index(fields=["account", "-id"], name="leg_statement")]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="leg_not_zero")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"
