"""Withdrawals requested at once against the same cash: exactly the affordable ones are held,
no balance goes below zero, and no request deadlocks (PostgreSQL row locks)."""

import threading
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection

from qoima.errors import ApplicationError, InvalidInput
from qoima.exchange.models import CashAccount, Withdrawal
from qoima.exchange.services import treasury
from qoima.participants.models import HolderProfile, Role
from tests.factories import make_user

from .conftest import verified_holder
from .treasury_world import ALICE_IBAN, ALICE_REFERENCE, balances, credit, join, ledger_sum

THREADS = 8


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_simultaneous_withdrawals_hold_exactly_what_is_available(committed_db):
    officer = make_user(Role.COMPLIANCE_OFFICER)
    treasurer = make_user(Role.TREASURY_OFFICER)
    alice = verified_holder("alice", "791028302728", HolderProfile.Kind.INDIVIDUAL, officer)
    party = join(alice.user, ALICE_REFERENCE)
    credit(party, 100_000, officer=treasurer)
    account = treasury.bank_account_add(actor=alice.user, iban=ALICE_IBAN, holder_name="Alice")

    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def request(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            try:
                treasury.withdrawal_request(
                    actor=alice.user, bank_account_id=account.pk, amount="300"
                )
                outcome = "held"
            except InvalidInput as error:
                outcome = error.code
            except Exception as error:  # a deadlock or a broken invariant is the finding
                outcome = f"{type(error).__name__}: {error}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # 1 000,00 ₸ affords three withdrawals of 300,00 ₸.
    assert sorted(outcomes) == ["held"] * 3 + ["insufficient_cash"] * (THREADS - 3)
    assert Withdrawal.objects.count() == 3
    assert balances(party) == {"available": 10_000, "held": 90_000, "pending": 0}
    assert not CashAccount.objects.filter(member__isnull=False, balance__lt=0).exists()
    assert ledger_sum() == 0


def _at_once(*calls: Callable[[], object]) -> list[str]:
    """Run the calls in threads of their own, started together; returns the errors other
    than the refusals a service answers with."""
    barrier = threading.Barrier(len(calls))
    errors: list[str] = []

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=60)
            call()
        except ApplicationError:
            pass
        except Exception as error:  # a deadlock or a broken invariant is the finding
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_a_payment_and_a_cancellation_at_once_end_in_one_of_them(committed_db):
    officer = make_user(Role.COMPLIANCE_OFFICER)
    treasurer = make_user(Role.TREASURY_OFFICER)
    alice = verified_holder("alice", "791028302728", HolderProfile.Kind.INDIVIDUAL, officer)
    party = join(alice.user, ALICE_REFERENCE)
    credit(party, 100_000, officer=treasurer)
    account = treasury.bank_account_add(actor=alice.user, iban=ALICE_IBAN, holder_name="Alice")
    for round_ in range(4):
        withdrawal, _created = treasury.withdrawal_request(
            actor=alice.user, bank_account_id=account.pk, amount="100"
        )
        errors = _at_once(
            partial(treasury.withdrawal_cancel, actor=alice.user, withdrawal_id=withdrawal.pk),
            partial(
                treasury.withdrawal_pay,
                actor=treasurer,
                withdrawal_id=withdrawal.pk,
                bank_reference=f"PAY-{round_}",
            ),
        )
        assert errors == []
        withdrawal.refresh_from_db()
        assert withdrawal.state in ("paid", "cancelled")
        assert balances(party)["held"] == 0
    paid = Withdrawal.objects.filter(state="paid").count()
    assert balances(party)["available"] == 100_000 - paid * 10_000
    assert ledger_sum() == 0
