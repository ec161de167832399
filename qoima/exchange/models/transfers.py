from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from qoima.chain.fields import Uint256Field
from qoima.chain.models import Operation
from qoima.participants.models import HolderProfile


class Transfer(models.Model):
    """A holder's transfer of a backed asset to another verified holder.

    Its movement on-chain is its operation (state, transaction, receipt); the transfer says who
    asked, between whom, and under which of the requester's idempotency keys.
    """

    sender = models.ForeignKey(
        HolderProfile,
        verbose_name=_("sender"),
        on_delete=models.PROTECT,
        related_name="transfers_sent",
    )
    receiver = models.ForeignKey(
        HolderProfile,
        verbose_name=_("receiver"),
        on_delete=models.PROTECT,
        related_name="transfers_received",
    )
    token_address = models.CharField(_("asset token"), max_length=42)
    amount = Uint256Field(_("units"))
    operation = models.OneToOneField(
        Operation,
        verbose_name=_("on-chain operation"),
        on_delete=models.PROTECT,
        related_name="exchange_transfer",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=128)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["sender", "-created_at"]),
            models.Index(fields=["receiver", "-created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"], name="transfer_unique_request"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(
                condition=~Q(sender=F("receiver")), name="transfer_between_two_holders"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender} -> {self.receiver}: {self.amount}"
