import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qoima.chain.amounts import units_to_amount
from qoima.chain.contracts import ZERO_ADDRESS
from qoima.chain.models import (
    Attempt,
    ChainTransaction,
    EventBlock,
    IndexerCursor,
    Operation,
    PlatformToken,
    Receipt,
    TokenBalance,
    TokenTransfer,
)
from qoima.chain.reasons import failure_text
from qoima.custody.models import Wallet
from qoima.participants.models import HolderProfile, User

from ..models import Transfer


def holder_of(user: User) -> HolderProfile | None:
    return HolderProfile.objects.filter(user=user).first()


@dataclass(frozen=True)
class Holding:
    token: PlatformToken
    balance: Decimal
    # Held back from what may move: frozen by compliance, or on its way out.
    reserved: Decimal
    frozen: Decimal = Decimal(0)

    @property
    def leaving(self) -> Decimal:
        """On its way out (requested movements, open sell orders): reserved but not frozen."""
        return max(self.reserved - self.frozen, Decimal(0))

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
                    frozen=units_to_amount(row.frozen, token.decimals),
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


# What a holder's history shows: every movement of their wallets' units.
MOVEMENTS = (
    Operation.Kind.MINT,
    Operation.Kind.BURN,
    Operation.Kind.TRANSFER,
    Operation.Kind.FORCED_TRANSFER,
)
ON_THEIR_WAY = (Operation.State.PENDING, Operation.State.SUBMITTED, Operation.State.FAILED)


@dataclass(frozen=True)
class Movement:
    """One movement in or out of a holder's wallets, as the platform requested it or as the
    chain logged it. Everything shown is derived here at read time, in the reader's language.

    ``kind`` is ``transfer`` (between holders, requested on the platform), ``distribution``
    (from an issuer), ``issuance`` (minted), ``redemption`` (burned), ``forced`` (a
    compliance order) or ``external`` (logged on-chain with no platform request: a wallet
    outside the platform moved it).
    """

    at: datetime.datetime | None
    token_address: str
    token: PlatformToken | None
    kind: str
    direction: str
    counterparty: str | Promise
    counterparty_number: str
    amount: Decimal
    state: str
    failure_reason: str
    tx_hash: str | None
    block_number: int | None
    transfer_id: int | None = None
    operation_id: int | None = None
    # The other side's address when the platform knows no name for it (a wallet outside).
    counterparty_address: str = ""

    @property
    def incoming(self) -> bool:
        return self.direction == "in"

    @property
    def state_label(self) -> str | Promise:
        return Operation.State(self.state).label

    @property
    def kind_label(self) -> Promise:
        return MOVEMENT_KINDS[self.kind]

    @property
    def in_flight(self) -> bool:
        return self.state in (Operation.State.PENDING, Operation.State.SUBMITTED)

    @property
    def amount_decimal(self) -> Decimal:
        return units_to_amount(self.amount, self.token.decimals if self.token else 0)


MOVEMENT_KINDS: dict[str, Promise] = {
    "transfer": _("Transfer"),
    "distribution": _("Distribution"),
    "issuance": _("Issuance"),
    "redemption": _("Redemption"),
    "forced": _("Forced transfer"),
    "external": _("Transfer outside the platform"),
}


def holder_addresses(holder: HolderProfile) -> list[str]:
    """Every wallet of the holder: the custodial one and each linked external wallet."""
    return list(Wallet.objects.filter(holder=holder).values_list("address", flat=True))


@dataclass(frozen=True)
class _Party:
    name: str | Promise
    number: str
    issuer: bool


def _parties(addresses: set[str]) -> dict[str, _Party]:
    """Who each address belongs to, in one query: a holder's name and IIN, an issuer's legal
    name and BIN; the zero address is where issues come from and redemptions go to."""
    found: dict[str, _Party] = {}
    rows = Wallet.objects.filter(address__in=addresses - {ZERO_ADDRESS}).values_list(
        "address",
        "holder__full_name",
        "holder__identification_number",
        "organisation__legal_name",
        "organisation__identification_number",
    )
    for address, holder_name, iin, legal_name, bin_ in rows:
        found[address] = (
            _Party(holder_name, iin, False) if holder_name else _Party(legal_name, bin_, True)
        )
    return found


def _kind_of(operation: Operation | None, sender: str, receiver: str, party: _Party | None) -> str:
    if sender == ZERO_ADDRESS:
        return "issuance"
    if receiver == ZERO_ADDRESS:
        return "redemption"
    if operation is None:
        return "external"
    if operation.kind == Operation.Kind.FORCED_TRANSFER:
        return "forced"
    # The platform moves units between a holder and an issuer only to distribute them.
    if party is not None and party.issuer:
        return "distribution"
    return "transfer"


