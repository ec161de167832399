"""Signing, broadcasting and resending: saved bytes first, the node second.

Under the signing key's row lock (one builder per key) the next nonce is taken and the signed
bytes and their hash are saved before anything is broadcast. A broadcast sends those saved
bytes, so sending again (a redelivered task, web3's own retry, a restarted worker) can never
make a second transaction. The resender sends again what the node forgot and replaces, at the
same nonce, what waits too long; only one attempt of a nonce can ever be mined.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
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
from web3.types import TxParams

from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record_many

from ..client import rpc_call
from ..contracts import DecodedError
from ..faults import crash_point
from ..models import Attempt, ChainTransaction, Operation, SigningKey
from .batching import compliance_account, signer_for, transaction_split
from .confirming import receipts_of, revert_of, settle_revert
from .requests import enqueue_batch

logger = logging.getLogger(__name__)

# EIP-7825 (Osaka) caps a transaction's gas; a limit above it is refused by the node.
MAX_TRANSACTION_GAS = 2**24
BUMP_PERCENT = 10
# Gas above what a call used that a transaction is first tried with: what refunds gave back
# and a call's 1/64 kept back (a few percent on the platform's batches).
GAS_ROOM_DIVISOR = 16
# How the node answers bytes it already has, or a nonce already used (by these bytes or not:
# the confirmer and resender settle which, by receipt).
ACCEPTED_ANSWERS = ("already known", "known transaction", "already imported", "nonce too low")
FEE_TOO_LOW = ("underpriced", "base fee", "fee too low", "fee cap")
NO_FUNDS = ("insufficient funds",)
# Answers no retry of the same bytes can change.
REFUSED = (
    "exceeds block gas limit",
    "gas limit too high",
    "intrinsic gas too low",
    "intrinsic gas too high",
    "oversized data",
    "max initcode size",
    "transaction type not supported",
    "invalid chain id",
)


@dataclass(frozen=True)
class Fees:
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


def current_fees(w3: Web3, *, sender: str = "") -> Fees:
    """The fees a transaction of ``sender`` offers now.

    Compliance's acts offer a tip ``CHAIN_COMPLIANCE_TIP_MULTIPLIER`` times the market's, so a
    block that takes both puts a freeze or a pause before the movements it is meant to stop:
    a legal order overtakes what is already in flight.
    """
    base = int(w3.eth.get_block("latest").get("baseFeePerGas", 0))
    priority = int(w3.eth.max_priority_fee)
    if sender and sender == compliance_account().address:
        priority *= settings.CHAIN_COMPLIANCE_TIP_MULTIPLIER
    # Twice the base fee rides out six full blocks of base-fee rises before the fee is short.
    return Fees(2 * base + priority, priority)


def _bumped(attempt: Attempt, fees: Fees) -> Fees:
    """Fees for a replacement: the market's, and never less than the node's minimum bump."""

    def at_least(old: Decimal, market: int) -> int:
        return max(market, int(old) * (100 + BUMP_PERCENT) // 100 + 1)

    priority = at_least(attempt.max_priority_fee_per_gas, fees.max_priority_fee_per_gas)
    return Fees(max(at_least(attempt.max_fee_per_gas, fees.max_fee_per_gas), priority), priority)


def _sign(tx: ChainTransaction, fees: Fees) -> Attempt:
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


def _gas_needed(w3: Web3, *, address: str, tx: ChainTransaction) -> int:
    """The gas ``tx`` needs, on the pending state: the key's earlier transactions may not be
    mined yet, and this one may depend on them (an unpause after a pause). A revert raises
    the contract's error, as the node's estimate does.

    A compliance act that the pending state refuses is tried on the latest block too: what
    makes it fail may be a holder's movement still in the pool (a freeze of units a transfer
    in flight would take), which the act, paying the higher tip, overtakes.
    """
    try:
        return _gas_at(w3, address=address, tx=tx, block="pending")
    except (ContractCustomError, ContractLogicError):
        if address != compliance_account().address:
            raise
        return _gas_at(w3, address=address, tx=tx, block="latest")


def _gas_at(w3: Web3, *, address: str, tx: ChainTransaction, block: str) -> int:
    """The gas ``tx`` needs on the state of ``block``.

    The node's estimate searches for the least gas that succeeds and runs the call a dozen
    times or more for it (a batch of hundreds of transfers takes about 100 ms on anvil,
    against a few for one run). So the gas the call uses is read first
    (``eth_createAccessList``) and, with room for refunds and the gas a call keeps back, tried
    in one run at that limit; only when that run does not succeed, or the node does not
    answer the method, does its estimate decide.
    """
    call: TxParams = {
        "from": to_checksum_address(address),
        "to": to_checksum_address(tx.to_address),
        "data": HexStr(tx.data),
    }
    try:
        listed = rpc_call(w3, "eth_createAccessList", [call, block])
        used = int(listed["gasUsed"], 16)
        # The access list's own cost replaces a cold access's extra 100 gas per entry.
        entries = sum(1 + len(item.get("storageKeys", [])) for item in listed["accessList"])
        gas = used + used // GAS_ROOM_DIVISOR + 100 * entries
        rpc_call(w3, "eth_call", [{**call, "gas": hex(gas)}, block])
    except (Web3RPCError, KeyError, TypeError, ValueError):
        return int(w3.eth.estimate_gas(call, block))  # type: ignore[arg-type]
    return gas


@transaction.atomic
def transaction_sign(
    *, address: str, w3: Web3, fees: Fees | None = None, chain_nonce: int | None = None
) -> ChainTransaction | None:
    """Sign the key's next transaction and save the attempt; None when there is nothing to do.

    The key's row lock makes this the one builder for the key. A transaction already signed
    but not yet accepted is returned as it is: it is broadcast before anything new is signed.
    ``fees`` and the key's ``chain_nonce``, when a caller signing many in a row has them, save
    asking the node for each.
    """
    key, _created = SigningKey.objects.get_or_create(chain_id=settings.CHAIN_ID, address=address)
    key = locks.lock_signing_key(pk=key.pk)
    waiting = ChainTransaction.objects.filter(
        chain_id=key.chain_id, from_address=address, state=ChainTransaction.State.IN_PROGRESS
    ).first()
    if waiting is not None:
        return waiting
    while True:
        tx = locks.chain_transactions_for_update(
            ChainTransaction.objects.filter(
                chain_id=key.chain_id, from_address=address, state=ChainTransaction.State.UNSTARTED
            ),
            skip_locked=True,
        ).first()
        if tx is None:
            return None
        try:
            gas = _gas_needed(w3, address=address, tx=tx)
        except (ContractCustomError, ContractLogicError) as exc:
            # Refused before it cost anything: settle the operations as a mined revert would.
            settle_revert(tx, revert_of(exc), final_state=ChainTransaction.State.FATAL)
            continue
        if gas <= MAX_TRANSACTION_GAS:
            break
        # More than one transaction may carry: a batch goes out in halves, a single action
        # cannot go out at all.
        if not transaction_split(tx):
            error = DecodedError("TransactionTooLarge", {"gas": gas, "cap": MAX_TRANSACTION_GAS})
            settle_revert(tx, error, final_state=ChainTransaction.State.FATAL)
    if chain_nonce is None:
        chain_nonce = w3.eth.get_transaction_count(to_checksum_address(address), "latest")
    # The chain's count wins when something else used the key.
    tx.nonce = max(key.next_nonce, chain_nonce)
    tx.gas_limit = min(gas + gas // 5, MAX_TRANSACTION_GAS)
    tx.state = ChainTransaction.State.IN_PROGRESS
    tx.save(update_fields=["nonce", "gas_limit", "state"])
    key.next_nonce = tx.nonce + 1
    key.save(update_fields=["next_nonce"])
    _sign(tx, fees or current_fees(w3, sender=tx.from_address))
    return tx


def _send(w3: Web3, attempt: Attempt) -> str:
    """Send an attempt's saved bytes: "accepted", "fee" (too low), "funds", "refused" (never
    acceptable as it is) or "error" (try the same bytes later)."""
    try:
        w3.eth.send_raw_transaction(HexBytes(bytes(attempt.raw)))
    except Web3RPCError as exc:
        message = str(exc).lower()
        if any(answer in message for answer in ACCEPTED_ANSWERS):
            return "accepted"
        outcome = next(
            (
                kind
                for kind, words in (("fee", FEE_TOO_LOW), ("funds", NO_FUNDS), ("refused", REFUSED))
                if any(word in message for word in words)
            ),
            "error",
        )
        if outcome == "funds":
            # Nothing the platform can do but wait: someone must fund the key.
            logger.error(
                "key %s cannot pay for %s: %s",
                attempt.transaction.from_address,
                attempt.tx_hash,
                exc,
            )
        else:
            logger.warning("broadcast of %s refused: %s", attempt.tx_hash, exc)
        ChainTransaction.objects.filter(pk=attempt.transaction_id).update(error=str(exc)[:2000])
        return outcome
    return "accepted"


def transaction_broadcast(*, tx_id: int, w3: Web3) -> bool:
    """Send the newest saved attempt's bytes; True once the node has the transaction.

    Safe to call any number of times: the bytes and so the hash never change. Fees below what
    the node takes are raised at once (a new attempt at the same nonce); a key that cannot pay
    and an unreachable node leave the transaction in progress for the next try.
    """
    tx = ChainTransaction.objects.get(pk=tx_id)
    if tx.state != ChainTransaction.State.IN_PROGRESS:
        return tx.state != ChainTransaction.State.UNSTARTED
    attempt = tx.attempts.order_by("-id").first()
    assert attempt is not None
    try:
        outcome = _send(w3, attempt)
        if outcome == "fee":
            attempt = _sign(tx, _bumped(attempt, current_fees(w3, sender=tx.from_address)))
            outcome = _send(w3, attempt)
    except (OSError, Web3Exception) as exc:
        logger.warning("node unreachable broadcasting %s: %s", attempt.tx_hash, exc)
        return False
    if outcome == "refused":
        _abandon(tx)
        return False
    if outcome != "accepted":
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


@transaction.atomic
def _abandon(tx: ChainTransaction) -> None:
    """Give up a transaction the node will never take: its operations fail with the node's
    answer, and its nonce, never used, goes to the key's next transaction."""
    key = locks.lock_signing_key(chain_id=tx.chain_id, address=tx.from_address)
    refused = locks.lock_chain_transaction(tx.pk)
    if refused.state != ChainTransaction.State.IN_PROGRESS or refused.nonce is None:
        return
    if key.next_nonce == refused.nonce + 1:
        key.next_nonce = refused.nonce
        key.save(update_fields=["next_nonce"])
    ChainTransaction.objects.filter(pk=tx.pk).update(state=ChainTransaction.State.FATAL, nonce=None)
    error = DecodedError("NodeRefused", {"message": refused.error})
    settle_revert(refused, error, final_state=ChainTransaction.State.FATAL)


