"""One lock order for the whole platform: paths that lock the same rows, run at once, never
deadlock, and leave balances and reservations as the ledger's invariants require.

The concurrency tests need row locks, so they run on PostgreSQL only: SQLite lets one writer
at a time into the whole database, so two of its transactions never wait on each other's rows.

Who takes each lock of qoima/locks.py (the audit head is left out: its writers are changing):

- indexer cursor: the index step (``chain_index``).
- batcher: ``operations_batch`` (``chain_batch``, ``chain_sweep``).
- signing key, chain transactions: ``key_send_all`` (after each batch, ``chain_sweep``), a
  refused broadcast; the confirmer reads transactions and locks their operations.
- business rows: application (issuer's and officers' actions, distribution send / upload /
  check, issue, mint and wallet settlement); distribution (its check); redemption (the issuer's
  fulfilment or refusal, burn settlement); holder (verification, suspension, order
  placement); wallet (key re-encryption); permit; market (the matcher's step, its settings);
  orders (the matcher's step); cash accounts (every posting: placements, withdrawals, the
  treasury, the matcher's step, trade settlement); holds (redemption fulfilled or refused, sell
  orders placed and matched).
- operations: a suspension's withdrawal, the batcher, the confirmer, the index step.
- balances: every request that reserves (transfer, distribution, burn), a redemption's hold
  placed and released, a suspension's or a failure's release, the index step.

Pairs that lock the same rows, and the test that runs them at once:

============================  ==============================  ======================  =====
path                          path                            rows both lock          test
============================  ==============================  ======================  =====
transfer request              index step                      balances, operations    1, 2
transfer request              holder suspension               holder's balance        3, 4
redemption hold placed        transfer request                holder's balance        4
redemption hold placed        holder suspension               holder's balance        2, 4
redemption fulfilled/refused  redemption request, transfer,   redemption, hold,       4
                              suspension                      holder's balance
redemption hold               index step                      balances                2
holder suspension             index step                      operations, balances    2
distribution send             distribution send               application, issuer's   5
                                                              balance
distribution send             index step                      issuer's balance,       5
                                                              operations
batcher                       batcher                         batcher, operations     6
batcher                       holder suspension               pending operations      6
batcher                       request                         (requests only insert)  6
failed transaction settled    redemption request, transfer    holder's balance        7
(confirmer: operations,       request
then balances, then the
burn's redemption)
failed transaction settled    redemption fulfilled            holder's balance,       7
                                                              redemptions
failed transaction settled    batcher                         operations              7
confirmed issue or mint       officer's confirmation,         application             8
settled (confirmer:           distribution send
operations, then the
application)
confirmed burn settled        redemption request, fulfilled   redemption, hold,       8
                                                              holder's balance
key sender                    key sender of the same key      signing key, chain      9
                                                              transactions
holder verification           holder suspension               holder                  10
holder verification,          batcher, key sender and         the wallet's pending    10
suspension                    confirmer of their allowlist    operations
                              operations
order placement (buy: cash;   order placement, cancellation,  member's cash accounts, 11
sell: hold, balance)          withdrawal request              holder's balance, holds
matcher step (market, orders, order placement, cancellation,  orders, holds,          11
holds, balances, cash)        withdrawal request              balances, cash accounts
holder suspension (holder,    order placement, matcher step   holder, orders, cash    11
its orders' cancellation)
============================  ==============================  ======================  =====

1 ``test_multi_sender_requests_and_index_steps_on_the_same_balances_never_deadlock``,
2 ``test_holds_cancellations_requests_and_index_steps_never_deadlock``,
3 ``test_a_suspension_and_a_transfer_request_of_the_same_holder_never_deadlock``,
4 ``test_a_holders_redemptions_transfers_and_suspension_and_the_issuers_decisions_never_deadlock``,
5 ``test_distributions_from_one_issuer_and_index_steps_never_deadlock``,
6 ``test_batchers_a_suspension_and_requests_on_the_same_operations_never_deadlock``,
7 ``test_failed_burns_settling_and_a_holders_redemptions_and_transfers_never_deadlock``,
8 ``test_issues_and_mints_settling_and_the_issuers_sends_on_those_applications_never_deadlock``,
9 ``test_two_senders_of_one_signing_key_never_deadlock_nor_use_a_nonce_twice``,
10 ``test_a_holders_verification_and_suspension_and_their_wallets_allowlisting_never_deadlock``,
11 ``test_orders_withdrawals_matcher_steps_and_a_suspension_of_the_same_members_never_deadlock``
(a trade's settlement against them: ``tests/integration/test_exchange_faults.py``).
Tests 8 to 10 read receipts from a chain node (anvil).

Not run at once yet: the confirmer against the index step (one worker runs them in turn in
test 8).
"""

import ast
import re
import threading
from collections.abc import Callable
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from eth_account import Account
from eth_utils import to_checksum_address
from rest_framework.test import APIClient

