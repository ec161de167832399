"""Units a request moves are reserved from its sender until the chain settles it."""

import pytest
from django.db import transaction

from qoima.chain.indexer import index_until_head
from qoima.chain.manager import (
    OperationRequest,
    key_send_all,
    operations_batch,
    operations_request,
    transaction_broadcast,
    transaction_sign,
    transactions_resend,
)
from qoima.chain.models import Operation, TokenBalance
from qoima.errors import Conflict, InvalidInput

from .conftest import OPERATOR, confirm, request, run_until_settled

pytestmark = pytest.mark.django_db


def balance(token, holder):
    row = TokenBalance.objects.get(token_address=token.address, holder=holder)
    return int(row.amount), int(row.reserved)


def transfer(token, key, sender, receiver, amount):
    return OperationRequest(
        kind="transfer",
        idempotency_key=key,
        token_address=token.address,
        sender=sender,
        receiver=receiver,
        amount=amount,
    )


def test_a_request_reserves_and_the_applied_transfer_settles_it(funded, accounts, chain):
    issuer, holder = accounts.issuer.address, accounts.holder_a.address
    request("transfer", funded, 300, "r-1", issuer, holder)
    assert balance(funded, issuer) == (1_000, 300)

    operations_batch()
    key_send_all(address=OPERATOR, w3=chain)
    confirm(chain)
    # Confirmed, but the indexer has not applied it: the units stay held.
    assert balance(funded, issuer) == (1_000, 300)
    index_until_head(w3=chain)
    assert balance(funded, issuer) == (700, 0)
    assert balance(funded, holder) == (300, 0)


def test_more_than_is_available_is_refused_and_changes_nothing(funded, accounts):
    issuer, holder = accounts.issuer.address, accounts.holder_a.address
    request("transfer", funded, 600, "a-1", issuer, holder)
    with pytest.raises(InvalidInput) as error:
        request("transfer", funded, 401, "a-2", issuer, holder)
    assert error.value.field == "amount"
    assert error.value.code == "insufficient_balance"
    # In the asset's units, and no address: this wallet is no participant's.
    assert str(error.value.message) == (
        "A wallet outside the platform has 4.00 ABAY10 available; 4.01 ABAY10 are needed."
    )
    assert balance(funded, issuer) == (1_000, 600)
    assert not Operation.objects.filter(idempotency_key="a-2").exists()
    # What is left can still be asked for.
    request("transfer", funded, 400, "a-3", issuer, holder)
    assert balance(funded, issuer) == (1_000, 1_000)


def test_a_holder_the_platform_has_not_seen_holds_nothing(funded, accounts):
    with pytest.raises(InvalidInput) as error:
        request("transfer", funded, 1, "n-1", accounts.holder_b.address, accounts.holder_a.address)
    assert error.value.code == "insufficient_balance"


def test_a_failed_operation_gives_its_units_back(funded, registry, accounts, chain):
    issuer, frozen = accounts.issuer.address, accounts.holder_b.address
    request("transfer", funded, 250, "f-1", issuer, frozen)
    operations_batch()
    signed = transaction_sign(address=OPERATOR, w3=chain)
    registry.set_frozen(accounts.compliance, frozen, True, b"\x01" * 32)
    transaction_broadcast(tx_id=signed.pk, w3=chain)
    confirm(chain)
    assert Operation.objects.get(idempotency_key="f-1").state == Operation.State.FAILED
    assert balance(funded, issuer) == (1_000, 0)


def test_a_bulk_request_is_taken_whole_or_not_at_all(funded, accounts):
    issuer, a, b = accounts.issuer.address, accounts.holder_a.address, accounts.holder_b.address
    with pytest.raises(InvalidInput) as error:
        operations_request(
            requests=[
                transfer(funded, "b-1", issuer, a, 10),
                transfer(funded, "b-2", issuer, "not an address", 10),
            ]
        )
    assert error.value.field == "1.receiver"
    with pytest.raises(InvalidInput) as error:
        operations_request(
            requests=[
                transfer(funded, "b-1", issuer, a, 600),
                transfer(funded, "b-2", issuer, b, 600),
            ]
        )
    assert error.value.code == "insufficient_balance"
    assert not Operation.objects.filter(kind="transfer").exists()
    assert balance(funded, issuer) == (1_000, 0)

    taken = operations_request(
        requests=[transfer(funded, f"b-{i}", issuer, (a, b)[i % 2], 100) for i in range(5)]
    )
    assert [op.idempotency_key for op in taken] == [f"b-{i}" for i in range(5)]
    assert balance(funded, issuer) == (1_000, 500)
    # The same keys again return the same operations and reserve nothing more.
    again = operations_request(
        requests=[transfer(funded, f"b-{i}", issuer, (a, b)[i % 2], 100) for i in range(5)]
    )
    assert [op.pk for op in again] == [op.pk for op in taken]
    assert balance(funded, issuer) == (1_000, 500)


def test_a_bulk_request_names_a_reused_key(funded, accounts):
    issuer, a = accounts.issuer.address, accounts.holder_a.address
    operations_request(requests=[transfer(funded, "c-1", issuer, a, 10)])
    with pytest.raises(Conflict):
        operations_request(
            requests=[
                transfer(funded, "c-2", issuer, a, 10),
                transfer(funded, "c-1", issuer, a, 11),
            ]
        )
    with pytest.raises(InvalidInput):
        operations_request(
            requests=[
                transfer(funded, "c-3", issuer, a, 10),
                transfer(funded, "c-3", issuer, a, 10),
            ]
        )
    assert set(
        Operation.objects.filter(kind="transfer").values_list("idempotency_key", flat=True)
    ) == {"c-1"}


def test_a_reorg_holds_the_units_again_until_they_are_mined_anew(funded, accounts, chain):
    issuer, holder = accounts.issuer.address, accounts.holder_a.address
    request("transfer", funded, 80, "o-1", issuer, holder)
    run_until_settled(chain)
    assert balance(funded, issuer) == (920, 0)

    chain.provider.make_request("anvil_reorg", [1, []])
    index_until_head(w3=chain)
    assert balance(funded, issuer) == (1_000, 80)
    assert balance(funded, holder) == (0, 0)

    # The confirmer notices, the resender sends the saved bytes again, the indexer reads them.
    confirm(chain)
    transactions_resend(w3=chain)
    # The node may have kept the reorged transaction in its pool: a new block mines it.
    chain.provider.make_request("anvil_mine", [1])
    run_until_settled(chain)
    assert balance(funded, issuer) == (920, 0)
    assert balance(funded, holder) == (80, 0)
    assert funded.balance_of(holder) == 80


def test_requests_commit_with_the_callers_transaction(funded, accounts):
    issuer, a = accounts.issuer.address, accounts.holder_a.address

    class CallerFailedError(Exception):
        pass

    def caller():
        with transaction.atomic():
            request("transfer", funded, 10, "t-1", issuer, a)
            raise CallerFailedError

    with pytest.raises(CallerFailedError):
        caller()
    assert not Operation.objects.filter(idempotency_key="t-1").exists()
    assert balance(funded, issuer) == (1_000, 0)
