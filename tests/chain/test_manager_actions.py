"""Every kind of on-chain action goes through the manager, signed by the key its role needs."""

from dataclasses import asdict

import pytest
from eth_account import Account

from qoima.chain.direct import BackedAssetToken
from qoima.chain.manager import compliance_account, operation_request, settlement_handler
from qoima.chain.manager.settlement import _handlers
from qoima.chain.models import ChainTransaction, Operation, TokenBalance
from qoima.errors import InvalidInput

from .conftest import (
    ASSET,
    CAP,
    DOCUMENTS,
    OPERATOR,
    event_args,
    reason,
    request,
    run_until_settled,
)

pytestmark = pytest.mark.django_db

COMPLIANCE = compliance_account().address
ORDER = reason(
    "Решение Специализированного межрайонного экономического суда г. Алматы № 2-117/2026"
)


def act(kind, key, **fields):
    return operation_request(kind=kind, idempotency_key=key, **fields)


def settled(operation):
    operation.refresh_from_db()
    return operation


def sent_by(operation):
    return settled(operation).transaction.from_address


def receipt_of(chain, operation):
    return chain.eth.get_transaction_receipt(settled(operation).transaction.attempts.get().tx_hash)


def test_allowlist_changes_travel_together_signed_by_compliance(recorded_registry, chain):
    newcomers = [Account.create().address for _ in range(3)]
    added = [act("allowlist", f"al-{i}", account=a) for i, a in enumerate(newcomers)]
    run_until_settled(chain)

    (tx,) = {settled(op).transaction for op in added}
    assert (tx.function, tx.from_address, tx.state) == (
        "setAllowlistedBatch",
        COMPLIANCE,
        ChainTransaction.State.CONFIRMED,
    )
    assert all(recorded_registry.is_allowlisted(a) for a in newcomers)

    act("delist", "dl-0", account=newcomers[0])
    run_until_settled(chain)
    assert not recorded_registry.is_allowlisted(newcomers[0])
    assert recorded_registry.is_allowlisted(newcomers[1])


def test_a_freeze_carries_its_legal_basis_on_chain(recorded_registry, accounts, chain):
    holder = accounts.holder_a.address
    frozen = act("freeze", "fr-1", account=holder, reason_hash=ORDER)
    run_until_settled(chain)
    assert sent_by(frozen) == COMPLIANCE
    assert recorded_registry.is_frozen(holder)
    assert event_args(recorded_registry, "FrozenUpdated", receipt_of(chain, frozen)) == [
        {"account": holder.lower(), "frozen": True, "reasonHash": ORDER}
    ]
    act("unfreeze", "fr-2", account=holder, reason_hash="0x" + ORDER.hex())
    run_until_settled(chain)
    assert not recorded_registry.is_frozen(holder)


def test_a_forced_transfer_takes_from_a_frozen_holder_on_a_legal_order(
    funded, recorded_registry, accounts, chain
):
    issuer, a, b = accounts.issuer.address, accounts.holder_a.address, accounts.holder_b.address
    request("transfer", funded, 100, "seed", issuer, a)
    run_until_settled(chain)
    act("freeze", "fz", account=a, reason_hash=ORDER)
    run_until_settled(chain)
    # The holder's own pending movement does not stand in the order's way.
    request("burn", funded, 60, "own-burn", sender=a)
    forced = act(
        "forced_transfer",
        "ft-1",
        token_address=funded.address,
        sender=a,
        receiver=b,
        amount=70,
        reason_hash=ORDER,
    )
    run_until_settled(chain)

    assert settled(forced).state == Operation.State.CONFIRMED
    assert sent_by(forced) == COMPLIANCE
    assert funded.balance_of(b) == 70
    assert event_args(funded, "ForcedTransfer", receipt_of(chain, forced))[0]["legalBasisHash"] == (
        ORDER
    )
    burn = Operation.objects.get(idempotency_key="own-burn")
    assert burn.state == Operation.State.FAILED
    row = TokenBalance.objects.get(token_address=funded.address, holder=a)
    assert (int(row.amount), int(row.reserved)) == (30, 0)


