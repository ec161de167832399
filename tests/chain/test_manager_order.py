"""What the manager must keep in order, bound, or give up on: the review's cases, each a test."""

import pytest
from eth_account import Account

from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry
from qoima.chain.contracts import DecodedError
from qoima.chain.indexer import index_until_head
from qoima.chain.manager import (
    key_send_all,
    operation_request,
    operations_batch,
    sending,
    transaction_broadcast,
    transaction_sign,
)
from qoima.chain.manager.confirming import _named_by
from qoima.chain.models import Batcher, ChainTransaction, Operation, SigningKey
from qoima.chain.reconciliation import reconcile

from .conftest import OPERATOR, confirm, request, run_until_settled

pytestmark = pytest.mark.django_db


def act(kind, key, **fields):
    return operation_request(kind=kind, idempotency_key=key, **fields)


def test_allowlist_decisions_reach_the_chain_in_the_order_they_were_made(recorded_registry, chain):
    a, b, c = (Account.create().address for _ in range(3))
    act("allowlist", "o-1", account=a)
    act("allowlist", "o-2", account=b)
    act("delist", "o-3", account=b)  # b was suspended right after being verified
    act("allowlist", "o-4", account=c)
    operations_batch(wait=0)
    sent = list(ChainTransaction.objects.order_by("pk"))
    assert [(tx.function, tx.operations.count()) for tx in sent] == [
        ("setAllowlistedBatch", 2),
        ("setAllowlistedBatch", 1),
        ("setAllowlistedBatch", 1),
    ]
    run_until_settled(chain)
    assert recorded_registry.is_allowlisted(a)
    assert not recorded_registry.is_allowlisted(b)
    assert recorded_registry.is_allowlisted(c)


def test_acts_after_a_waiting_batch_wait_with_it(recorded_registry, chain, accounts):
    act("allowlist", "w-1", account=Account.create().address)
    act("freeze", "w-2", account=accounts.holder_a.address, reason_hash=b"\x07" * 32)
    assert operations_batch(wait=60) == []
    assert Operation.objects.filter(state=Operation.State.PENDING).count() == 2


def test_a_waiting_batch_is_scheduled_once(recorded_registry, django_capture_on_commit_callbacks):
    act("allowlist", "s-1", account=Account.create().address)
    with django_capture_on_commit_callbacks() as scheduled:
        operations_batch(wait=60)
        operations_batch(wait=60)
        operations_batch(wait=60)
    assert len(scheduled) == 1
    assert Batcher.objects.get().deferred_until is not None


def test_a_batch_too_big_for_one_transaction_goes_out_in_parts(
    funded, accounts, chain, monkeypatch
):
    for i in range(8):
        request(
            "transfer",
            funded,
            1 + i,
            f"big-{i}",
            accounts.issuer.address,
            accounts.holder_a.address,
        )
    # A cap above one transfer's gas (at most 78k) and below the batch's.
    monkeypatch.setattr(sending, "MAX_TRANSACTION_GAS", 100_000)
    run_until_settled(chain)
    transfers = list(ChainTransaction.objects.filter(function__startswith="record"))
    assert len(transfers) >= 2
    assert sum(tx.operations.count() for tx in transfers) == 8
    for tx in transfers:
        assert tx.state == ChainTransaction.State.CONFIRMED
        assert tx.attempts.get().receipts.get().gas_used <= 100_000
    assert funded.balance_of(accounts.holder_a.address) == sum(range(1, 9))


def test_an_action_too_big_for_any_transaction_fails_with_the_reason(
    funded, accounts, chain, monkeypatch
):
    doomed = request(
        "transfer", funded, 5, "huge-1", accounts.issuer.address, accounts.holder_a.address
    )
    monkeypatch.setattr(sending, "MAX_TRANSACTION_GAS", 30_000)
    nonce = chain.eth.get_transaction_count(OPERATOR)
    run_until_settled(chain)
    doomed.refresh_from_db()
    assert doomed.state == Operation.State.FAILED
    assert "more than one transaction may use (30000)" in doomed.failure_reason
    assert chain.eth.get_transaction_count(OPERATOR) == nonce


