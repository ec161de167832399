"""Reconciliation finds every difference between the database's ledger and the chain."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from qoima.chain.anvil import free_port
from qoima.chain.indexer import index_until_head
from qoima.chain.models import (
    IndexedBlock,
    IndexerCursor,
    Operation,
    ReconciliationDifference,
    TokenBalance,
    TokenTransfer,
)
from qoima.chain.reconciliation import reconcile

from .conftest import request, run_until_settled

pytestmark = pytest.mark.django_db
Kind = ReconciliationDifference.Kind


@pytest.fixture
def token(platform_token):
    return platform_token


@pytest.fixture
def ledger(token, accounts, chain):
    """A mint and a distribution made through the manager."""
    issuer, a, b = accounts.issuer.address, accounts.holder_a.address, accounts.holder_b.address
    request("mint", token, 1_000, "rc-mint", receiver=issuer)
    run_until_settled(chain)
    operations = [
        request("transfer", token, 10 * (i + 1), f"rc-{i}", issuer, (a, b)[i % 2]) for i in range(4)
    ]
    run_until_settled(chain)
    return operations


def test_a_consistent_ledger_has_no_differences(ledger, token, chain):
    index_until_head(w3=chain)
    run = reconcile(w3=chain)
    assert run.differences == 0
    assert run.tokens_checked >= 1
    assert run.holders_checked == 3
    assert run.refs_checked == 5


def test_a_balance_changed_behind_the_platforms_back_is_reported(ledger, token, accounts, chain):
    index_until_head(w3=chain)
    holder = accounts.holder_a.address
    TokenBalance.objects.filter(token_address=token.address, holder=holder).update(amount=999)
    run = reconcile(w3=chain)
    balance = run.difference_rows.get(kind=Kind.BALANCE)
    assert (balance.subject, balance.database_value, balance.chain_value) == (holder, "999", "40")
    assert run.difference_rows.filter(kind=Kind.TOTAL_SUPPLY).exists()
    with pytest.raises(CommandError, match="differences"):
        call_command("reconcile")


def test_a_confirmed_movement_without_its_record_is_reported(ledger, chain):
    index_until_head(w3=chain)
    lost = ledger[0]
    TokenTransfer.objects.filter(ref=lost.pk).update(ref=None)
    run = reconcile(w3=chain)
    missing = run.difference_rows.get(kind=Kind.MISSING_RECORD)
    assert missing.subject == str(lost.pk)


def test_a_record_that_differs_from_its_movement_is_reported(ledger, chain):
    index_until_head(w3=chain)
    changed = ledger[1]
    Operation.objects.filter(pk=changed.pk).update(amount=12345)
    run = reconcile(w3=chain)
    mismatch = run.difference_rows.get(kind=Kind.RECORD_MISMATCH)
    assert mismatch.subject == str(changed.pk)
    assert "12345" in mismatch.database_value


def test_the_command_prints_a_clean_report(ledger, chain, capsys):
    index_until_head(w3=chain)
    call_command("reconcile")
    assert "0 differences" in capsys.readouterr().out


def test_reserved_units_that_no_movement_holds_are_reported(ledger, token, accounts, chain):
    issuer = accounts.issuer.address
    pending = request("transfer", token, 5, "rc-pending", issuer, accounts.holder_a.address)
    assert reconcile(w3=chain).differences == 0
    TokenBalance.objects.filter(token_address=token.address, holder=issuer).update(reserved=50)
    run = reconcile(w3=chain)
    difference = run.difference_rows.get(kind=Kind.RESERVATION)
    assert (difference.subject, difference.database_value, difference.chain_value) == (
        issuer,
        "50",
        str(int(pending.amount)),
    )


def test_reading_the_chain_again_from_scratch_releases_nothing_twice(
    ledger, token, accounts, chain
):
    issuer = accounts.issuer.address
    request("transfer", token, 7, "rc-in-flight", issuer, accounts.holder_b.address)
    before = {
        row.holder: (int(row.amount), int(row.reserved))
        for row in TokenBalance.objects.filter(token_address=token.address)
    }
    TokenBalance.objects.filter(token_address=token.address).update(reserved=0)
    TokenTransfer.objects.all().delete()
    TokenBalance.objects.update(amount=0)
    IndexerCursor.objects.all().delete()
    IndexedBlock.objects.all().delete()
    TokenBalance.objects.filter(token_address=token.address, holder=issuer).update(reserved=7)
    index_until_head(w3=chain)
    after = {
        row.holder: (int(row.amount), int(row.reserved))
        for row in TokenBalance.objects.filter(token_address=token.address)
    }
    assert after == before
    assert reconcile(w3=chain).differences == 0


def test_work_older_than_the_stall_limit_fails_the_command_with_its_reason(
    ledger, token, accounts, chain, settings, capsys
):
    settings.CHAIN_STALL_SECONDS = 60
    index_until_head(w3=chain)
    issuer = accounts.issuer.address
    # Requested an hour ago, and no worker has taken it since.
    stalled = request("transfer", token, 5, "rc-stalled", issuer, accounts.holder_a.address)
    Operation.objects.filter(pk=stalled.pk).update(
        created_at=timezone.now() - timedelta(seconds=3600)
    )
    assert reconcile(w3=chain).differences == 0
    with pytest.raises(CommandError, match=r"0 differences\. But work has stalled"):
        call_command("reconcile")
    printed = capsys.readouterr().err
    assert "the oldest unfinished operation has waited" in printed
    assert "CHAIN_STALL_SECONDS=60" in printed
    assert "no worker has been heard from" in printed


def test_a_dead_node_fails_the_command_with_its_reason(ledger, chain, settings):
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(CommandError, match="does not answer"):
        call_command("reconcile")


def test_the_exchange_books_are_reconciled_in_the_same_run(ledger, chain):
    """Cash held for a buy that no open order holds: the run stores the difference, and the
    regulator reads it on the run's page."""
    from django.db import transaction
    from django.test import Client
    from django.urls import reverse

    from qoima.exchange.models import Posting
    from qoima.exchange.services.cash import (
        Entry,
        member_accounts,
        member_ensure_in_transaction,
        platform_account,
        postings_write_in_transaction,
    )
    from qoima.participants.models import Role
    from tests.factories import HolderProfileFactory, make_user

    with transaction.atomic():
        member = member_ensure_in_transaction(holder=HolderProfileFactory())
        accounts = member_accounts(member)
        omnibus = platform_account("omnibus").pk
        postings_write_in_transaction(
            [
                Entry(
                    Posting.Kind.DEPOSIT,
                    "d-1",
                    "deposit:1",
                    [(omnibus, -500), (accounts["available"].pk, 500)],
                ),
                Entry(
                    Posting.Kind.ORDER_HELD,
                    "o-1",
                    "order:1",
                    [(accounts["available"].pk, -200), (accounts["held"].pk, 200)],
                ),
            ]
        )
    index_until_head(w3=chain)
    run = reconcile(w3=chain)
    held = run.difference_rows.get(kind=Kind.CASH_HELD)
    assert (run.differences, held.subject, held.database_value, held.chain_value) == (
        1,
        member.payment_reference,
        "200",
        "0",
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.REGULATOR))
    page = client.get(reverse("registry-reconciliation-run", args=[run.pk])).content.decode()
    assert "Held cash differs from open orders and withdrawals" in page
    assert member.payment_reference in page
