from django.db import transaction
from django.utils import timezone

from .client import ChainHead, chain_head
from .models import NodeHealth, WorkerHeartbeat


@transaction.atomic(durable=True)
def node_health_record(head: ChainHead | None = None) -> NodeHealth:
    """Remember the node's newest block; raises ChainUnavailable when the node does not answer."""
    head = head or chain_head()
    health, _ = NodeHealth.objects.update_or_create(
        chain_id=head.chain_id,
        defaults={
            "block_number": head.block_number,
            "block_hash": head.block_hash,
            "observed_at": timezone.now(),
        },
    )
    return health


@transaction.atomic(durable=True)
def worker_heartbeat_record(*, worker: str) -> WorkerHeartbeat:
    """Note that this worker is alive and taking work now."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        worker=worker[:255], defaults={"seen_at": timezone.now()}
    )
    return heartbeat
