"""Reads for the staff operations page: each one a fixed number of queries, whatever the volume."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Count,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
)

from .models import (
    Attempt,
    ChainTransaction,
    IndexerCursor,
    NodeHealth,
    Operation,
    PlatformToken,
    ReconciliationDifference,
    ReconciliationRun,
    SigningKey,
)

FAILED_OPERATIONS_SHOWN = 50
STUCK_TRANSACTIONS_SHOWN = 50
DIFFERENCES_SHOWN = 50

IN_FLIGHT = (ChainTransaction.State.IN_PROGRESS, ChainTransaction.State.UNCONFIRMED)


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int


@dataclass(frozen=True)
class KeyInFlight:
    address: str
    # None when transactions are in flight from an address the platform holds no key row for.
    next_nonce: int | None
    in_progress: int
    unconfirmed: int
    oldest_broadcast_at: datetime.datetime | None
    oldest_broadcast_block: int | None
    # Why the node refused the key's signed-but-unaccepted transaction (a key short of funds).
    refused: str = ""


@dataclass(frozen=True)
class IndexerStatus:
    cursor: IndexerCursor | None
    node: NodeHealth | None

    @property
    def head(self) -> int | None:
        return self.node.block_number if self.node else None

    @property
    def read_lag(self) -> int | None:
        """Blocks the node has that the indexer has not read yet."""
        if self.cursor is None or self.node is None:
            return None
        # The node's row is written by a periodic probe and can trail a cursor that moved since.
        return max(0, self.node.block_number - self.cursor.block_number)

    @property
    def applied_lag(self) -> int | None:
        """Blocks whose transfers are not yet reflected in balances."""
        if self.cursor is None or self.node is None:
            return None
        return max(0, self.node.block_number - self.cursor.applied_block)


@dataclass(frozen=True)
class Reconciliation:
    run: ReconciliationRun | None
    differences: list[ReconciliationDifference]

    @property
    def more_differences(self) -> int:
        """Differences of the run that the page does not list."""
        if self.run is None:
            return 0
        return max(0, self.run.differences - len(self.differences))


@dataclass(frozen=True)
class OperationsOverview:
    chain_id: int
    stuck_blocks: int
    failed_limit: int
    operation_states: list[StateCount]
    transaction_states: list[StateCount]
    keys: list[KeyInFlight]
    failed_operations: list[Operation]
    stuck_transactions: list[ChainTransaction]
    indexer: IndexerStatus
    reconciliation: Reconciliation


def _state_counts(
    queryset: QuerySet[Operation] | QuerySet[ChainTransaction],
    states: type[TextChoices],
) -> list[StateCount]:
    """Rows per state in one grouped query; states with no rows are listed with zero."""
    counts = {
        row["state"]: row["count"]
        for row in queryset.order_by().values("state").annotate(count=Count("pk"))
    }
    return [
        StateCount(state.value, str(state.label), counts.get(state.value, 0)) for state in states
    ]


def operation_state_counts(*, chain_id: int) -> list[StateCount]:
    return _state_counts(Operation.objects.filter(chain_id=chain_id), Operation.State)


def transaction_state_counts(*, chain_id: int) -> list[StateCount]:
    return _state_counts(ChainTransaction.objects.filter(chain_id=chain_id), ChainTransaction.State)


def keys_in_flight(*, chain_id: int) -> list[KeyInFlight]:
    """Every signing key with what it has signed and not yet seen confirmed."""
    rows = (
        ChainTransaction.objects.filter(chain_id=chain_id, state__in=IN_FLIGHT)
        .order_by()
        .values("from_address")
        .annotate(
            # The join with attempts repeats a transaction once per attempt: count it once.
            in_progress=Count(
                "pk", distinct=True, filter=Q(state=ChainTransaction.State.IN_PROGRESS)
            ),
            unconfirmed=Count(
                "pk", distinct=True, filter=Q(state=ChainTransaction.State.UNCONFIRMED)
            ),
            oldest_broadcast_at=Min("broadcast_at"),
            # A replacement is broadcast later than the attempt it replaces, so the minimum
            # over all attempts is when the oldest transaction first reached the node.
            oldest_broadcast_block=Min("attempts__broadcast_block"),
        )
    )
    in_flight = {row["from_address"]: row for row in rows}
    refused = dict(
        ChainTransaction.objects.filter(chain_id=chain_id, state=ChainTransaction.State.IN_PROGRESS)
        .exclude(error="")
        .values_list("from_address", "error")
    )
    keys = {
        key.address: key.next_nonce
        for key in SigningKey.objects.filter(chain_id=chain_id).order_by("address")
    }
    result = []
    for address in sorted(keys.keys() | in_flight.keys()):
        row = in_flight.get(address, {})
        result.append(
            KeyInFlight(
                address=address,
                next_nonce=keys.get(address),
                in_progress=row.get("in_progress", 0),
                unconfirmed=row.get("unconfirmed", 0),
                oldest_broadcast_at=row.get("oldest_broadcast_at"),
                oldest_broadcast_block=row.get("oldest_broadcast_block"),
                refused=refused.get(address, ""),
            )
        )
    return result


def _latest_attempt(transaction_ref: OuterRef) -> QuerySet[Attempt]:
    return Attempt.objects.filter(transaction=transaction_ref).order_by("-pk")


def failed_operations(
    *, chain_id: int, limit: int = FAILED_OPERATIONS_SHOWN
) -> QuerySet[Operation]:
    """The most recently failed operations, with the hash of their transaction's last attempt."""
    return (
        Operation.objects.filter(chain_id=chain_id, state=Operation.State.FAILED)
        .select_related("transaction")
        # A batch's call data runs to kilobytes and the page never shows it.
        .defer("transaction__data")
        .annotate(
            latest_tx_hash=Subquery(
                _latest_attempt(OuterRef("transaction_id")).values("tx_hash")[:1]
            )
        )
        # A failed row is not written again, so its last update is when it failed.
        .order_by("-updated_at", "-pk")[:limit]
    )