def holder_history(holder: HolderProfile, *, limit: int = 50) -> list[Movement]:
    """The holder's movements, newest first: requests still on their way to the chain (or
    refused by it) with their live state, and everything the chain logged for the holder's
    addresses (issues, distributions, transfers, redemptions, forced transfers, and movements
    made from wallets outside the platform).

    Confirmed movements are read from the indexed log through its sender and receiver
    indexes; a platform request appears once, as its chain row once the indexer has it.
    """
    addresses = holder_addresses(holder)
    if not addresses:
        return []
    chain_id = settings.CHAIN_ID
    logged: dict[int, TokenTransfer] = {}
    for address in addresses:
        for column in ("sender", "receiver"):
            rows = TokenTransfer.objects.filter(chain_id=chain_id, **{column: address})
            logged.update((row.pk, row) for row in rows.order_by("-id")[:limit])
    chain_rows = sorted(logged.values(), key=lambda row: row.pk, reverse=True)[:limit]
    refs = {int(row.ref) for row in chain_rows if row.ref is not None}
    read = (
        IndexerCursor.objects.filter(chain_id=chain_id)
        .values_list("block_number", flat=True)
        .first()
    )
    mined = Receipt.objects.filter(attempt__transaction=OuterRef("transaction")).order_by("-pk")
    # Confirmed in a block the indexer has not read yet: not in the log for a moment. Found
    # from the few transactions mined above the indexer's cursor, not among every operation.
    unread = ChainTransaction.objects.filter(
        attempts__receipts__block_number__gt=-1 if read is None else read
    )
    waiting = list(
        Operation.objects.filter(chain_id=chain_id, kind__in=MOVEMENTS)
        .filter(
            Q(state__in=ON_THEIR_WAY)
            | Q(state=Operation.State.CONFIRMED, transaction__in=unread.values("pk"))
        )
        .filter(Q(sender__in=addresses) | Q(receiver__in=addresses))
        .exclude(pk__in=refs)
        .annotate(
            block_number=Subquery(mined.values("block_number")[:1]),
            tx_hash=Coalesce(
                Subquery(mined.values("tx_hash")[:1]),
                Subquery(
                    Attempt.objects.filter(transaction=OuterRef("transaction"))
                    .order_by("-pk")
                    .values("tx_hash")[:1]
                ),
            ),
        )
        .order_by("-created_at", "-pk")[:limit]
    )
    operations = {
        operation.pk: operation
        for operation in Operation.objects.filter(pk__in=refs).only("pk", "kind", "state")
    }
    operations.update((operation.pk, operation) for operation in waiting)
    transfers = dict(
        Transfer.objects.filter(operation_id__in=operations.keys()).values_list(
            "operation_id", "pk"
        )
    )
    times = dict(
        EventBlock.objects.filter(
            chain_id=chain_id, number__in={row.block_number for row in chain_rows}
        ).values_list("number", "timestamp")
    )
    tokens = {
        token.address: token
        for token in PlatformToken.objects.filter(
            chain_id=chain_id,
            address__in={row.token_address for row in chain_rows}
            | {operation.token_address for operation in waiting},
        )
    }
    parties = _parties(
        {row.sender for row in chain_rows}
        | {row.receiver for row in chain_rows}
        | {operation.sender for operation in waiting}
        | {operation.receiver for operation in waiting}
    )
    own = set(addresses)

    def movement(
        *, sender: str, receiver: str, operation: Operation | None, **fields: Any
    ) -> Movement:
        outgoing = sender in own and receiver not in own
        other = receiver if outgoing else sender
        party = parties.get(other)
        kind = _kind_of(operation, sender, receiver, party)
        address = ""
        if kind in ("issuance", "redemption"):
            name: str | Promise = MOVEMENT_KINDS[kind]
            number = ""
        elif party is not None:
            name, number = party.name, party.number
        else:
            name, number, address = other, "", other
        return Movement(
            kind=kind,
            direction="out" if outgoing else "in",
            counterparty=name,
            counterparty_number=number,
            counterparty_address=address,
            token=tokens.get(fields["token_address"]),
            transfer_id=transfers.get(operation.pk) if operation is not None else None,
            operation_id=operation.pk if operation is not None else None,
            **fields,
        )

    def from_log(row: TokenTransfer) -> Movement:
        operation = operations.get(int(row.ref)) if row.ref is not None else None
        # A row not yet applied is not yet as deep as the platform waits for, unless the
        # transaction manager has already followed its receipt that far.
        confirmed = row.applied or (
            operation is not None and operation.state == Operation.State.CONFIRMED
        )
        return movement(
            sender=row.sender,
            receiver=row.receiver,
            operation=operation,
            at=times.get(row.block_number),
            token_address=row.token_address,
            amount=row.amount,
            state=Operation.State.CONFIRMED if confirmed else Operation.State.SUBMITTED,
            failure_reason="",
            tx_hash=row.tx_hash,
            block_number=row.block_number,
        )

    history = [from_log(row) for row in chain_rows] + [
        movement(
            sender=operation.sender,
            receiver=operation.receiver,
            operation=operation,
            at=operation.created_at,
            token_address=operation.token_address,
            amount=operation.amount or Decimal(0),
            state=operation.state,
            failure_reason=(
                failure_text(operation) if operation.state == Operation.State.FAILED else ""
            ),
            tx_hash=getattr(operation, "tx_hash", None),
            block_number=getattr(operation, "block_number", None),
        )
        for operation in waiting
    ]
    oldest = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    history.sort(key=lambda m: (m.at or oldest, m.block_number or 0), reverse=True)
    return history[:limit]
