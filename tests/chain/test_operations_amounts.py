"""The staff operations page says a failed operation's amount in its asset's units."""

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from qoima.chain.models import ChainTransaction, Operation
from tests.chain.operations import TOKEN, chain_tx, operation, page
from tests.factories import token_row

pytestmark = pytest.mark.django_db


def test_a_failed_operation_gives_its_amount_in_the_assets_units():
    token_row(TOKEN, symbol="WHT3", decimals=2)
    reverted = chain_tx(ChainTransaction.State.REVERTED, error="reverted")
    failed = operation(Operation.State.FAILED, transaction=reverted, amount=199_800)

    response = page()

    assertContains(response, f'data-testid="failed-{failed.pk}"')
    assertContains(response, 'data-testid="amount">1,998.00\xa0WHT3</td>')
    assertNotContains(response, "199,800")