def key_send_all(*, address: str, w3: Web3) -> int:
    """Sign and broadcast the key's transactions in nonce order; returns how many were sent.

    The fees and the chain's count of the key's transactions are read once for the run.
    """
    sent = 0
    fees = current_fees(w3, sender=to_checksum_address(address))
    chain_nonce = int(w3.eth.get_transaction_count(to_checksum_address(address), "latest"))
    while True:
        tx = transaction_sign(address=address, w3=w3, fees=fees, chain_nonce=chain_nonce)
        if tx is None:
            return sent
        crash_point("after_sign")
        if not transaction_broadcast(tx_id=tx.pk, w3=w3):
            return sent
        sent += 1


# ------------------------------------------------------------------------------ resend


def transactions_resend(*, w3: Web3, stuck_blocks: int | None = None) -> int:
    """Re-broadcast what the node forgot; replace what is stuck with higher fees.

    Returns how many transactions were sent again. A replacement keeps the nonce, so only one
    of a transaction's attempts can ever be mined. A transaction whose nonce another
    transaction of the key used (deep enough to stay) can never be mined: its operations are
    requested again in a new transaction.
    """
    stuck_blocks = stuck_blocks or settings.CHAIN_STUCK_BLOCKS
    head = w3.eth.block_number
    resent = 0
    waiting = ChainTransaction.objects.filter(
        chain_id=settings.CHAIN_ID, state=ChainTransaction.State.UNCONFIRMED
    ).prefetch_related("attempts")
    for tx in waiting:
        attempts = sorted(tx.attempts.all(), key=lambda a: a.pk)
        if any(found is not None for found in receipts_of(w3, attempts).values()):
            continue
        attempt = attempts[-1]
        try:
            w3.eth.get_transaction(HexBytes(attempt.tx_hash))
            known = True
        except TransactionNotFound:
            known = False
        if known:
            if head - (attempt.broadcast_block or head) >= stuck_blocks:
                resent += _replace(tx, attempt, w3)
            continue
        if _nonce_taken(w3, tx, head):
            _requeue(tx)
            continue
        outcome = _send(w3, attempt)
        if outcome == "fee":
            # The node forgot it because its fees no longer reach the base fee: replace it.
            resent += _replace(tx, attempt, w3)
        elif outcome == "accepted":
            resent += 1
    return resent