from issuance import services
from issuance.models import Distribution, Redemption
from qoima.chain.amounts import units_to_amount
from qoima.chain.contracts import DecodedError, RegistryView, TokenView
from qoima.chain.deployment import platform_keys, platform_registry_ensure
from qoima.chain.indexer import index_until_head
from qoima.chain.ledger import hold_place, hold_release, movements_apply
from qoima.chain.manager import (
    OperationRequest,
    key_send_all,
    keys_with_unsent,
    operation_request,
    operations_batch,
    operations_request,
    settle_revert,
    transactions_confirm,
)
from qoima.chain.manager.requests import operations_cancel
from qoima.chain.models import ChainTransaction, Hold, Operation, TokenBalance
from qoima.custody.models import Wallet
from qoima.custody.selectors import custodial_wallet, organisation_wallet, wallet_allowlisted
from qoima.custody.services import wallet_allowlist_set_in_transaction
from qoima.errors import ApplicationError
from qoima.exchange.matching.matcher import book_drop, market_step
from qoima.exchange.models import Order, Trade
from qoima.exchange.reconciliation import exchange_differences
from qoima.exchange.services import transfer_request
from qoima.exchange.services.orders import order_cancel, order_place
from qoima.exchange.services.treasury import bank_account_add, withdrawal_request
from qoima.participants.models import HolderProfile, Role, User
from qoima.participants.services import holder_suspend, holder_verify
from tests.chain.conftest import mined_by_the_node
from tests.exchange.conftest import verified_holder
from tests.exchange.matching_world import PRICE, Trader, exchange
from tests.factories import make_user, token_row
from tests.issuance.conftest import issued_without_chain, make_world
from tests.onchain import assert_ledger_matches_chain, mined_attempts

ROW_LOCK_SQL = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|SHARE|KEY\s+SHARE)\b")
ROOT = Path(__file__).resolve().parent.parent
TOKEN = "0x1000000000000000000000000000000000000001"
# Addresses whose code-point order differs from a case-blind order: a request and an index
# step must agree on it.
A = "0xA3A3A3a3a3A3a3A3a3A3A3A3A3a3a3A3A3A3A3A3"
B = "0xa2A2a2A2A2A2A2a2a2a2a2A2A2A2A2a2A2A2a2a2"
C = "0xC1C1c1c1C1C1C1c1c1C1C1C1c1C1C1C1c1C1c1c1"
D = "0xd2D2D2D2d2d2d2d2D2d2d2d2D2d2D2d2D2d2D2d2"
START = 1_000_000
ITERATIONS = 200
# Rounds of the races that wait for a chain node's answers.
CHAIN_ROUNDS = 10

postgres_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="SQLite serialises writers: its transactions never wait on each other's row locks",
)


# ------------------------------------------------------------------------------ one home


