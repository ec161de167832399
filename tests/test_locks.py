"""One lock order for the whole platform: paths that lock the same rows, run at once, never
deadlock, and leave balances and reservations as the ledger's invariants require.

The concurrency tests need row locks, so they run on PostgreSQL only: SQLite lets one writer
at a time into the whole database, so two of its transactions never wait on each other's rows.
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
from eth_utils import to_checksum_address

from qoima.chain.ledger import hold_place, hold_release, movements_apply
from qoima.chain.manager import OperationRequest, operation_request, operations_request
from qoima.chain.manager.requests import operations_cancel
from qoima.chain.models import Hold, Operation, PlatformToken, TokenBalance
from qoima.errors import ApplicationError
from qoima.exchange.services import transfer_request
from qoima.participants.models import HolderProfile, Role
from qoima.participants.services import holder_suspend
from tests.exchange.conftest import verified_holder
from tests.factories import make_user

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
    PlatformToken.objects.create(
        chain_id=settings.CHAIN_ID,
        address=TOKEN,
        asset_id="0x" + "ab" * 32,
        block_number=1,
        name="Lock order",
        symbol="LOCK",
        decimals=0,
    )


def _assert_ledger_consistent(total: int) -> None:
    """Units are neither made nor lost, and each holder's reservation is exactly what their
    holding operations and open holds set aside."""
    balances = TokenBalance.objects.filter(chain_id=settings.CHAIN_ID, token_address=TOKEN)
    assert balances.aggregate(total=Sum("amount"))["total"] == total
    for balance in balances:
        holding = Operation.objects.filter(
            token_address=TOKEN, sender=balance.holder, holding=True
        ).aggregate(units=Sum("amount"))["units"] or Decimal(0)
        held = Hold.objects.filter(
            token_address=TOKEN, holder=balance.holder, released_at__isnull=True
        ).aggregate(units=Sum("amount"))["units"] or Decimal(0)
        assert (balance.holder, int(balance.reserved)) == (balance.holder, int(holding + held))
        assert 0 <= balance.reserved <= balance.amount


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
        with transaction.atomic():
            operations_request(
                requests=[
                    OperationRequest(
                        kind=Operation.Kind.TRANSFER,
                        idempotency_key=f"lock-test:{sender}:{i}",
                        token_address=TOKEN,
                        sender=sender,
                        receiver=C,
                        amount=1,
                    )
                    for sender in (A, B)
                ]
            )

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
