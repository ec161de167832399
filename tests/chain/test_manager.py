"""The transaction manager against anvil: requested movements reach the chain exactly once."""

import time

import pytest
from django.test import override_settings
from web3.exceptions import Web3RPCError

from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry
from qoima.chain.manager import (
    key_send_all,
    operations_batch,
    transaction_broadcast,
    transaction_sign,
    transactions_resend,
)
from qoima.chain.models import Attempt, ChainTransaction, Operation
from qoima.errors import Conflict, InvalidInput

from .conftest import OPERATOR, confirm, event_args, request, run_until_settled

pytestmark = pytest.mark.django_db


def test_a_request_is_idempotent_and_its_key_cannot_be_reused(funded, accounts):
    issuer, holder = accounts.issuer.address, accounts.holder_a.address
    first = request("transfer", funded, 5, "k-1", issuer, holder)
    again = request("transfer", funded, 5, "k-1", issuer, holder)
    assert again.pk == first.pk
    assert Operation.objects.filter(kind="transfer").count() == 1
    with pytest.raises(Conflict):
        request("transfer", funded, 6, "k-1", issuer, holder)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 2**256}, "amount"),
        ({"receiver": "0x1234"}, "receiver"),
        ({"kind": "teleport"}, "kind"),
    ],
)
def test_bad_requests_change_nothing(token, accounts, changes, field):
    args = {
        "kind": "transfer",
        "amount": 5,
        "sender": accounts.issuer.address,
        "receiver": accounts.holder_a.address,
        **changes,
    }
    with pytest.raises(InvalidInput) as error:
        request(args["kind"], token, args["amount"], "k-bad", args["sender"], args["receiver"])
    assert error.value.field == field
    assert not Operation.objects.exists()


def test_transfers_of_one_sender_go_out_as_one_batch_and_confirm_once(funded, accounts, chain):
    receivers = [accounts.holder_a.address, accounts.holder_b.address] * 3
    operations = [
        request("transfer", funded, 10 + i, f"t-{i}", accounts.issuer.address, receiver)
        for i, receiver in enumerate(receivers)
    ]
    run_until_settled(chain)

    batch = ChainTransaction.objects.get(function="recordTransfersFrom")
    assert batch.state == ChainTransaction.State.CONFIRMED
    assert batch.attempts.count() == 1
    for operation in operations:
        operation.refresh_from_db()
        assert operation.state == Operation.State.CONFIRMED
        assert operation.transaction_id == batch.pk
        assert funded.is_ref_used(operation.pk)
    receipt = chain.eth.get_transaction_receipt(batch.attempts.get().tx_hash)
    assert event_args(funded, "TransfersRecorded", receipt) == [
        {"refs": [operation.pk for operation in operations]}
    ]
    assert funded.balance_of(accounts.holder_a.address) == 10 + 12 + 14
    assert funded.balance_of(accounts.holder_b.address) == 11 + 13 + 15


def test_transfers_of_several_senders_use_the_general_batch(funded, accounts, chain):
    request("transfer", funded, 100, "seed", accounts.issuer.address, accounts.holder_a.address)
    run_until_settled(chain)
    request("transfer", funded, 7, "x-1", accounts.issuer.address, accounts.holder_b.address)
    request("transfer", funded, 3, "x-2", accounts.holder_a.address, accounts.holder_b.address)
    run_until_settled(chain)
    assert ChainTransaction.objects.filter(
        function="recordTransfers", state=ChainTransaction.State.CONFIRMED
    ).exists()
    assert funded.balance_of(accounts.holder_b.address) == 10


def test_a_crash_between_signing_and_broadcasting_sends_the_saved_bytes(funded, accounts, chain):
    operation = request(
        "transfer", funded, 25, "crash-1", accounts.issuer.address, accounts.holder_a.address
    )
    operations_batch()
    signed = transaction_sign(address=OPERATOR, w3=chain)
    saved = signed.attempts.get()
    # The worker dies here: the attempt is saved, nothing reached the node.
    assert chain.eth.get_transaction_count(OPERATOR, "pending") == signed.nonce

    key_send_all(address=OPERATOR, w3=chain)
    confirm(chain)

    signed.refresh_from_db()
    assert signed.state == ChainTransaction.State.CONFIRMED
    assert list(signed.attempts.values_list("tx_hash", flat=True)) == [saved.tx_hash]
    assert chain.eth.get_transaction_receipt(saved.tx_hash)["status"] == 1
    operation.refresh_from_db()
    assert operation.state == Operation.State.CONFIRMED
    assert funded.balance_of(accounts.holder_a.address) == 25


