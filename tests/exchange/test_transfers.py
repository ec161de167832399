"""Holders transfer to each other by IIN / BIN; the service refuses everything it should."""

import pytest
from django.utils import translation

from qoima.audit.models import AuditEntry
from qoima.chain.models import Operation, TokenBalance
from qoima.errors import Conflict, InvalidInput, NotAllowed
from qoima.exchange.models import Transfer
from qoima.exchange.services import transfer_request
from qoima.participants.models import Role
from qoima.participants.services import holder_suspend
from tests.factories import make_user

from .conftest import HELD, TOKEN

pytestmark = pytest.mark.django_db


def send(party, to, amount, key="key-1", token=TOKEN):
    return transfer_request(
        actor=party.user,
        token_address=token,
        receiver_number=to,
        amount=amount,
        idempotency_key=key,
    )


def reserved(party):
    return int(TokenBalance.objects.get(token_address=TOKEN, holder=party.wallet.address).reserved)


def test_a_transfer_reserves_the_units_and_asks_the_chain_to_record_it(alice, bank, asset):
    transfer, created = send(alice, "950341000052", "12.50")
    assert created
    assert (transfer.sender, transfer.receiver, int(transfer.amount)) == (
        alice.holder,
        bank.holder,
        1_250,
    )
    operation = transfer.operation
    assert (operation.kind, operation.sender, operation.receiver, int(operation.amount)) == (
        "transfer",
        alice.wallet.address,
        bank.wallet.address,
        1_250,
    )
    assert operation.state == Operation.State.PENDING
    assert reserved(alice) == 1_250
    entry = AuditEntry.objects.get(action="exchange.transfer_requested")
    assert entry.details["to"] == "950341000052"
    assert entry.details["units"] == 1_250


def test_the_same_request_again_returns_the_first_transfer(alice, bank, asset):
    first, _ = send(alice, "950341000052", "12.50")
    again, created = send(alice, " 950341000052 ", "12.5")
    assert not created
    assert again.pk == first.pk
    assert Operation.objects.filter(kind="transfer").count() == 1
    assert reserved(alice) == 1_250
    with pytest.raises(Conflict):
        send(alice, "950341000052", "13")
    # Another key is another transfer.
    send(alice, "950341000052", "12.50", key="key-2")
    assert reserved(alice) == 2_500


@pytest.mark.parametrize(
    ("to", "amount", "field", "message"),
    [
        ("950341000052", "0", "amount", "above zero"),
        ("950341000052", "-5", "amount", "above zero"),
        ("950341000052", "abc", "amount", "as a number"),
        ("950341000052", "NaN", "amount", "as a number"),
        ("950341000052", "1.005", "amount", "2 decimal places"),
        ("950341000052", "1e80", "amount", "as a number"),
        ("950341000052", "1" + "0" * 80, "amount", "too large"),
        ("950341000052", "1000.01", "amount", "You have 1,000.00 ABAY10 available."),
        ("940140000385", "1", "to", "No verified holder"),
        ("791028302728", "1", "to", "another holder"),
    ],
)
def test_bad_transfers_are_refused_and_change_nothing(
    alice, bank, asset, to, amount, field, message
):
    with pytest.raises(InvalidInput) as error:
        send(alice, to, amount)
    assert error.value.field == field
    assert message in str(error.value.message)
    assert not Transfer.objects.exists()
    assert not Operation.objects.filter(kind="transfer").exists()
    assert reserved(alice) == 0


def test_an_unknown_asset_is_refused(alice, bank, asset):
    for token in ("0x2000000000000000000000000000000000000002", "not-an-address"):
        with pytest.raises(InvalidInput) as error:
            send(alice, "950341000052", "1", token=token)
        assert error.value.field == "asset"


def test_a_suspended_holder_neither_sends_nor_receives(alice, bank, asset, officer):
    holder_suspend(officer=officer, holder_id=bank.holder.pk, reason="Court order 12")
    with pytest.raises(InvalidInput):
        send(alice, "950341000052", "1")
    holder_suspend(officer=officer, holder_id=alice.holder.pk, reason="Court order 13")
    with pytest.raises(NotAllowed):
        send(alice, "950341000052", "1", key="key-2")


@pytest.mark.parametrize("role", [Role.ISSUER_STAFF, Role.COMPLIANCE_OFFICER, Role.REGULATOR])
def test_only_holders_transfer(alice, bank, asset, role):
    with pytest.raises(NotAllowed):
        transfer_request(
            actor=make_user(role),
            token_address=TOKEN,
            receiver_number="950341000052",
            amount="1",
            idempotency_key="k",
        )


def test_a_suspension_withdraws_what_was_not_sent_yet(alice, bank, asset, officer):
    transfer, _ = send(alice, "950341000052", "100")
    assert reserved(alice) == 10_000
    holder_suspend(officer=officer, holder_id=alice.holder.pk, reason="Court order 14")
    transfer.operation.refresh_from_db()
    assert transfer.operation.state == Operation.State.FAILED
    assert "suspended before the movement was sent" in transfer.operation.failure_reason
    assert reserved(alice) == 0
    entry = AuditEntry.objects.get(action="holder.movements_withdrawn")
    assert entry.details["operations"] == [transfer.operation.pk]


@pytest.mark.parametrize(
    ("language", "amount", "units"),
    [("ru", "12,50", 1_250), ("ru", "1 000", 100_000), ("en", "12.50", 1_250), ("kk", "0,01", 1)],
)
def test_amounts_are_read_as_the_readers_language_writes_them(
    alice, bank, asset, language, amount, units
):
    with translation.override(language):
        transfer, _ = send(alice, "950341000052", amount)
    assert int(transfer.amount) == units


@pytest.mark.parametrize("amount", ["1,000", "1e999999", "1e-9999999999", "Infinity", "0x10"])
def test_amounts_that_could_be_misread_or_overflow_are_refused(alice, bank, asset, amount):
    with pytest.raises(InvalidInput) as error:
        send(alice, "950341000052", amount)
    assert error.value.field == "amount"
    assert not Transfer.objects.exists()


def test_everything_available_can_be_sent(alice, bank, asset):
    send(alice, "950341000052", "1000")
    assert reserved(alice) == HELD
