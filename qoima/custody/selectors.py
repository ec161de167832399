from qoima.participants.models import HolderProfile

from .models import Wallet


def custodial_wallet(holder: HolderProfile) -> Wallet | None:
    return Wallet.objects.filter(holder=holder, kind=Wallet.Kind.CUSTODIAL).first()
