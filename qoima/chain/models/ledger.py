"""The token ledger: balances from confirmed Transfers, and units set aside."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..fields import Uint256Field


class TokenBalance(models.Model):
    """A holder's balance of a token, from confirmed Transfer events only.

    ``reserved`` is what requested movements from this holder hold back until their Transfer
    is applied here (or they fail), and what is frozen: ``amount - reserved`` is what a new
    request may move. ``frozen`` is the part of the balance compliance froze, from confirmed
    TokensFrozen and TokensUnfrozen events only; it counts in ``reserved`` too, so every check
    of what a holder may move leaves it out.
    """

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    token_address = models.CharField(_("token"), max_length=42)
    holder = models.CharField(_("holder"), max_length=42)
    amount = Uint256Field(_("amount"), default=0, db_default=0)
    reserved = Uint256Field(_("reserved"), default=0, db_default=0)
    frozen = Uint256Field(_("frozen"), default=0, db_default=0)

    class Meta:
        verbose_name = _("token balance")
        verbose_name_plural = _("token balances")
        constraints = [
            models.UniqueConstraint(
                fields=["chain_id", "token_address", "holder"], name="token_balance_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="token_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.holder}: {self.amount}"


class Hold(models.Model):
    """Units a holder has set aside for a decision still to come (a redemption the issuer has
    yet to fulfil), before any on-chain movement is requested for them.

    A hold counts in ``TokenBalance.reserved`` while it is open, exactly as a requested
    movement does, so the holder cannot move the units meanwhile.
    """

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    token_address = models.CharField(_("token"), max_length=42)
    holder = models.CharField(_("holder"), max_length=42)
    amount = Uint256Field(_("units"))
    key = models.CharField(_("key"), max_length=128, unique=True)
    created_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        indexes = [
            models.Index(
                fields=["chain_id", "token_address", "holder"],
                condition=Q(released_at__isnull=True),
                name="hold_open",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="hold_amount_positive")
        ]

    def __str__(self) -> str:
        return self.key
