"""The chain's records in the admin, to be looked at only: each is written by the service that
sends, indexes or reconciles, and the chain is what they answer to."""

from django.contrib import admin

from qoima.audit.admin import ReadOnlyAdmin

from .models import (
    Attempt,
    Batcher,
    ChainTransaction,
    ComplianceEvent,
    DailyVolume,
    EventBlock,
    Hold,
    IndexedBlock,
    IndexerCursor,
    NodeHealth,
    Operation,
    PlatformDeployment,
    PlatformToken,
    Receipt,
    ReconciliationDifference,
    ReconciliationRun,
    SigningKey,
    TokenBalance,
    TokenTransfer,
    WorkerHeartbeat,
)


@admin.register(NodeHealth)
class NodeHealthAdmin(ReadOnlyAdmin):
    list_display = ["chain_id", "block_number", "block_hash", "observed_at"]


@admin.register(PlatformDeployment)
class PlatformDeploymentAdmin(ReadOnlyAdmin):
    list_display = ["chain_id", "registry_address", "block_number", "deployed_at"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["worker", "seen_at"]


@admin.register(PlatformToken)
class PlatformTokenAdmin(ReadOnlyAdmin):
    list_display = ["symbol", "name", "address", "chain_id", "block_number"]
    search_fields = ["symbol", "name", "address", "asset_id"]


@admin.register(IndexerCursor)
class IndexerCursorAdmin(ReadOnlyAdmin):
    list_display = ["chain_id", "block_number", "applied_block", "updated_at"]


@admin.register(IndexedBlock)
class IndexedBlockAdmin(ReadOnlyAdmin):
    list_display = ["number", "block_hash", "chain_id"]
    search_fields = ["block_hash"]


@admin.register(EventBlock)
class EventBlockAdmin(ReadOnlyAdmin):
    list_display = ["number", "block_hash", "timestamp", "chain_id"]
    search_fields = ["block_hash"]


@admin.register(TokenTransfer)
class TokenTransferAdmin(ReadOnlyAdmin):
    list_display = ["block_number", "log_index", "token_address", "sender", "receiver", "amount"]
    list_filter = ["applied"]
    search_fields = ["tx_hash", "sender", "receiver", "token_address", "ref"]


@admin.register(ComplianceEvent)
class ComplianceEventAdmin(ReadOnlyAdmin):
    list_display = ["block_number", "log_index", "kind", "contract", "account", "amount"]
    list_filter = ["kind", "applied"]
    search_fields = ["tx_hash", "account", "contract", "reason_hash"]


@admin.register(DailyVolume)
class DailyVolumeAdmin(ReadOnlyAdmin):
    list_display = ["day", "token_address", "minted", "burned", "transferred", "transfers"]
    date_hierarchy = "day"


@admin.register(TokenBalance)
class TokenBalanceAdmin(ReadOnlyAdmin):
    list_display = ["holder", "token_address", "amount", "reserved"]
    search_fields = ["holder", "token_address"]


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ["key", "holder", "token_address", "amount", "created_at", "released_at"]
    search_fields = ["key", "holder"]


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "block_number", "tokens_checked", "differences"]


@admin.register(ReconciliationDifference)
class ReconciliationDifferenceAdmin(ReadOnlyAdmin):
    list_display = ["run", "kind", "subject", "database_value", "chain_value"]
    list_filter = ["kind"]


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    # The key itself is in settings; the row only serialises the address's nonces.
    list_display = ["address", "chain_id", "next_nonce"]


@admin.register(Batcher)
class BatcherAdmin(ReadOnlyAdmin):
    list_display = ["chain_id", "deferred_until"]


@admin.register(ChainTransaction)
class ChainTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "function", "state", "from_address", "nonce", "created_at"]
    list_filter = ["state"]
    search_fields = ["from_address", "to_address", "function"]


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["tx_hash", "transaction", "created_at", "broadcast_at"]
    search_fields = ["tx_hash"]
    # The signed bytes say nothing to a reader; the hash names them.
    exclude = ["raw"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["tx_hash", "block_number", "status", "gas_used"]
    search_fields = ["tx_hash", "block_hash"]


@admin.register(Operation)
class OperationAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "state", "token_address", "amount", "created_at"]
    list_filter = ["state", "kind"]
    search_fields = ["token_address", "sender", "receiver", "account", "idempotency_key"]
