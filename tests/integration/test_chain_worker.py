"""Real worker processes put requested movements on-chain exactly once, whatever kills them.

Each test runs against the real broker (Redis in CI), the test database (PostgreSQL in CI) and
anvil; workers are killed with SIGKILL at the named crash points and started again.
"""

import signal
import time
from pathlib import Path

import pytest
from django.db import transaction
from eth_account import Account
from web3.exceptions import TransactionNotFound

from qoima.chain.anvil import AnvilNode, free_port
from qoima.chain.client import web3_for
from qoima.chain.deployment import platform_keys, platform_registry_ensure
from qoima.chain.direct import PlatformRegistry
from qoima.chain.manager import operation_request
from qoima.chain.models import (
    Attempt,
    ChainTransaction,
    Operation,
    PlatformDeployment,
    Receipt,
    TokenBalance,
    TokenTransfer,
)
from qoima.chain.tasks import chain_batch, chain_confirm, chain_index, chain_resend, chain_sweep
from tests.onchain import (
    START,
    all_confirmed,
    assert_exactly_once,
    assert_ledger_matches_chain,
    issued_token,
    mined_attempts,
)

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def token(chain):
    return issued_token(chain)


def request_transfers(issued, amounts):
    with transaction.atomic():
        return [
            operation_request(
                kind="transfer",
                token_address=issued.token.address,
                amount=amount,
                idempotency_key=f"{issued.token.address}-{i}",
                sender=issued.issuer,
                receiver=issued.holders[i % 2],
            )
            for i, amount in enumerate(amounts)
        ]


def test_worker_puts_requested_transfers_on_chain(worker_factory, token, chain):
    worker = worker_factory.start()
    operations = request_transfers(token, [5, 6, 7, 8])
    worker.wait_for(
        lambda: ChainTransaction.objects.filter(state=ChainTransaction.State.UNCONFIRMED).exists()
    )
    chain_confirm.delay()
    worker.wait_for(lambda: all_confirmed(operations))
    assert_exactly_once(token, operations, chain)


def test_worker_killed_after_signing_sends_the_saved_bytes_once(worker_factory, token, chain):
    crashing = worker_factory.start(QOIMA_CRASH_AT="after_sign")
    operations = request_transfers(token, [11, 12, 13])
    assert crashing.wait_for_death() == -signal.SIGKILL
    signed = ChainTransaction.objects.get(state=ChainTransaction.State.IN_PROGRESS)
    saved = signed.attempts.get()
    # Signed and saved, never broadcast: the chain has not seen the nonce.
    assert chain.eth.get_transaction_count(signed.from_address, "pending") == signed.nonce

    worker = worker_factory.start()
    chain_sweep.delay()
    worker.wait_for(lambda: Attempt.objects.filter(pk=saved.pk, broadcast_at__isnull=False))
    chain_confirm.delay()
    worker.wait_for(lambda: all_confirmed(operations))
    assert list(signed.attempts.values_list("tx_hash", flat=True)) == [saved.tx_hash]
    assert_exactly_once(token, operations, chain)


@pytest.mark.parametrize("point", ["after_broadcast", "before_receipt_saved"])
def test_worker_killed_after_broadcasting_confirms_once(worker_factory, token, chain, point):
    crashing = worker_factory.start(QOIMA_CRASH_AT=point)
    operations = request_transfers(token, [21, 22, 23])
    if point == "before_receipt_saved":
        crashing.wait_for(
            lambda: ChainTransaction.objects.filter(
                state=ChainTransaction.State.UNCONFIRMED
            ).exists()
        )
        chain_confirm.delay()
    assert crashing.wait_for_death() == -signal.SIGKILL
    tx = ChainTransaction.objects.get()
    # Mined while the platform's record of it stopped short.
    assert chain.eth.get_transaction_receipt(tx.attempts.get().tx_hash)["status"] == 1
    assert not all_confirmed(operations)

    worker = worker_factory.start()
    chain_sweep.delay()
    chain_confirm.delay()
    worker.wait_for(
        lambda: ChainTransaction.objects.filter(state=ChainTransaction.State.CONFIRMED).exists()
    )
    assert_exactly_once(token, operations, chain)


def test_duplicate_tasks_and_requests_move_once(worker_factory, token, chain):
    worker = worker_factory.start()
    operations = request_transfers(token, [31, 32])
    again = request_transfers(token, [31, 32])
    assert [op.pk for op in again] == [op.pk for op in operations]
    for _ in range(3):
        chain_batch.delay()
        chain_sweep.delay()
    worker.wait_for(
        lambda: (
            not ChainTransaction.objects.exclude(state=ChainTransaction.State.UNCONFIRMED).exists()
            and ChainTransaction.objects.exists()
        )
    )
    chain_confirm.delay()
    chain_confirm.delay()
    worker.wait_for(lambda: all_confirmed(operations))
    assert ChainTransaction.objects.count() == 1
    assert_exactly_once(token, operations, chain)


