"""Amounts and references are uint256 on chain: every database gives back exactly what was
written, orders and compares them as numbers, and adds and sums them exactly."""

from dataclasses import replace
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max, Min, Sum

from qoima.chain.contracts import ZERO_ADDRESS
from qoima.chain.deployment import platform_registry_ensure
from qoima.chain.direct import PlatformRegistry
from qoima.chain.fields import Uint256Field, Uint256Sum
from qoima.chain.indexer import index_until_head
from qoima.chain.ledger import movements_apply
from qoima.chain.models import Attempt, ChainTransaction, TokenBalance, TokenTransfer
from qoima.chain.reconciliation import reconcile

from .conftest import ASSET, DOCUMENTS, request, run_until_settled

pytestmark = pytest.mark.django_db

TOKEN = "0x" + "12" * 20
# What 15 significant digits (SQLite's decimal through a float) could not tell apart or keep.
VALUES = [
    0,
    1,
    10**15,
    10**15 + 1,
    1_234_567_890_123_456_789,  # 1234.567890123456789 of an 18-decimal token
    2**63 - 1,
    2**63,
    2**200 + 1,
    2**256 - 1,
]


def test_every_amount_and_reference_column_is_a_uint256_column():
    decimals = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.DecimalField) and not isinstance(field, Uint256Field)
    ]
    assert decimals == []
    assert isinstance(TokenTransfer._meta.get_field("ref"), Uint256Field)


def transfers_of(values):
    return [
        TokenTransfer.objects.create(
            chain_id=settings.CHAIN_ID,
            token_address=TOKEN,
            block_number=1,
            block_hash="0x" + "00" * 32,
            log_index=n,
            tx_hash="0x" + f"{n:064x}",
            sender=ZERO_ADDRESS,
            receiver=TOKEN,
            amount=value,
            ref=value,
        )
        for n, value in enumerate(values)
    ]


def test_values_read_back_exactly_and_compare_as_numbers():
    transfers_of(reversed(VALUES))
    rows = TokenTransfer.objects.filter(token_address=TOKEN)
    assert list(rows.order_by("amount").values_list("amount", "ref")) == [(v, v) for v in VALUES]
    assert [type(v) for v in rows.values_list("amount", flat=True)] == [int] * len(VALUES)
    for value in VALUES:
        assert list(rows.filter(ref=value).values_list("amount", flat=True)) == [value]
    assert list(
        rows.filter(ref__gt=10**15, ref__lte=2**63).order_by("-ref").values_list("ref", flat=True)
    ) == [
        2**63,
        2**63 - 1,
        1_234_567_890_123_456_789,
        10**15 + 1,
    ]
    assert rows.aggregate(low=Min("amount"), high=Max("ref")) == {"low": 0, "high": 2**256 - 1}


def test_sqlites_own_sum_of_a_uint256_column_is_refused_rather_than_rounded():
    transfers_of([2**200 + 1, 1])
    assert TokenTransfer.objects.aggregate(s=Uint256Sum("amount")) == {"s": 2**200 + 2}
    if connection.vendor == "sqlite":
        with pytest.raises(TypeError, match="Uint256Sum"):
            TokenTransfer.objects.aggregate(s=Sum("amount"))
    else:
        assert TokenTransfer.objects.aggregate(s=Sum("amount")) == {"s": 2**200 + 2}


def test_every_kind_of_uint256_column_keeps_the_widest_value():
    balance = TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=TOKEN,
        holder=TOKEN,
        amount=2**256 - 1,
        reserved=10**15 + 1,
    )
    transaction = ChainTransaction.objects.create(
        chain_id=settings.CHAIN_ID, from_address=TOKEN, to_address=TOKEN, data="0x", function="f"
    )
    attempt = Attempt.objects.create(
        transaction=transaction,
        chain_id=settings.CHAIN_ID,
        tx_hash="0x" + "01" * 32,
        raw=b"",
        max_fee_per_gas=2**256 - 1,
        max_priority_fee_per_gas=10**15 + 1,
    )
    balance.refresh_from_db()
    attempt.refresh_from_db()
    assert (balance.amount, balance.reserved) == (2**256 - 1, 10**15 + 1)
    assert (attempt.max_fee_per_gas, attempt.max_priority_fee_per_gas) == (2**256 - 1, 10**15 + 1)