def _locking_sites(path: Path) -> list[str]:
    """``select_for_update`` calls and ``FOR UPDATE`` in SQL strings (not in docstrings)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        locking_call = isinstance(node, ast.Attribute) and node.attr == "select_for_update"
        locking_sql = (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and ROW_LOCK_SQL.search(node.value) is not None
        )
        if locking_call or locking_sql:
            found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}")
    return found


def test_every_row_lock_is_taken_through_the_lock_module():
    sources = [
        path
        for folder in ("qoima", "issuance", "registry")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts and path != ROOT / "qoima" / "locks.py"
    ]
    assert len(sources) > 50
    sites = [site for path in sources for site in _locking_sites(path)]
    assert sites == [], f"row locks outside qoima/locks.py: {sites}"


# ------------------------------------------------------------------------------ races


def _race(iterations: int, *workers: Callable[[int], Any]) -> list[str]:
    """Run the workers in threads of their own, each iteration started together; returns
    the errors a worker's transaction raised other than the refusals a service answers."""
    errors: list[str] = []
    barrier = threading.Barrier(len(workers))

    def run(work: Callable[[int], Any]) -> None:
        try:
            for i in range(iterations):
                barrier.wait(timeout=60)
                try:
                    work(i)
                except ApplicationError:
                    pass
                except Exception as error:  # every other error is the finding
                    errors.append(f"{work.__name__} #{i}: {type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _token() -> None:
    token_row(TOKEN, symbol="LOCK", decimals=0, name="Lock order")


def _assert_ledger_consistent(total: int, *, token: str = TOKEN) -> None:
    """Units are neither made nor lost, and each holder's reservation is exactly what their
    holding operations and open holds set aside."""
    balances = TokenBalance.objects.filter(chain_id=settings.CHAIN_ID, token_address=token)
    assert balances.aggregate(total=Sum("amount"))["total"] == total
    for balance in balances:
        expected = _held_and_holding(token, balance.holder)
        assert (balance.holder, int(balance.reserved)) == (balance.holder, expected)
        assert 0 <= balance.reserved <= balance.amount


def _transfers_from_a_and_b(key: str) -> None:
    """One request of a transfer from each of A and B to C, together."""
    with transaction.atomic():
        operations_request(
            requests=[
                OperationRequest(
                    kind=Operation.Kind.TRANSFER,
                    idempotency_key=f"{key}:{sender}",
                    token_address=TOKEN,
                    sender=sender,
                    receiver=C,
                    amount=1,
                )
                for sender in (A, B)
            ]
        )


def _index_step(i: int) -> None:
    """An index step: Transfers between the senders and to a new holder, and the Transfers
    of operations requested before, whose reservations it settles."""
    requested = list(
        Operation.objects.filter(kind=Operation.Kind.TRANSFER, holding=True)
        .order_by("pk")
        .values_list("sender", "receiver", "amount", "pk")[:4]
    )
    movements = [
        (TOKEN, A, B, 2, None),
        (TOKEN, B, to_checksum_address(f"0x{i + 1:040x}"), 1, None),
        (TOKEN, B, A, 1, None) if i % 2 else (TOKEN, A, C, 1, None),
        *(
            (TOKEN, sender, receiver, int(amount or 0), pk)
            for sender, receiver, amount, pk in requested
        ),
    ]
    with transaction.atomic():
        movements_apply(chain_id=settings.CHAIN_ID, movements=movements, sign=1)


# Senders of one request, in the order a request locks them: the code-point order.
SENDERS = sorted([A, B, *(to_checksum_address("0x" + f"{k:02x}" * 20) for k in range(0xE0, 0xE6))])


@postgres_only
def test_multi_sender_requests_and_index_steps_on_the_same_balances_never_deadlock(
    committed_db,
):
    """A request reserving for eight senders while index steps move units along them: each
    sender passes more on to the next than it received, so the step raises the last one's
    balance and lowers all the others (receivers were locked first, in the other order)."""
    _token()
    for holder in SENDERS:
        TokenBalance.objects.create(
            chain_id=settings.CHAIN_ID, token_address=TOKEN, holder=holder, amount=START
        )

    def request(i: int) -> None:
        with transaction.atomic():
            operations_request(
                requests=[
                    OperationRequest(
                        kind=Operation.Kind.TRANSFER,
                        idempotency_key=f"lock-test:{sender}:{i}",
                        token_address=TOKEN,
                        sender=sender,
                        receiver=C if sender != C else D,
                        amount=1,
                    )
                    for sender in SENDERS
                ]
            )

    def index_step(i: int) -> None:
        along = [
            (TOKEN, sender, receiver, k + 1, None)
            for k, (sender, receiver) in enumerate(pairwise(SENDERS))
        ]
        requested = list(
            Operation.objects.filter(kind=Operation.Kind.TRANSFER, holding=True)
            .order_by("pk")
            .values_list("sender", "receiver", "amount", "pk")[: len(SENDERS)]
        )
        movements = [
            *along,
            (TOKEN, SENDERS[0], to_checksum_address(f"0x{i + 1:040x}"), 1, None),
            *((TOKEN, sender, to, int(amount or 0), pk) for sender, to, amount, pk in requested),
        ]
        with transaction.atomic():
            movements_apply(chain_id=settings.CHAIN_ID, movements=movements, sign=1)

    assert _race(ITERATIONS, request, index_step) == []
    requested = Operation.objects.filter(kind=Operation.Kind.TRANSFER)
    assert requested.count() == len(SENDERS) * ITERATIONS
    _assert_ledger_consistent(len(SENDERS) * START)


@postgres_only
def test_holds_cancellations_requests_and_index_steps_never_deadlock(committed_db):
    """Every path that locks balance rows at once: a redemption's hold placed and released, a
    suspension withdrawing pending movements, a request, an index step."""
    _token()
    for holder in (A, B):
        TokenBalance.objects.create(
            chain_id=settings.CHAIN_ID, token_address=TOKEN, holder=holder, amount=START
        )

    def hold(i: int) -> None:
        with transaction.atomic():
            hold_place(
                chain_id=settings.CHAIN_ID, key=f"h{i}", token_address=TOKEN, holder=B, units=1
            )
            if i:
                hold_release(key=f"h{i - 1}")

    def request(i: int) -> None:
        _transfers_from_a_and_b(f"lock-test:{i}")

    def cancel(i: int) -> None:
        operations_cancel(addresses=[A, B] if i % 2 else [B], code="HolderSuspended")

    assert _race(ITERATIONS, hold, request, cancel, _index_step) == []
    _assert_ledger_consistent(2 * START)


@postgres_only
def test_a_suspension_and_a_transfer_request_of_the_same_holder_never_deadlock(committed_db):
    _token()
    officer = make_user(Role.COMPLIANCE_OFFICER)
    alice = verified_holder("alice", "791028302728", HolderProfile.Kind.INDIVIDUAL, officer)
    verified_holder("bank", "950341000052", HolderProfile.Kind.LEGAL_ENTITY, officer)
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=TOKEN,
        holder=alice.wallet.address,
        amount=START,
    )

    def send(i: int) -> None:
        transfer_request(
            actor=alice.user,
            token_address=TOKEN,
            receiver_number="950341000052",
            amount="1",
            idempotency_key=f"race-{i}",
        )

    def suspend(i: int) -> None:
        # A movement still pending, so that the suspension releases Alice's reservation.
        with transaction.atomic():
            HolderProfile.objects.filter(pk=alice.holder.pk).update(
                verification_status=HolderProfile.Status.VERIFIED
            )
            operation_request(
                kind=Operation.Kind.TRANSFER,
                idempotency_key=f"pending-{i}",
                token_address=TOKEN,
                sender=alice.wallet.address,
                receiver=C,
                amount=1,
            )
        holder_suspend(officer=officer, holder_id=alice.holder.pk, reason="court order")

    assert _race(ITERATIONS, send, suspend) == []
    assert HolderProfile.objects.get(pk=alice.holder.pk).verification_status == "suspended"
    _assert_ledger_consistent(START)


