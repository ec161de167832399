"""The chain app's models, by concern; every model is importable from here."""

from .deployment import PlatformDeployment
from .health import NodeHealth, WorkerHeartbeat
from .indexed import (
    ComplianceEvent,
    DailyVolume,
    EventBlock,
    IndexedBlock,
    IndexerCursor,
    PlatformToken,
    TokenTransfer,
)
from .indexes import BlockRangeIndex
from .ledger import Hold, TokenBalance
from .reconciliation import ReconciliationDifference, ReconciliationRun
from .transactions import Attempt, Batcher, ChainTransaction, Operation, Receipt, SigningKey

__all__ = [
    "Attempt",
    "Batcher",
    "BlockRangeIndex",
    "ChainTransaction",
    "ComplianceEvent",
    "DailyVolume",
    "EventBlock",
    "Hold",
    "IndexedBlock",
    "IndexerCursor",
    "NodeHealth",
    "Operation",
    "PlatformDeployment",
    "PlatformToken",
    "Receipt",
    "ReconciliationDifference",
    "ReconciliationRun",
    "SigningKey",
    "TokenBalance",
    "TokenTransfer",
    "WorkerHeartbeat",
]
