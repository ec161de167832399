"""The member's cash page, the treasury's pages and the cash API: who may open what, and what
a person reads there in Russian and English."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from qoima.exchange.models import StatementLine, Withdrawal
from qoima.exchange.services import treasury
from qoima.participants.models import Role
from tests.factories import make_user
from tests.second_factor import proved_minutes_ago

from .treasury_world import ALICE_IBAN, ALICE_REFERENCE, BANK_REFERENCE, credit, join, read

pytestmark = pytest.mark.django_db

MEMBER_PAGES = ["cash"]
TREASURY_PAGES = ["treasury-statements", "treasury-receipts", "treasury-withdrawals"]
API = [
    "api-cash-balances",
    "api-cash-postings",
    "api-cash-withdrawals",
    "api-cash-deposits",
]


@pytest.fixture
def treasurer(db):
    return make_user(Role.TREASURY_OFFICER, username="treasurer")


@pytest.fixture
def treasurer2(db):
    return make_user(Role.TREASURY_OFFICER, username="treasurer2")


@pytest.fixture
def alice_cash(alice):
    return join(alice.user, ALICE_REFERENCE)


def _users(alice) -> dict[str, object]:
    return {
        "holder": alice.user,
        "issuer_staff": make_user(Role.ISSUER_STAFF),
        "compliance_officer": make_user(Role.COMPLIANCE_OFFICER),
        "regulator": make_user(Role.REGULATOR),
        "platform_admin": make_user(Role.PLATFORM_ADMIN),
        "treasury_officer": make_user(Role.TREASURY_OFFICER),
    }


def test_role_matrix_of_the_pages(alice):
    expected = {
        "cash": {"holder", "issuer_staff"},
        "treasury-statements": {"treasury_officer"},
        "treasury-receipts": {"treasury_officer"},
        "treasury-withdrawals": {"treasury_officer"},
        "treasury-ledger": {"treasury_officer", "regulator"},
        "dashboard-treasury": {"treasury_officer"},
    }
    users = _users(alice)
    for name, allowed in expected.items():
        url = reverse(name)
        response = Client().get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login"))
        for role, user in users.items():
            client = Client()
            client.force_login(user)
            status = client.get(url).status_code
            assert status == (200 if role in allowed else 403), (name, role, status)


def test_role_matrix_of_the_api(alice):
    users = _users(alice)
    for name in API:
        assert APIClient().get(reverse(name)).status_code in (401, 403)
        for role, user in users.items():
            client = APIClient()
            client.force_authenticate(user)
            status = client.get(reverse(name)).status_code
            assert status == (200 if role in ("holder", "issuer_staff") else 403), (name, role)
    client = APIClient()
    client.force_authenticate(users["treasury_officer"])
    cancel = reverse("api-cash-withdrawal-cancel", args=[1])
    assert client.post(cancel).status_code == 403
    assert APIClient().post(cancel).status_code in (401, 403)


def test_an_unverified_holder_is_refused_cash(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.HOLDER))
    response = client.get(reverse("cash"))
    assert response.status_code == 403
    assert "Only a verified holder can deposit and withdraw tenge." in response.content.decode()


def _text(response) -> str:
    # Runs of ASCII white space as one; the no-break spaces of amounts stay.
    return re.sub(r"[ \t\r\n]+", " ", response.content.decode())


@pytest.mark.parametrize(
    ("language", "available", "held"),
    [("ru", "1\xa0134,50\xa0₸", "100,00\xa0₸"), ("en", "1,134.50\xa0₸", "100.00\xa0₸")],
)
def test_the_cash_page_shows_balances_instructions_and_statement(
    treasurer, alice_cash, language, available, held
):
    treasury.statement_import(
        actor=treasurer, file_name="s.sta", content=read("statement.sta"), file_format="mt940"
    )
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(alice_cash.user)
    response = client.post(
        reverse("cash-bank-account-add"), {"iban": ALICE_IBAN, "holder_name": "Alice"}
    )
    assert response.status_code == 302
    page = client.get(reverse("cash"))
    form = page.context["withdrawal_form"]
    response = client.post(
        reverse("cash-withdrawal-request"),
        {
            "bank_account": page.context["bank_accounts"][0].pk,
            "amount": "100",
            "idempotency_key": form.initial["idempotency_key"],
        },
        follow=True,
    )
    text = _text(response)
    assert f'data-testid="balance-available">{available}<' in text
    assert f'data-testid="balance-held">{held}<' in text
    assert ALICE_REFERENCE in text
    assert "KZ86125KZT5004100100" in text
    assert ALICE_IBAN in text
    # The statement: the deposit and both legs of the withdrawal's hold, newest first.
    statement = text[text.index('data-testid="statement"') :]
    assert f"+{held}" in statement
    assert f"-{held}" in statement
    if language == "en":
        assert "Withdrawal of 100.00\xa0₸ requested" in text
        assert "Deposit" in statement
        assert statement.index("Withdrawal requested") < statement.index("Deposit")


def test_the_cash_page_refuses_a_bad_iban_and_too_much_in_the_readers_words(treasurer, alice_cash):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alice_cash.user)
    response = client.post(
        reverse("cash-bank-account-add"), {"iban": "KZ19722S000012345678", "holder_name": "A"}
    )
    assert response.status_code == 400
    assert "This IBAN is not valid: check it against your bank&#x27;s details." in _text(response)
    credit(alice_cash, 5_000, officer=treasurer)
    account = treasury.bank_account_add(actor=alice_cash.user, iban=ALICE_IBAN, holder_name="A")
    response = client.post(
        reverse("cash-withdrawal-request"),
        {"bank_account": account.pk, "amount": "50,01", "idempotency_key": "k"},
    )
    assert response.status_code == 400
    assert "You have 50.00\xa0₸ available to withdraw." in _text(response)
    assert not Withdrawal.objects.exists()


def test_a_member_cancels_on_the_page(treasurer, alice_cash):
    credit(alice_cash, 5_000, officer=treasurer)
    account = treasury.bank_account_add(actor=alice_cash.user, iban=ALICE_IBAN, holder_name="A")
    withdrawal, _ = treasury.withdrawal_request(
        actor=alice_cash.user, bank_account_id=account.pk, amount="10"
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(alice_cash.user)
    response = client.post(reverse("cash-withdrawal-cancel", args=[withdrawal.pk]), follow=True)
    assert response.status_code == 200
    withdrawal.refresh_from_db()
    assert withdrawal.state == "cancelled"
    assert 'data-testid="balance-available">50,00\xa0₸<' in _text(response)


def test_the_treasury_imports_allocates_and_returns_on_its_pages(treasurer, alice, bank):
    join(alice.user, ALICE_REFERENCE)
    join(bank.user, BANK_REFERENCE)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(treasurer)
    upload = SimpleUploadedFile("statement.sta", read("statement.sta"))
    response = client.post(reverse("treasury-statements"), {"format": "mt940", "file": upload})
    assert response.status_code == 200
    assert (
        "statement.sta imported: 1 credited to members by their payment reference, "
        "2 awaiting allocation, 1 passed over" in _text(response)
    )
    again = SimpleUploadedFile("copy.sta", read("statement.sta"))
    response = client.post(reverse("treasury-statements"), {"format": "mt940", "file": again})
    assert response.status_code == 400
    assert "This statement file was imported already." in _text(response)

    dashboard = _text(client.get(reverse("dashboard-treasury")))
    assert 'data-testid="queue-unallocated-count">2<' in dashboard
    assert "oldest waiting" in dashboard

    receipts = _text(client.get(reverse("treasury-receipts")))
    assert "500.00\xa0₸" in receipts
    assert "Oplata bez reference" in receipts
    line = StatementLine.objects.get(bank_reference="BNK0002")
    response = client.post(
        reverse("treasury-receipt-allocate", args=[line.pk]),
        {f"a{line.pk}-payment_reference": "Q000000000"},
    )
    assert response.status_code == 400
    assert "No member has this payment reference." in _text(response)
    response = client.post(
        reverse("treasury-receipt-allocate", args=[line.pk]),
        {f"a{line.pk}-payment_reference": BANK_REFERENCE},
        follow=True,
    )
    assert f"500.00\xa0₸ allocated to {BANK_REFERENCE}." in _text(response)
    other = StatementLine.objects.get(bank_reference="BNK0003")
    response = client.post(
        reverse("treasury-receipt-return", args=[other.pk]),
        {f"r{other.pk}-return_reference": "RET-1"},
        follow=True,
    )
    assert "250.00\xa0₸ recorded as returned to its sender." in _text(response)
    assert "Every receipt is matched." in _text(response)

    ledger = _text(client.get(reverse("treasury-ledger")))
    assert "Sum of all balances" in ledger
    assert "balanced" in ledger
    # The bank holds the three credits (1 234,50 + 500,00 + 250,00) less the 250,00 returned.
    assert "-1,734.50\xa0₸" in ledger


@override_settings(EXCHANGE_WITHDRAWAL_SECOND_OFFICER_TIYN=100_000)
def test_a_large_withdrawal_is_approved_only_by_an_officer_who_proved_both_factors_just_now(
    treasurer, alice_cash
):
    credit(alice_cash, 500_000, officer=treasurer)
    account = treasury.bank_account_add(actor=alice_cash.user, iban=ALICE_IBAN, holder_name="A")
    withdrawal, _ = treasury.withdrawal_request(
        actor=alice_cash.user, bank_account_id=account.pk, amount="2 000"
    )
    officer = Client(HTTP_ACCEPT_LANGUAGE="en")
    officer.force_login(treasurer)
    proved_minutes_ago(officer, 6)
    asked = officer.post(reverse("treasury-withdrawal-approve", args=[withdrawal.pk]))
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("two-factor-confirm"))
    assert "This act needs you to confirm it is you" in _text(officer.get(asked["Location"]))
    before = withdrawal.state
    withdrawal.refresh_from_db()
    assert withdrawal.state == before
    assert withdrawal.approved_by is None


@override_settings(EXCHANGE_WITHDRAWAL_SECOND_OFFICER_TIYN=100_000)
def test_two_officers_approve_and_pay_on_the_withdrawals_page(treasurer, treasurer2, alice_cash):
    credit(alice_cash, 500_000, officer=treasurer)
    account = treasury.bank_account_add(actor=alice_cash.user, iban=ALICE_IBAN, holder_name="A")
    withdrawal, _ = treasury.withdrawal_request(
        actor=alice_cash.user, bank_account_id=account.pk, amount="2 000"
    )
    first, second = Client(HTTP_ACCEPT_LANGUAGE="ru"), Client(HTTP_ACCEPT_LANGUAGE="en")
    first.force_login(treasurer)
    second.force_login(treasurer2)
    page = _text(first.get(reverse("treasury-withdrawals")))
    assert "2\xa0000,00\xa0₸" in page
    assert ALICE_IBAN in page
    response = first.post(reverse("treasury-withdrawal-approve", args=[withdrawal.pk]))
    assert response.status_code == 302
    response = first.post(
        reverse("treasury-withdrawal-pay", args=[withdrawal.pk]),
        {f"p{withdrawal.pk}-bank_reference": "PAY-1"},
    )
    assert response.status_code == 403
    response = second.post(
        reverse("treasury-withdrawal-pay", args=[withdrawal.pk]),
        {f"p{withdrawal.pk}-bank_reference": "PAY-1"},
        follow=True,
    )
    assert "Withdrawal of 2,000.00\xa0₸ recorded as paid." in _text(response)
    assert "No withdrawal waits." in _text(response)
    withdrawal.refresh_from_db()
    assert (withdrawal.approved_by, withdrawal.paid_by) == (treasurer, treasurer2)


def test_the_cash_api(treasurer, alice_cash):
    treasury.statement_import(
        actor=treasurer, file_name="s.sta", content=read("statement.sta"), file_format="mt940"
    )
    treasury.bank_account_add(actor=alice_cash.user, iban=ALICE_IBAN, holder_name="Alice")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(alice_cash.user)
    balances = client.get(reverse("api-cash-balances")).json()
    assert balances["available"] == 123_450
    assert balances["payment_reference"] == ALICE_REFERENCE
    assert balances["bank_accounts"][0]["iban"] == ALICE_IBAN

    url = reverse("api-cash-withdrawals")
    for body, field in [
        ({"iban": "KZ86601A861000000001", "amount": "1"}, "iban"),
        ({"iban": ALICE_IBAN, "amount": "1,005"}, "amount"),
        ({"iban": ALICE_IBAN, "amount": "5000"}, "amount"),
        ({"iban": ALICE_IBAN, "amount": "-1"}, "amount"),
    ]:
        response = client.post(url, body, format="json")
        assert response.status_code == 400, body
        assert response.json()["field"] == field
    assert client.post(url, {"iban": ALICE_IBAN}, format="json").status_code == 400
    response = client.post(
        url, {"iban": ALICE_IBAN, "amount": "34.50"}, format="json", HTTP_IDEMPOTENCY_KEY="w1"
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["amount"], created["state"], created["state_label"]) == (
        3_450,
        "requested",
        "To be paid",
    )
    again = client.post(
        url, {"iban": ALICE_IBAN, "amount": "34,50"}, format="json", HTTP_IDEMPOTENCY_KEY="w1"
    )
    assert again.status_code == 200
    assert again.json()["id"] == created["id"]
    assert client.get(reverse("api-cash-balances")).json()["held"] == 3_450

    postings = client.get(reverse("api-cash-postings")).json()
    assert [leg["kind"] for leg in postings["results"]] == [
        "withdrawal_held",
        "withdrawal_held",
        "deposit",
    ]
    assert postings["next"] is None
    assert client.get(reverse("api-cash-postings"), {"before": "x"}).status_code == 400
    older = client.get(reverse("api-cash-postings"), {"before": postings["results"][1]["id"]})
    assert [leg["amount"] for leg in older.json()["results"]] == [123_450]

    deposits = client.get(reverse("api-cash-deposits")).json()
    assert [(d["bank_reference"], d["amount"]) for d in deposits] == [("BNK0001", 123_450)]

    cancel = client.post(reverse("api-cash-withdrawal-cancel", args=[created["id"]]))
    assert cancel.status_code == 200
    assert cancel.json()["state"] == "cancelled"
    assert client.post(reverse("api-cash-withdrawal-cancel", args=[999_999])).status_code == 404
    assert client.get(reverse("api-cash-balances")).json()["available"] == 123_450


def test_the_statement_pages_back_to_the_first_movement(treasurer, alice_cash):
    credit(alice_cash, 100_000, officer=treasurer)
    account = treasury.bank_account_add(actor=alice_cash.user, iban=ALICE_IBAN, holder_name="A")
    for _ in range(13):
        treasury.withdrawal_request(actor=alice_cash.user, bank_account_id=account.pk, amount="1")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alice_cash.user)
    first = client.get(reverse("cash"))
    # A deposit and 13 holds of two legs each: 27 movements, 25 on the first page.
    assert len(first.context["legs"]) == 25
    deposits = _text(first)[_text(first).index('data-testid="deposits"') :]
    assert "1,000.00\xa0₸" in deposits
    assert "Matched to a member" in deposits
    older = first.context["older"]
    assert f'href="?before={older}"' in _text(first)
    second = client.get(reverse("cash"), {"before": older})
    assert [leg.amount for leg in second.context["legs"]] == [-100, 100_000]
    assert second.context["older"] is None
    assert client.get(reverse("cash"), {"before": "1e3"}).status_code == 400


@override_settings(EXCHANGE_WITHDRAWAL_SECOND_OFFICER_TIYN=100_000)
def test_the_treasury_dashboard_counts_what_waits(treasurer, treasurer2, alice_cash):
    credit(alice_cash, 500_000, officer=treasurer)
    account = treasury.bank_account_add(actor=alice_cash.user, iban=ALICE_IBAN, holder_name="A")
    large, _ = treasury.withdrawal_request(
        actor=alice_cash.user, bank_account_id=account.pk, amount="2000"
    )
    treasury.withdrawal_request(actor=alice_cash.user, bank_account_id=account.pk, amount="10")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(treasurer2)
    page = _text(client.get(reverse("dashboard-treasury")))
    assert 'data-testid="queue-to-pay-count">1<' in page
    assert 'data-testid="queue-awaiting-second-count">1<' in page
    assert 'data-testid="queue-unallocated-count">0<' in page
    assert "nothing waits" in page
    treasury.withdrawal_approve(actor=treasurer, withdrawal_id=large.pk)
    page = _text(client.get(reverse("dashboard-treasury")))
    assert 'data-testid="queue-to-pay-count">2<' in page
    assert 'data-testid="queue-awaiting-second-count">0<' in page
    assert "0.00\xa0₸" in page
    assert "balanced" in page


def test_the_menu_leads_each_role_to_its_cash_pages(alice_cash, treasurer):
    holder = Client(HTTP_ACCEPT_LANGUAGE="en")
    holder.force_login(alice_cash.user)
    page = _text(holder.get(reverse("dashboard-holder")))
    assert f'href="{reverse("cash")}" data-testid="nav-cash">Cash<' in page
    officer = Client(HTTP_ACCEPT_LANGUAGE="en")
    officer.force_login(treasurer)
    page = _text(officer.get(reverse("dashboard-treasury")))
    assert 'data-testid="dashboard">Treasury dashboard<' in page
    for name, label in [
        ("treasury-statements", "Statements"),
        ("treasury-receipts", "Receipts"),
        ("treasury-withdrawals", "Withdrawals"),
        ("treasury-ledger", "Ledger"),
    ]:
        assert f'href="{reverse(name)}"' in page
        assert f">{label}<" in page
    help_page = _text(officer.get("/help/", follow=True))
    assert "Treasury officer" in help_page
    assert "Awaiting a second officer" in help_page
