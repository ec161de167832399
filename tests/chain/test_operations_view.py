"""The staff operations page: who may see it, what it shows, and that its cost stays flat."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from qoima.chain.anvil import free_port
from qoima.chain.models import (
    ChainTransaction,
    IndexerCursor,
    NodeHealth,
    Operation,
    ReconciliationDifference,
    ReconciliationRun,
    SigningKey,
    WorkerHeartbeat,
)
from qoima.participants.models import Role
from tests.chain.operations import (
    HOLDER,
    KEY,
    TOKEN,
    attempt,
    chain_tx,
    operation,
    page,
    staff_client,
)

pytestmark = pytest.mark.django_db

OTHER_KEY = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


def refused(message: str) -> dict[str, object]:
    """A failure as the platform stores it: a code and its parameters."""
    return {"failure_code": "Error", "failure_params": {"message": message}}


def node_at(block: int) -> NodeHealth:
    return NodeHealth.objects.create(
        chain_id=settings.CHAIN_ID,
        block_number=block,
        block_hash="0x" + "ab" * 32,
        observed_at=timezone.now(),
    )


# ------------------------------------------------------------------------- who may see it


@pytest.mark.parametrize("role", [Role.PLATFORM_ADMIN, Role.COMPLIANCE_OFFICER])
def test_staff_see_the_operations_page(role):
    response = page(staff_client(role))
    assert response.status_code == 200
    assertContains(response, 'data-testid="operations"')


@pytest.mark.parametrize("role", [Role.HOLDER, Role.ISSUER_STAFF, Role.REGULATOR])
def test_other_roles_are_refused(role):
    assert page(staff_client(role)).status_code == 403


def test_anonymous_users_are_sent_to_log_in():
    response = Client().get(reverse("operations"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "dashboard"),
    [(Role.PLATFORM_ADMIN, "dashboard-admin"), (Role.COMPLIANCE_OFFICER, "dashboard-compliance")],
)
def test_staff_dashboards_link_to_the_page(role, dashboard):
    response = staff_client(role).get(reverse(dashboard))
    assertContains(response, f'href="{reverse("operations")}"')


# ------------------------------------------------------------------------- what it shows


def test_an_empty_platform_shows_zeroes_and_empty_states():
    response = page()
    assertContains(response, '<td data-testid="operations-pending">0</td>', html=True)
    assertContains(response, '<td data-testid="transactions-unconfirmed">0</td>', html=True)
    assertContains(response, 'data-testid="no-failed"')
    assertContains(response, 'data-testid="stuck-unknown"')
    assertContains(response, 'data-testid="indexer-not-started"')
    assertContains(response, 'data-testid="no-reconciliation"')


def test_queue_depths_count_operations_and_transactions_per_state():
    unconfirmed = chain_tx(ChainTransaction.State.UNCONFIRMED)
    confirmed = chain_tx(ChainTransaction.State.CONFIRMED)
    chain_tx(ChainTransaction.State.UNSTARTED)
    for _ in range(3):
        operation(Operation.State.PENDING)
    operation(Operation.State.SUBMITTED, transaction=unconfirmed)
    operation(Operation.State.SUBMITTED, transaction=unconfirmed)
    operation(Operation.State.CONFIRMED, transaction=confirmed)
    operation(Operation.State.FAILED, failure_reason="RegistryAddressFrozen")

    response = page()

    for state, count in [("pending", 3), ("submitted", 2), ("confirmed", 1), ("failed", 1)]:
        assertContains(response, f'<td data-testid="operations-{state}">{count}</td>', html=True)
    for state, count in [("unstarted", 1), ("unconfirmed", 1), ("confirmed", 1), ("fatal", 0)]:
        assertContains(response, f'<td data-testid="transactions-{state}">{count}</td>', html=True)


def test_large_counts_are_grouped_for_reading():
    Operation.objects.bulk_create(
        Operation(
            kind=Operation.Kind.MINT,
            chain_id=settings.CHAIN_ID,
            token_address=TOKEN,
            receiver=HOLDER,
            amount=1,
            idempotency_key=f"bulk-{n}",
        )
        for n in range(1234)
    )
    assertContains(page(), '<td data-testid="operations-pending">1,234</td>', html=True)


def test_a_failed_operation_shows_its_reason_escaped():
    reverted = chain_tx(ChainTransaction.State.REVERTED, error="reverted")
    hash_ = attempt(reverted, block=40).tx_hash
    failed = operation(
        Operation.State.FAILED,
        transaction=reverted,
        **refused('TokenAddressFrozen(0x90F7…) <script>alert("x")</script>'),
    )

    response = page()

    assertContains(response, f'data-testid="failed-{failed.pk}"')
    assertContains(
        response,
        "The contract refused: TokenAddressFrozen(0x90F7…) "
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;",
    )
    assertNotContains(response, '<script>alert("x")</script>')
    assertContains(response, hash_)


def test_failed_operations_are_listed_most_recent_first_and_bounded():
    older = operation(Operation.State.FAILED, **refused("an old failure"))
    Operation.objects.filter(pk=older.pk).update(
        updated_at=timezone.now() - timezone.timedelta(hours=1)
    )
    for n in range(55):
        operation(Operation.State.FAILED, **refused(f"bulk failure {n}"))
    newest = operation(Operation.State.FAILED, **refused("the newest failure"))

    content = page().content.decode()

    assert content.count('data-testid="failure-reason"') == 50
    assert f'data-testid="failed-{older.pk}"' not in content
    assert "bulk failure 5<" not in content
    assert (
        content.index(f'data-testid="failed-{newest.pk}"')
        < content.index("bulk failure 54")
        < content.index("bulk failure 6<")
    )


def test_stuck_transactions_show_their_latest_attempt(settings):
    settings.CHAIN_STUCK_BLOCKS = 5
    node_at(100)
    stuck = chain_tx(ChainTransaction.State.UNCONFIRMED)
    first = attempt(stuck, block=80)
    replacement = attempt(stuck, block=95)
    operation(Operation.State.SUBMITTED, transaction=stuck)
    recent = chain_tx(ChainTransaction.State.UNCONFIRMED)
    attempt(recent, block=97)
    # Its first attempt is old, but the replacement sent since has not waited long yet.
    replaced = chain_tx(ChainTransaction.State.UNCONFIRMED)
    attempt(replaced, block=60)
    attempt(replaced, block=99)

    response = page()

    assertContains(response, f'data-testid="stuck-{stuck.pk}"')
    assertContains(response, replacement.tx_hash)
    assertNotContains(response, first.tx_hash)
    assertContains(response, '<td class="text-danger">5</td>', html=True)
    assertNotContains(response, f'data-testid="stuck-{recent.pk}"')
    assertNotContains(response, f'data-testid="stuck-{replaced.pk}"')


def test_in_flight_transactions_are_counted_per_key_once_each():
    in_progress = chain_tx(ChainTransaction.State.IN_PROGRESS)
    attempt(in_progress, block=None)
    for block in (10, 12):
        tx = chain_tx(ChainTransaction.State.UNCONFIRMED)
        # Replacements add attempts, not transactions.
        attempt(tx, block=block)
        attempt(tx, block=block + 6)
    chain_tx(ChainTransaction.State.CONFIRMED)
    SigningKey.objects.create(chain_id=settings.CHAIN_ID, address=OTHER_KEY, next_nonce=7)

    content = page().content.decode()

    row = content[content.index(f'data-testid="key-{KEY}"') :]
    row = row[: row.index("</tr>")]
    assert '<td data-testid="key-in-progress">1</td>' in row
    assert '<td data-testid="key-unconfirmed">2</td>' in row
    assert "<td>4</td>" in row  # next nonce after four signed transactions
    assert "<td>10</td>" in row  # the oldest first broadcast
    other = content[content.index(f'data-testid="key-{OTHER_KEY}"') :]
    other = other[: other.index("</tr>")]
    assert "<td>7</td>" in other
    assert '<td data-testid="key-unconfirmed">0</td>' in other


def test_a_key_the_node_refuses_says_why():
    refused = chain_tx(
        ChainTransaction.State.IN_PROGRESS,
        error="{'code': -32003, 'message': 'Insufficient funds for gas * price + value'}",
    )
    attempt(refused, block=None)
    content = page().content.decode()
    row = content[content.index(f'data-testid="key-{KEY}"') :]
    row = row[: row.index("</tr>")]
    assert "Insufficient funds for gas" in row
    assert "&#x27;code&#x27;" in row  # escaped, never markup


def test_indexer_lag_is_measured_against_the_node_head():
    node_at(1_250)
    IndexerCursor.objects.create(
        chain_id=settings.CHAIN_ID, block_number=1_240, applied_block=1_238
    )

    response = page()

    assertContains(response, "block 1,250")
    assertContains(
        response,
        '<span class="text-danger" data-testid="indexer-read-lag">10 blocks behind</span>',
        html=True,
    )
    assertContains(
        response,
        '<span class="text-danger" data-testid="indexer-applied-lag">12 blocks behind</span>',
        html=True,
    )
    assertNotContains(response, 'data-testid="indexer-not-started"')


def test_an_indexer_at_the_head_is_not_behind():
    node_at(500)
    # The node's row is refreshed periodically and may trail a cursor that has moved on.
    IndexerCursor.objects.create(chain_id=settings.CHAIN_ID, block_number=501, applied_block=500)

    response = page()

    assertContains(
        response,
        '<span class="text-success" data-testid="indexer-read-lag">0 blocks behind</span>',
        html=True,
    )
    assertContains(
        response,
        '<span class="text-success" data-testid="indexer-applied-lag">0 blocks behind</span>',
        html=True,
    )


def test_the_last_reconciliation_lists_its_differences():
    earlier = ReconciliationRun.objects.create(chain_id=settings.CHAIN_ID, block_number=10)
    ReconciliationDifference.objects.create(
        run=earlier, kind="balance", token_address=TOKEN, subject="earlier-subject"
    )
    run = ReconciliationRun.objects.create(
        chain_id=settings.CHAIN_ID,
        block_number=20,
        tokens_checked=1,
        holders_checked=2,
        refs_checked=3,
        differences=1,
    )
    difference = ReconciliationDifference.objects.create(
        run=run,
        kind=ReconciliationDifference.Kind.BALANCE,
        token_address=TOKEN,
        subject=HOLDER,
        database_value="700",
        chain_value="650",
    )

    response = page()

    assertContains(response, f'data-testid="difference-{difference.pk}"')
    assertContains(response, "Balance")
    assertContains(response, "<td>700</td>", html=True)
    assertContains(response, "<td>650</td>", html=True)
    assertContains(response, "1 difference found.")
    assertNotContains(response, "earlier-subject")
    assertNotContains(response, 'data-testid="no-differences"')


def test_a_clean_reconciliation_says_so():
    ReconciliationRun.objects.create(
        chain_id=settings.CHAIN_ID, block_number=20, tokens_checked=3, holders_checked=40
    )

    response = page()

    assertContains(response, 'data-testid="no-differences"')
    assertContains(response, "No differences")
    assertNotContains(response, 'data-testid="difference-count"')


def test_a_long_difference_list_is_cut_and_says_how_many_more():
    run = ReconciliationRun.objects.create(
        chain_id=settings.CHAIN_ID, block_number=20, differences=60
    )
    ReconciliationDifference.objects.bulk_create(
        ReconciliationDifference(
            run=run,
            kind=ReconciliationDifference.Kind.MISSING_RECORD,
            token_address=TOKEN,
            subject=str(ref),
        )
        for ref in range(60)
    )

    content = page().content.decode()

    assert content.count('data-testid="difference-') == 50 + 1  # rows and the count
    assert "10 more differences are not listed here." in content


# ------------------------------------------------------------------------- live refresh


def test_the_page_refreshes_its_section_and_a_poll_gets_only_that_section():
    full = page()
    assertContains(full, 'hx-get="/operations/"')
    assertContains(full, 'hx-trigger="every 5s"')
    assertContains(full, 'hx-select="#operations"')
    assertContains(full, 'hx-swap="outerHTML"')
    assert "HX-Request" in full["Vary"]

    poll = page(headers={"HX-Request": "true"})

    assert poll.status_code == 200
    assert poll.content.decode().lstrip().startswith('<div id="operations"')
    assertNotContains(poll, "<html")


# ------------------------------------------------------------------------- cost


def _busy_chain(operations: int) -> None:
    """Operations in every state, each failed or submitted one on its own transaction."""
    for n in range(operations):
        state = [Operation.State.PENDING, Operation.State.SUBMITTED, Operation.State.FAILED][n % 3]
        tx = None
        if state != Operation.State.PENDING:
            tx = chain_tx(
                ChainTransaction.State.UNCONFIRMED
                if state == Operation.State.SUBMITTED
                else ChainTransaction.State.REVERTED
            )
            attempt(tx, block=n)
            attempt(tx, block=n + 1)
        operation(state, transaction=tx, failure_reason="reverted" if tx and n % 3 == 2 else "")
    run = ReconciliationRun.objects.first() or ReconciliationRun.objects.create(
        chain_id=settings.CHAIN_ID, block_number=1, differences=operations
    )
    for n in range(operations):
        ReconciliationDifference.objects.create(
            run=run, kind=ReconciliationDifference.Kind.BALANCE, token_address=TOKEN, subject=str(n)
        )


def test_the_number_of_queries_does_not_grow_with_the_operations(django_assert_max_num_queries):
    node_at(10_000)
    IndexerCursor.objects.create(
        chain_id=settings.CHAIN_ID, block_number=9_990, applied_block=9_990
    )
    client = staff_client()
    _busy_chain(5)
    with CaptureQueriesContext(connection) as few:
        assert page(client).status_code == 200

    _busy_chain(45)
    assert Operation.objects.count() == 50
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = page(client)

    assert response.status_code == 200
    unconfirmed = ChainTransaction.objects.filter(state=ChainTransaction.State.UNCONFIRMED)
    assert response.content.decode().count('data-testid="stuck-') == unconfirmed.count()


def health_state(response, check: str) -> str:
    """The state a health check's row shows, as its badge reads."""
    cell = re.search(
        rf'data-testid="health-{check}-state">(.*?)</td>', response.content.decode(), re.S
    )
    assert cell is not None
    return re.sub(r"<[^>]+>", "", cell.group(1)).strip()


def test_the_page_says_when_no_worker_is_heard_from_and_work_has_stalled(settings):
    settings.CHAIN_STALL_SECONDS = 60
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"  # the node is down
    waiting = operation(Operation.State.PENDING)
    Operation.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - timezone.timedelta(seconds=7200)
    )
    response = page()
    assert health_state(response, "worker_heartbeat") == "Failing"
    assertContains(
        response, "No worker has been heard from: nothing is sent to the chain.", html=False
    )
    assert health_state(response, "oldest_pending_operation") == "Failing"
    assertContains(response, "longer than 60 s: the work has stalled.")
    assert health_state(response, "node") == "Failing"


def test_the_page_says_when_workers_were_last_heard_from(settings):
    WorkerHeartbeat.objects.create(worker="celery@host", seen_at=timezone.now())
    response = page()
    assert health_state(response, "worker_heartbeat") == "OK"
    assertContains(response, "No operation is waiting.")
    assertNotContains(response, "No worker has been heard from")
