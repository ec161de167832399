"""The transaction manager: every requested movement reaches the chain exactly once.

The database holds the intent, the chain what happened (Chainlink's EVM transaction manager):

1. ``operation_request`` writes a pending operation in the caller's transaction, keyed by the
   caller's idempotency key. Nothing else is needed for it to reach the chain.
2. ``operations_batch`` claims pending operations (``FOR UPDATE SKIP LOCKED``) and builds
   unstarted transactions: recorded transfers of one token go out as one batch.
3. ``transaction_sign`` takes a key's next nonce under the key's row lock, signs locally and
   saves the signed bytes and their hash before anything is broadcast.
4. ``transaction_broadcast`` sends the saved bytes; a retry sends the same bytes again, and
   "already known" or "nonce too low" are settled against the chain, not treated as failures.
5. ``transactions_confirm`` follows receipts to the configured depth, confirms the operations,
   and on a revert fails exactly the operations the decoded error names and sends the rest again.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)

from qoima.errors import Conflict, InvalidInput

from .contracts import DecodedError, artifact, decode_error
from .faults import crash_point
from .models import Attempt, ChainTransaction, Operation, Receipt, SigningKey
from .reasons import error_reason

logger = logging.getLogger(__name__)

MAX_UINT256 = 2**256 - 1
# Errors that name the one party a batch could not move; only that party's operations fail.
PARTY_ERRORS = {
    "RegistryFrozen": "account",
    "RegistryNotAllowlisted": "account",
    "BackedAssetInsufficientUnfrozenBalance": "account",
    "ERC20InsufficientBalance": "sender",
}


# ------------------------------------------------------------------------------ request


def _address(value: str, field: str) -> str:
    if not Web3.is_address(value):
        raise InvalidInput(_("%(value)s is not an address.") % {"value": value}, field=field)
    return to_checksum_address(value)


def operation_request(
    *,
    kind: str,
    token_address: str,
    amount: int,
    idempotency_key: str,
    sender: str = "",
    receiver: str = "",
) -> Operation:
    """Ask for a movement to be put on-chain; returns at once.

    Call it inside the caller's own transaction: the operation commits with the caller's row.
    The same idempotency key returns the same operation; reusing it for another movement is
    refused.
    """
    if kind not in Operation.Kind.values:
        raise InvalidInput(_("Unknown kind of movement."), field="kind")
    if not isinstance(amount, int) or not 0 < amount <= MAX_UINT256:
        raise InvalidInput(_("The amount must be a whole number above zero."), field="amount")
    if not idempotency_key or len(idempotency_key) > 128:
        raise InvalidInput(_("An idempotency key of 1 to 128 characters is required."))
    wanted = {
        "kind": kind,
        "chain_id": settings.CHAIN_ID,
        "token_address": _address(token_address, "token_address"),
        "sender": _address(sender, "sender") if kind != Operation.Kind.MINT else "",
        "receiver": _address(receiver, "receiver") if kind != Operation.Kind.BURN else "",
        "amount": Decimal(amount),
    }
    existing = Operation.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        try:
            with transaction.atomic():
                operation = Operation.objects.create(idempotency_key=idempotency_key, **wanted)
        except IntegrityError:
            # The same key committed concurrently: that request won.
            existing = Operation.objects.get(idempotency_key=idempotency_key)
        else:
            transaction.on_commit(_enqueue_batch)
            return operation
    if any(getattr(existing, field) != value for field, value in wanted.items()):
        raise Conflict(_("This idempotency key was used for another movement."))
    return existing


def _enqueue_batch(countdown: float = 0) -> None:
    from .tasks import chain_batch

    chain_batch.apply_async(countdown=countdown)


# ------------------------------------------------------------------------------ batch


def operator_account() -> LocalAccount:
    return Account.from_key(settings.CHAIN_OPERATOR_KEY)


def _token_contract(w3: Web3, address: str) -> Any:
    return w3.eth.contract(
        address=to_checksum_address(address), abi=artifact("BackedAssetToken")["abi"]
    )


def _call_for(w3: Web3, operations: list[Operation]) -> tuple[str, str]:
    """The function and call data that carry these operations of one token."""
    token = _token_contract(w3, operations[0].token_address)
    first = operations[0]
    if first.kind == Operation.Kind.MINT:
        args: list[Any] = [first.receiver, int(first.amount), first.pk]
        return "mint", token.encode_abi("mint", args)
    if first.kind == Operation.Kind.BURN:
        args = [first.sender, int(first.amount), first.pk]
        return "burn", token.encode_abi("burn", args)
    if len(operations) == 1:
        args = [first.sender, first.receiver, int(first.amount), first.pk]
        return "recordTransfer", token.encode_abi("recordTransfer", args)
    receivers = [op.receiver for op in operations]
    amounts = [int(op.amount) for op in operations]
    refs = [op.pk for op in operations]
    senders = {op.sender for op in operations}
    if len(senders) == 1:
        # One sender (a distribution) takes the cheaper one-sender batch.
        args = [first.sender, receivers, amounts, refs]
        return "recordTransfersFrom", token.encode_abi("recordTransfersFrom", args)
    args = [[op.sender for op in operations], receivers, amounts, refs]
    return "recordTransfers", token.encode_abi("recordTransfers", args)


def _groups(operations: Iterable[Operation], max_size: int) -> list[list[Operation]]:
    transfers: dict[str, list[Operation]] = defaultdict(list)
    groups: list[list[Operation]] = []
    for operation in operations:
        if operation.kind == Operation.Kind.TRANSFER:
            transfers[operation.token_address].append(operation)
        else:
            groups.append([operation])
    for batch in transfers.values():
        groups.extend(batch[i : i + max_size] for i in range(0, len(batch), max_size))
    return groups


@transaction.atomic
def operations_batch(
    *, max_size: int | None = None, wait: float | None = None, limit: int = 5000
) -> list[int]:
    """Claim pending operations and build the unstarted transactions that carry them.

    Rows another batcher holds are skipped, so two batchers never take the same operation. A
    batch of transfers that is neither full nor older than ``wait`` seconds is left for more
    transfers to join; a batch is scheduled for when it will be.
    """
    max_size = max_size or settings.CHAIN_BATCH_MAX
    wait = settings.CHAIN_BATCH_WAIT_SECONDS if wait is None else wait
    cutoff = timezone.now() - timedelta(seconds=wait)
    pending = list(
        Operation.objects.select_for_update(skip_locked=True)
        .filter(state=Operation.State.PENDING, chain_id=settings.CHAIN_ID)
        .order_by("id")[:limit]
    )
    if not pending:
        return []
    w3 = Web3()  # encoding only: no node is asked
    operator = operator_account().address
    created = []
    deferred = False
    for group in _groups(pending, max_size):
        young = group[0].kind == Operation.Kind.TRANSFER and group[0].created_at > cutoff
        if young and len(group) < max_size:
            deferred = True
            continue
        function, data = _call_for(w3, group)
        tx = ChainTransaction.objects.create(
            chain_id=settings.CHAIN_ID,
            from_address=operator,
            to_address=group[0].token_address,
            data=data,
            function=function,
        )
        Operation.objects.filter(pk__in=[op.pk for op in group]).update(
            state=Operation.State.SUBMITTED, transaction=tx, updated_at=timezone.now()
        )
        created.append(tx.pk)
    if deferred:
        transaction.on_commit(lambda: _enqueue_batch(countdown=wait))
    return created


# ------------------------------------------------------------------------------ sign


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


@dataclass(frozen=True)
class Fees:
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


def current_fees(w3: Web3) -> Fees:
    base = int(w3.eth.get_block("latest").get("baseFeePerGas", 0))
    priority = int(w3.eth.max_priority_fee)
    # Twice the base fee rides out six full blocks of base-fee rises before the fee is short.
    return Fees(2 * base + priority, priority)


def _sign(tx: ChainTransaction, w3: Web3, fees: Fees) -> Attempt:
    account = signer_for(tx.from_address)
    assert tx.nonce is not None
    assert tx.gas_limit is not None
    signed = account.sign_transaction(
        {
            "chainId": tx.chain_id,
            "nonce": tx.nonce,
            "to": to_checksum_address(tx.to_address),
            "data": HexStr(tx.data),
            "value": 0,
            "gas": tx.gas_limit,
            "maxFeePerGas": fees.max_fee_per_gas,
            "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
            "type": 2,
        }
    )
    return Attempt.objects.create(
        transaction=tx,
        chain_id=tx.chain_id,
        tx_hash=signed.hash.to_0x_hex(),
        raw=bytes(signed.raw_transaction),
        max_fee_per_gas=Decimal(fees.max_fee_per_gas),
        max_priority_fee_per_gas=Decimal(fees.max_priority_fee_per_gas),
    )


def _revert_of(exc: Exception) -> DecodedError:
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return decode_error(data)
    return DecodedError("Error", {"message": str(exc)})


@transaction.atomic
def transaction_sign(*, address: str, w3: Web3) -> ChainTransaction | None:
    """Sign the key's next transaction and save the attempt; None when there is nothing to do.

    The key's row lock makes this the one builder for the key. A transaction already signed
    but not yet accepted is returned as it is: it is broadcast before anything new is signed.
    """
    key, _created = SigningKey.objects.get_or_create(chain_id=settings.CHAIN_ID, address=address)
    key = SigningKey.objects.select_for_update().get(pk=key.pk)
    waiting = ChainTransaction.objects.filter(
        chain_id=key.chain_id, from_address=address, state=ChainTransaction.State.IN_PROGRESS
    ).first()
    if waiting is not None:
        return waiting
    while True:
        tx = (
            ChainTransaction.objects.select_for_update(skip_locked=True)
            .filter(
                chain_id=key.chain_id, from_address=address, state=ChainTransaction.State.UNSTARTED
            )
            .order_by("id")
            .first()
        )
        if tx is None:
            return None
        try:
            gas = w3.eth.estimate_gas(
                {"from": address, "to": to_checksum_address(tx.to_address), "data": HexStr(tx.data)}
            )
            break
        except (ContractCustomError, ContractLogicError) as exc:
            # Refused before it cost anything: settle the operations as a mined revert would.
            _settle_revert(tx, _revert_of(exc), final_state=ChainTransaction.State.FATAL)
    # The chain's count wins when something else used the key.
    chain_nonce = w3.eth.get_transaction_count(to_checksum_address(address), "latest")
    tx.nonce = max(key.next_nonce, chain_nonce)
    tx.gas_limit = gas + gas // 5
    tx.state = ChainTransaction.State.IN_PROGRESS
    tx.save(update_fields=["nonce", "gas_limit", "state"])
    key.next_nonce = tx.nonce + 1
    key.save(update_fields=["next_nonce"])
    _sign(tx, w3, current_fees(w3))
    return tx


# ------------------------------------------------------------------------------ broadcast


ACCEPTED_ANSWERS = ("already known", "known transaction", "already imported", "nonce too low")


def transaction_broadcast(*, tx_id: int, w3: Web3) -> bool:
    """Send the newest saved attempt's bytes; True once the node has the transaction.

    Safe to call any number of times: the bytes and so the hash never change. An unreachable
    node or an unknown answer leaves the transaction in progress for the next try.
    """
    tx = ChainTransaction.objects.get(pk=tx_id)
    if tx.state != ChainTransaction.State.IN_PROGRESS:
        return tx.state != ChainTransaction.State.UNSTARTED
    attempt = tx.attempts.order_by("-id").first()
    assert attempt is not None
    try:
        w3.eth.send_raw_transaction(HexBytes(bytes(attempt.raw)))
    except Web3RPCError as exc:
        message = str(exc).lower()
        if not any(answer in message for answer in ACCEPTED_ANSWERS):
            logger.warning("broadcast of %s refused: %s", attempt.tx_hash, exc)
            ChainTransaction.objects.filter(pk=tx.pk).update(error=str(exc)[:2000])
            return False
        # Already in the node, or the nonce is used: the confirmer settles which by receipt.
    except (OSError, Web3Exception) as exc:
        logger.warning("node unreachable broadcasting %s: %s", attempt.tx_hash, exc)
        return False
    crash_point("after_broadcast")
    now = timezone.now()
    try:
        head: int | None = w3.eth.block_number
    except (OSError, Web3Exception):
        head = None
    with transaction.atomic():
        Attempt.objects.filter(pk=attempt.pk, broadcast_at__isnull=True).update(
            broadcast_at=now, broadcast_block=head
        )
        ChainTransaction.objects.filter(pk=tx.pk, state=ChainTransaction.State.IN_PROGRESS).update(
            state=ChainTransaction.State.UNCONFIRMED, broadcast_at=now, error=""
        )
    return True


def key_send_all(*, address: str, w3: Web3) -> int:
    """Sign and broadcast the key's transactions in nonce order; returns how many were sent."""
    sent = 0
    while True:
        tx = transaction_sign(address=address, w3=w3)
        if tx is None:
            return sent
        crash_point("after_sign")
        if not transaction_broadcast(tx_id=tx.pk, w3=w3):
            return sent
        sent += 1


