"""Frozen units in the ledger: held back from the moment a freeze is asked for, counted as frozen
once the chain's event is applied, released by an unfreeze or a forced transfer, taken back by a
reorg, and reconciled against the token."""

import pytest

from qoima.chain.indexer import index_until_head
from qoima.chain.ledger import available_units
from qoima.chain.manager import (
    compliance_account,
    key_send_all,
    operation_request,
    operations_batch,
    operator_account,
    transactions_resend,
)
from qoima.chain.models import ComplianceEvent, Operation, ReconciliationDifference, TokenBalance
from qoima.chain.reconciliation import reconcile

from .conftest import confirm, reason, request, run_until_settled

pytestmark = pytest.mark.django_db

ORDER = reason("Постановление частного судебного исполнителя № 77/2026")


def act(kind, key, **fields):
    return operation_request(kind=kind, idempotency_key=key, reason_hash=ORDER, **fields)


def ledger(token, holder):
    row = TokenBalance.objects.get(token_address=token.address, holder=holder)
    return int(row.amount), int(row.reserved), int(row.frozen)


def test_a_freeze_holds_the_units_from_its_request_and_then_as_frozen(funded, accounts, chain):
    issuer, holder = accounts.issuer.address, accounts.holder_a.address
    request("transfer", funded, 100, "seed", issuer, holder)
    run_until_settled(chain)

    freeze = act("freeze_tokens", "fz-1", token_address=funded.address, sender=holder, amount=60)
    # Asked for, not yet on-chain: the units are already out of reach.
    assert ledger(funded, holder) == (100, 60, 0)
    assert (
        available_units(chain_id=freeze.chain_id, token_address=funded.address, holder=holder) == 40
    )

    run_until_settled(chain)
    freeze.refresh_from_db()
    assert (freeze.state, freeze.holding) == (Operation.State.CONFIRMED, False)
    assert ledger(funded, holder) == (100, 60, 60)
    assert funded.frozen_tokens(holder) == 60
    (event,) = ComplianceEvent.objects.filter(kind=ComplianceEvent.Kind.UNITS_FROZEN)
    assert (event.account, int(event.amount), event.reason_hash) == (
        holder,
        60,
        "0x" + ORDER.hex(),
    )
    assert reconcile(w3=chain).differences == 0

    act("unfreeze_tokens", "fz-2", token_address=funded.address, sender=holder, amount=20)
    run_until_settled(chain)
    assert ledger(funded, holder) == (100, 40, 40)

    # A legal order takes 80: the 60 unfrozen first, then 20 of the frozen, which the token
    # releases with the order's hash; the ledger follows its event.
    act(
        "forced_transfer",
        "fz-3",
        token_address=funded.address,
        sender=holder,
        receiver=accounts.holder_b.address,
        amount=80,
    )
    run_until_settled(chain)
    assert ledger(funded, holder) == (20, 20, 20)
    assert funded.frozen_tokens(holder) == 20
    kinds = list(ComplianceEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["units_frozen", "units_unfrozen", "units_unfrozen", "forced_transfer"]
    assert reconcile(w3=chain).differences == 0


def test_a_failed_freeze_gives_the_units_back(funded, accounts, chain):
    issuer, holder = accounts.issuer.address, accounts.holder_a.address
    request("transfer", funded, 100, "seed", issuer, holder)
    run_until_settled(chain)
    # The holder's own transfer lands first, so the token has too little left to freeze.
    request("transfer", funded, 70, "own", holder, accounts.holder_b.address)
    run_until_settled(chain)
    # Asked for against a balance the ledger still showed (a request only needs the balance).
    TokenBalance.objects.filter(token_address=funded.address, holder=holder).update(amount=100)
    freeze = act("freeze_tokens", "fz-x", token_address=funded.address, sender=holder, amount=50)
    run_until_settled(chain)
    freeze.refresh_from_db()
    assert freeze.state == Operation.State.FAILED
    assert freeze.failure_code == "BackedAssetFreezeExceedsBalance"
    row = TokenBalance.objects.get(token_address=funded.address, holder=holder)
    assert (int(row.reserved), int(row.frozen)) == (0, 0)


def test_a_reorg_takes_a_freeze_back_and_holds_its_units_until_it_is_mined_anew(
    funded, accounts, chain
):
    issuer, holder = accounts.issuer.address, accounts.holder_a.address
    request("transfer", funded, 100, "seed", issuer, holder)
    run_until_settled(chain)
    freeze = act("freeze_tokens", "fz-r", token_address=funded.address, sender=holder, amount=30)
    run_until_settled(chain)
    assert ledger(funded, holder) == (100, 30, 30)

    chain.provider.make_request("anvil_reorg", [1, []])
    index_until_head(w3=chain)
    # No longer frozen on the chain the node follows, but the request still holds its units.
    assert ledger(funded, holder) == (100, 30, 0)
    freeze.refresh_from_db()
    assert freeze.holding
    assert not ComplianceEvent.objects.exists()

    confirm(chain)
    transactions_resend(w3=chain)
    chain.provider.make_request("anvil_mine", [1])
    run_until_settled(chain)
    assert ledger(funded, holder) == (100, 30, 30)
    assert reconcile(w3=chain).differences == 0


def test_reconciliation_reports_frozen_units_the_chain_does_not_have(funded, accounts, chain):
    issuer, holder = accounts.issuer.address, accounts.holder_a.address
    request("transfer", funded, 100, "seed", issuer, holder)
    run_until_settled(chain)
    act("freeze_tokens", "fz-d", token_address=funded.address, sender=holder, amount=10)
    run_until_settled(chain)
    TokenBalance.objects.filter(token_address=funded.address, holder=holder).update(
        frozen=15, reserved=15
    )
    run = reconcile(w3=chain)
    found = {
        (d.kind, d.subject, d.database_value, d.chain_value) for d in run.difference_rows.all()
    }
    assert (ReconciliationDifference.Kind.FROZEN_UNITS, holder, "15", "10") in found


def test_a_freeze_overtakes_a_transfer_already_in_flight(funded, accounts, manual_mining):
    chain = manual_mining
    issuer, holder = accounts.issuer.address, accounts.holder_a.address
    chain.provider.make_request("evm_setAutomine", [True])
    request("transfer", funded, 1_000, "seed", issuer, holder)
    run_until_settled(chain)
    chain.provider.make_request("evm_setAutomine", [False])

    # The holder's transfer is broadcast first and waits in the node's pool...
    own = request("transfer", funded, 600, "own", holder, accounts.holder_b.address)
    operations_batch()
    key_send_all(address=operator_account().address, w3=chain)
    # ...then compliance freezes half of the balance, on a court order.
    freeze = act("freeze_tokens", "fz-f", token_address=funded.address, sender=holder, amount=500)
    operations_batch()
    key_send_all(address=compliance_account().address, w3=chain)
    chain.provider.make_request("anvil_mine", [1])
    run_until_settled(chain)

    own.refresh_from_db()
    freeze.refresh_from_db()
    assert freeze.state == Operation.State.CONFIRMED
    assert (own.state, own.failure_code) == (
        Operation.State.FAILED,
        "BackedAssetInsufficientUnfrozenBalance",
    )
    assert own.failure_params["needed"] == "600"
    # The transfer's units are free again; the frozen ones are not.
    assert ledger(funded, holder) == (1_000, 500, 500)
    assert funded.balance_of(accounts.holder_b.address) == 0
    assert reconcile(w3=chain).differences == 0