@pytest.mark.django_db
def test_a_confirmation_settling_several_applications_audits_each_in_turn():
    """The confirmer settles many operations in one transaction: the handlers lock each
    application and audit it; the entries take no lock, so none waits for the end."""
    from issuance import services
    from issuance.models import Application
    from qoima.audit.models import AuditEntry
    from qoima.chain.manager import operations_settled
    from tests.issuance.conftest import make_world

    world = make_world()
    applications = []
    for symbol in ("WHTA", "WHTB"):
        application = world.approved(symbol=symbol, asset_identifier=f"12:345:678:{symbol}")
        services.application_confirm(officer=world.officer_b, application_id=application.pk)
        applications.append(Application.objects.get(pk=application.pk))
    operations = []
    for n, application in enumerate(applications):
        operation = Operation.objects.get(pk=application.issue_operation_id)
        operation.state = Operation.State.CONFIRMED
        # As the confirmer hands them over, before it writes them.
        operation.token_address = to_checksum_address(f"0x{n + 1:040x}")
        operations.append(operation)

    with transaction.atomic():
        operations_settled(operations)

    issued = AuditEntry.objects.filter(action="issuance.token_issued").order_by("id")
    assert [entry.object_id for entry in issued] == [str(a.pk) for a in applications]
    assert [Application.objects.get(pk=a.pk).token_address for a in applications] == [
        op.token_address for op in operations
    ]


# ------------------------------------------------------------------ holders, issuers, batcher


def _wallet_as_shown(user) -> dict[str, str]:
    """The holder's one holding as the wallet API shows it to them."""
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(reverse("api-wallet"))
    assert response.status_code == 200, response.content
    (holding,) = response.json()["holdings"]
    return {name: holding[name] for name in ("balance", "reserved", "available")}


def _held_and_holding(token: str, holder: str) -> int:
    holding = Operation.objects.filter(token_address=token, sender=holder, holding=True).aggregate(
        units=Sum("amount")
    )["units"] or Decimal(0)
    held = Hold.objects.filter(
        token_address=token, holder=holder, released_at__isnull=True
    ).aggregate(units=Sum("amount"))["units"] or Decimal(0)
    return int(holding + held)


@postgres_only
def test_a_holders_redemptions_transfers_and_suspension_and_the_issuers_decisions_never_deadlock(
    committed_db,
):
    """The holder's balance row is locked by a redemption's hold, a transfer's reservation, a
    suspension withdrawing pending movements and the issuer fulfilling (the hold becomes the
    burn's reservation) or refusing (the hold is released) a redemption; the redemption row by
    the issuer's decision. What the holder then reads in the wallet API adds up."""
    world = make_world(holder_count=2)
    application = issued_without_chain(world)
    token = application.token_address
    holder, receiver = world.holders
    address = custodial_wallet(holder).address
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID, token_address=token, holder=address, amount=START
    )

    def redeem(i: int) -> None:
        services.redemption_request(
            actor=holder.user, application_id=application.pk, amount="0.0" + str(i % 9 + 1)
        )

    def send(i: int) -> None:
        transfer_request(
            actor=holder.user,
            token_address=token,
            receiver_number=receiver.identification_number,
            amount="0.01",
            idempotency_key=f"race-{i}",
        )

    def suspend(i: int) -> None:
        HolderProfile.objects.filter(pk=holder.pk).update(
            verification_status=HolderProfile.Status.VERIFIED
        )
        if i % 4 == 3:
            holder_suspend(officer=world.officer_a, holder_id=holder.pk, reason="court order")

    def decide(i: int) -> None:
        waiting = Redemption.objects.filter(status=Redemption.Status.REQUESTED).order_by("pk")
        redemption = waiting.first()
        if redemption is None:
            return
        if i % 2:
            services.redemption_fulfil(
                actor=world.issuer, redemption_id=redemption.pk, reference=f"Act {i}"
            )
        else:
            services.redemption_refuse(
                actor=world.issuer, redemption_id=redemption.pk, reason="Warehouse closed"
            )

    assert _race(ITERATIONS, redeem, send, suspend, decide) == []
    HolderProfile.objects.filter(pk=holder.pk).update(
        verification_status=HolderProfile.Status.VERIFIED
    )

    assert Redemption.objects.exists()
    assert Operation.objects.filter(kind=Operation.Kind.TRANSFER, sender=address).exists()
    balance = TokenBalance.objects.get(token_address=token, holder=address)
    assert int(balance.amount) == START  # nothing reached the chain: no unit moved yet
    assert int(balance.reserved) == _held_and_holding(token, address)
    assert 0 <= balance.reserved <= balance.amount
    shown = _wallet_as_shown(holder.user)
    decimals = application.decimals
    assert shown == {
        "balance": str(units_to_amount(START, decimals)),
        "reserved": str(units_to_amount(balance.reserved, decimals)),
        "available": str(units_to_amount(START - int(balance.reserved), decimals)),
    }