def test_node_down_for_a_while_then_back_from_its_saved_state(worker_factory, tmp_path, settings):
    state = tmp_path / "anvil-state.json"
    port = free_port()
    node = AnvilNode(node_modules=ROOT / "node_modules", port=port, state_file=state).start()
    try:
        settings.CHAIN_RPC_URL = node.url
        w3 = web3_for(node.url, 10.0)
        token = issued_token(w3)
        worker_factory.anvil_url = node.url
        worker = worker_factory.start()
        node.stop()  # SIGTERM: anvil writes its state file on the way out

        operations = request_transfers(token, [41, 42, 43])
        # The worker tries and fails to reach the node; nothing is lost meanwhile.
        worker.wait_for(lambda: b"the chain node did not answer" in worker.log.read_bytes())
        time.sleep(2)
        assert not ChainTransaction.objects.exclude(state=ChainTransaction.State.UNSTARTED).exists()

        node = AnvilNode(node_modules=ROOT / "node_modules", port=port, state_file=state).start()
        token = token.on(web3_for(node.url, 10.0))
        chain_sweep.delay()
        worker.wait_for(
            lambda: ChainTransaction.objects.filter(
                state=ChainTransaction.State.UNCONFIRMED
            ).exists()
        )
        chain_confirm.delay()
        worker.wait_for(lambda: all_confirmed(operations))
        assert_exactly_once(token, operations, web3_for(node.url, 10.0))
    finally:
        node.stop()


def test_a_batch_reverted_by_a_party_frozen_before_mining_fails_only_that_party(
    worker_factory, token, chain
):
    crashing = worker_factory.start(QOIMA_CRASH_AT="after_sign")
    operations = request_transfers(token, [51, 52, 53, 54])
    assert crashing.wait_for_death() == -signal.SIGKILL
    # Between signing and mining, compliance freezes the second holder.
    deployment = PlatformDeployment.objects.get()
    registry = PlatformRegistry(chain, deployment.registry_address)
    frozen = token.holders[1]
    registry.set_frozen(platform_keys()[2], frozen, True, b"\x03" * 32)

    worker = worker_factory.start()
    chain_sweep.delay()
    worker.wait_for(
        lambda: ChainTransaction.objects.filter(state=ChainTransaction.State.UNCONFIRMED).exists()
    )

    def settled():
        # As beat would: follow receipts every time the test looks.
        chain_confirm.delay()
        return not Operation.objects.filter(
            state__in=[Operation.State.PENDING, Operation.State.SUBMITTED]
        ).exists()

    worker.wait_for(settled)
    failed = Operation.objects.filter(state=Operation.State.FAILED)
    assert {op.receiver for op in failed} == {frozen}
    assert all("is frozen" in op.failure_reason for op in failed)
    delivered = [op for op in operations if op.receiver != frozen]
    assert all_confirmed(delivered)
    assert token.token.balance_of(frozen) == 0
    assert token.token.balance_of(token.holders[0]) == 51 + 53
    assert not any(token.token.is_ref_used(op.pk) for op in failed)
    # The failed transfers gave their units back; the delivered ones hold theirs until the
    # indexer applies them.
    issuer = TokenBalance.objects.get(token_address=token.token.address, holder=token.issuer)
    assert int(issuer.reserved) == 51 + 53
    assert_ledger_matches_chain(chain)
    issuer.refresh_from_db()
    assert (int(issuer.amount), int(issuer.reserved)) == (START - 51 - 53, 0)


def test_a_transfer_from_an_external_wallet_reaches_the_database(worker_factory, chain):
    deployment, _ = platform_registry_ensure(chain)
    registry = PlatformRegistry(chain, deployment.registry_address)
    _admin, operator, compliance = platform_keys()
    holder, friend = Account.create(), Account.create()
    registry.set_allowlisted_batch(compliance, [holder.address, friend.address], True)
    issued = issued_token(chain)
    issued.token.record_transfer(operator, issued.issuer, holder.address, 100, 10**15 + 1)
    # The holder pays for gas from their own wallet and signs the ERC-20 transfer themselves.
    chain.eth.send_transaction(
        {"from": chain.eth.accounts[9], "to": holder.address, "value": 10**18}
    )
    issued.token.transfer(holder, friend.address, 30)

    worker = worker_factory.start()
    chain_index.delay()
    worker.wait_for(lambda: TokenTransfer.objects.filter(sender=holder.address).exists())
    own = TokenTransfer.objects.get(sender=holder.address)
    assert (own.receiver, int(own.amount), own.ref) == (friend.address, 30, None)
    chain_index.delay()
    worker.wait_for(lambda: TokenBalance.objects.filter(holder=friend.address, amount=30).exists())
    assert TokenBalance.objects.get(holder=holder.address).amount == 70
    assert_ledger_matches_chain(chain)