def test_broadcasting_the_same_attempt_again_is_harmless(funded, accounts, chain):
    request("transfer", funded, 5, "twice-1", accounts.issuer.address, accounts.holder_a.address)
    operations_batch()
    signed = transaction_sign(address=OPERATOR, w3=chain)
    assert transaction_broadcast(tx_id=signed.pk, w3=chain)
    # A redelivered task: the row is no longer in progress, and sending the raw bytes again
    # is answered "nonce too low" / "already known", which is not a failure.
    ChainTransaction.objects.filter(pk=signed.pk).update(state=ChainTransaction.State.IN_PROGRESS)
    assert transaction_broadcast(tx_id=signed.pk, w3=chain)
    confirm(chain)
    assert funded.balance_of(accounts.holder_a.address) == 5
    assert Attempt.objects.filter(transaction=signed).count() == 1


def test_a_party_frozen_between_signing_and_mining_fails_only_its_transfers(
    funded, registry, accounts, chain
):
    a, b = accounts.holder_a.address, accounts.holder_b.address
    to_a = request("transfer", funded, 4, "f-a", accounts.issuer.address, a)
    to_b = request("transfer", funded, 6, "f-b", accounts.issuer.address, b)
    operations_batch()
    signed = transaction_sign(address=OPERATOR, w3=chain)
    registry.set_frozen(accounts.compliance, b, True, b"\x01" * 32)
    transaction_broadcast(tx_id=signed.pk, w3=chain)
    confirm(chain)

    signed.refresh_from_db()
    assert signed.state == ChainTransaction.State.REVERTED
    to_b.refresh_from_db()
    assert to_b.state == Operation.State.FAILED
    assert to_b.failure_reason.startswith(f"The address {b.lower()} is frozen. [RegistryFrozen(")
    assert (to_b.failure_code, to_b.failure_params) == ("RegistryFrozen", {"account": b})
    to_a.refresh_from_db()
    assert to_a.state == Operation.State.PENDING
    assert to_a.transaction is None

    run_until_settled(chain)
    to_a.refresh_from_db()
    assert to_a.state == Operation.State.CONFIRMED
    assert funded.balance_of(a) == 4
    assert funded.balance_of(b) == 0
    assert not funded.is_ref_used(to_b.pk)


def test_a_transfer_refused_before_signing_costs_no_nonce(funded, registry, accounts, chain):
    b = accounts.holder_b.address
    registry.set_frozen(accounts.compliance, b, True, b"\x01" * 32)
    doomed = request("transfer", funded, 6, "r-b", accounts.issuer.address, b)
    nonce_before = chain.eth.get_transaction_count(OPERATOR)
    run_until_settled(chain)
    doomed.refresh_from_db()
    assert doomed.state == Operation.State.FAILED
    assert "frozen" in doomed.failure_reason
    assert doomed.transaction.state == ChainTransaction.State.FATAL
    assert doomed.transaction.nonce is None
    assert chain.eth.get_transaction_count(OPERATOR) == nonce_before

    fine = request("transfer", funded, 2, "r-a", accounts.issuer.address, accounts.holder_a.address)
    run_until_settled(chain)
    fine.refresh_from_db()
    assert fine.state == Operation.State.CONFIRMED
    assert fine.transaction.nonce == nonce_before


def test_confirmation_waits_for_the_configured_depth(funded, accounts, chain):
    operation = request(
        "transfer", funded, 1, "depth-1", accounts.issuer.address, accounts.holder_a.address
    )
    with override_settings(CHAIN_CONFIRMATIONS=3):
        run_until_settled(chain)
        operation.refresh_from_db()
        assert operation.state == Operation.State.SUBMITTED
        chain.provider.make_request("anvil_mine", [2])
        confirm(chain)
    operation.refresh_from_db()
    assert operation.state == Operation.State.CONFIRMED


