from django.db.models import QuerySet

from qoima.chain.models import Operation
from qoima.participants.models import HolderProfile, Organisation

from .models import Wallet, WalletLink


def custodial_wallet(holder: HolderProfile) -> Wallet | None:
    return Wallet.objects.filter(holder=holder, kind=Wallet.Kind.CUSTODIAL).first()


def organisation_wallet(organisation: Organisation) -> Wallet | None:
    return Wallet.objects.filter(organisation=organisation, kind=Wallet.Kind.CUSTODIAL).first()


def wallet_allowlist_latest(wallet: Wallet) -> Operation | None:
    """The wallet's latest allowlist decision that has not failed on-chain."""
    return (
        Operation.objects.filter(
            account=wallet.address,
            kind__in=[Operation.Kind.ALLOWLIST, Operation.Kind.DELIST],
        )
        .exclude(state=Operation.State.FAILED)
        .order_by("-pk")
        .first()
    )


def wallet_allowlisted(wallet: Wallet) -> bool:
    """Whether the chain has confirmed that decision, and it is "allowed"."""
    latest = wallet_allowlist_latest(wallet)
    return (
        latest is not None
        and latest.kind == Operation.Kind.ALLOWLIST
        and latest.state == Operation.State.CONFIRMED
    )


def external_wallets(holder: HolderProfile) -> QuerySet[Wallet]:
    """The holder's linked external wallets."""
    return Wallet.objects.filter(holder=holder, kind=Wallet.Kind.EXTERNAL).order_by("pk")


def open_links(holder: HolderProfile) -> QuerySet[WalletLink]:
    """The holder's link requests still to be signed or decided."""
    return WalletLink.objects.filter(
        holder=holder,
        state__in=[WalletLink.State.AWAITING_SIGNATURE, WalletLink.State.SIGNED],
    ).order_by("-pk")


def links_to_decide() -> QuerySet[WalletLink]:
    """Signed link requests waiting for compliance, oldest first."""
    return (
        WalletLink.objects.filter(state=WalletLink.State.SIGNED)
        .select_related("holder")
        .order_by("pk")
    )
