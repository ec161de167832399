"""Reads of enforcement: what is in effect now, and the acts people may see."""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from qoima.chain.fields import Uint256Sum
from qoima.chain.models import (
    Attempt,
    ComplianceEvent,
    Operation,
    PlatformToken,
    Receipt,
    TokenBalance,
)
from qoima.custody.models import Wallet
from qoima.participants.models import HolderProfile, Organisation

from .models import EnforcementAct

K = EnforcementAct.Kind
S = EnforcementAct.State

# Operations on their way to the chain: asked for, not yet final.
_UNDER_WAY = (Operation.State.PENDING, Operation.State.SUBMITTED)


def pending_acts(*, kind: str, **named: object) -> QuerySet[EnforcementAct]:
    """Acts of ``kind`` sent to the chain and not yet confirmed there."""
    return EnforcementAct.objects.filter(kind=kind, state=S.PENDING, **named)


def pending_units(*, wallet: Wallet, token_address: str) -> dict[str, int]:
    """Units of freezes, releases and forced transfers of one holder and asset that are on
    their way to the chain, by operation kind."""
    totals: dict[str, int] = defaultdict(int)
    rows = (
        Operation.objects.filter(
            chain_id=settings.CHAIN_ID,
            token_address=token_address,
            sender=wallet.address,
            state__in=_UNDER_WAY,
            kind__in=[
                Operation.Kind.FREEZE_TOKENS,
                Operation.Kind.UNFREEZE_TOKENS,
                Operation.Kind.FORCED_TRANSFER,
            ],
        )
        .values("kind")
        .annotate(units=Uint256Sum("amount"))
        .order_by()
    )
    for row in rows:
        totals[row["kind"]] = int(row["units"] or 0)
    return totals


def paused(token_address: str = "") -> bool:
    """Whether the asset (or, with none named, the whole platform) is paused: from the moment
    its pause is decided until the end of the pause is confirmed on-chain."""
    pause, unpause = (
        (K.PAUSE_ASSET, K.UNPAUSE_ASSET)
        if token_address
        else (K.PAUSE_PLATFORM, K.UNPAUSE_PLATFORM)
    )
    last = (
        EnforcementAct.objects.filter(
            kind__in=[pause, unpause],
            token_address=token_address,
            state__in=[S.PENDING, S.CONFIRMED],
        )
        .order_by("-pk")
        .first()
    )
    return last is not None and (last.kind == pause or last.state == S.PENDING)


def movement_refusal(*, token_address: str, wallets: list[Wallet]) -> str:
    """Why units of this asset may not move between these wallets now, or "" if they may."""
    if paused():
        return _("The platform is paused by compliance: no assets move until the pause ends.")
    if paused(token_address):
        return _("This asset is paused by compliance: its units do not move until the pause ends.")
    if any(wallet.frozen for wallet in wallets):
        return _("A wallet of this transfer is frozen by compliance.")
    return ""


def acts_of_owner(
    *, holder: HolderProfile | None = None, organisation: Organisation | None = None
) -> QuerySet[EnforcementAct]:
    """The acts about a participant's own wallets, as they may see them: those carried out
    (an act awaiting a second officer, or turned down, is compliance's own business)."""
    owned = Q(wallet__holder=holder) if holder is not None else Q(wallet__organisation=organisation)
    return (
        EnforcementAct.objects.filter(owned)
        .exclude(state__in=[S.AWAITING_CONFIRMATION, S.REJECTED])
        .select_related("legal_basis", "wallet", "operation")
    )


def frozen_balances(wallets: list[Wallet]) -> dict[tuple[str, str], int]:
    """Units frozen on-chain, per (token, wallet address)."""
    return {
        (row.token_address, row.holder): int(row.frozen)
        for row in TokenBalance.objects.filter(
            chain_id=settings.CHAIN_ID, holder__in=[w.address for w in wallets]
        ).exclude(frozen=0)
    }


def acts_for_officers() -> QuerySet[EnforcementAct]:
    """Every act, those waiting for a second officer first."""
    return EnforcementAct.objects.select_related(
        "legal_basis",
        "wallet__holder",
        "wallet__organisation",
        "receiver_wallet__holder",
        "receiver_wallet__organisation",
        "operation",
        "requested_by",
        "confirmed_by",
    ).order_by("-pk")


def with_tokens(acts: list[EnforcementAct]) -> list[EnforcementAct]:
    """The acts, each with ``token``: its asset's PlatformToken (for units and symbol), or None."""
    tokens = {
        token.address: token
        for token in PlatformToken.objects.filter(
            chain_id=settings.CHAIN_ID, address__in={act.token_address for act in acts}
        )
    }
    for act in acts:
        act.token = tokens.get(act.token_address)  # type: ignore[attr-defined]
    return acts


