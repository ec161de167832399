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
        # A custodial wallet replaced on recovery: delisted, its history kept under its owner.
        RETIRED = "retired", _("Retired on recovery")

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


class WalletLink(models.Model):
    """A holder's request to hold assets at an address they control (self-custody).

    The platform writes a Sign-In with Ethereum message (EIP-4361) naming the platform, the
    holder and a nonce; the holder signs it with the address's key in their own software; the
    signature proves control of the address. Compliance then approves the link, and the address
    becomes the holder's external wallet, allowlisted on-chain.
    """

    class State(models.TextChoices):
        AWAITING_SIGNATURE = "awaiting_signature", _("Waiting for the signature")
        SIGNED = "signed", _("Signed, waiting for compliance")
        APPROVED = "approved", _("Linked")
        REFUSED = "refused", _("Refused by compliance")
        UNLINKED = "unlinked", _("Unlinked")
        EXPIRED = "expired", _("Expired")

    holder = models.ForeignKey(
        HolderProfile,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="wallet_links",
    )
    address = models.CharField(_("address"), max_length=42)
    nonce = models.CharField(_("nonce"), max_length=32, unique=True)
    message = models.TextField(_("message to sign"))
    expires_at = models.DateTimeField(_("expires at"))
    signature = models.CharField(_("signature"), max_length=132, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.AWAITING_SIGNATURE
    )
    wallet = models.OneToOneField(
        Wallet,
        verbose_name=_("wallet"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="link",
    )
    decided_by = models.ForeignKey(
        "participants.User",
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refusal = models.TextField(_("why refused"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("external wallet link")
        verbose_name_plural = _("external wallet links")
        ordering = ["-pk"]
        constraints = [
            # An address is linked to one participant at a time.
            models.UniqueConstraint(
                fields=["address"],
                condition=Q(state__in=["signed", "approved"]),
                name="wallet_link_one_live_per_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_state_display()})"
