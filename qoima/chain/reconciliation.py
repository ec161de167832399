"""Reconciliation: the database's ledger against the chain, difference by difference.

Everything is compared at the last block the indexer applied to balances, so a transfer still
on its way to its confirmations is not reported as a difference. Zero differences is normal.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from eth_utils import to_checksum_address
from web3 import Web3

from .contracts import ZERO_ADDRESS, artifact
from .fields import Uint256Add, Uint256Sum, uint256_value
from .kinds import moving_kinds
from .models import (
    ChainTransaction,
    ComplianceEvent,
    Hold,
    IndexerCursor,
    Operation,
    PlatformDeployment,
    PlatformToken,
    ReconciliationDifference,
    ReconciliationRun,
    TokenBalance,
    TokenTransfer,
)

Kind = ReconciliationDifference.Kind
# Checks of the platform's own books that need no chain (the exchange's cash ledger, orders and
# trades), registered by the apps that keep those books; each returns its differences unsaved.
PlatformCheck = Callable[[], list[ReconciliationDifference]]
_platform_checks: list[PlatformCheck] = []


def platform_check_register(check: PlatformCheck) -> None:
    if check not in _platform_checks:
        _platform_checks.append(check)


def _token(w3: Web3, address: str) -> Any:
    abi = artifact("BackedAssetToken")["abi"]
    return w3.eth.contract(address=to_checksum_address(address), abi=abi)


def _chain_balances(
    w3: Web3, token: Any, holders: list[str], block: int, function: str = "balanceOf"
) -> dict[str, Any]:
    """``balanceOf`` (or another view of one address) for many holders in JSON-RPC batches,
    all at one block."""
    balances: dict[str, Any] = {}
    for start in range(0, len(holders), 500):
        chunk = holders[start : start + 500]
        with w3.batch_requests() as batch:
            for holder in chunk:
                view = getattr(token.functions, function)
                batch.add(view(holder).call(block_identifier=block))
            results = batch.execute()
        balances.update(zip(chunk, results, strict=True))
    return balances


@dataclass
class _Differences:
    """The differences found for one token in one run."""

    run: ReconciliationRun
    token_address: str
    found: list[ReconciliationDifference] = field(default_factory=list)

    def add(self, kind: str, subject: str, db: object, onchain: object) -> None:
        self.found.append(
            ReconciliationDifference(
                run=self.run,
                kind=kind,
                token_address=self.token_address,
                subject=subject,
                database_value=str(db),
                chain_value=str(onchain),
            )
        )


def _differences_for(
    w3: Web3, run: ReconciliationRun, token_address: str, block: int
) -> list[ReconciliationDifference]:
    differences = _Differences(run, token_address)
    token = _token(w3, token_address)
    db_balances = _balance_differences(w3, token, block, differences)
    applied = TokenTransfer.objects.filter(
        chain_id=run.chain_id, token_address=token_address, applied=True
    )
    minted = applied.filter(sender=ZERO_ADDRESS).aggregate(s=Uint256Sum("amount"))["s"] or 0
    burned = applied.filter(receiver=ZERO_ADDRESS).aggregate(s=Uint256Sum("amount"))["s"] or 0
    supply = int(token.functions.totalSupply().call(block_identifier=block))
    if int(minted - burned) != supply or sum(db_balances.values()) != supply:
        differences.add(
            Kind.TOTAL_SUPPLY, "", f"{int(minted - burned)} / {sum(db_balances.values())}", supply
        )
    records = {int(t.ref or 0): t for t in applied.filter(ref__isnull=False)}
    _record_differences(records, block, differences)
    return differences.found


def _balance_differences(
    w3: Web3, token: Any, block: int, differences: _Differences
) -> dict[str, int]:
    """Reservations against what holds them, balances against the chain; returns the
    database's balances by holder."""
    run, token_address = differences.run, differences.token_address
    # Reservations are the platform's own bookkeeping, checked against the operations that
    # hold units and the open holds rather than against the chain, in the same statement as
    # the balances so that a request committing meanwhile cannot show as a difference.
    held = (
        Operation.objects.filter(
            chain_id=run.chain_id,
            token_address=token_address,
            holding=True,
            sender=OuterRef("holder"),
        )
        .order_by()
        .values("sender")
        .annotate(total=Uint256Sum("amount"))
        .values("total")
    )
    on_hold = (
        Hold.objects.filter(
            chain_id=run.chain_id,
            token_address=token_address,
            released_at__isnull=True,
            holder=OuterRef("holder"),
        )
        .order_by()
        .values("holder")
        .annotate(total=Uint256Sum("amount"))
        .values("total")
    )
    rows = list(
        TokenBalance.objects.filter(chain_id=run.chain_id, token_address=token_address).annotate(
            held=Uint256Add(
                Coalesce(Subquery(held), uint256_value(0)),
                Coalesce(Subquery(on_hold), uint256_value(0)),
            )
        )
    )
    db_balances = {row.holder: int(row.amount) for row in rows}
    for row in rows:
        # Frozen units are reserved too, so nothing may move them.
        holding = int(row.held) + int(row.frozen)
        if holding != int(row.reserved):
            differences.add(Kind.RESERVATION, row.holder, int(row.reserved), holding)
    holders = sorted(db_balances)
    for holder, onchain in _chain_balances(w3, token, holders, block).items():
        if int(cast(int, onchain)) != db_balances[holder]:
            differences.add(Kind.BALANCE, holder, db_balances[holder], onchain)
    run.holders_checked += len(holders)
    _frozen_differences(
        w3, token, block, differences, {row.holder: int(row.frozen) for row in rows}
    )
    return db_balances


