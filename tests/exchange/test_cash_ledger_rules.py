"""The cash ledger's rules, as the database enforces them whoever writes (on PostgreSQL once per
statement, on SQLite once per row): the same refusals and the same balances on both."""

import uuid

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from qoima.exchange import triggers
from qoima.exchange.models import CashAccount, Leg, Posting
from qoima.exchange.services.cash import (
    Entry,
    member_accounts,
    platform_account,
    postings_write_in_transaction,
)
from qoima.participants.models import Role
from qoima.rows import execute_all, insert_sql
from tests.factories import make_user

from .factories_market import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(alice, bank):
    """Alice's and Bank's available accounts, the omnibus and the fees account (their pks)."""
    return {
        "alice": member_accounts(make_member(alice.holder))["available"].pk,
        "bank": member_accounts(make_member(bank.holder))["available"].pk,
        "omnibus": platform_account(CashAccount.Kind.OMNIBUS).pk,
        "fees": platform_account(CashAccount.Kind.FEES).pk,
    }


def write(*entries: Entry) -> None:
    with transaction.atomic():
        postings_write_in_transaction(list(entries))


def entry(key: str, *legs: tuple[int, int]) -> Entry:
    return Entry(kind=Posting.Kind.DEPOSIT, key=key, reference=key, legs=list(legs))


def balance(pk: int) -> int:
    return CashAccount.objects.get(pk=pk).balance


def refused(statements, message: str) -> None:
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        execute_all(statements)
    assert message in str(error.value)


def test_many_legs_of_one_statement_move_an_account_by_their_sum(accounts):
    """Two hundred postings in one write, each naming the fees account: its balance is their
    sum, and the treasury's ledger page shows it and the books balanced."""
    deposit = entry("deposit:1", (accounts["omnibus"], -1_000_000), (accounts["alice"], 1_000_000))
    write(deposit)
    write(
        *(
            entry(
                f"fee:{i}",
                (accounts["alice"], -150),
                (accounts["bank"], 100),
                (accounts["fees"], 50),
            )
            for i in range(200)
        )
    )
    assert balance(accounts["alice"]) == 1_000_000 - 200 * 150
    assert balance(accounts["bank"]) == 200 * 100
    assert balance(accounts["fees"]) == 200 * 50
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.TREASURY_OFFICER, username="treasurer"))
    page = client.get(reverse("treasury-ledger")).content.decode()
    assert "100.00\xa0₸" in page  # the fees account: 200 × 0.50 ₸
    assert "balanced" in page


def test_a_posting_whose_legs_do_not_sum_to_zero_is_refused_and_changes_nothing(accounts):
    with pytest.raises(IntegrityError, match="sum to zero"):
        write(entry("deposit:1", (accounts["omnibus"], -500), (accounts["alice"], 400)))
    assert balance(accounts["alice"]) == 0
    assert not Posting.objects.exists()
    assert not Leg.objects.exists()


def test_a_posting_of_one_leg_is_refused(accounts):
    posting = uuid.uuid4()
    refused(
        [
            insert_sql([Leg(posting_id=posting, account_id=accounts["omnibus"], amount=-5)]),
            insert_sql([Posting(id=posting, kind=Posting.Kind.DEPOSIT, key="k", reference="k")]),
        ],
        triggers.UNBALANCED,
    )


def test_a_posting_with_no_legs_is_refused(accounts):
    refused(
        [insert_sql([Posting(kind=Posting.Kind.DEPOSIT, key="k", reference="k")])],
        triggers.UNBALANCED,
    )


def test_no_leg_joins_a_written_posting(accounts):
    write(entry("deposit:1", (accounts["omnibus"], -500), (accounts["alice"], 500)))
    posting = Posting.objects.get()
    refused(
        [insert_sql([Leg(posting_id=posting.pk, account_id=accounts["fees"], amount=1)])],
        triggers.CLOSED,
    )
    assert balance(accounts["fees"]) == 0


def test_a_participant_below_zero_is_refused_the_platform_is_not(accounts):
    with pytest.raises(IntegrityError, match="cash_account_member_not_negative"):
        write(entry("take:1", (accounts["alice"], -1), (accounts["fees"], 1)))
    # The bank omnibus is minus what is in the bank: below zero is its normal state.
    write(entry("deposit:1", (accounts["omnibus"], -500), (accounts["alice"], 500)))
    assert balance(accounts["omnibus"]) == -500


def test_one_statement_that_takes_a_participant_below_zero_is_refused_whole(accounts):
    """Of two postings in one write the second takes Alice below zero: neither is written."""
    write(entry("deposit:1", (accounts["omnibus"], -500), (accounts["alice"], 500)))
    with pytest.raises(IntegrityError, match="cash_account_member_not_negative"):
        write(
            entry("pay:1", (accounts["alice"], -400), (accounts["bank"], 400)),
            entry("pay:2", (accounts["alice"], -400), (accounts["bank"], 400)),
        )
    assert (balance(accounts["alice"]), balance(accounts["bank"])) == (500, 0)
    assert Posting.objects.count() == 1


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE exchange_leg SET amount = amount * 2",
        "DELETE FROM exchange_leg",
        "UPDATE exchange_posting SET reference = 'x'",
        "DELETE FROM exchange_posting",
    ],
)
def test_legs_and_postings_are_never_changed(accounts, sql):
    write(entry("deposit:1", (accounts["omnibus"], -500), (accounts["alice"], 500)))
    refused([(sql, [])], triggers.APPEND_ONLY)
    assert balance(accounts["alice"]) == 500