@postgres_only
def test_distributions_from_one_issuer_and_index_steps_never_deadlock(committed_db):
    """Two of the issuer's staff send units of one asset at once (each locks the application,
    then reserves the issuer's balance) while the indexer records earlier sends reaching the
    chain (it locks the operations, then the balances of issuer and holders). Units are
    neither made nor lost, and no more is sent than the issuer held."""
    world = make_world(holder_count=2)
    # 300 sends' worth of 1.00 (100 units, two decimal places): fewer than the 400 asked for.
    application = issued_without_chain(world, units=300 * 100)
    token = application.token_address
    issuer = organisation_wallet(application.organisation)
    assert issuer is not None

    def distribute(first: str) -> Callable[[int], None]:
        def work(i: int) -> None:
            services.distribution_send(
                actor=world.issuer,
                application_id=application.pk,
                receiver=world.holders[i % 2].identification_number,
                amount="1",
                idempotency_key=f"{first}-{i}",
            )

        work.__name__ = f"distribute_{first}"
        return work

    def index_step(i: int) -> None:
        requested = list(
            Operation.objects.filter(token_address=token, holding=True)
            .order_by("pk")
            .values_list("sender", "receiver", "amount", "pk")[:3]
        )
        movements = [(token, s, r, int(amount or 0), pk) for s, r, amount, pk in requested]
        with transaction.atomic():
            movements_apply(chain_id=settings.CHAIN_ID, movements=movements, sign=1)

    assert _race(ITERATIONS, distribute("a"), distribute("b"), index_step) == []

    sent = Operation.objects.filter(token_address=token, sender=issuer.address)
    # The ledger refused whatever was beyond what the issuer held.
    assert sent.count() == 300
    assert Distribution.objects.filter(application=application).count() == 300
    _assert_ledger_consistent(300 * 100, token=token)


@postgres_only
def test_batchers_a_suspension_and_requests_on_the_same_operations_never_deadlock(
    committed_db,
):
    """Two batchers (one runs, the other skips what it holds) claim pending operations while a
    suspension withdraws the same operations and requests add more: each operation ends in one
    transaction or withdrawn, never both, and reservations follow."""
    _token()
    for holder in (A, B):
        TokenBalance.objects.create(
            chain_id=settings.CHAIN_ID, token_address=TOKEN, holder=holder, amount=START
        )

    def request(i: int) -> None:
        _transfers_from_a_and_b(f"batch-test:{i}")

    def batch(i: int) -> None:
        operations_batch(wait=0)

    def batch_again(i: int) -> None:
        operations_batch(wait=0)

    def cancel(i: int) -> None:
        operations_cancel(addresses=[A], code="HolderSuspended")

    assert _race(ITERATIONS, request, batch, batch_again, cancel) == []
    operations_batch(wait=0)

    operations = Operation.objects.filter(token_address=TOKEN)
    assert operations.count() == 2 * ITERATIONS
    assert not operations.filter(state=Operation.State.PENDING).exists()
    withdrawn = operations.filter(state=Operation.State.FAILED)
    assert withdrawn.exists()
    assert not withdrawn.exclude(transaction=None).exists()
    assert set(withdrawn.values_list("sender", flat=True)) == {A}
    submitted = operations.filter(state=Operation.State.SUBMITTED)
    assert not submitted.filter(transaction=None).exists()
    assert submitted.filter(sender=B).count() == ITERATIONS
    _assert_ledger_consistent(2 * START)


