"""A real Celery worker process on the real broker runs the platform's tasks."""

from django.test import Client
from django.urls import reverse

from qoima.audit.models import AuditEntry, ChainCheck
from qoima.audit.tasks import audit_seal_entries, audit_verify_chain
from qoima.chain.models import NodeHealth, WorkerHeartbeat
from qoima.chain.tasks import chain_heartbeat, chain_record_head
from qoima.participants.demo import DEMO_LOGINS, demo_load

# The demo's participants (one audited registration per login), compliance's verification of
# the two holders and of the issuer's permit, a wallet opened and allowlisted for each verified
# holder, and the issuer organisation's documents sent and verified.
DEMO_ENTRIES = len(DEMO_LOGINS) + 2 + 1 + 2 * 2 + 2


def test_worker_verifies_the_audit_chain(celery_worker_process):
    demo_load()
    audit_verify_chain.apply_async(queue=celery_worker_process.queue)
    check = celery_worker_process.wait_for(lambda: ChainCheck.objects.first())
    assert check.ok
    assert check.entries_checked == AuditEntry.objects.count() == DEMO_ENTRIES


def test_worker_seals_what_audited_changes_wrote(celery_worker_process, settings):
    demo_load()
    waiting = AuditEntry.objects.filter(seq__isnull=True)
    assert waiting.count() == DEMO_ENTRIES
    # What beat sends every AUDIT_SEAL_INTERVAL seconds.
    assert settings.CELERY_BEAT_SCHEDULE["audit-seal"]["task"] == audit_seal_entries.name
    audit_seal_entries.apply_async(queue=celery_worker_process.queue)
    celery_worker_process.wait_for(lambda: not waiting.exists())
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, DEMO_ENTRIES + 1)
    )


def test_worker_records_the_chain_head_from_anvil(celery_worker_process, anvil_node):
    chain_record_head.apply_async(queue=celery_worker_process.queue)
    health = celery_worker_process.wait_for(lambda: NodeHealth.objects.first())
    assert health.chain_id == 31337


def test_demo_data_loads_once(committed_db):
    assert demo_load() is True
    assert demo_load() is False


def test_a_running_worker_is_heard_from_at_start_and_on_each_heartbeat(
    celery_worker_process, settings
):
    worker = celery_worker_process
    started = worker.wait_for(lambda: WorkerHeartbeat.objects.first())
    assert started.worker.startswith(worker.queue)
    # What beat sends every WORKER_HEARTBEAT_INTERVAL_SECONDS.
    assert settings.CELERY_BEAT_SCHEDULE["chain-heartbeat"]["task"] == chain_heartbeat.name
    chain_heartbeat.delay()
    worker.wait_for(lambda: WorkerHeartbeat.objects.get().seen_at > started.seen_at)
    checks = Client().get(reverse("health")).json()["checks"]
    assert checks["worker_heartbeat"]["ok"] is True
    assert checks["worker_heartbeat"]["age_seconds"] is not None