def test_every_step_is_safe_to_run_again(funded, accounts, chain):
    request("transfer", funded, 9, "again-1", accounts.issuer.address, accounts.holder_a.address)
    for _ in range(2):
        run_until_settled(chain)
    assert ChainTransaction.objects.exclude(function="mint").count() == 1
    assert funded.balance_of(accounts.holder_a.address) == 9


def test_a_transaction_dropped_from_the_mempool_is_broadcast_again(funded, accounts, manual_mining):
    chain = manual_mining
    operation = request(
        "transfer", funded, 3, "drop-1", accounts.issuer.address, accounts.holder_a.address
    )
    operations_batch()
    key_send_all(address=OPERATOR, w3=chain)
    attempt = Attempt.objects.get(transaction__operations=operation)
    chain.provider.make_request("anvil_dropTransaction", [attempt.tx_hash])
    chain.provider.make_request("anvil_mine", [1])
    confirm(chain)
    operation.refresh_from_db()
    assert operation.state == Operation.State.SUBMITTED

    assert transactions_resend(w3=chain) == 1
    chain.provider.make_request("anvil_mine", [1])
    confirm(chain)
    operation.refresh_from_db()
    assert operation.state == Operation.State.CONFIRMED
    assert Attempt.objects.filter(transaction=operation.transaction).count() == 1
    assert funded.balance_of(accounts.holder_a.address) == 3


def test_a_stuck_transaction_is_replaced_at_its_nonce_with_higher_fees_and_confirms_once(
    funded, accounts, manual_mining
):
    chain = manual_mining
    operation = request(
        "transfer", funded, 4, "stuck-1", accounts.issuer.address, accounts.holder_a.address
    )
    operations_batch()
    key_send_all(address=OPERATOR, w3=chain)
    first = Attempt.objects.get(transaction__operations=operation)
    # The base fee jumps far above what the transaction offers: it cannot be mined.
    chain.provider.make_request(
        "anvil_setNextBlockBaseFeePerGas", [hex(int(first.max_fee_per_gas) * 50)]
    )
    chain.provider.make_request("anvil_mine", [3])
    confirm(chain)
    assert transactions_resend(w3=chain, stuck_blocks=3) == 1

    attempts = list(Attempt.objects.filter(transaction=first.transaction).order_by("id"))
    assert len(attempts) == 2
    replacement = attempts[1]
    assert replacement.tx_hash != first.tx_hash
    assert replacement.max_fee_per_gas >= first.max_fee_per_gas * 110 / 100
    assert replacement.max_priority_fee_per_gas >= first.max_priority_fee_per_gas * 110 / 100
    replaced = AuditEntry.objects.get(action=AuditAction.OPERATION_REPLACED)
    assert replaced.object_id == str(operation.pk)
    assert replaced.details == {
        "transaction": first.transaction_id,
        "replaced": first.tx_hash,
        "tx_hash": replacement.tx_hash,
    }
    chain.provider.make_request("anvil_mine", [1])
    confirm(chain)

    operation.refresh_from_db()
    assert operation.state == Operation.State.CONFIRMED
    assert chain.eth.get_transaction_receipt(replacement.tx_hash)["status"] == 1
    mined = chain.eth.get_transaction(replacement.tx_hash)
    assert mined["nonce"] == first.transaction.nonce
    assert funded.balance_of(accounts.holder_a.address) == 4


def test_without_batching_each_transfer_is_its_own_recorded_transfer(funded, accounts, chain):
    with override_settings(CHAIN_BATCH_MAX=1):
        for i in range(3):
            request(
                "transfer",
                funded,
                1,
                f"single-{i}",
                accounts.issuer.address,
                accounts.holder_a.address,
            )
        run_until_settled(chain)
    sent = ChainTransaction.objects.filter(function="recordTransfer")
    assert sent.count() == 3
    assert all(tx.state == ChainTransaction.State.CONFIRMED for tx in sent)
    nonces = sorted(tx.nonce for tx in sent)
    assert nonces == list(range(nonces[0], nonces[0] + 3))
    assert funded.balance_of(accounts.holder_a.address) == 3


