"""Batching: pending operations become the unstarted transactions that carry them.

How a kind is batched, which call carries it and whose key signs it is its rule in
``qoima.chain.kinds``: recorded transfers of one token travel together (``recordTransfersFrom``
when they share a sender, the cheaper form for a distribution, else ``recordTransfers``), as do
consecutive allowlist changes; every other action is its own transaction. Each transaction is
signed by the key whose registry role the function needs: the operator's for issuance and
movements, the compliance key's for allowlist, freezes, forced transfers and pauses.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from eth_account import Account
from eth_account.signers.local import LocalAccount

from qoima import locks

from ..kinds import KINDS, Batching, Call, Contracts, Signer
from ..models import Batcher, ChainTransaction, Operation, PlatformDeployment
from .requests import enqueue_batch

logger = logging.getLogger(__name__)
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


def call_for(operations: list[Operation], contracts: Contracts) -> Call:
    """The function and call data that carry these operations (one kind, one contract)."""
    return KINDS[operations[0].kind].call(operations, contracts)


def _contracts() -> Contracts:
    deployment = PlatformDeployment.objects.filter(chain_id=settings.CHAIN_ID).first()
    return Contracts(deployment.registry_address if deployment else "")


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

    Per-token kinds (recorded transfers) gather in batches of their token, whatever comes
    between them: their order does not matter, the chain checks each against the balance.
    Compliance acts keep their order, because a later decision about an address must land
    after an earlier one: only consecutive acts of one batched kind share a batch.
    """
    groups: list[list[Operation]] = []
    per_token: dict[tuple[str, str], list[Operation]] = {}
    last_act: list[Operation] | None = None
    for operation in operations:
        kind = KINDS[operation.kind]
        if kind.batching == Batching.PER_TOKEN:
            key = (operation.kind, operation.token_address)
            group = per_token.get(key)
            if group is None or len(group) >= max_size:
                group = per_token[key] = []
                groups.append(group)
            group.append(operation)
        elif (
            kind.batching == Batching.CONSECUTIVE
            and last_act is not None
            and last_act[0].kind == operation.kind
            and len(last_act) < max_size
        ):
            last_act.append(operation)
        else:
            groups.append([operation])
            if kind.keeps_order:
                last_act = groups[-1]
    return groups


@dataclass
class _Run:
    """One batcher run: what it builds transactions with, and what it leaves waiting."""

    now: datetime
    cutoff: datetime
    max_size: int
    registry_deployed: bool
    contracts: Contracts
    signers: dict[Signer, str]
    deferred: bool = False
    acts_held: bool = False

    def waits(self, group: list[Operation]) -> bool:
        """Whether this group stays pending for now; compliance acts after a held one wait
        with it, so their order holds."""
        first = group[0]
        kind = KINDS[first.kind]
        young = (
            kind.batching != Batching.ALONE
            and first.created_at > self.cutoff
            and len(group) < self.max_size
        )
        if young or (kind.keeps_order and self.acts_held):
            self.deferred = True
        elif kind.to_registry and not self.registry_deployed:
            logger.warning("no platform registry on chain %s: %s waits", settings.CHAIN_ID, first)
        else:
            return False
        self.acts_held = self.acts_held or kind.keeps_order
        return True

    def submit(self, group: list[Operation]) -> int:
        """Build the unstarted transaction that carries this group; returns its id."""
        call = call_for(group, self.contracts)
        tx = ChainTransaction.objects.create(
            chain_id=settings.CHAIN_ID,
            from_address=self.signers[KINDS[group[0].kind].signer],
            to_address=call.to,
            data=call.data,
            function=call.function,
        )
        Operation.objects.filter(pk__in=[op.pk for op in group]).update(
            state=Operation.State.SUBMITTED, transaction=tx, updated_at=self.now
        )
        return tx.pk


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
    run = _Run(
        now=now,
        cutoff=now - timedelta(seconds=wait),
        max_size=max_size,
        registry_deployed=deployment is not None,
        contracts=Contracts(deployment.registry_address if deployment else ""),
        signers={
            Signer.OPERATOR: operator_account().address,
            Signer.COMPLIANCE: compliance_account().address,
        },
    )
    created = [run.submit(group) for group in _groups(pending, max_size) if not run.waits(group)]
    if run.deferred and (batcher.deferred_until is None or batcher.deferred_until <= now):
        Batcher.objects.filter(pk=batcher.pk).update(deferred_until=now + timedelta(seconds=wait))
        enqueue_batch(countdown=wait)
    if len(pending) == limit:
        # More may be pending (a distribution requests thousands at once): the next run takes
        # them now rather than at the sweep's next tick.
        enqueue_batch()
    return created