@postgres_only
def test_failed_burns_settling_and_a_holders_redemptions_and_transfers_never_deadlock(
    committed_db,
):
    """The confirmer's failure path locks a reverted transaction's operations, then releases
    their balances, then its settlement handler locks each burn's redemption: the one place
    the order is not followed. It runs against the holder redeeming and sending (redemption
    row, hold, balance), the issuer fulfilling redemptions (redemption, hold, balance, a new
    burn) and the batcher putting those burns into transactions (batcher, operations). Every
    failed burn's redemption fails with it and gives its units back."""
    world = make_world(holder_count=2)
    application = issued_without_chain(world)
    token = application.token_address
    holder, receiver = world.holders
    address = custodial_wallet(holder).address
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID, token_address=token, holder=address, amount=START
    )

    def redeem(i: int) -> None:
        services.redemption_request(actor=holder.user, application_id=application.pk, amount="0.01")

    def send(i: int) -> None:
        transfer_request(
            actor=holder.user,
            token_address=token,
            receiver_number=receiver.identification_number,
            amount="0.01",
            idempotency_key=f"race-{i}",
        )

    def fulfil(i: int) -> None:
        waiting = Redemption.objects.filter(status=Redemption.Status.REQUESTED).order_by("pk")
        redemption = waiting.first()
        if redemption is not None:
            services.redemption_fulfil(
                actor=world.issuer, redemption_id=redemption.pk, reference=f"Act {i}"
            )

    def batch_and_revert(i: int) -> None:
        operations_batch(wait=0)
        burns = ChainTransaction.objects.filter(
            state=ChainTransaction.State.UNSTARTED, operations__kind=Operation.Kind.BURN
        ).distinct()
        for tx in burns:
            settle_revert(
                tx, DecodedError("EnforcedPause"), final_state=ChainTransaction.State.FATAL
            )

    assert _race(ITERATIONS, redeem, send, fulfil, batch_and_revert) == []
    batch_and_revert(ITERATIONS)

    failed = Redemption.objects.filter(status=Redemption.Status.FAILED)
    assert failed.exists()
    assert not Redemption.objects.filter(status=Redemption.Status.BURNING).exists()
    assert set(failed.values_list("operation__state", flat=True)) == {Operation.State.FAILED}
    balance = TokenBalance.objects.get(token_address=token, holder=address)
    assert int(balance.amount) == START
    assert int(balance.reserved) == _held_and_holding(token, address)
    decimals = application.decimals
    assert _wallet_as_shown(holder.user) == {
        "balance": str(units_to_amount(START, decimals)),
        "reserved": str(units_to_amount(balance.reserved, decimals)),
        "available": str(units_to_amount(START - int(balance.reserved), decimals)),
    }


# ------------------------------------------------------------------ on a chain node


def _worker_step(w3) -> None:
    """What the chain workers do in turn: batch, sign and send each key's transactions, follow
    receipts, index."""
    operations_batch(wait=0)
    for address in keys_with_unsent():
        key_send_all(address=address, w3=w3)
    mined_by_the_node(w3)
    transactions_confirm(w3=w3)
    index_until_head(w3=w3)


def _worker_steps_until_settled(w3) -> None:
    unsettled = [Operation.State.PENDING, Operation.State.SUBMITTED]
    for _ in range(10):
        _worker_step(w3)
        if not Operation.objects.filter(state__in=unsettled).exists():
            return
    raise AssertionError("operations still unsettled")


def _key_row(address: str) -> dict[str, str]:
    """The signing key's row of the staff operations page."""
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(make_user(Role.PLATFORM_ADMIN))
    content = client.get(reverse("operations")).content.decode()
    row = re.search(rf'<tr data-testid="key-{address}">(.*?)</tr>', content, re.S)
    assert row is not None, content
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    names = ("key", "next_nonce", "in_progress", "unconfirmed", "oldest", "block", "refused")
    # A shortened address carries the whole one in its copy button.
    shown = [
        copied.group(1) if (copied := re.search(r'data-copy="([^"]+)"', cell)) else cell
        for cell in cells
    ]
    return dict(zip(names, (re.sub(r"<[^>]+>", "", cell).strip() for cell in shown), strict=True))


@postgres_only
def test_two_senders_of_one_signing_key_never_deadlock_nor_use_a_nonce_twice(committed_db, chain):
    """Two workers sign and broadcast one key's transactions at once (the key's row lock, then
    its unstarted transactions, skipping those the other holds): each transaction gets one
    nonce of its own, in a row with no gap, and is mined once."""
    deployment, _ = platform_registry_ensure(chain)
    registry = RegistryView(chain, deployment.registry_address)
    _admin, _operator, compliance = platform_keys()
    sent_before = chain.eth.get_transaction_count(compliance.address)
    accounts: list[str] = []

    def send(i: int) -> None:
        key_send_all(address=compliance.address, w3=chain)

    def send_too(i: int) -> None:
        key_send_all(address=compliance.address, w3=chain)

    for _round in range(CHAIN_ROUNDS):
        # Three transactions waiting for the key: a batch taken after each request.
        for _ in range(3):
            account = Account.create().address
            accounts.append(account)
            with transaction.atomic():
                operation_request(
                    kind=Operation.Kind.ALLOWLIST, account=account, idempotency_key=account
                )
            operations_batch(wait=0)
        assert _race(1, send, send_too) == []
    mined_by_the_node(chain)
    transactions_confirm(w3=chain)

    sent = ChainTransaction.objects.filter(from_address=compliance.address)
    count = 3 * CHAIN_ROUNDS
    assert sent.count() == count
    assert set(sent.values_list("state", flat=True)) == {ChainTransaction.State.CONFIRMED}
    assert sorted(sent.values_list("nonce", flat=True)) == list(
        range(sent_before, sent_before + count)
    )
    assert chain.eth.get_transaction_count(compliance.address) == sent_before + count
    for tx in sent:
        assert len(mined_attempts(tx, chain)) == 1
    assert all(registry.is_allowlisted(account) for account in accounts)
    assert _key_row(compliance.address) == {
        "key": compliance.address,
        "next_nonce": str(sent_before + count),
        "in_progress": "0",
        "unconfirmed": "0",
        "oldest": "—",
        "block": "—",
        "refused": "—",
    }