def _nonce_taken(w3: Web3, tx: ChainTransaction, head: int) -> bool:
    """True when a transaction of the key at this nonce, not ours, is confirmed deep enough."""
    assert tx.nonce is not None
    settled_block = head - settings.CHAIN_CONFIRMATIONS + 1
    if settled_block < 0:
        return False
    used = w3.eth.get_transaction_count(to_checksum_address(tx.from_address), settled_block)
    return int(used) > tx.nonce


@transaction.atomic
def _requeue(tx: ChainTransaction) -> None:
    logger.warning("nonce %s of %s was used by another transaction", tx.nonce, tx.from_address)
    updated = ChainTransaction.objects.filter(
        pk=tx.pk, state=ChainTransaction.State.UNCONFIRMED
    ).update(state=ChainTransaction.State.FATAL, error="nonce used by another transaction")
    if updated:
        submitted = Operation.objects.filter(transaction=tx, state=Operation.State.SUBMITTED)
        requeued = list(locks.operations_for_update(submitted))
        submitted.update(state=Operation.State.PENDING, transaction=None, updated_at=timezone.now())
        audit_record_many(
            actor=None,
            action=AuditAction.OPERATION_REQUEUED,
            records=[(op, {"transaction": tx.pk}) for op in requeued],
        )
        enqueue_batch()


def _replace(tx: ChainTransaction, attempt: Attempt, w3: Web3) -> int:
    with transaction.atomic():
        replacement = _sign(tx, _bumped(attempt, current_fees(w3, sender=tx.from_address)))
        audit_record_many(
            actor=None,
            action=AuditAction.OPERATION_REPLACED,
            records=[
                (
                    op,
                    {
                        "transaction": tx.pk,
                        "replaced": attempt.tx_hash,
                        "tx_hash": replacement.tx_hash,
                    },
                )
                for op in tx.operations.order_by("pk")
            ],
        )
    if _send(w3, replacement) != "accepted":
        return 0
    Attempt.objects.filter(pk=replacement.pk).update(
        broadcast_at=timezone.now(), broadcast_block=w3.eth.block_number
    )
    return 1
