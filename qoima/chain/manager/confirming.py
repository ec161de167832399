"""Confirming: receipts followed to the configured depth, and reverts settled exactly.

A mined, successful transaction confirms its operations once it is ``CHAIN_CONFIRMATIONS``
deep. A reverted one is replayed on its block's state to decode the contract's error; only the
operations that error names (a frozen or delisted party, a short balance) fail, releasing what
they reserved, and the others are requested again in a new transaction. A confirmation a reorg
takes back is counted again.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from eth_typing import HexStr
from eth_utils import to_checksum_address
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError

from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record_many
from qoima.events import event

from ..client import rpc_batch
from ..contracts import ASSET_ISSUED_TOPIC, DecodedError, decode_error
from ..faults import crash_point
from ..kinds import KINDS
from ..ledger import release_failed
from ..models import Attempt, ChainTransaction, Operation, Receipt
from ..reasons import error_reason, failure_params
from .requests import enqueue_batch
from .settlement import operations_settled

logger = logging.getLogger(__name__)

# Confirmed transactions younger than this many blocks are checked for having been reorged out.
RECHECK_BLOCKS = 128


@dataclass(frozen=True)
class MinedReceipt:
    block_number: int
    block_hash: str
    status: int
    gas_used: int
    logs: list[dict[str, Any]]


def _mined(found: dict[str, Any] | None) -> MinedReceipt | None:
    if not found or found.get("blockHash") is None:
        return None
    return MinedReceipt(
        block_number=int(found["blockNumber"], 16),
        block_hash=found["blockHash"],
        status=int(found["status"], 16),
        gas_used=int(found["gasUsed"], 16),
        logs=found["logs"],
    )


def receipts_of(w3: Web3, attempts: list[Attempt]) -> dict[int, MinedReceipt | None]:
    """Each attempt's receipt, in one JSON-RPC batch, as the node sends it (web3's formatting
    of a batch's hundreds of logs would cost more than the rest of a confirmation)."""
    answers = rpc_batch(w3, [("eth_getTransactionReceipt", [a.tx_hash]) for a in attempts])
    return {a.pk: _mined(found) for a, found in zip(attempts, answers, strict=True)}


def revert_of(exc: Exception) -> DecodedError:
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return decode_error(data)
    return DecodedError("Error", {"message": str(exc)})


def _replay_reason(w3: Web3, tx: ChainTransaction, block_number: int) -> DecodedError:
    """Run the reverted call again on the state of its block to learn the contract's error."""
    try:
        w3.eth.call(
            {
                "from": to_checksum_address(tx.from_address),
                "to": to_checksum_address(tx.to_address),
                "data": HexStr(tx.data),
            },
            block_identifier=block_number,
        )
    except (ContractCustomError, ContractLogicError) as exc:
        return revert_of(exc)
    return DecodedError("Error", {"message": "reverted"})