@postgres_only
def test_a_holders_verification_and_suspension_and_their_wallets_allowlisting_never_deadlock(
    committed_db, chain
):
    """Two officers suspend and verify again one holder (the holder's row, their pending
    movements, a new allowlist or delist operation of their wallet) while the workers
    put those operations on the chain and settle them (batcher, key, operations): the chain
    ends with the wallet allowlisted exactly when the holder is verified, the platform agrees,
    and the holder keeps the one wallet the wallet API shows."""
    deployment, _ = platform_registry_ensure(chain)
    registry = RegistryView(chain, deployment.registry_address)
    officer = make_user(Role.COMPLIANCE_OFFICER)
    other_officer = make_user(Role.COMPLIANCE_OFFICER)
    alice = verified_holder("alice", "791028302728", HolderProfile.Kind.INDIVIDUAL, officer)

    def decide(by: User, name: str) -> Callable[[int], None]:
        """Each officer suspends the holder they see verified and verifies the one they see
        suspended: two may see the same and decide the same at once."""

        def work(i: int) -> None:
            status = HolderProfile.objects.get(pk=alice.holder.pk).verification_status
            if status == HolderProfile.Status.VERIFIED:
                holder_suspend(officer=by, holder_id=alice.holder.pk, reason=f"Order {i}")
            else:
                holder_verify(officer=by, holder_id=alice.holder.pk, document_ref=f"KYC-{i}")

        work.__name__ = name
        return work

    def allowlist(i: int) -> None:
        _worker_step(chain)

    officers = decide(officer, "decide"), decide(other_officer, "decide_too")
    assert _race(CHAIN_ROUNDS * 2, *officers, allowlist) == []
    _worker_steps_until_settled(chain)

    decisions = Operation.objects.filter(account=alice.wallet.address).order_by("pk")
    kinds = list(decisions.values_list("kind", flat=True))
    assert Operation.Kind.DELIST in kinds
    # One decision at a time: the wallet is never allowlisted or delisted twice in a row.
    assert all(kind != following for kind, following in pairwise(kinds)), kinds
    assert set(decisions.values_list("state", flat=True)) == {Operation.State.CONFIRMED}
    verified = (
        HolderProfile.objects.get(pk=alice.holder.pk).verification_status
        == HolderProfile.Status.VERIFIED
    )
    assert registry.is_allowlisted(alice.wallet.address) is verified
    assert wallet_allowlisted(alice.wallet) is verified
    client = APIClient()
    client.force_authenticate(alice.user)
    response = client.get(reverse("api-wallet"))
    assert response.status_code == 200, response.content
    assert response.json()["address"] == alice.wallet.address
    assert list(Wallet.objects.filter(holder=alice.holder)) == [alice.wallet]