def test_a_young_small_batch_waits_for_more_transfers(funded, accounts, chain):
    first = request(
        "transfer", funded, 1, "wait-1", accounts.issuer.address, accounts.holder_a.address
    )
    assert operations_batch(wait=60) == []
    first.refresh_from_db()
    assert first.state == Operation.State.PENDING
    # A full batch does not wait.
    assert len(operations_batch(wait=60, max_size=1)) == 1
    first.refresh_from_db()
    assert first.state == Operation.State.SUBMITTED


def test_a_confirmed_transfer_reorged_out_is_counted_again_and_lands_once(funded, accounts, chain):
    operation = request(
        "transfer", funded, 8, "reorg-1", accounts.issuer.address, accounts.holder_a.address
    )
    run_until_settled(chain)
    operation.refresh_from_db()
    assert operation.state == Operation.State.CONFIRMED

    chain.provider.make_request("anvil_reorg", [1, []])
    confirm(chain)
    operation.refresh_from_db()
    assert operation.state == Operation.State.SUBMITTED
    reorged = AuditEntry.objects.get(action=AuditAction.OPERATION_REORGED)
    assert (reorged.object_id, reorged.details["transaction"]) == (
        str(operation.pk),
        operation.transaction_id,
    )
    assert operation.transaction.state == ChainTransaction.State.UNCONFIRMED

    transactions_resend(w3=chain)
    # The node may have put the reorged transaction back in its pool instead of forgetting it;
    # a new block mines it either way.
    chain.provider.make_request("anvil_mine", [1])
    confirm(chain)
    operation.refresh_from_db()
    assert operation.state == Operation.State.CONFIRMED
    assert funded.is_ref_used(operation.pk)
    assert funded.balance_of(accounts.holder_a.address) == 8
    assert Attempt.objects.filter(transaction=operation.transaction).count() == 1


def test_fees_below_the_base_fee_at_broadcast_are_raised_at_once(funded, accounts, manual_mining):
    chain = manual_mining
    operation = request(
        "transfer", funded, 2, "fee-1", accounts.issuer.address, accounts.holder_a.address
    )
    operations_batch()
    signed = transaction_sign(address=OPERATOR, w3=chain)
    first = signed.attempts.get()
    # Between signing and sending, the base fee leaps past what the attempt offers.
    chain.provider.make_request(
        "anvil_setNextBlockBaseFeePerGas", [hex(int(first.max_fee_per_gas) * 20)]
    )
    chain.provider.make_request("anvil_mine", [1])

    assert transaction_broadcast(tx_id=signed.pk, w3=chain)
    attempts = list(signed.attempts.order_by("id"))
    assert len(attempts) == 2
    assert attempts[1].max_fee_per_gas > first.max_fee_per_gas * 20
    chain.provider.make_request("anvil_mine", [1])
    confirm(chain)
    operation.refresh_from_db()
    assert operation.state == Operation.State.CONFIRMED
    assert chain.eth.get_transaction_receipt(attempts[1].tx_hash)["status"] == 1
    assert funded.balance_of(accounts.holder_a.address) == 2


def test_a_key_that_cannot_pay_waits_and_sends_once_funded(funded, accounts, chain):
    operation = request(
        "transfer", funded, 3, "gas-1", accounts.issuer.address, accounts.holder_a.address
    )
    funds = chain.eth.get_balance(OPERATOR)
    operations_batch()
    signed = transaction_sign(address=OPERATOR, w3=chain)
    chain.provider.make_request("anvil_setBalance", [OPERATOR, "0x0"])

    assert not transaction_broadcast(tx_id=signed.pk, w3=chain)
    signed.refresh_from_db()
    assert signed.state == ChainTransaction.State.IN_PROGRESS
    assert "insufficient funds" in signed.error.lower()

    chain.provider.make_request("anvil_setBalance", [OPERATOR, hex(funds)])
    run_until_settled(chain)
    signed.refresh_from_db()
    assert signed.state == ChainTransaction.State.CONFIRMED
    assert signed.error == ""
    assert signed.attempts.count() == 1
    operation.refresh_from_db()
    assert operation.state == Operation.State.CONFIRMED


