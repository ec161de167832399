"""Whether chain work moves: the age of the oldest unfinished operation, the indexer's lag and
the last worker heartbeat. Read by /health/, the operations page and ``reconcile``.

"0 differences" only says the database and the chain agree about what happened; with no worker
running they agree perfectly while nothing happens. These figures say whether anything does.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from .models import IndexerCursor, NodeHealth, Operation, WorkerHeartbeat

UNFINISHED = (Operation.State.PENDING, Operation.State.SUBMITTED)

# Codes of the stall reasons; each reader renders its own text.
WORKER_NEVER_HEARD = "worker_never_heard"
WORKER_SILENT = "worker_silent"
OPERATION_STALLED = "operation_stalled"
INDEXER_STALLED = "indexer_stalled"


@dataclass(frozen=True)
class Stall:
    """The figures, their limits and which of them are past their limit."""

    now: datetime
    stall_seconds: int
    heartbeat_stale_seconds: int
    oldest_unfinished_at: datetime | None
    last_heartbeat: WorkerHeartbeat | None
    indexer_blocks_behind: int | None
    indexer_seconds_behind: int | None
    heartbeats: list[WorkerHeartbeat] = field(default_factory=list)

    @property
    def oldest_unfinished_age(self) -> int | None:
        if self.oldest_unfinished_at is None:
            return None
        return max(0, int((self.now - self.oldest_unfinished_at).total_seconds()))

    @property
    def heartbeat_age(self) -> int | None:
        if self.last_heartbeat is None:
            return None
        return max(0, int((self.now - self.last_heartbeat.seen_at).total_seconds()))

    @property
    def worker_reason(self) -> str:
        if self.last_heartbeat is None:
            return WORKER_NEVER_HEARD
        age = self.heartbeat_age
        return WORKER_SILENT if age is not None and age > self.heartbeat_stale_seconds else ""

    @property
    def operation_reason(self) -> str:
        age = self.oldest_unfinished_age
        return OPERATION_STALLED if age is not None and age > self.stall_seconds else ""

    @property
    def indexer_reason(self) -> str:
        behind = self.indexer_seconds_behind
        return INDEXER_STALLED if behind is not None and behind > self.stall_seconds else ""

    @property
    def work_reasons(self) -> list[str]:
        """Work older than the stall limit: what ``reconcile`` fails on."""
        return [reason for reason in (self.operation_reason, self.indexer_reason) if reason]

    @property
    def reasons(self) -> list[str]:
        return [r for r in (self.worker_reason, *self.work_reasons) if r]


def stall_status(*, chain_id: int, head: int | None = None) -> Stall:
    """The stall figures now; ``head`` is the node's newest block if the caller just asked it,
    otherwise the last one the periodic probe recorded is used."""
    now = timezone.now()
    oldest = (
        Operation.objects.filter(chain_id=chain_id, state__in=UNFINISHED)
        .order_by("pk")
        .values_list("created_at", flat=True)
        .first()
    )
    heartbeats = list(WorkerHeartbeat.objects.order_by("-seen_at", "worker")[:20])
    if head is None:
        head = (
            NodeHealth.objects.filter(chain_id=chain_id)
            .values_list("block_number", flat=True)
            .first()
        )
    cursor = IndexerCursor.objects.filter(chain_id=chain_id).first()
    blocks = seconds = None
    if cursor is not None and head is not None:
        blocks = max(0, head - cursor.block_number)
        # Behind and not moving: how long since the cursor last advanced.
        seconds = max(0, int((now - cursor.updated_at).total_seconds())) if blocks else 0
    return Stall(
        now=now,
        stall_seconds=settings.CHAIN_STALL_SECONDS,
        heartbeat_stale_seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS,
        oldest_unfinished_at=oldest,
        last_heartbeat=heartbeats[0] if heartbeats else None,
        indexer_blocks_behind=blocks,
        indexer_seconds_behind=seconds,
        heartbeats=heartbeats,
    )