def _frozen_differences(
    w3: Web3, token: Any, block: int, differences: _Differences, frozen: dict[str, int]
) -> None:
    """Frozen units against the token's, for every holder the database says has some and every
    holder a freeze was ever logged for; and the token's pause against its last logged one."""
    run, token_address = differences.run, differences.token_address
    acts = ComplianceEvent.objects.filter(
        chain_id=run.chain_id, contract=token_address, applied=True
    )
    logged = acts.filter(kind=ComplianceEvent.Kind.UNITS_FROZEN).values_list("account", flat=True)
    holders = sorted({*(h for h, units in frozen.items() if units), *logged})
    for holder, onchain in _chain_balances(w3, token, holders, block, "frozenTokens").items():
        if int(cast(int, onchain)) != frozen.get(holder, 0):
            differences.add(Kind.FROZEN_UNITS, holder, frozen.get(holder, 0), onchain)
    paused = _last_pause(acts)
    onchain_paused = bool(token.functions.paused().call(block_identifier=block))
    if paused != onchain_paused:
        differences.add(Kind.PAUSE, "", paused, onchain_paused)


def _last_pause(acts: Any) -> bool:
    last = (
        acts.filter(kind__in=[ComplianceEvent.Kind.PAUSED, ComplianceEvent.Kind.UNPAUSED])
        .order_by("-block_number", "-log_index")
        .values_list("kind", flat=True)
        .first()
    )
    return last == ComplianceEvent.Kind.PAUSED


