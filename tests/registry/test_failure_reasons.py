"""A failed compliance act, as a regulator reads it in the registry API: the reason in the
request's language, the holder by name and amounts in the asset's units, beside its code."""

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from qoima.chain.models import Operation
from qoima.custody.services import holder_wallet_open_in_transaction
from tests.factories import HolderProfileFactory, token_row

from .conftest import client_for

TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        (
            "en",
            "Cannot freeze or release 12.50 ABAY10 of {holder}: only 10.00 ABAY10 are available.",
        ),
        (
            "ru",
            "Нельзя заморозить или разморозить 12,50 ABAY10 у {holder}: доступно только "
            "10,00 ABAY10.",
        ),
    ],
)
def test_a_failed_freeze_reads_in_the_regulators_language(regulator, language, sentence):
    holder = HolderProfileFactory()
    with transaction.atomic():
        wallet = holder_wallet_open_in_transaction(holder=holder, actor=regulator)
    token_row(TOKEN, symbol="ABAY10", decimals=2)
    failed = Operation.objects.create(
        kind=Operation.Kind.FREEZE_TOKENS,
        chain_id=settings.CHAIN_ID,
        token_address=TOKEN,
        sender=wallet.address,
        amount=1_250,
        idempotency_key="freeze-1",
        state=Operation.State.FAILED,
        failure_code="BackedAssetFreezeExceedsBalance",
        failure_params={"account": wallet.address, "available": "1000", "amount": "1250"},
        failure_reason=f"BackedAssetFreezeExceedsBalance(account={wallet.address}, ...)",
    )

    answer = client_for(regulator, language).get(reverse("api-registry-compliance-operations"))

    row = next(r for r in answer.json()["results"] if r["id"] == failed.pk)
    assert row["failure_code"] == "BackedAssetFreezeExceedsBalance"
    holder_name = f"{holder.full_name} ({holder.identification_number})"
    assert row["failure_reason"] == sentence.format(holder=holder_name)