def in_mempool(chain, tx_hash):
    try:
        chain.eth.get_transaction(tx_hash)
    except TransactionNotFound:
        return False
    return True


def sent_transaction():
    return ChainTransaction.objects.filter(state=ChainTransaction.State.UNCONFIRMED).first()


def test_a_transaction_dropped_from_the_mempool_is_sent_again(worker_factory, token, manual_mining):
    chain = manual_mining
    worker = worker_factory.start()
    operations = request_transfers(token, [61, 62])
    tx = worker.wait_for(sent_transaction)
    attempt = tx.attempts.get()
    chain.provider.make_request("anvil_dropTransaction", [attempt.tx_hash])
    assert not in_mempool(chain, attempt.tx_hash)

    chain_resend.delay()
    worker.wait_for(lambda: in_mempool(chain, attempt.tx_hash))
    chain.provider.make_request("anvil_mine", [1])
    chain_confirm.delay()
    worker.wait_for(lambda: all_confirmed(operations))
    assert_exactly_once(token, operations, chain)


def test_a_stuck_transaction_is_replaced_at_its_nonce_and_confirms_once(
    worker_factory, token, manual_mining
):
    chain = manual_mining
    worker = worker_factory.start(CHAIN_STUCK_BLOCKS="2")
    operations = request_transfers(token, [71, 72])
    tx = worker.wait_for(sent_transaction)
    first = tx.attempts.get()
    # The base fee leaps past what the transaction offers: blocks pass without it.
    chain.provider.make_request(
        "anvil_setNextBlockBaseFeePerGas", [hex(int(first.max_fee_per_gas) * 50)]
    )
    chain.provider.make_request("anvil_mine", [3])
    assert not mined_attempts(tx, chain)

    chain_resend.delay()
    worker.wait_for(lambda: tx.attempts.count() == 2)
    replacement = tx.attempts.order_by("id").last()
    assert replacement.max_fee_per_gas >= first.max_fee_per_gas * 110 / 100
    assert replacement.max_priority_fee_per_gas >= first.max_priority_fee_per_gas * 110 / 100
    chain.provider.make_request("anvil_mine", [1])
    chain_confirm.delay()
    worker.wait_for(lambda: all_confirmed(operations))
    assert_exactly_once(token, operations, chain, attempts=2)
    (mined,) = mined_attempts(tx, chain)
    assert mined["transactionHash"].to_0x_hex() == replacement.tx_hash
    assert chain.eth.get_transaction(replacement.tx_hash)["nonce"] == tx.nonce


def indexed(issued, operations):
    """Each operation's Transfer read once, and the DB balances equal to the chain's."""
    refs = list(
        TokenTransfer.objects.filter(ref__in=[op.pk for op in operations]).values_list(
            "ref", flat=True
        )
    )
    if sorted(refs) != sorted(op.pk for op in operations):
        return False
    balances = {
        row.holder: int(row.amount)
        for row in TokenBalance.objects.filter(token_address=issued.token.address)
    }
    return all(
        balances.get(holder, 0) == issued.token.balance_of(holder)
        for holder in [issued.issuer, *issued.holders]
    )


@pytest.mark.parametrize("depth", [1, 5])
def test_a_reorg_after_indexing_is_read_again_and_nothing_doubles_or_vanishes(
    worker_factory, token, chain, depth
):
    # One transaction per transfer: five transfers in five blocks.
    worker = worker_factory.start(CHAIN_BATCH_MAX="1")
    operations = request_transfers(token, [81, 82, 83, 84, 85])

    def settled():
        # As beat would: follow receipts and read the chain every time the test looks.
        chain_confirm.delay()
        chain_index.delay()
        return all_confirmed(operations) and indexed(token, operations)

    worker.wait_for(settled)
    head = chain.eth.block_number
    before = {
        int(t.ref): t.block_hash
        for t in TokenTransfer.objects.filter(ref__in=[op.pk for op in operations])
    }
    reorged = {
        ref for ref, block in before.items() if chain.eth.get_block(block)["number"] > head - depth
    }
    assert len(reorged) == depth

    chain.provider.make_request("anvil_reorg", [depth, []])

    def recovered():
        chain_resend.delay()
        # The chain goes on making blocks, as a real one does.
        chain.provider.make_request("evm_mine", [])
        return settled()

    worker.wait_for(recovered)
    assert_exactly_once(token, operations, chain)
    after = {
        int(t.ref): t.block_hash
        for t in TokenTransfer.objects.filter(ref__in=[op.pk for op in operations])
    }
    assert after.keys() == before.keys()
    # What the reorg took away was read again from its new blocks; the rest stayed put.
    assert {ref for ref in after if after[ref] != before[ref]} == reorged
    for ref in reorged:
        receipt = Receipt.objects.get(attempt__transaction__operations__pk=ref)
        assert receipt.block_hash == after[ref]
    assert not TokenBalance.objects.filter(reserved__gt=0).exists()