def test_a_nonce_another_transaction_used_sends_the_operations_again(
    funded, registry, accounts, chain
):
    operation = request(
        "transfer", funded, 4, "nonce-1", accounts.issuer.address, accounts.holder_a.address
    )
    operations_batch()
    lost = transaction_sign(address=OPERATOR, w3=chain)
    # Someone else with the operator key takes the nonce before the saved bytes go out.
    funded.mint(accounts.operator, accounts.holder_b.address, 1, 10**15)
    assert chain.eth.get_transaction_count(OPERATOR) == lost.nonce + 1
    assert transaction_broadcast(tx_id=lost.pk, w3=chain)

    confirm(chain)
    transactions_resend(w3=chain)
    lost.refresh_from_db()
    assert lost.state == ChainTransaction.State.FATAL
    operation.refresh_from_db()
    assert operation.state == Operation.State.PENDING
    requeued = AuditEntry.objects.get(action=AuditAction.OPERATION_REQUEUED)
    assert (requeued.object_id, requeued.details) == (str(operation.pk), {"transaction": lost.pk})

    run_until_settled(chain)
    operation.refresh_from_db()
    assert operation.state == Operation.State.CONFIRMED
    assert operation.transaction.nonce == lost.nonce + 1
    assert funded.balance_of(accounts.holder_a.address) == 4


def test_a_batch_request_an_earlier_complete_run_covered_is_skipped(
    funded, accounts, chain, monkeypatch
):
    from qoima.chain import tasks

    monkeypatch.setattr(tasks, "_batched_since", 0.0)
    first = request(
        "transfer", funded, 1, "skip-1", accounts.issuer.address, accounts.holder_a.address
    )
    tasks.chain_batch(due=time.time())
    first.refresh_from_db()
    assert first.state == Operation.State.SUBMITTED
    covered = tasks._batched_since
    assert covered > 0

    # Committed after that run began: a request sent before it (due earlier) is not its own.
    second = request(
        "transfer", funded, 1, "skip-2", accounts.issuer.address, accounts.holder_b.address
    )
    tasks.chain_batch(due=covered - tasks.CLOCK_SKEW_SECONDS - 1)
    second.refresh_from_db()
    assert second.state == Operation.State.PENDING
    # Its own request, due after the run began, batches and sends it; so does one without a
    # due time (the sweep, an operator's call).
    tasks.chain_batch(due=time.time())
    second.refresh_from_db()
    assert second.state == Operation.State.SUBMITTED
    third = request(
        "transfer", funded, 1, "skip-3", accounts.issuer.address, accounts.holder_a.address
    )
    tasks.chain_batch()
    third.refresh_from_db()
    assert third.state == Operation.State.SUBMITTED
    confirm(chain)
    for operation in (first, second, third):
        operation.refresh_from_db()
        assert operation.state == Operation.State.CONFIRMED


def test_a_batch_is_signed_with_the_gas_its_call_needs(funded, accounts, chain, monkeypatch):
    from qoima.chain.manager import sending

    operation = request(
        "transfer", funded, 1, "gas-1", accounts.issuer.address, accounts.holder_a.address
    )
    operations_batch(wait=0)
    run_until_settled(chain)
    tx = ChainTransaction.objects.get(operations=operation)
    receipt = chain.eth.get_transaction_receipt(tx.attempts.get().tx_hash)
    assert receipt["status"] == 1
    assert receipt["gasUsed"] < tx.gas_limit < receipt["gasUsed"] * 3 // 2

    # A node that does not take the call at that limit: its estimate decides.
    real_call = sending.rpc_call

    def refusing(w3, method, params):
        if method == "eth_call":
            raise Web3RPCError("out of gas")
        return real_call(w3, method, params)

    estimated = []
    real_estimate = chain.eth.estimate_gas

    def estimate(*args, **kwargs):
        estimated.append(real_estimate(*args, **kwargs))
        return estimated[-1]

    monkeypatch.setattr(sending, "rpc_call", refusing)
    monkeypatch.setattr(chain.eth, "estimate_gas", estimate)
    again = request(
        "transfer", funded, 1, "gas-2", accounts.issuer.address, accounts.holder_b.address
    )
    operations_batch(wait=0)
    run_until_settled(chain)
    again.refresh_from_db()
    assert again.state == Operation.State.CONFIRMED
    tx = ChainTransaction.objects.get(operations=again)
    assert estimated
    assert tx.gas_limit == min(estimated[0] + estimated[0] // 5, sending.MAX_TRANSACTION_GAS)
