from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from qoima.chain.amounts import units_to_amount
from qoima.chain.models import Attempt, PlatformToken, Receipt, TokenBalance
from qoima.custody.models import Wallet
from qoima.participants.models import HolderProfile, User

from .models import Transfer


def holder_of(user: User) -> HolderProfile | None:
    return HolderProfile.objects.filter(user=user).first()


@dataclass(frozen=True)
class Holding:
    token: PlatformToken
    balance: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return max(self.balance - self.reserved, Decimal(0))


def wallet_holdings(wallet: Wallet) -> list[Holding]:
    """What the wallet holds of each asset, as confirmed on-chain, and what is on its way out."""
    rows = TokenBalance.objects.filter(chain_id=settings.CHAIN_ID, holder=wallet.address).filter(
        Q(amount__gt=0) | Q(reserved__gt=0)
    )
    tokens = {
        token.address: token
        for token in PlatformToken.objects.filter(
            chain_id=settings.CHAIN_ID, address__in=[row.token_address for row in rows]
        )
    }
    holdings = []
    for row in rows:
        token = tokens.get(row.token_address)
        if token is not None:
            holdings.append(
                Holding(
                    token=token,
                    balance=units_to_amount(row.amount, token.decimals),
                    reserved=units_to_amount(row.reserved, token.decimals),
                )
            )
    return sorted(holdings, key=lambda holding: holding.token.symbol)


def holder_transfers(holder: HolderProfile) -> QuerySet[Transfer]:
    """The holder's transfers, sent and received, newest first, with their on-chain proof."""
    attempts = Attempt.objects.filter(transaction=OuterRef("operation__transaction"))
    mined = Receipt.objects.filter(attempt__transaction=OuterRef("operation__transaction"))
    return (
        Transfer.objects.filter(Q(sender=holder) | Q(receiver=holder))
        .select_related("sender", "receiver", "operation")
        .annotate(
            # The mined attempt's hash once there is one, else the newest attempt's.
            tx_hash=Coalesce(
                Subquery(mined.order_by("-pk").values("tx_hash")[:1]),
                Subquery(attempts.order_by("-pk").values("tx_hash")[:1]),
            ),
            block_number=Subquery(mined.order_by("-pk").values("block_number")[:1]),
        )
    )


def transfer_tokens(transfers: list[Transfer]) -> dict[str, PlatformToken]:
    return {
        token.address: token
        for token in PlatformToken.objects.filter(
            chain_id=settings.CHAIN_ID, address__in={t.token_address for t in transfers}
        )
    }
