"""Tenge in and out: statements matched to members, receipts handled by hand, withdrawals
held, approved by a second officer, paid or cancelled; every movement in the ledger and the
audit log."""

import pytest
from django.test import override_settings
from django.utils import translation

from qoima.audit.models import AuditEntry
from qoima.errors import Conflict, InvalidInput, NotAllowed, NotFound
from qoima.exchange.models import Posting, StatementImport, StatementLine, Withdrawal
from qoima.exchange.services import treasury
from qoima.participants.models import Role
from tests.factories import make_user

from .treasury_world import (
    ALICE_IBAN,
    ALICE_REFERENCE,
    BANK_IBAN,
    BANK_REFERENCE,
    OTHER_IBAN,
    balances,
    credit,
    join,
    ledger_sum,
    read,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def treasurer(db):
    return make_user(Role.TREASURY_OFFICER, username="treasurer")


@pytest.fixture
def treasurer2(db):
    return make_user(Role.TREASURY_OFFICER, username="treasurer2")


@pytest.fixture
def alice_cash(alice):
    return join(alice.user, ALICE_REFERENCE)


@pytest.fixture
def bank_cash(bank):
    return join(bank.user, BANK_REFERENCE)


def _import(officer, name, file_format):
    return treasury.statement_import(
        actor=officer, file_name=name, content=read(name), file_format=file_format
    )


def _message(error) -> str:
    with translation.override("en"):
        return str(error.value.message)


def test_an_mt940_statement_credits_the_member_its_purpose_names(treasurer, alice_cash):
    statement = _import(treasurer, "statement.sta", "mt940")
    assert (statement.matched_count, statement.unallocated_count, statement.skipped_count) == (
        1,
        2,
        1,
    )
    assert balances(alice_cash)["available"] == 123_450
    matched = StatementLine.objects.get(bank_reference="BNK0001")
    assert matched.state == "matched"
    assert matched.member == alice_cash.member
    assert matched.purpose == "Popolnenie scheta Q100000017 Nurlanova A."
    assert Posting.objects.get(pk=matched.posting_id).kind == Posting.Kind.DEPOSIT
    # No reference, and a reference whose check digit is wrong: both wait for a person.
    waiting = StatementLine.objects.filter(state="unallocated").order_by("bank_reference")
    assert [line.bank_reference for line in waiting] == ["BNK0002", "BNK0003"]
    assert {Posting.objects.get(pk=line.posting_id).kind for line in waiting} == {
        Posting.Kind.DEPOSIT_UNALLOCATED
    }
    assert not StatementLine.objects.filter(bank_reference="BNK0004").exists()
    assert ledger_sum() == 0
    entry = AuditEntry.objects.get(action="exchange.statement_imported")
    assert entry.details["matched"] == 1
    assert entry.details["credited_tiyn"] == 123_450 + 50_000 + 25_000


def test_a_csv_statement_passes_over_lines_already_imported(treasurer, alice_cash, bank_cash):
    _import(treasurer, "statement.sta", "mt940")
    statement = _import(treasurer, "statement.csv", "csv")
    # BNK0001 came in the MT940 statement already; the debit is the platform's own payment.
    assert (statement.matched_count, statement.unallocated_count, statement.skipped_count) == (
        1,
        1,
        2,
    )
    assert balances(alice_cash)["available"] == 123_450
    assert balances(bank_cash)["available"] == 200_000
    line = StatementLine.objects.get(bank_reference="BNK1002")
    assert (line.payer_name, line.payer_iban, line.state) == (
        "Иванов И.",
        ALICE_IBAN,
        "unallocated",
    )
    assert ledger_sum() == 0


def test_the_same_file_twice_is_refused(treasurer, alice_cash):
    _import(treasurer, "statement.sta", "mt940")
    with pytest.raises(InvalidInput) as error:
        _import(treasurer, "statement.sta", "mt940")
    assert error.value.code == "duplicate_file"
    assert _message(error) == "This statement file was imported already."
    assert StatementImport.objects.count() == 1
    assert balances(alice_cash)["available"] == 123_450


def test_a_statement_in_a_foreign_currency_is_refused_whole(treasurer, alice_cash):
    with pytest.raises(InvalidInput) as error:
        _import(treasurer, "statement_usd.csv", "csv")
    assert error.value.code == "foreign_currency"
    assert _message(error) == ("The statement holds amounts in USD; only tenge (KZT) is accepted.")
    assert not StatementImport.objects.exists()
    assert balances(alice_cash)["available"] == 0


@pytest.mark.parametrize(
    ("content", "file_format", "expected"),
    [
        (b"not a statement", "mt940", "not of the platform's"),
        (b"date,amount\n", "csv", "lacks the columns"),
        (b"\xff\xfe", "csv", "not UTF-8"),
        (
            b"date,amount,currency,bank_reference,payer_name,payer_iban,purpose\n"
            b"06.12.2026,1,KZT,R1,,,x\n",
            "csv",
            "write the date as YYYY-MM-DD",
        ),
        (
            b"date,amount,currency,bank_reference,payer_name,payer_iban,purpose\n"
            b"2026-12-06,1.005,KZT,R1,,,x\n",
            "csv",
            "not a whole number of tiyn",
        ),
    ],
)
def test_an_unreadable_statement_is_refused_with_the_reason(
    treasurer, content, file_format, expected
):
    with pytest.raises(InvalidInput) as error:
        treasury.statement_import(
            actor=treasurer, file_name="bad", content=content, file_format=file_format
        )
    assert expected in _message(error)
    assert not StatementImport.objects.exists()


def test_only_a_treasury_officer_imports(alice, officer):
    for user in (alice.user, officer):
        with pytest.raises(NotAllowed):
            treasury.statement_import(
                actor=user, file_name="s", content=read("statement.sta"), file_format="mt940"
            )


def test_an_unmatched_receipt_is_allocated_by_hand(treasurer, alice_cash, bank_cash):
    _import(treasurer, "statement.sta", "mt940")
    line = StatementLine.objects.get(bank_reference="BNK0002")
    treasury.receipt_allocate(
        actor=treasurer, line_id=line.pk, payment_reference=" q100000025 ", note="called"
    )
    # Twice is once.
    treasury.receipt_allocate(actor=treasurer, line_id=line.pk, payment_reference=BANK_REFERENCE)
    line.refresh_from_db()
    assert (line.state, line.member, line.handled_by) == ("allocated", bank_cash.member, treasurer)
    assert balances(bank_cash)["available"] == 50_000
    assert AuditEntry.objects.filter(action="exchange.receipt_allocated").count() == 1
    with pytest.raises(Conflict):
        treasury.receipt_allocate(
            actor=treasurer, line_id=line.pk, payment_reference=ALICE_REFERENCE
        )
    with pytest.raises(InvalidInput) as error:
        treasury.receipt_allocate(
            actor=treasurer,
            line_id=StatementLine.objects.get(bank_reference="BNK0003").pk,
            payment_reference="Q999999999",
        )
    assert _message(error) == "No member has this payment reference."
    assert ledger_sum() == 0


def test_an_unmatched_receipt_is_returned_to_its_sender(treasurer, alice_cash):
    _import(treasurer, "statement.sta", "mt940")
    line = StatementLine.objects.get(bank_reference="BNK0003")
    treasury.receipt_return(actor=treasurer, line_id=line.pk, return_reference="RET-77")
    treasury.receipt_return(actor=treasurer, line_id=line.pk, return_reference="RET-77")
    line.refresh_from_db()
    assert (line.state, line.return_reference) == ("returned", "RET-77")
    assert Posting.objects.get(pk=line.handled_posting_id).kind == Posting.Kind.RECEIPT_RETURNED
    with pytest.raises(Conflict):
        treasury.receipt_allocate(
            actor=treasurer, line_id=line.pk, payment_reference=ALICE_REFERENCE
        )
    with pytest.raises(NotFound):
        treasury.receipt_return(actor=treasurer, line_id=999_999, return_reference="RET-78")
    assert ledger_sum() == 0


def test_a_bank_account_needs_a_kazakh_iban_with_right_check_digits(alice_cash):
    user = alice_cash.user
    account = treasury.bank_account_add(
        actor=user, iban="kz18 722s 0000 1234 5678", holder_name="A"
    )
    assert account.iban == ALICE_IBAN
    assert treasury.bank_account_add(actor=user, iban=ALICE_IBAN, holder_name="A") == account
    for bad, expected in [
        ("KZ19722S000012345678", "This IBAN is not valid: check it against your bank's details."),
        ("DE89370400440532013000", "Enter a Kazakh IBAN: KZ followed by 18 characters."),
        ("KZ18722S0000123456", "This IBAN is not valid: check it against your bank's details."),
    ]:
        with pytest.raises(InvalidInput) as error:
            treasury.bank_account_add(actor=user, iban=bad, holder_name="A")
        assert _message(error) == expected


def _withdraw(party, amount, iban=ALICE_IBAN, **kwargs):
    account = treasury.bank_account_add(actor=party.user, iban=iban, holder_name="Holder")
    withdrawal, _created = treasury.withdrawal_request(
        actor=party.user, bank_account_id=account.pk, amount=amount, **kwargs
    )
    return withdrawal


def test_a_withdrawal_holds_the_cash_and_is_paid_with_the_bank_reference(treasurer, alice_cash):
    credit(alice_cash, 500_000, officer=treasurer)
    withdrawal = _withdraw(alice_cash, "1 234,50")
    assert withdrawal.state == "requested"
    assert balances(alice_cash) == {"available": 376_550, "held": 123_450, "pending": 0}
    treasury.withdrawal_pay(actor=treasurer, withdrawal_id=withdrawal.pk, bank_reference="PAY-1")
    treasury.withdrawal_pay(actor=treasurer, withdrawal_id=withdrawal.pk, bank_reference="PAY-1")
    withdrawal.refresh_from_db()
    assert (withdrawal.state, withdrawal.bank_reference, withdrawal.paid_by) == (
        "paid",
        "PAY-1",
        treasurer,
    )
    assert balances(alice_cash) == {"available": 376_550, "held": 0, "pending": 0}
    kinds = Posting.objects.filter(reference=f"withdrawal:{withdrawal.pk}").values_list(
        "kind", flat=True
    )
    assert sorted(kinds) == ["withdrawal_held", "withdrawal_paid"]
    assert AuditEntry.objects.filter(action="exchange.withdrawal_paid").count() == 1
    with pytest.raises(Conflict):
        treasury.withdrawal_cancel(actor=alice_cash.user, withdrawal_id=withdrawal.pk)
    assert ledger_sum() == 0


def test_a_member_cancels_its_withdrawal_before_payment(treasurer, alice_cash):
    credit(alice_cash, 100_000, officer=treasurer)
    withdrawal = _withdraw(alice_cash, "1000")
    treasury.withdrawal_cancel(actor=alice_cash.user, withdrawal_id=withdrawal.pk)
    treasury.withdrawal_cancel(actor=alice_cash.user, withdrawal_id=withdrawal.pk)
    withdrawal.refresh_from_db()
    assert withdrawal.state == "cancelled"
    assert balances(alice_cash) == {"available": 100_000, "held": 0, "pending": 0}
    with pytest.raises(Conflict):
        treasury.withdrawal_pay(actor=treasurer, withdrawal_id=withdrawal.pk, bank_reference="P")
    assert AuditEntry.objects.filter(action="exchange.withdrawal_cancelled").count() == 1


def test_another_member_cannot_cancel_or_see_a_withdrawal(treasurer, alice_cash, bank_cash):
    credit(alice_cash, 100_000, officer=treasurer)
    withdrawal = _withdraw(alice_cash, "10")
    with pytest.raises(NotFound):
        treasury.withdrawal_cancel(actor=bank_cash.user, withdrawal_id=withdrawal.pk)


def test_more_than_available_is_refused_with_what_is_available(treasurer, alice_cash):
    credit(alice_cash, 123_450, officer=treasurer)
    with translation.override("ru"), pytest.raises(InvalidInput) as error:
        _withdraw(alice_cash, "1234,51")
    assert error.value.code == "insufficient_cash"
    with translation.override("ru"):
        assert "1\xa0234,50\xa0₸" in str(error.value.message)
    assert not Withdrawal.objects.exists()


def test_a_withdrawal_goes_only_to_the_members_own_account(treasurer, alice_cash, bank_cash):
    credit(alice_cash, 100_000, officer=treasurer)
    bobs = treasury.bank_account_add(actor=bank_cash.user, iban=BANK_IBAN, holder_name="Bank")
    with pytest.raises(InvalidInput) as error:
        treasury.withdrawal_request(actor=alice_cash.user, bank_account_id=bobs.pk, amount="10")
    assert error.value.code == "iban_not_yours"
    assert _message(error) == "Withdrawals are paid only to a bank account registered to you."


@pytest.mark.parametrize("amount", ["0", "-5", "1,005", "1e3", "abc", "99999999999999"])
def test_a_withdrawal_of_a_bad_amount_is_refused(treasurer, alice_cash, amount):
    credit(alice_cash, 100_000, officer=treasurer)
    with pytest.raises(InvalidInput) as error:
        _withdraw(alice_cash, amount)
    assert error.value.field == "amount"


@override_settings(EXCHANGE_WITHDRAWAL_SECOND_OFFICER_TIYN=100_000)
def test_a_large_withdrawal_needs_a_second_different_officer(treasurer, treasurer2, alice_cash):
    credit(alice_cash, 500_000, officer=treasurer)
    small = _withdraw(alice_cash, "1000")
    large = _withdraw(alice_cash, "1000,01")
    assert (small.state, large.state) == ("requested", "awaiting_second")
    with pytest.raises(Conflict) as error:
        treasury.withdrawal_pay(actor=treasurer, withdrawal_id=large.pk, bank_reference="PAY-9")
    assert _message(error) == (
        "A second treasury officer must approve this withdrawal before it is paid."
    )
    treasury.withdrawal_approve(actor=treasurer, withdrawal_id=large.pk)
    with pytest.raises(NotAllowed) as error:
        treasury.withdrawal_pay(actor=treasurer, withdrawal_id=large.pk, bank_reference="PAY-9")
    assert _message(error) == (
        "You approved this withdrawal: a different treasury officer must pay it."
    )
    treasury.withdrawal_pay(actor=treasurer2, withdrawal_id=large.pk, bank_reference="PAY-9")
    large.refresh_from_db()
    assert (large.state, large.approved_by, large.paid_by) == ("paid", treasurer, treasurer2)
    # A bank reference names one payment.
    with pytest.raises(InvalidInput):
        treasury.withdrawal_pay(actor=treasurer, withdrawal_id=small.pk, bank_reference="PAY-9")
    assert ledger_sum() == 0


def test_a_refused_withdrawal_returns_the_cash(treasurer, alice_cash):
    credit(alice_cash, 100_000, officer=treasurer)
    withdrawal = _withdraw(alice_cash, "500")
    with pytest.raises(InvalidInput):
        treasury.withdrawal_refuse(actor=treasurer, withdrawal_id=withdrawal.pk, reason=" ")
    treasury.withdrawal_refuse(
        actor=treasurer, withdrawal_id=withdrawal.pk, reason="Account closed"
    )
    withdrawal.refresh_from_db()
    assert (withdrawal.state, withdrawal.reason) == ("refused", "Account closed")
    assert balances(alice_cash)["available"] == 100_000


def test_the_same_withdrawal_request_twice_is_one(treasurer, alice_cash):
    credit(alice_cash, 100_000, officer=treasurer)
    first = _withdraw(alice_cash, "10", idempotency_key="k1")
    again = _withdraw(alice_cash, "10,00", idempotency_key="k1")
    assert first == again
    assert balances(alice_cash)["held"] == 1_000
    with pytest.raises(Conflict):
        _withdraw(alice_cash, "11", idempotency_key="k1")


def test_a_treasury_officer_and_an_unverified_holder_hold_no_cash(treasurer, officer):
    from tests.factories import make_user as _make

    with pytest.raises(NotAllowed):
        treasury.member_join(actor=treasurer)
    unverified = _make(Role.HOLDER)
    with pytest.raises(NotAllowed):
        treasury.member_join(actor=unverified)


def test_an_issuer_joins_for_its_organisation(db):
    staff = make_user(Role.ISSUER_STAFF)
    colleague = make_user(Role.ISSUER_STAFF, organisation=staff.organisation)
    member = treasury.member_join(actor=staff)
    assert treasury.member_join(actor=colleague) == member
    assert member.organisation == staff.organisation
    assert AuditEntry.objects.filter(action="exchange.member_joined").count() == 1
    account = treasury.bank_account_add(actor=colleague, iban=OTHER_IBAN, holder_name="Org")
    assert account.member == member


def test_a_csv_with_a_byte_order_mark_and_its_columns_in_another_order_is_read(
    treasurer, alice_cash
):
    content = (
        "\ufeffpurpose,payer_iban,payer_name,bank_reference,currency,amount,date\n"
        f'"Пополнение, {ALICE_REFERENCE}",,"ИП ""Алия""",B-77,kzt,1234.5,2026-12-07\n'
    ).encode()
    statement = treasury.statement_import(
        actor=treasurer, file_name="bank.csv", content=content, file_format="csv"
    )
    assert statement.matched_count == 1
    line = StatementLine.objects.get(bank_reference="B-77")
    assert (line.payer_name, line.amount, str(line.value_date)) == (
        'ИП "Алия"',
        123_450,
        "2026-12-07",
    )
    assert balances(alice_cash)["available"] == 123_450
