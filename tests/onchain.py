"""Tokens issued on anvil, and the checks that the platform's ledger agrees with the chain: shared
by the worker, API and browser tests."""

import time
from dataclasses import dataclass

from django.db import transaction
from eth_account import Account
from web3.exceptions import TransactionNotFound

from issuance import services
from issuance.models import Application
from qoima.chain.contracts import AssetData, DocumentData
from qoima.chain.deployment import platform_keys, platform_registry_ensure
from qoima.chain.direct import BackedAssetToken, PlatformRegistry
from qoima.chain.indexer import index_until_head
from qoima.chain.models import ChainTransaction, Operation, TokenTransfer
from qoima.chain.reconciliation import reconcile
from qoima.chain.tasks import chain_confirm
from qoima.custody.selectors import custodial_wallet
from qoima.custody.services import wallet_allowlist_set_in_transaction
from tests.issuance.conftest import make_world

START = 10**6


@dataclass
class Issued:
    """An issued token, its issuer's address and two verified holders' addresses."""

    token: BackedAssetToken
    issuer: str
    holders: list[str]

    def on(self, w3):
        return Issued(BackedAssetToken(w3, self.token.address), self.issuer, self.holders)


def issued_token(w3):
    """A token whose issuer holds START units, and two verified holders."""
    deployment, _ = platform_registry_ensure(w3)
    registry = PlatformRegistry(w3, deployment.registry_address)
    _admin, operator, compliance = platform_keys()
    issuer, *holders = (Account.create() for _ in range(3))
    registry.set_allowlisted_batch(
        compliance, [issuer.address, *(h.address for h in holders)], True
    )
    asset = AssetData(
        "W-1",
        "Wheat",
        "WHT",
        0,
        10**9,
        "ТОО «Астық»",
        "940140000385",
        "P-1",
        "01:001:002",
        "tangible_asset",
    )
    documents = [
        DocumentData("issuance_decision", "d", b"\x01" * 32),
        DocumentData("proof_of_rights", "p", b"\x02" * 32),
    ]
    issued, _ = registry.issue_asset(operator, asset, documents)
    # A reference far above any operation id the test will create.
    issued.mint(operator, issuer.address, START, 10**15)
    # The platform knows the issuer's units once it has read them from the chain.
    index_until_head(w3=w3)
    return Issued(issued, issuer.address, [h.address for h in holders])


def all_confirmed(operations):
    return (
        not Operation.objects.filter(pk__in=[op.pk for op in operations])
        .exclude(state=Operation.State.CONFIRMED)
        .exists()
    )


def mined_attempts(tx, chain):
    found = []
    for attempt in tx.attempts.all():
        try:
            found.append(chain.eth.get_transaction_receipt(attempt.tx_hash))
        except TransactionNotFound:
            continue
    return found


def assert_exactly_once(issued, operations, chain, *, attempts=1):
    """Every operation confirmed once on-chain and balances as the requests say.

    Each transaction has exactly one mined attempt; ``attempts`` is how many it should have
    signed in all (1 unless a replacement was due), or None not to say.
    """
    token = issued.token
    assert all_confirmed(operations)
    for operation in operations:
        assert token.is_ref_used(operation.pk)
    sent = {op.transaction_id for op in Operation.objects.filter(pk__in=[o.pk for o in operations])}
    for tx in ChainTransaction.objects.filter(pk__in=sent):
        assert tx.state == ChainTransaction.State.CONFIRMED
        if attempts is not None:
            assert tx.attempts.count() == attempts
        (mined,) = mined_attempts(tx, chain)
        assert mined["status"] == 1
    moved = dict.fromkeys(issued.holders, 0)
    for i, operation in enumerate(operations):
        moved[issued.holders[i % 2]] += int(operation.amount)
    for holder, amount in moved.items():
        assert token.balance_of(holder) == amount
    assert token.balance_of(issued.issuer) == START - sum(moved.values())
    assert token.total_supply() == START
    assert_ledger_matches_chain(chain)


def assert_ledger_matches_chain(chain):
    """The database, once it has read the chain, agrees with it: balances, supply, every ref
    recorded once, nothing reserved that no movement holds."""
    index_until_head(w3=chain)
    run = reconcile(w3=chain)
    assert run.differences == 0, list(run.difference_rows.values_list("kind", "subject"))
    refs = list(TokenTransfer.objects.exclude(ref=None).values_list("token_address", "ref"))
    assert len(refs) == len(set(refs))


def until(worker, condition, timeout=90.0):
    """Ask the worker to follow receipts, as beat does, until ``condition`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chain_confirm.delay()
        if worker.process.poll() is not None:
            raise AssertionError(f"worker died:\n{worker.log.read_text()[-3000:]}")
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"not reached in time:\n{worker.log.read_text()[-3000:]}")


def issued(worker, chain):
    """A world whose application a worker has issued and minted, holders allowlisted."""
    platform_registry_ensure(chain)
    world = make_world(holder_count=3)
    for holder in world.holders:
        wallet = custodial_wallet(holder)
        with transaction.atomic():
            wallet_allowlist_set_in_transaction(
                wallet=wallet, allowed=True, event="verified", actor=world.officer_a
            )
    application = world.approved()
    services.application_confirm(officer=world.officer_b, application_id=application.pk)
    until(
        worker,
        lambda: Application.objects.get(pk=application.pk).status == Application.Status.ISSUED,
    )
    index_until_head(w3=chain)
    application.refresh_from_db()
    return world, application