def test_the_indexers_balance_statements_add_and_subtract_above_2_63():
    issuer, holder = "0x" + "aa" * 20, "0x" + "bb" * 20
    big = 2**200 + 1
    movements_apply(
        chain_id=settings.CHAIN_ID,
        movements=[
            (TOKEN, ZERO_ADDRESS, issuer, big, None),
            (TOKEN, ZERO_ADDRESS, issuer, 2**63, None),
        ],
        sign=1,
    )
    movements_apply(
        chain_id=settings.CHAIN_ID,
        movements=[
            (TOKEN, issuer, holder, 10**15 + 1, None),
            (TOKEN, issuer, holder, 2**64 + 7, None),
        ],
        sign=1,
    )
    balances = dict(
        TokenBalance.objects.filter(token_address=TOKEN).values_list("holder", "amount")
    )
    assert balances == {issuer: big + 2**63 - 10**15 - 1 - 2**64 - 7, holder: 10**15 + 2**64 + 8}
    # Taken back (a reorg): exactly where it was.
    movements_apply(
        chain_id=settings.CHAIN_ID,
        movements=[(TOKEN, issuer, holder, 2**64 + 7, None)],
        sign=-1,
    )
    assert TokenBalance.objects.get(holder=holder).amount == 10**15 + 1


@pytest.fixture
def wide_token(chain, accounts):
    """A token of the platform's registry whose cap is far above 2**63, nothing minted."""
    deployment, _ = platform_registry_ensure(chain)
    registry = PlatformRegistry(chain, deployment.registry_address)
    registry.set_allowlisted_batch(
        accounts.compliance, [accounts.issuer.address, accounts.holder_a.address], True
    )
    asset = replace(ASSET, asset_id="KZ-WIDE-1", symbol="WIDE", cap=2**255)
    token, _ = registry.issue_asset(accounts.operator, asset, DOCUMENTS)
    return token


def test_a_ledger_above_2_63_reconciles_with_the_chain(wide_token, accounts, chain):
    platform_token = wide_token
    issuer, holder = accounts.issuer.address, accounts.holder_a.address
    request("mint", platform_token, 2**200 + 1, "big-mint", receiver=issuer)
    run_until_settled(chain)
    request("transfer", platform_token, 2**64 + 3, "big-move", issuer, holder)
    request("transfer", platform_token, 10**15 + 1, "small-move", issuer, holder)
    run_until_settled(chain)
    index_until_head(w3=chain)
    assert platform_token.balance_of(holder) == 2**64 + 10**15 + 4
    assert TokenBalance.objects.get(token_address=platform_token.address, holder=holder).amount == (
        2**64 + 10**15 + 4
    )
    assert reconcile(w3=chain).differences == 0
    out = StringIO()
    call_command("reconcile", stdout=out)
    assert "0 differences" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_migrating_keeps_the_amounts_a_database_already_holds():
    before = [("chain", "0011_worker_heartbeat")]
    executor = MigrationExecutor(connection)
    # Back to every app's latest migration (going back to an old chain migration takes back
    # the later migrations of the apps that depend on it), so later tests find every table.
    after = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("chain", "TokenTransfer")
        kept = [0, 10**15, 10**15 + 1, 1_234_567_890_123_456_789, 2**63 - 1]
        for n, value in enumerate(kept):
            old.objects.create(
                chain_id=1,
                token_address=TOKEN,
                block_number=1,
                block_hash="0x",
                log_index=n,
                tx_hash="0x",
                sender=ZERO_ADDRESS,
                receiver=TOKEN,
                amount=value,
                ref=None if value == 0 else value,
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    rows = TokenTransfer.objects.order_by("log_index").values_list("amount", "ref")
    assert list(rows) == [(v, None if v == 0 else v) for v in kept]
    assert TokenTransfer.objects.filter(ref__gt=10**15).count() == 3
