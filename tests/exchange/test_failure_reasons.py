"""Why a transfer failed on-chain, as its holder and staff read it: in the reader's language,
naming the party, with amounts in the asset's units; never a raw address or a decoded error."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qoima.chain.contracts import DecodedError
from qoima.chain.manager import operations_batch, settle_revert
from qoima.chain.models import ChainTransaction
from qoima.exchange.services import transfer_request
from qoima.participants.models import Role
from qoima.participants.services import holder_suspend
from tests.factories import make_user

from .conftest import TOKEN

pytestmark = pytest.mark.django_db


def failed_on_chain(alice, error_of):
    """Alice's transfer of 12.50 to the bank, refused by the chain when it was about to be
    signed, with the error the node's estimate decoded to (sending.py does the same)."""
    transfer, _ = transfer_request(
        actor=alice.user,
        token_address=TOKEN,
        receiver_number="950341000052",
        amount="12.50",
        idempotency_key="k-fail",
    )
    operations_batch(wait=0)
    tx = ChainTransaction.objects.get(operations=transfer.operation)
    settle_revert(tx, error_of(transfer), final_state=ChainTransaction.State.FATAL)
    transfer.operation.refresh_from_db()
    assert transfer.operation.state == "failed"
    return transfer


def frozen_receiver(bank):
    return lambda transfer: DecodedError("RegistryFrozen", {"account": bank.wallet.address})


def short_balance(alice):
    return lambda transfer: DecodedError(
        "ERC20InsufficientBalance",
        {"sender": alice.wallet.address, "balance": 1_000, "needed": 1_250},
    )


CASES = {
    ("frozen", "en"): "The address Bank (950341000052) is frozen.",
    ("frozen", "ru"): "Адрес Bank (950341000052) заморожен.",
    ("short", "en"): "Alice (791028302728) holds 10.00 ABAY10; 12.50 ABAY10 are needed.",
    ("short", "ru"): "У Alice (791028302728) единиц: 10,00 ABAY10; требуется 12,50 ABAY10.",
}


def make(case, alice, bank):
    error_of = frozen_receiver(bank) if case == "frozen" else short_balance(alice)
    return failed_on_chain(alice, error_of)


def assert_readable(text, sentence):
    assert sentence in text
    assert "DecodedError" not in text
    assert "RegistryFrozen" not in text
    assert "ERC20InsufficientBalance" not in text


@pytest.mark.parametrize(("case", "language"), list(CASES))
def test_the_wallet_page_says_why_a_transfer_failed(alice, bank, asset, case, language):
    make(case, alice, bank)
    client = Client(headers={"Accept-Language": language})
    client.force_login(alice.user)
    content = client.get(reverse("holder-transfers-list")).content.decode()
    # The failed row (the page also shows the holder's own wallet address, above the history).
    rows = (tr.split("</tr>")[0] for tr in content.split("<tr"))
    row = next(tr for tr in rows if 'data-testid="transfer-state"' in tr)
    assert_readable(row, CASES[(case, language)])
    assert "0x" not in row


@pytest.mark.parametrize(("case", "language"), list(CASES))
def test_the_transfer_api_says_why_a_transfer_failed(alice, bank, asset, case, language):
    transfer = make(case, alice, bank)
    client = APIClient(headers={"Accept-Language": language})
    client.force_authenticate(alice.user)
    shown = client.get(reverse("api-transfer", args=[transfer.pk])).json()
    assert shown["state"] == "failed"
    assert shown["failure_code"] in ("RegistryFrozen", "ERC20InsufficientBalance")
    assert_readable(shown["failure_reason"], CASES[(case, language)])
    assert "0x" not in shown["failure_reason"]
    listed = client.get(reverse("api-transfers")).json()
    assert listed[0]["failure_reason"] == shown["failure_reason"]


@pytest.mark.parametrize(("case", "language"), list(CASES))
def test_the_operations_page_says_why_a_transfer_failed(alice, bank, asset, case, language):
    transfer = make(case, alice, bank)
    client = Client(headers={"Accept-Language": language})
    client.force_login(make_user(Role.PLATFORM_ADMIN))
    content = client.get(reverse("operations")).content.decode()
    row = content[content.index(f'data-testid="failed-{transfer.operation.pk}"') :]
    reason = row[row.index('data-testid="failure-reason"') :]
    reason = reason[: reason.index("</td>")]
    assert_readable(reason, CASES[(case, language)])
    assert "0x" not in reason


def test_a_suspension_that_withdraws_a_transfer_says_so_in_the_holders_language(
    alice, bank, asset, officer
):
    transfer, _ = transfer_request(
        actor=alice.user,
        token_address=TOKEN,
        receiver_number="950341000052",
        amount="12.50",
        idempotency_key="k-susp",
    )
    holder_suspend(officer=officer, holder_id=bank.holder.pk, reason="Court order 12")
    for language, sentence in [
        ("en", "The holder was suspended before the movement was sent."),
        ("ru", "Держатель приостановлен до отправки движения."),
    ]:
        client = APIClient(headers={"Accept-Language": language})
        client.force_authenticate(alice.user)
        shown = client.get(reverse("api-transfer", args=[transfer.pk])).json()
        assert (shown["failure_code"], shown["failure_reason"]) == ("HolderSuspended", sentence)
