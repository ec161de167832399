from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qoima.participants.models import HolderProfile, Organisation


class Wallet(models.Model):
    """An address a participant holds backed assets at.

    A custodial wallet's key is the platform's to keep, encrypted at rest; each verified holder
    and each issuer has one. Its address is allowlisted on-chain while its owner may hold.
    """

    class Kind(models.TextChoices):
        CUSTODIAL = "custodial", _("Custodial")
        EXTERNAL = "external", _("External")

    holder = models.ForeignKey(
        HolderProfile,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wallets",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("issuer organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wallets",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=42, unique=True)
    # Fernet token of the private key (cryptography's MultiFernet, keys from settings).
    encrypted_key = models.BinaryField(_("encrypted key"), null=True, editable=False)
    # Compliance froze the address (all assets): set when the freeze is decided, cleared when
    # its release is confirmed on-chain, so nothing is asked of the chain it would refuse.
    frozen = models.BooleanField(_("frozen by compliance"), default=False)
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")
        constraints = [
            models.CheckConstraint(
                condition=Q(holder__isnull=False, organisation__isnull=True)
                | Q(holder__isnull=True, organisation__isnull=False),
                name="wallet_has_one_owner",
            ),
            models.CheckConstraint(
                condition=~Q(kind="custodial") | Q(encrypted_key__isnull=False),
                name="wallet_custodial_has_key",
            ),
            models.UniqueConstraint(
                fields=["holder"], condition=Q(kind="custodial"), name="wallet_one_custodial_holder"
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(kind="custodial"),
                name="wallet_one_custodial_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.address