@dataclass(frozen=True)
class OnChain:
    """Where an act stands on-chain: its transaction and the events the chain logged for it."""

    tx_hash: str
    block_number: int | None
    events: list[ComplianceEvent]


def act_on_chain(act: EnforcementAct) -> OnChain | None:
    """The act's transaction (the mined attempt once there is one) and its logged events."""
    found: OnChain | None = with_proof([act])[0].on_chain  # type: ignore[attr-defined]
    return found


def with_proof(acts: list[EnforcementAct]) -> list[EnforcementAct]:
    """The acts, each with ``on_chain`` (its transaction and logged events, or None), read in
    three queries whatever the number of acts."""
    carried: set[int] = {
        act.operation.transaction_id
        for act in acts
        if act.operation and act.operation.transaction_id is not None
    }
    mined: dict[int, tuple[str, int]] = {}
    for tx_id, tx_hash, block in (
        Receipt.objects.filter(attempt__transaction_id__in=carried, status=1)
        .order_by("block_number")
        .values_list("attempt__transaction_id", "tx_hash", "block_number")
    ):
        mined[tx_id] = (tx_hash, block)
    latest: dict[int, str] = dict(
        Attempt.objects.filter(transaction_id__in=carried)
        .order_by("pk")
        .values_list("transaction_id", "tx_hash")
    )
    hashes = {
        tx_id: mined[tx_id][0] if tx_id in mined else latest.get(tx_id, "") for tx_id in carried
    }
    events: dict[str, list[ComplianceEvent]] = defaultdict(list)
    for event in ComplianceEvent.objects.filter(tx_hash__in=set(hashes.values())).order_by(
        "log_index"
    ):
        events[event.tx_hash].append(event)
    for act in acts:
        carrier = act.operation.transaction_id if act.operation else None
        proof = None
        if carrier is not None:
            tx_hash = hashes[carrier]
            mined_in = mined[carrier][1] if carrier in mined else None
            proof = OnChain(tx_hash, mined_in, events[tx_hash])
        act.on_chain = proof  # type: ignore[attr-defined]
    return acts


@dataclass(frozen=True)
class InEffect:
    """What the chain holds frozen or paused now, as the indexer read it (confirmed events)."""

    # (token, its PlatformToken or None, wallet address, the wallet or None, frozen units)
    frozen_units: list[tuple[str, PlatformToken | None, str, Wallet | None, int]]
    # (address, the wallet or None): addresses whose last confirmed freeze is not released.
    frozen_addresses: list[tuple[str, Wallet | None]]
    # Contracts whose last confirmed pause has not ended: a token, or the registry.
    paused: list[tuple[str, PlatformToken | None]]


def in_effect() -> InEffect:
    """Frozen units, frozen addresses and pauses as the chain has them now, each with whom or
    what it concerns, read in a fixed number of queries."""
    rows = list(
        TokenBalance.objects.filter(chain_id=settings.CHAIN_ID, frozen__gt=0)
        .order_by("token_address", "holder")
        .values_list("token_address", "holder", "frozen")
    )
    last: dict[tuple[str, str], str] = {}
    for contract, account, kind in (
        ComplianceEvent.objects.filter(
            chain_id=settings.CHAIN_ID,
            applied=True,
            kind__in=[
                ComplianceEvent.Kind.ADDRESS_FROZEN,
                ComplianceEvent.Kind.ADDRESS_UNFROZEN,
                ComplianceEvent.Kind.PAUSED,
                ComplianceEvent.Kind.UNPAUSED,
            ],
        )
        .order_by("block_number", "log_index")
        .values_list("contract", "account", "kind")
    ):
        last[(contract, account)] = kind
    addresses = sorted(a for (_c, a), k in last.items() if k == ComplianceEvent.Kind.ADDRESS_FROZEN)
    contracts = sorted(c for (c, _a), k in last.items() if k == ComplianceEvent.Kind.PAUSED)
    wallets = {
        wallet.address: wallet
        for wallet in Wallet.objects.filter(
            address__in={holder for _t, holder, _f in rows} | set(addresses)
        ).select_related("holder", "organisation")
    }
    tokens = {
        token.address: token
        for token in PlatformToken.objects.filter(
            chain_id=settings.CHAIN_ID,
            address__in={token for token, _h, _f in rows} | set(contracts),
        )
    }
    return InEffect(
        [
            (token, tokens.get(token), holder, wallets.get(holder), int(units))
            for token, holder, units in rows
        ],
        [(address, wallets.get(address)) for address in addresses],
        [(contract, tokens.get(contract)) for contract in contracts],
    )