# ------------------------------------------------------------------------------ resend


BUMP_PERCENT = 10
FEE_TOO_LOW = ("underpriced", "base fee", "fee too low", "fee cap")


def _bumped(attempt: Attempt, fees: Fees) -> Fees:
    """Fees for a replacement: the market's, and never less than the node's minimum bump."""

    def at_least(old: Decimal, market: int) -> int:
        return max(market, int(old) * (100 + BUMP_PERCENT) // 100 + 1)

    priority = at_least(attempt.max_priority_fee_per_gas, fees.max_priority_fee_per_gas)
    return Fees(max(at_least(attempt.max_fee_per_gas, fees.max_fee_per_gas), priority), priority)


def transactions_resend(*, w3: Web3, stuck_blocks: int | None = None) -> int:
    """Re-broadcast what the node forgot; replace what is stuck with higher fees.

    Returns how many transactions were sent again. A replacement keeps the nonce, so only one
    of a transaction's attempts can ever be mined.
    """
    stuck_blocks = stuck_blocks or settings.CHAIN_STUCK_BLOCKS
    head = w3.eth.block_number
    resent = 0
    waiting = ChainTransaction.objects.filter(
        chain_id=settings.CHAIN_ID, state=ChainTransaction.State.UNCONFIRMED
    )
    for tx in waiting:
        attempt = tx.attempts.order_by("-id").first()
        assert attempt is not None
        if any(_receipt_of(w3, a) is not None for a in tx.attempts.all()):
            continue
        try:
            w3.eth.get_transaction(HexBytes(attempt.tx_hash))
            known = True
        except TransactionNotFound:
            known = False
        if known:
            if head - (attempt.broadcast_block or head) >= stuck_blocks:
                resent += _replace(tx, attempt, w3)
            continue
        try:
            w3.eth.send_raw_transaction(HexBytes(bytes(attempt.raw)))
            resent += 1
        except Web3RPCError as exc:
            # The node forgot it because its fees no longer reach the base fee: replace it.
            if any(word in str(exc).lower() for word in FEE_TOO_LOW):
                resent += _replace(tx, attempt, w3)
            else:
                logger.warning("re-broadcast of %s refused: %s", attempt.tx_hash, exc)
    return resent


def _replace(tx: ChainTransaction, attempt: Attempt, w3: Web3) -> int:
    with transaction.atomic():
        replacement = _sign(tx, w3, _bumped(attempt, current_fees(w3)))
    try:
        w3.eth.send_raw_transaction(HexBytes(bytes(replacement.raw)))
    except Web3RPCError as exc:
        logger.warning("replacement %s refused: %s", replacement.tx_hash, exc)
        return 0
    Attempt.objects.filter(pk=replacement.pk).update(
        broadcast_at=timezone.now(), broadcast_block=w3.eth.block_number
    )
    return 1


# ------------------------------------------------------------------------------ confirm


def _receipt_of(w3: Web3, attempt: Attempt) -> Any:
    try:
        return w3.eth.get_transaction_receipt(HexBytes(attempt.tx_hash))
    except TransactionNotFound:
        return None


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
        return _revert_of(exc)
    return DecodedError("Error", {"message": "reverted"})


# Confirmed transactions younger than this many blocks are checked for having been reorged out.
RECHECK_BLOCKS = 128


def _recheck_recent(w3: Web3, head: int) -> None:
    """Send back to unconfirmed what a reorg took out of the chain after it was confirmed."""
    recent = Receipt.objects.filter(
        block_number__gte=max(0, head - RECHECK_BLOCKS),
        attempt__transaction__state__in=[
            ChainTransaction.State.CONFIRMED,
            ChainTransaction.State.REVERTED,
        ],
    ).select_related("attempt__transaction")
    for receipt in recent:
        found = _receipt_of(w3, receipt.attempt)
        if found is not None and found["blockHash"].to_0x_hex() == receipt.block_hash:
            continue
        tx = receipt.attempt.transaction
        with transaction.atomic():
            ChainTransaction.objects.filter(pk=tx.pk).update(
                state=ChainTransaction.State.UNCONFIRMED, confirmed_at=None
            )
            Operation.objects.filter(transaction=tx, state=Operation.State.CONFIRMED).update(
                state=Operation.State.SUBMITTED, updated_at=timezone.now()
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
    unconfirmed = ChainTransaction.objects.filter(
        chain_id=settings.CHAIN_ID, state=ChainTransaction.State.UNCONFIRMED
    ).prefetch_related("attempts")
    for tx in unconfirmed:
        for attempt in tx.attempts.all():
            found = _receipt_of(w3, attempt)
            if found is None:
                continue
            crash_point("before_receipt_saved")
            block_number = int(found["blockNumber"])
            receipt, _created = Receipt.objects.get_or_create(
                tx_hash=attempt.tx_hash,
                block_hash=found["blockHash"].to_0x_hex(),
                defaults={
                    "attempt": attempt,
                    "block_number": block_number,
                    "status": int(found["status"]),
                    "gas_used": int(found["gasUsed"]),
                },
            )
            if head - block_number + 1 < depth_needed:
                break
            if receipt.status == 1:
                _settle_confirmed(tx)
            else:
                reason = _replay_reason(w3, tx, block_number)
                Receipt.objects.filter(pk=receipt.pk).update(revert_reason=str(reason))
                _settle_revert(tx, reason, final_state=ChainTransaction.State.REVERTED)
            settled += 1
            break
    return settled


@transaction.atomic
def _settle_confirmed(tx: ChainTransaction) -> None:
    updated = ChainTransaction.objects.filter(
        pk=tx.pk, state=ChainTransaction.State.UNCONFIRMED
    ).update(state=ChainTransaction.State.CONFIRMED, confirmed_at=timezone.now())
    if updated:
        Operation.objects.filter(transaction=tx, state=Operation.State.SUBMITTED).update(
            state=Operation.State.CONFIRMED, updated_at=timezone.now()
        )


@transaction.atomic
def _settle_revert(tx: ChainTransaction, error: DecodedError, *, final_state: str) -> None:
    """Fail the operations the error names; send the others again in a new transaction."""
    ChainTransaction.objects.filter(pk=tx.pk).update(state=final_state, error=str(error))
    operations = list(
        Operation.objects.select_for_update().filter(
            transaction=tx, state=Operation.State.SUBMITTED
        )
    )
    field = PARTY_ERRORS.get(error.name)
    party = str(error.args.get(field, "")).lower() if field else ""
    named = [op for op in operations if party and party in (op.sender.lower(), op.receiver.lower())]
    # An error that names no operation of this transaction fails them all: sending them
    # again unchanged would only revert again.
    failed = named or operations
    # Stored in English whatever language the worker runs in, beside the decoded error, so
    # the record reads the same for every reader and auditor.
    with translation.override("en"):
        reason = f"{error_reason(error)} [{error}]"
    Operation.objects.filter(pk__in=[op.pk for op in failed]).update(
        state=Operation.State.FAILED, failure_reason=reason, updated_at=timezone.now()
    )
    retried = [op.pk for op in operations if op not in failed]
    if retried:
        Operation.objects.filter(pk__in=retried).update(
            state=Operation.State.PENDING, transaction=None, updated_at=timezone.now()
        )
        transaction.on_commit(_enqueue_batch)
