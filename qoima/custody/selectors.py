from qoima.chain.models import Operation
from qoima.participants.models import HolderProfile, Organisation

from .models import Wallet


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