def test_part_of_a_balance_is_frozen_and_released(funded, accounts, chain):
    issuer = accounts.issuer.address
    act(
        "freeze_tokens",
        "pt-1",
        token_address=funded.address,
        sender=issuer,
        amount=400,
        reason_hash=ORDER,
    )
    run_until_settled(chain)
    assert funded.frozen_tokens(issuer) == 400
    act(
        "unfreeze_tokens",
        "pt-2",
        token_address=funded.address,
        sender=issuer,
        amount=150,
        reason_hash=ORDER,
    )
    run_until_settled(chain)
    assert funded.frozen_tokens(issuer) == 250


def test_a_token_and_the_platform_are_paused_and_resumed(funded, recorded_registry, chain):
    act("pause", "pa-1", token_address=funded.address, reason_hash=ORDER)
    act("pause", "pa-2", reason_hash=ORDER)
    run_until_settled(chain)
    assert funded.paused()
    assert recorded_registry.paused()
    act("unpause", "pa-3", token_address=funded.address, reason_hash=ORDER)
    act("unpause", "pa-4", reason_hash=ORDER)
    run_until_settled(chain)
    assert not funded.paused()
    assert not recorded_registry.paused()


@pytest.fixture
def handled():
    """A settlement handler for the tests' purpose, recording what it was given and when."""
    seen = []

    @settlement_handler("tests.issue")
    def record(operations):
        for operation in operations:
            # Inside the manager's transaction the row already says what it became.
            stored = Operation.objects.get(pk=operation.pk)
            seen.append((operation.kind, stored.state, stored.result))

    yield seen
    del _handlers["tests.issue"]


def issue_payload(**asset_changes):
    return {
        "asset": {**asdict(ASSET), **asset_changes},
        "documents": [
            {"name": d.name, "uri": d.uri, "sha256": "0x" + d.sha256.hex()} for d in DOCUMENTS
        ],
    }


def test_an_issue_returns_its_token_and_tells_the_caller(recorded_registry, handled, chain):
    issue = act("issue_asset", "ia-1", payload=issue_payload(), purpose="tests.issue")
    run_until_settled(chain)

    issue = settled(issue)
    assert issue.state == Operation.State.CONFIRMED
    assert sent_by(issue) == OPERATOR
    assert issue.token_address == recorded_registry.token_of(ASSET.asset_id)
    assert handled == [("issue_asset", "confirmed", {"token": issue.token_address})]
    token = BackedAssetToken(chain, issue.token_address)
    assert (token.symbol(), token.cap()) == (ASSET.symbol, CAP)
    assert token.issuer() == (ASSET.issuer_name, ASSET.issuer_id_number, ASSET.permit_number)


def test_a_refused_action_is_failed_and_the_caller_told(funded, handled, accounts, chain):
    too_much = act(
        "mint",
        "mx-1",
        token_address=funded.address,
        receiver=accounts.issuer.address,
        amount=CAP,
        purpose="tests.issue",
    )
    run_until_settled(chain)
    assert settled(too_much).state == Operation.State.FAILED
    assert "BackedAssetCapExceeded" in too_much.failure_reason
    assert handled == [("mint", "failed", {})]


@pytest.mark.parametrize(
    ("kind", "fields", "field"),
    [
        ("issue_asset", {"payload": {"asset": {"name": "x"}}}, "payload"),
        ("issue_asset", {"payload": issue_payload(asset_id="x" * 33)}, "payload"),
        ("issue_asset", {"payload": issue_payload(decimals=256)}, "payload"),
        ("freeze", {"account": "0x" + "11" * 20}, "reason_hash"),
        ("freeze", {"account": "0x" + "11" * 20, "reason_hash": b"short"}, "reason_hash"),
        ("freeze", {"account": "0x" + "11" * 20, "reason_hash": "0xzz" + "0" * 62}, "reason_hash"),
        ("allowlist", {"account": "0x" + "11" * 20, "amount": 5}, "amount"),
        ("allowlist", {"account": "0x" + "11" * 20, "purpose": "nobody.listens"}, "purpose"),
        ("mint", {"token_address": "0x" + "11" * 20, "amount": 5}, "receiver"),
        (
            "mint",
            {"token_address": "0x" + "11" * 20, "receiver": "0x" + "22" * 20, "amount": True},
            "amount",
        ),
    ],
)
def test_malformed_actions_are_refused_and_change_nothing(kind, fields, field):
    with pytest.raises(InvalidInput) as error:
        act(kind, "bad-1", **fields)
    assert error.value.field == field
    assert not Operation.objects.exists()
