"""The staff operations page says a failed operation's amount in its asset's units."""

import pytest
from django.conf import settings
from pytest_django.asserts import assertContains, assertNotContains

from qoima.chain.models import ChainTransaction, Operation, PlatformToken
from tests.chain.operations import TOKEN, chain_tx, operation, page

pytestmark = pytest.mark.django_db


def test_a_failed_operation_gives_its_amount_in_the_assets_units():
    PlatformToken.objects.create(
        chain_id=settings.CHAIN_ID,
        address=TOKEN,
        asset_id="0x" + "ab" * 32,
        block_number=1,
        symbol="WHT3",
        decimals=2,
    )
    reverted = chain_tx(ChainTransaction.State.REVERTED, error="reverted")
    failed = operation(Operation.State.FAILED, transaction=reverted, amount=199_800)

    response = page()

    assertContains(response, f'data-testid="failed-{failed.pk}"')
    assertContains(response, 'data-testid="amount">1,998.00\xa0WHT3</td>')
    assertNotContains(response, "199,800")