def stuck_transactions(
    *, chain_id: int, head: int | None, stuck_blocks: int, limit: int = STUCK_TRANSACTIONS_SHOWN
) -> QuerySet[ChainTransaction]:
    """Accepted transactions whose latest attempt has waited unmined for stuck_blocks or more.

    The same rule the resender replaces them by; without a known head nothing can be judged.
    """
    if head is None:
        return ChainTransaction.objects.none()
    latest = _latest_attempt(OuterRef("pk"))
    return (
        ChainTransaction.objects.filter(chain_id=chain_id, state=ChainTransaction.State.UNCONFIRMED)
        .defer("data")
        .annotate(
            latest_tx_hash=Subquery(latest.values("tx_hash")[:1]),
            latest_broadcast_block=Subquery(latest.values("broadcast_block")[:1]),
            operation_count=Subquery(
                Operation.objects.filter(transaction=OuterRef("pk"))
                .order_by()
                .values("transaction")
                .annotate(count=Count("pk"))
                .values("count")[:1]
            ),
        )
        .filter(latest_broadcast_block__lte=head - stuck_blocks)
        .annotate(
            blocks_waiting=ExpressionWrapper(
                Value(head) - F("latest_broadcast_block"), output_field=BigIntegerField()
            )
        )
        .order_by("latest_broadcast_block", "pk")[:limit]
    )


def indexer_status(*, chain_id: int) -> IndexerStatus:
    return IndexerStatus(
        cursor=IndexerCursor.objects.filter(chain_id=chain_id).first(),
        node=NodeHealth.objects.filter(chain_id=chain_id).first(),
    )


def last_reconciliation(*, chain_id: int, limit: int = DIFFERENCES_SHOWN) -> Reconciliation:
    run = ReconciliationRun.objects.filter(chain_id=chain_id).order_by("-started_at", "-pk").first()
    if run is None:
        return Reconciliation(run=None, differences=[])
    return Reconciliation(run=run, differences=list(run.difference_rows.order_by("pk")[:limit]))


def operations_overview() -> OperationsOverview:
    """Everything the staff operations page shows, for the platform's chain."""
    chain_id: int = settings.CHAIN_ID
    stuck_blocks: int = settings.CHAIN_STUCK_BLOCKS
    indexer = indexer_status(chain_id=chain_id)
    return OperationsOverview(
        chain_id=chain_id,
        stuck_blocks=stuck_blocks,
        failed_limit=FAILED_OPERATIONS_SHOWN,
        operation_states=operation_state_counts(chain_id=chain_id),
        transaction_states=transaction_state_counts(chain_id=chain_id),
        keys=keys_in_flight(chain_id=chain_id),
        failed_operations=list(failed_operations(chain_id=chain_id)),
        stuck_transactions=list(
            stuck_transactions(chain_id=chain_id, head=indexer.head, stuck_blocks=stuck_blocks)
        ),
        indexer=indexer,
        reconciliation=last_reconciliation(chain_id=chain_id),
    )


def platform_tokens() -> dict[str, PlatformToken]:
    """The platform's tokens by address: how a page says an operation's units in its asset's."""
    return {t.address: t for t in PlatformToken.objects.filter(chain_id=settings.CHAIN_ID)}


@dataclass(frozen=True)
class Queues:
    operations: list[StateCount]
    transactions: list[StateCount]


def platform_queues() -> Queues:
    """The platform chain's operations and transactions per state, two grouped queries."""
    chain_id: int = settings.CHAIN_ID
    return Queues(
        operations=operation_state_counts(chain_id=chain_id),
        transactions=transaction_state_counts(chain_id=chain_id),
    )