def test_bytes_the_node_will_never_take_fail_and_free_their_nonce(funded, accounts, chain):
    refused = request(
        "transfer", funded, 6, "nr-1", accounts.issuer.address, accounts.holder_a.address
    )
    operations_batch(wait=0)
    tx = transaction_sign(address=OPERATOR, w3=chain)
    nonce = tx.nonce
    # As if signed with a gas limit below what any transaction needs.
    ChainTransaction.objects.filter(pk=tx.pk).update(gas_limit=20_000)
    tx.refresh_from_db()
    sending._sign(tx, sending.current_fees(chain))
    assert not transaction_broadcast(tx_id=tx.pk, w3=chain)

    tx.refresh_from_db()
    assert (tx.state, tx.nonce) == (ChainTransaction.State.FATAL, None)
    refused.refresh_from_db()
    assert refused.state == Operation.State.FAILED
    assert "The node refused the transaction" in refused.failure_reason
    failed = AuditEntry.objects.get(action=AuditAction.OPERATION_FAILED)
    assert (failed.object_id, failed.details) == (
        str(refused.pk),
        {"transaction": tx.pk, "code": "NodeRefused"},
    )
    assert SigningKey.objects.get(address=OPERATOR).next_nonce == nonce
    fine = request(
        "transfer", funded, 7, "nr-2", accounts.issuer.address, accounts.holder_a.address
    )
    run_until_settled(chain)
    fine.refresh_from_db()
    assert fine.state == Operation.State.CONFIRMED
    assert fine.transaction.nonce == nonce


def test_an_act_that_depends_on_one_not_yet_mined_is_estimated_after_it(funded, manual_mining):
    chain = manual_mining
    reason = b"\x09" * 32
    pause = act("pause", "pu-1", token_address=funded.address, reason_hash=reason)
    unpause = act("unpause", "pu-2", token_address=funded.address, reason_hash=reason)
    operations_batch(wait=0)
    key_send_all(
        address=sending.signer_for(
            pause.__class__.objects.get(pk=pause.pk).transaction.from_address
        ).address,
        w3=chain,
    )
    chain.provider.make_request("anvil_mine", [1])
    confirm(chain)
    for operation in (pause, unpause):
        operation.refresh_from_db()
        assert operation.state == Operation.State.CONFIRMED
    assert not funded.paused()


def op(pk, sender="", receiver="", account="", kind="transfer"):
    return Operation(pk=pk, kind=kind, sender=sender, receiver=receiver, account=account)


def test_a_short_balance_names_only_the_sender():
    short, other = "0x" + "aa" * 20, "0x" + "bb" * 20
    ops = [op(1, sender=short, receiver=other), op(2, sender=other, receiver=short)]
    error = DecodedError("ERC20InsufficientBalance", {"sender": short, "balance": 0, "needed": 5})
    assert _named_by(error, ops) == [ops[0]]
    frozen = DecodedError("RegistryFrozen", {"account": short})
    assert _named_by(frozen, ops) == ops


def test_a_reference_recorded_already_names_only_its_operation():
    ops = [op(11), op(12), op(13)]
    assert _named_by(DecodedError("BackedAssetRefUsed", {"ref": 12}), ops) == [ops[1]]


def test_a_failed_movement_that_the_chain_recorded_is_reported(funded, accounts, chain):
    moved = request(
        "transfer", funded, 3, "rf-1", accounts.issuer.address, accounts.holder_a.address
    )
    run_until_settled(chain)
    # Behind the manager's back: the row says failed, the chain says it happened.
    Operation.objects.filter(pk=moved.pk).update(state=Operation.State.FAILED, failure_reason="x")
    index_until_head(w3=chain)
    run = reconcile(w3=chain)
    assert run.difference_rows.filter(kind="recorded_failure", subject=str(moved.pk)).exists()


def test_a_run_that_reaches_its_limit_asks_for_the_next_at_once(
    recorded_registry, django_capture_on_commit_callbacks
):
    for i in range(3):
        act("allowlist", f"l-{i}", account=Account.create().address)
    with django_capture_on_commit_callbacks() as scheduled:
        operations_batch(wait=0, limit=2)
    assert len(scheduled) == 1
    assert Operation.objects.filter(state=Operation.State.PENDING).count() == 1
    with django_capture_on_commit_callbacks() as scheduled:
        operations_batch(wait=0, limit=2)
    assert scheduled == []
    assert not Operation.objects.filter(state=Operation.State.PENDING).exists()