def _registry_differences(
    w3: Web3, run: ReconciliationRun, block: int
) -> list[ReconciliationDifference]:
    """The registry's frozen addresses and platform pause against its last logged acts."""
    deployment = PlatformDeployment.objects.filter(chain_id=run.chain_id).first()
    if deployment is None:
        return []
    registry_address = to_checksum_address(deployment.registry_address)
    differences = _Differences(run, registry_address)
    registry = w3.eth.contract(address=registry_address, abi=artifact("PlatformRegistry")["abi"])
    acts = ComplianceEvent.objects.filter(
        chain_id=run.chain_id, contract=registry_address, applied=True
    )
    last: dict[str, bool] = {}
    for account, kind in (
        acts.filter(
            kind__in=[ComplianceEvent.Kind.ADDRESS_FROZEN, ComplianceEvent.Kind.ADDRESS_UNFROZEN]
        )
        .order_by("block_number", "log_index")
        .values_list("account", "kind")
    ):
        last[account] = kind == ComplianceEvent.Kind.ADDRESS_FROZEN
    accounts = sorted(last)
    for account, onchain in _chain_balances(w3, registry, accounts, block, "isFrozen").items():
        if bool(onchain) != last[account]:
            differences.add(Kind.FROZEN_ADDRESS, account, last[account], bool(onchain))
    paused = _last_pause(acts)
    onchain_paused = bool(registry.functions.paused().call(block_identifier=block))
    if paused != onchain_paused:
        differences.add(Kind.PAUSE, "", paused, onchain_paused)
    return differences.found


def _record_differences(
    records: dict[int, TokenTransfer], block: int, differences: _Differences
) -> None:
    """Confirmed movements against the transfers recorded with their references, and failed
    ones that were recorded all the same."""
    run, token_address = differences.run, differences.token_address
    confirmed = _confirmed_by(run.chain_id, token_address, block)
    for operation in confirmed:
        record = records.get(operation.pk)
        if record is None:
            differences.add(Kind.MISSING_RECORD, str(operation.pk), operation.kind, "")
            continue
        expected = (
            operation.sender or ZERO_ADDRESS,
            operation.receiver or ZERO_ADDRESS,
            int(operation.amount or 0),
        )
        actual = (record.sender, record.receiver, int(record.amount))
        if expected != actual:
            differences.add(Kind.RECORD_MISMATCH, str(operation.pk), expected, actual)
    run.refs_checked += len(confirmed)
    # A movement the platform gave up on must not have happened.
    failed = Operation.objects.filter(
        chain_id=run.chain_id,
        token_address=token_address,
        state=Operation.State.FAILED,
        kind__in=moving_kinds(),
        pk__in=list(records),
    )
    for operation in failed:
        differences.add(
            Kind.RECORDED_FAILURE, str(operation.pk), operation.failure_reason[:200], "recorded"
        )


def _confirmed_by(chain_id: int, token_address: str, block: int) -> list[Operation]:
    """Confirmed operations whose transaction was mined at or below the compared block."""
    mined_by = {
        tx_id: number
        for tx_id, number in ChainTransaction.objects.filter(
            chain_id=chain_id,
            to_address=token_address,
            state=ChainTransaction.State.CONFIRMED,
        ).values_list("pk", "attempts__receipts__block_number")
        if number is not None
    }
    return [
        operation
        for operation in Operation.objects.filter(
            chain_id=chain_id,
            token_address=token_address,
            state=Operation.State.CONFIRMED,
            kind__in=moving_kinds(),
        )
        if mined_by.get(operation.transaction_id or 0, block + 1) <= block
    ]


def reconcile(*, w3: Web3, token_address: str = "") -> ReconciliationRun:
    """Compare every platform token (or one) with the chain and store the differences."""
    chain_id = settings.CHAIN_ID
    cursor = IndexerCursor.objects.filter(chain_id=chain_id).first()
    block = cursor.applied_block if cursor else w3.eth.block_number
    tokens = PlatformToken.objects.filter(chain_id=chain_id)
    if token_address:
        tokens = tokens.filter(Q(address=to_checksum_address(token_address)))
    with transaction.atomic():
        run = ReconciliationRun.objects.create(
            chain_id=chain_id, block_number=block, token_address=token_address
        )
        differences: list[ReconciliationDifference] = []
        for token in tokens:
            differences += _differences_for(w3, run, token.address, block)
            run.tokens_checked += 1
        if not token_address:
            differences += _registry_differences(w3, run, block)
            for check in _platform_checks:
                for difference in check():
                    difference.run = run
                    differences.append(difference)
        ReconciliationDifference.objects.bulk_create(differences)
        run.differences = len(differences)
        run.save()
    return run
