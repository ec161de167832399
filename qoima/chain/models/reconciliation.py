"""Comparisons of the database's ledger with the chain, and what they found."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReconciliationRun(models.Model):
    """One comparison of the database's ledger with the chain; kept for the registry."""

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    block_number = models.BigIntegerField(_("compared at block"))
    token_address = models.CharField(_("token"), max_length=42, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    tokens_checked = models.PositiveIntegerField(_("tokens checked"), default=0)
    holders_checked = models.PositiveIntegerField(_("holders checked"), default=0)
    refs_checked = models.PositiveIntegerField(_("references checked"), default=0)
    differences = models.PositiveIntegerField(_("differences"), default=0)

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} @ {self.block_number}: {self.differences}"


class ReconciliationDifference(models.Model):
    """One thing the database and the chain disagree on."""

    class Kind(models.TextChoices):
        BALANCE = "balance", _("Balance")
        TOTAL_SUPPLY = "total_supply", _("Total supply")
        MISSING_RECORD = "missing_record", _("Confirmed movement without its on-chain record")
        RECORD_MISMATCH = "record_mismatch", _("On-chain record differs from the movement")
        RESERVATION = "reservation", _("Reserved units differ from the movements holding them")
        RECORDED_FAILURE = "recorded_failure", _("Failed movement with an on-chain record")
        CASH_TOTAL = "cash_total", _("Cash ledger does not sum to zero")
        CASH_BALANCE = "cash_balance", _("Cash balance differs from its postings")
        CASH_HELD = "cash_held", _("Held cash differs from open orders and withdrawals")
        ORDER_RESERVATION = (
            "order_reservation",
            _("Units reserved for a sell order differ from its hold"),
        )
        TRADE_TRANSFER = (
            "trade_transfer",
            _("Final trade without exactly one confirmed on-chain record"),
        )
        FROZEN_UNITS = "frozen_units", _("Frozen units differ from the chain")
        FROZEN_ADDRESS = "frozen_address", _("An address's freeze differs from the chain")
        PAUSE = "pause", _("A pause differs from the chain")

    run = models.ForeignKey(
        ReconciliationRun,
        verbose_name=_("reconciliation run"),
        on_delete=models.CASCADE,
        related_name="difference_rows",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    token_address = models.CharField(_("token"), max_length=42)
    subject = models.CharField(_("holder or reference"), max_length=78, blank=True)
    database_value = models.CharField(_("in the database"), max_length=200, blank=True)
    chain_value = models.CharField(_("on chain"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reconciliation difference")
        verbose_name_plural = _("reconciliation differences")

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}: {self.database_value} != {self.chain_value}"
