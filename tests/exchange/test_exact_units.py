"""A holder's 18-decimal amounts, above 2**63 units, read back on the wallet exactly as the
chain counts them, and a transfer of 1234.567890123456789 holds back exactly that."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qoima.chain.models import Operation, TokenBalance
from qoima.exchange.models import Transfer
from tests.factories import token_row

pytestmark = pytest.mark.django_db

TOKEN = "0x1800000000000000000000000000000000000018"
# 10,018.446744073709551617 of an 18-decimal asset: 10**22 + 2**64 + 1 units.
HELD = 10**22 + 2**64 + 1
SENT = 1_234_567_890_123_456_789_000


@pytest.fixture
def fine(alice):
    token_row(TOKEN, symbol="FINE", decimals=18, name="Fine grain", asset="18")
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID, token_address=TOKEN, holder=alice.wallet.address, amount=HELD
    )


def test_a_transfer_of_eighteen_decimals_is_held_and_shown_exactly(alice, bank, fine):
    api = APIClient()
    api.force_authenticate(alice.user)
    body = {"asset": TOKEN, "to": "950341000052", "amount": "1234.567890123456789"}
    response = api.post(reverse("api-transfers"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-18")
    assert response.status_code == 201, response.content
    transfer = Transfer.objects.get()
    assert (transfer.amount, Operation.objects.get(pk=transfer.operation_id).amount) == (SENT, SENT)

    wallet = api.get(reverse("api-wallet")).json()
    holding = next(h for h in wallet["holdings"] if h["asset"] == TOKEN)
    assert (holding["balance"], holding["reserved"], holding["available"]) == (
        "10018.446744073709551617",
        "1234.567890123456789000",
        "8783.878853950252762617",
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alice.user)
    page = client.get(reverse("holder-transfers")).content.decode()
    assert "10,018.446744073709551617" in page
    assert "1,234.567890123456789000" in page
