"""Batching: pending operations become the unstarted transactions that carry them.

Recorded transfers of one token travel together (``recordTransfersFrom`` when they share a
sender, the cheaper form for a distribution, else ``recordTransfers``), as do allowlist
changes; every other action is its own transaction. Each transaction is signed by the key
whose registry role the function needs: the operator's for issuance and movements, the
compliance key's for allowlist, freezes, forced transfers and pauses.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from qoima import locks

from ..contracts import AssetData, DocumentData, encode_call
from ..models import Batcher, ChainTransaction, Operation, PlatformDeployment
from .requests import enqueue_batch

logger = logging.getLogger(__name__)
K = Operation.Kind
COMPLIANCE_KINDS = frozenset(
    {
        K.FORCED_TRANSFER,
        K.ALLOWLIST,
        K.DELIST,
        K.FREEZE,
        K.UNFREEZE,
        K.FREEZE_TOKENS,
        K.UNFREEZE_TOKENS,
        K.PAUSE,
        K.UNPAUSE,
    }
)
BATCHED_KINDS = frozenset({K.TRANSFER, K.ALLOWLIST, K.DELIST})
BATCHING_FIELDS = (
    "kind",
    "token_address",
    "sender",
    "receiver",
    "account",
    "amount",
    "reason_hash",
    "state",
    "created_at",
)
# Kinds addressed to the registry rather than to a token.
REGISTRY_KINDS = frozenset({K.ISSUE_ASSET, K.ALLOWLIST, K.DELIST, K.FREEZE, K.UNFREEZE})


def operator_account() -> LocalAccount:
    return Account.from_key(settings.CHAIN_OPERATOR_KEY)


def compliance_account() -> LocalAccount:
    return Account.from_key(settings.CHAIN_COMPLIANCE_KEY)


def signing_addresses() -> list[str]:
    """The keys the manager signs with, each with its own nonces."""
    return [operator_account().address, compliance_account().address]


def signer_for(address: str) -> LocalAccount:
    for key in (
        settings.CHAIN_OPERATOR_KEY,
        settings.CHAIN_COMPLIANCE_KEY,
        settings.CHAIN_ADMIN_KEY,
    ):
        account: LocalAccount = Account.from_key(key)
        if account.address == address:
            return account
    raise LookupError(f"no key for {address}")


def keys_with_unsent() -> list[str]:
    """Signing keys with transactions not yet accepted by the node."""
    return sorted(
        set(
            ChainTransaction.objects.filter(
                chain_id=settings.CHAIN_ID,
                state__in=[ChainTransaction.State.UNSTARTED, ChainTransaction.State.IN_PROGRESS],
            ).values_list("from_address", flat=True)
        )
    )


@dataclass(frozen=True)
class Call:
    function: str
    to: str
    data: str


@dataclass(frozen=True)
class _Contracts:
    registry: str

    def token(self, address: str, function: str, *args: Any) -> Call:
        data = encode_call("BackedAssetToken", function, list(args))
        return Call(function, to_checksum_address(address), data)

    def registry_call(self, function: str, *args: Any) -> Call:
        data = encode_call("PlatformRegistry", function, list(args))
        return Call(function, to_checksum_address(self.registry), data)


def _hex_bytes(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def call_for(operations: list[Operation], contracts: _Contracts) -> Call:
    """The function and call data that carry these operations (one kind, one contract)."""
    first = operations[0]
    kind, token = first.kind, first.token_address
    amount = int(first.amount) if first.amount is not None else 0
    reason = _hex_bytes(first.reason_hash) if first.reason_hash else b""
    if kind == K.TRANSFER:
        if len(operations) == 1:
            return contracts.token(
                token, "recordTransfer", first.sender, first.receiver, amount, first.pk
            )
        receivers = [op.receiver for op in operations]
        amounts = [int(op.amount or 0) for op in operations]
        refs = [op.pk for op in operations]
        if len({op.sender for op in operations}) == 1:
            # One sender (a distribution) takes the cheaper one-sender batch.
            return contracts.token(
                token, "recordTransfersFrom", first.sender, receivers, amounts, refs
            )
        senders = [op.sender for op in operations]
        return contracts.token(token, "recordTransfers", senders, receivers, amounts, refs)
    if kind in (K.ALLOWLIST, K.DELIST):
        accounts = [op.account for op in operations]
        return contracts.registry_call("setAllowlistedBatch", accounts, kind == K.ALLOWLIST)
    if kind == K.MINT:
        return contracts.token(token, "mint", first.receiver, amount, first.pk)
    if kind == K.BURN:
        return contracts.token(token, "burn", first.sender, amount, first.pk)
    if kind == K.FORCED_TRANSFER:
        args = (first.sender, first.receiver, amount, first.pk, reason)
        return contracts.token(token, "forcedTransfer", *args)
    if kind in (K.FREEZE, K.UNFREEZE):
        return contracts.registry_call("setFrozen", first.account, kind == K.FREEZE, reason)
    if kind == K.FREEZE_TOKENS:
        return contracts.token(token, "freezePartialTokens", first.account, amount, reason)
    if kind == K.UNFREEZE_TOKENS:
        return contracts.token(token, "unfreezePartialTokens", first.account, amount, reason)
    if kind in (K.PAUSE, K.UNPAUSE):
        function = "pause" if kind == K.PAUSE else "unpause"
        if token:
            return contracts.token(token, function, reason)
        return contracts.registry_call(function, reason)
    if kind == K.ISSUE_ASSET:
        asset = AssetData(**first.payload["asset"])
        documents = [
            DocumentData(d["name"], d["uri"], _hex_bytes(d["sha256"]))
            for d in first.payload["documents"]
        ]
        return contracts.registry_call(
            "issueAsset", asset.as_tuple(), [d.as_tuple() for d in documents]
        )
    raise ValueError(f"no call for {kind}")


def _contracts() -> _Contracts:
    deployment = PlatformDeployment.objects.filter(chain_id=settings.CHAIN_ID).first()
    return _Contracts(deployment.registry_address if deployment else "")


def transaction_split(tx: ChainTransaction) -> bool:
    """Carry an unsigned batch's operations in two transactions instead of one; False when it
    carries a single operation. The first half keeps the transaction (and its place)."""
    operations = list(tx.operations.filter(state=Operation.State.SUBMITTED).order_by("pk"))
    if len(operations) < 2:
        return False
    half = len(operations) // 2
    contracts = _contracts()
    first = call_for(operations[:half], contracts)
    ChainTransaction.objects.filter(pk=tx.pk).update(data=first.data, function=first.function)
    second = call_for(operations[half:], contracts)
    rest = ChainTransaction.objects.create(
        chain_id=tx.chain_id,
        from_address=tx.from_address,
        to_address=second.to,
        data=second.data,
        function=second.function,
    )
    Operation.objects.filter(pk__in=[op.pk for op in operations[half:]]).update(transaction=rest)
    tx.refresh_from_db()
    return True


def _groups(operations: Iterable[Operation], max_size: int) -> list[list[Operation]]:
    """The transactions that carry these operations (in id order), in the order to send them.

    Recorded transfers of a token gather in batches, whatever comes between them: their order
    does not matter, the chain checks each against the balance. Compliance acts keep their
    order, because a later decision about an address must land after an earlier one: only
    consecutive allowlist changes of one kind share a batch.
    """
    groups: list[list[Operation]] = []
    transfers: dict[str, list[Operation]] = {}
    last_act: list[Operation] | None = None
    for operation in operations:
        if operation.kind == K.TRANSFER:
            group = transfers.get(operation.token_address)
            if group is None or len(group) >= max_size:
                group = transfers[operation.token_address] = []
                groups.append(group)
            group.append(operation)
        elif (
            operation.kind in BATCHED_KINDS
            and last_act is not None
            and last_act[0].kind == operation.kind
            and len(last_act) < max_size
        ):
            last_act.append(operation)
        else:
            groups.append([operation])
            if operation.kind in COMPLIANCE_KINDS:
                last_act = groups[-1]
    return groups


@transaction.atomic
def operations_batch(
    *, max_size: int | None = None, wait: float | None = None, limit: int = 5000
) -> list[int]:
    """Claim pending operations and build the unstarted transactions that carry them.

    One batcher runs at a time (the batcher's row lock). A batch that is neither full nor older
    than ``wait`` seconds is left for more operations to join, and one later batch is scheduled
    for it; compliance acts after a waiting one wait with it, so their order holds.
    """
    max_size = max_size or settings.CHAIN_BATCH_MAX
    wait = settings.CHAIN_BATCH_WAIT_SECONDS if wait is None else wait
    now = timezone.now()
    cutoff = now - timedelta(seconds=wait)
    batcher, _created = Batcher.objects.get_or_create(chain_id=settings.CHAIN_ID)
    batcher = locks.lock_batcher(batcher.pk)
    pending = list(
        locks.operations_for_update(
            Operation.objects.filter(state=Operation.State.PENDING, chain_id=settings.CHAIN_ID)
            # What grouping and call data read: a distribution leaves thousands pending, and a
            # young batch is read again by every run until it is full or old enough. An
            # issue's arguments are read when its call is built.
            .only(*BATCHING_FIELDS),
            skip_locked=True,
        )[:limit]
    )
    if not pending:
        return []
    deployment = PlatformDeployment.objects.filter(chain_id=settings.CHAIN_ID).first()
    contracts = _contracts()
    operator, compliance = operator_account().address, compliance_account().address
    created = []
    deferred = acts_held = False
    for group in _groups(pending, max_size):
        first = group[0]
        act = first.kind in COMPLIANCE_KINDS
        young = first.kind in BATCHED_KINDS and first.created_at > cutoff and len(group) < max_size
        if young or (act and acts_held):
            deferred = True
            acts_held = acts_held or act
            continue
        if first.kind in REGISTRY_KINDS and deployment is None:
            logger.warning("no platform registry on chain %s: %s waits", settings.CHAIN_ID, first)
            acts_held = acts_held or act
            continue
        call = call_for(group, contracts)
        tx = ChainTransaction.objects.create(
            chain_id=settings.CHAIN_ID,
            from_address=compliance if act else operator,
            to_address=call.to,
            data=call.data,
            function=call.function,
        )
        Operation.objects.filter(pk__in=[op.pk for op in group]).update(
            state=Operation.State.SUBMITTED, transaction=tx, updated_at=now
        )
        created.append(tx.pk)
    if deferred and (batcher.deferred_until is None or batcher.deferred_until <= now):
        Batcher.objects.filter(pk=batcher.pk).update(deferred_until=now + timedelta(seconds=wait))
        enqueue_batch(countdown=wait)
    if len(pending) == limit:
        # More may be pending (a distribution requests thousands at once): the next run takes
        # them now rather than at the sweep's next tick.
        enqueue_batch()
    return created
