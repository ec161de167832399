"""/health/: 200 when the platform works and its work moves, 503 with the reasons otherwise."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from qoima.audit import services as audit_services
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record, audit_seal
from qoima.chain.anvil import free_port
from qoima.chain.models import IndexerCursor, NodeHealth, Operation, WorkerHeartbeat
from qoima.health import health_rows, platform_health
from tests.brokers import nothing_listening, publishing_to

pytestmark = pytest.mark.django_db


def health():
    response = Client().get(reverse("health"))
    return response.status_code, response.json()


def heard_from(seconds_ago: float = 0) -> None:
    WorkerHeartbeat.objects.create(
        worker="celery@test", seen_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


def waiting_operation(seconds_ago: float) -> Operation:
    operation = Operation.objects.create(
        kind=Operation.Kind.TRANSFER,
        chain_id=settings.CHAIN_ID,
        token_address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        sender="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        receiver="0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        amount=100,
        idempotency_key=f"waiting-{seconds_ago}",
    )
    Operation.objects.filter(pk=operation.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds_ago)
    )
    return operation


@pytest.fixture
def dead_node(settings):
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"


def test_a_working_platform_answers_200_to_anyone(chain):
    heard_from(5)
    waiting_operation(10)
    status, body = health()
    assert status == 200, body
    assert body["status"] == "ok"
    assert body["reasons"] == []
    checks = body["checks"]
    assert set(checks) == {
        "database",
        "broker",
        "node",
        "worker_heartbeat",
        "oldest_pending_operation",
        "indexer_lag",
        "audit_seal",
        "matcher",
    }
    assert all(check["ok"] for check in checks.values())
    assert checks["node"]["block"] == chain.eth.block_number
    # Ages of rows written back-dated by the test (not a measured duration): what the
    # endpoint reports is at least how long ago they were dated.
    reported = {
        name: checks[name]["age_seconds"] for name in checks if "age_seconds" in checks[name]
    }
    assert reported["oldest_pending_operation"] >= 10
    assert reported["worker_heartbeat"] >= 5


def test_work_older_than_the_stall_limit_and_a_silent_worker_answer_503(chain, settings):
    settings.CHAIN_STALL_SECONDS = 60
    settings.WORKER_HEARTBEAT_STALE_SECONDS = 30
    heard_from(600)
    waiting_operation(3600)
    status, body = health()
    assert status == 503
    assert body["status"] == "failing"
    assert body["reasons"] == [
        "worker_heartbeat: worker_silent",
        "oldest_pending_operation: operation_stalled",
    ]
    # The age reported for a row the test dated an hour back, not a measured duration.
    age = body["checks"]["oldest_pending_operation"]["age_seconds"]
    assert age >= 3600
    assert body["checks"]["oldest_pending_operation"]["limit_seconds"] == 60
    assert body["checks"]["node"]["ok"] is True


def test_no_worker_ever_heard_from_answers_503(chain):
    status, body = health()
    assert status == 503
    assert body["reasons"] == ["worker_heartbeat: worker_never_heard"]
    assert body["checks"]["worker_heartbeat"]["age_seconds"] is None


def test_a_dead_node_and_an_indexer_left_behind_answer_503(dead_node, settings):
    settings.CHAIN_STALL_SECONDS = 60
    heard_from()
    # The last head the probe recorded is what the lag is measured against.
    NodeHealth.objects.create(
        chain_id=settings.CHAIN_ID,
        block_number=150,
        block_hash="0x" + "0" * 64,
        observed_at=timezone.now(),
    )
    IndexerCursor.objects.create(chain_id=settings.CHAIN_ID, block_number=100, applied_block=100)
    IndexerCursor.objects.update(updated_at=timezone.now() - timedelta(seconds=900))
    status, body = health()
    assert status == 503
    assert body["reasons"] == ["node: unavailable", "indexer_lag: indexer_stalled"]
    assert body["checks"]["indexer_lag"]["blocks"] == 50
    # The cursor was dated 15 minutes back.
    still = body["checks"]["indexer_lag"]["seconds"]
    assert still >= 900


def test_an_unreachable_broker_answers_503(chain):
    heard_from()
    with publishing_to(nothing_listening()):
        status, body = health()
    assert status == 503
    assert body["reasons"] == ["broker: unavailable"]


def test_an_audit_entry_waiting_past_the_seal_delay_answers_503(chain, settings, monkeypatch):
    settings.AUDIT_MAX_SEAL_DELAY = 60
    heard_from(5)
    written = timezone.now() - timedelta(seconds=600)
    with monkeypatch.context() as patched, transaction.atomic():
        # Written ten minutes ago, and never sealed since: the sealer is not running.
        patched.setattr(audit_services.timezone, "now", lambda: written)
        audit_record(actor=None, action=AuditAction.HOLDER_SUSPENDED)
    status, body = health()
    assert status == 503
    assert body["reasons"] == ["audit_seal: seal_overdue"]
    # The age reported for an entry the test dated ten minutes back, not a measured duration.
    dated_back = body["checks"]["audit_seal"]["age_seconds"]
    assert dated_back >= 600
    assert body["checks"]["audit_seal"]["limit_seconds"] == 60
    with translation.override("en"):
        row = next(row for row in health_rows(platform_health()) if row.name == "audit_seal")
    assert row.text.startswith("An audit entry has waited ")
    assert row.text.endswith("longer than 60 s: the sealer is not running.")

    audit_seal()
    status, body = health()
    assert (status, body["checks"]["audit_seal"]["age_seconds"]) == (200, None)