@postgres_only
def test_issues_and_mints_settling_and_the_issuers_sends_on_those_applications_never_deadlock(
    committed_db, chain
):
    """The confirmer settles each application's issue and then its mint (operations, then the
    application) and the indexer records the units, while the officer confirms the next
    application and the issuer sends units of each (both lock the application first), a holder
    redeems and the issuer fulfils (the redemption, its hold, the holder's balance, a burn the
    confirmer settles in turn). Each application's API answers "issued" with its own token,
    every send is done, and the holder's wallet API shows what the chain holds for them."""
    deployment, _ = platform_registry_ensure(chain)
    world = make_world(holder_count=1)
    (holder,) = world.holders
    wallet = custodial_wallet(holder)
    with transaction.atomic():
        wallet_allowlist_set_in_transaction(
            wallet=wallet, allowed=True, event="race", actor=world.officer_a
        )
    applications = [
        world.approved(symbol=f"WHT{k}", asset_identifier=f"12:345:678:90{k}") for k in range(4)
    ]
    sends: list[int] = []

    def settle(i: int) -> None:
        _worker_step(chain)

    def confirm_next(i: int) -> None:
        if i < len(applications):
            services.application_confirm(officer=world.officer_b, application_id=applications[i].pk)

    def distribute(i: int) -> None:
        sent = services.distribution_send(
            actor=world.issuer,
            application_id=applications[i % len(applications)].pk,
            receiver=holder.identification_number,
            amount="1",
            idempotency_key=f"send-{i}",
        )
        sends.append(sent.pk)

    def redeem(i: int) -> None:
        services.redemption_request(
            actor=holder.user, application_id=applications[0].pk, amount="0.25"
        )

    def fulfil(i: int) -> None:
        waiting = Redemption.objects.filter(status=Redemption.Status.REQUESTED).order_by("pk")
        redemption = waiting.first()
        if redemption is not None:
            services.redemption_fulfil(
                actor=world.issuer, redemption_id=redemption.pk, reference=f"Act {i}"
            )

    rounds = CHAIN_ROUNDS * 3
    assert _race(rounds, settle, confirm_next, distribute, redeem, fulfil) == []
    for i in range(rounds, rounds + 10):
        fulfil(i)
    _worker_steps_until_settled(chain)

    client = APIClient()
    client.force_authenticate(world.issuer)
    tokens = []
    for application in applications:
        response = client.get(reverse("api-application", args=[application.pk]))
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "issued"
        tokens.append(response.json()["token"])
    assert sorted(tokens) == sorted(RegistryView(chain, deployment.registry_address).all_tokens())
    sent = Distribution.objects.all()
    assert sorted(sent.values_list("pk", flat=True)) == sorted(sends)
    assert set(sent.values_list("status", flat=True)) == {Distribution.Status.DONE}
    assert len(set(sent.values_list("application", flat=True))) > 1
    redeemed = Redemption.objects.filter(status=Redemption.Status.REDEEMED)
    assert redeemed.exists()
    assert not Redemption.objects.exclude(status=Redemption.Status.REDEEMED).exists()
    assert_ledger_matches_chain(chain)

    client.force_authenticate(holder.user)
    response = client.get(reverse("api-wallet"))
    assert response.status_code == 200, response.content
    shown = {holding["asset"]: holding for holding in response.json()["holdings"]}
    for application, token in zip(applications, tokens, strict=True):
        held = TokenView(chain, token).balance_of(wallet.address)
        received = sent.filter(application=application).count() * 100
        burned = redeemed.filter(application=application).aggregate(units=Sum("amount"))["units"]
        assert held == received - int(burned or 0)
        if held:
            assert (shown[token]["balance"], shown[token]["reserved"]) == (
                str(units_to_amount(held, application.decimals)),
                str(units_to_amount(0, application.decimals)),
            )


@postgres_only
def test_orders_withdrawals_matcher_steps_and_a_suspension_of_the_same_members_never_deadlock(
    committed_db,
):
    """Every exchange path that locks members' cash, orders, holds and balances, at once on the
    same members: placements (buys hold cash, sells reserve units), cancellations, withdrawals,
    the matcher's steps and, last, a suspension of one of them."""
    market = exchange(traders=2, cash=5_000_000, units=100_000, band_bps=9000)
    (a, b) = market.traders
    accounts = {
        trader.member.pk: bank_account_add(actor=trader.user, iban=iban, holder_name="Holder")
        for trader, iban in ((a, "KZ86125KZT5004100100"), (b, "KZ566010002000012345"))
    }
    officer = make_user(Role.COMPLIANCE_OFFICER)

    def orders(trader: Trader, side: str) -> Callable[[int], None]:
        def work(i: int) -> None:
            if i == 11 and trader is a:
                holder_suspend(officer=officer, holder_id=a.holder.pk, reason="Court order 11")
                return
            order, _new = order_place(
                actor=trader.user,
                market_id=market.market.pk,
                client_order_id=f"race-{side}-{i}",
                side=side,
                type="limit",
                time_in_force="gtc",
                price=PRICE + (i % 3) - 1,
                quantity=5 + i % 4,
            )
            if i % 3 == 0:
                order_cancel(actor=trader.user, order_id=order.pk)

        work.__name__ = f"{side}_{trader.holder.pk}"
        return work

    def withdrawals(i: int) -> None:
        for trader in (a, b):
            withdrawal_request(
                actor=trader.user,
                bank_account_id=accounts[trader.member.pk].pk,
                amount=str(1 + i),
                idempotency_key=f"race-{i}",
            )

    def matcher(i: int) -> None:
        market_step(market_id=market.market.pk)

    errors = _race(14, orders(a, "buy"), orders(b, "sell"), orders(b, "buy"), withdrawals, matcher)
    assert errors == []
    market_step(market_id=market.market.pk)
    book_drop()
    # Whatever interleaved, the ledger and the orders agree, as the reconciliation reads them.
    assert exchange_differences() == []
    assert not Order.objects.filter(member=a.member, state__in=Order.OPEN_STATES).exists()
    assert Trade.objects.filter(market=market.market).exists()