def _recheck_recent(w3: Web3, head: int) -> None:
    """Send back to unconfirmed what a reorg took out of the chain after it was confirmed.

    A receipt still stands when its block is still the chain's block at that height: one
    batch of block hashes checks them all. A reverted transaction's operations were settled
    (failed, or sent again) when it was deep enough; a reorg deeper than that is reported, and
    reconciliation shows anything it moved.
    """
    recent = list(
        Receipt.objects.filter(
            block_number__gte=max(0, head - RECHECK_BLOCKS),
            attempt__transaction__state__in=[
                ChainTransaction.State.CONFIRMED,
                ChainTransaction.State.REVERTED,
            ],
        ).select_related("attempt__transaction")
    )
    numbers = sorted({receipt.block_number for receipt in recent})
    blocks = rpc_batch(w3, [("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
    hashes = {n: block["hash"] if block else None for n, block in zip(numbers, blocks, strict=True)}
    for receipt in recent:
        if hashes[receipt.block_number] == receipt.block_hash:
            continue
        tx = receipt.attempt.transaction
        if tx.state == ChainTransaction.State.REVERTED:
            logger.error("reverted %s left the chain after it was settled", receipt.tx_hash)
            continue
        with transaction.atomic():
            ChainTransaction.objects.filter(pk=tx.pk).update(
                state=ChainTransaction.State.UNCONFIRMED, confirmed_at=None
            )
            confirmed = Operation.objects.filter(transaction=tx, state=Operation.State.CONFIRMED)
            reorged = list(confirmed)
            confirmed.update(state=Operation.State.SUBMITTED, updated_at=timezone.now())
            audit_record_many(
                actor=None,
                action=AuditAction.OPERATION_REORGED,
                records=[
                    (op, {"transaction": tx.pk, "tx_hash": receipt.tx_hash}) for op in reorged
                ],
            )
            # The receipt belongs to a block that is no longer in the chain.
            Receipt.objects.filter(pk=receipt.pk).delete()


def transactions_confirm(*, w3: Web3, confirmations: int | None = None) -> int:
    """Follow receipts of accepted transactions; returns how many reached a final state.

    Confirmations are counted again after a reorg: a transaction whose block left the chain
    goes back to unconfirmed, and its saved bytes are sent again by the resender.
    """
    depth_needed = confirmations or settings.CHAIN_CONFIRMATIONS
    head = w3.eth.block_number
    _recheck_recent(w3, head)
    settled = 0
    unconfirmed = list(
        ChainTransaction.objects.filter(
            chain_id=settings.CHAIN_ID, state=ChainTransaction.State.UNCONFIRMED
        ).prefetch_related("attempts")
    )
    attempts = [attempt for tx in unconfirmed for attempt in tx.attempts.all()]
    receipts = receipts_of(w3, attempts)
    saved = _receipts_saved(attempts, receipts)
    confirmed: list[tuple[ChainTransaction, MinedReceipt]] = []
    for tx in unconfirmed:
        for attempt in tx.attempts.all():
            found = receipts[attempt.pk]
            if found is None:
                continue
            receipt = saved[(attempt.tx_hash, found.block_hash)]
            if head - found.block_number + 1 < depth_needed:
                break
            if receipt.status == 1:
                confirmed.append((tx, found))
            else:
                reason = _replay_reason(w3, tx, found.block_number)
                Receipt.objects.filter(pk=receipt.pk).update(revert_reason=str(reason))
                settle_revert(tx, reason, final_state=ChainTransaction.State.REVERTED)
            settled += 1
            break
    _settle_confirmed(confirmed)
    return settled


def _receipts_saved(
    attempts: list[Attempt], receipts: dict[int, MinedReceipt | None]
) -> dict[tuple[str, str], Receipt]:
    """The receipts found, saved once each (a receipt seen before keeps its row), by
    (transaction hash, block hash)."""
    mined = [(attempt, receipts[attempt.pk]) for attempt in attempts]
    found = [(attempt, receipt) for attempt, receipt in mined if receipt is not None]
    if not found:
        return {}
    crash_point("before_receipt_saved")
    Receipt.objects.bulk_create(
        [
            Receipt(
                attempt=attempt,
                tx_hash=attempt.tx_hash,
                block_hash=receipt.block_hash,
                block_number=receipt.block_number,
                status=receipt.status,
                gas_used=receipt.gas_used,
            )
            for attempt, receipt in found
        ],
        ignore_conflicts=True,
    )
    wanted = {(attempt.tx_hash, receipt.block_hash) for attempt, receipt in found}
    return {
        (row.tx_hash, row.block_hash): row
        for row in Receipt.objects.filter(tx_hash__in={tx_hash for tx_hash, _block in wanted})
        if (row.tx_hash, row.block_hash) in wanted
    }


def _issued_token(receipt: MinedReceipt) -> str:
    for log in receipt.logs:
        topics = log["topics"]
        if topics and topics[0].lower() == ASSET_ISSUED_TOPIC:
            return to_checksum_address("0x" + topics[2][-40:])
    return ""


@transaction.atomic
def _settle_confirmed(confirmed: list[tuple[ChainTransaction, MinedReceipt]]) -> None:
    """Confirm the operations of these transactions and hand them to settlement, together.

    One database transaction and one hand-over for every transaction the pass found deep
    enough: a settlement handler then writes its rows (postings, audit entries) in a few
    statements for all of them instead of a few for each, which is most of a confirmation's
    cost once a batch carries hundreds of operations.
    """
    if not confirmed:
        return
    now = timezone.now()
    receipts = {tx.pk: receipt for tx, receipt in confirmed}
    # Locked first, as the resender and a reorg check lock a transaction before its operations.
    mine = list(
        locks.chain_transactions_for_update(
            ChainTransaction.objects.filter(
                pk__in=list(receipts), state=ChainTransaction.State.UNCONFIRMED
            )
        ).values_list("pk", flat=True)
    )
    if not mine:
        return
    ChainTransaction.objects.filter(pk__in=mine).update(
        state=ChainTransaction.State.CONFIRMED, confirmed_at=now
    )
    submitted = Operation.objects.filter(transaction_id__in=mine, state=Operation.State.SUBMITTED)
    # Locked in id order, as the indexer locks them: the two never wait on each other in turn.
    operations = list(locks.operations_for_update(submitted))
    submitted.update(state=Operation.State.CONFIRMED, updated_at=now)
    for operation in operations:
        operation.state, operation.updated_at = Operation.State.CONFIRMED, now
        if KINDS[operation.kind].issues_token:
            # The token exists only from this receipt on: its address is the issue's result.
            assert operation.transaction_id is not None
            operation.token_address = _issued_token(receipts[operation.transaction_id])
            operation.result = {"token": operation.token_address}
            operation.save(update_fields=["token_address", "result"])
    operations_settled(operations)
    by_transaction: dict[int, list[Operation]] = {}
    for operation in operations:
        assert operation.transaction_id is not None
        by_transaction.setdefault(operation.transaction_id, []).append(operation)
    said = sorted(
        (receipts[pk].block_number, _operations_named(ops)) for pk, ops in by_transaction.items()
    )

    def say() -> None:
        for block, named in said:
            event("%s confirmed in block %s", named, block)

    transaction.on_commit(say)


def _operations_named(operations: list[Operation]) -> str:
    """``operation #12 transfer``, or ``3 operations #12–#14 (transfer ×2, mint)``."""
    if len(operations) == 1:
        return f"operation #{operations[0].pk} {operations[0].kind}"
    kinds: dict[str, int] = {}
    for operation in operations:
        kinds[operation.kind] = kinds.get(operation.kind, 0) + 1
    counted = ", ".join(kind if n == 1 else f"{kind} ×{n}" for kind, n in kinds.items())
    ids = sorted(op.pk for op in operations)
    return f"{len(operations)} operations #{ids[0]}–#{ids[-1]} ({counted})"


def _named_by(error: DecodedError, operations: list[Operation]) -> list[Operation]:
    """The operations a decoded error is about, or none when it names no one of them."""
    if error.name == "BackedAssetRefUsed":
        # That reference is on-chain already (reconciliation shows where); only it fails.
        return [op for op in operations if op.pk == error.args.get("ref")]
    named = []
    for op in operations:
        revert = KINDS[op.kind].party_revert(error.name)
        if revert is None:
            continue
        party = str(error.args.get(revert.argument, "")).lower()
        if party in (getattr(op, f).lower() for f in revert.fields):
            named.append(op)
    return named


@transaction.atomic
def settle_revert(tx: ChainTransaction, error: DecodedError, *, final_state: str) -> None:
    """Fail the operations the error names; send the others again in a new transaction."""
    ChainTransaction.objects.filter(pk=tx.pk).update(state=final_state, error=str(error))
    operations = list(
        locks.operations_for_update(
            Operation.objects.filter(transaction=tx, state=Operation.State.SUBMITTED)
        )
    )
    named = _named_by(error, operations)
    # An error that names no operation of this transaction fails them all: sending them
    # again unchanged would only revert again.
    failed = named or operations
    # People read the code and its parameters, in their language (reasons.failure_text); the
    # English text beside the raw error is for operators' logs, whatever the worker's language.
    with translation.override("en"):
        reason = f"{error_reason(error)} [{error}]"
    now = timezone.now()
    failure = {
        "state": Operation.State.FAILED,
        "failure_code": error.name,
        "failure_params": failure_params(error),
        "failure_reason": reason,
        "updated_at": now,
    }
    for operation in failed:
        for field, value in failure.items():
            setattr(operation, field, value)
    Operation.objects.filter(pk__in=[op.pk for op in failed]).update(**failure)
    release_failed(chain_id=tx.chain_id, operations=failed)
    retried = [op.pk for op in operations if op not in failed]
    if retried:
        Operation.objects.filter(pk__in=retried).update(
            state=Operation.State.PENDING, transaction=None, updated_at=now
        )
        enqueue_batch()
    audit_record_many(
        actor=None,
        action=AuditAction.OPERATION_FAILED,
        records=[(op, {"transaction": tx.pk, "code": error.name}) for op in failed],
    )
    audit_record_many(
        actor=None,
        action=AuditAction.OPERATION_REQUEUED,
        records=[(op, {"transaction": tx.pk}) for op in operations if op.pk in retried],
    )
    operations_settled(failed)
    if failed:
        said = _operations_named(failed)
        transaction.on_commit(lambda: event("%s failed on-chain: %s", said, error.name))
