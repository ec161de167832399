from typing import Any

from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .fields import Uint256Field


class BlockRangeIndex(BrinIndex):
    """A BRIN index on PostgreSQL, for a column that grows with the rows; a plain index on
    other databases (SQLite, the embedded default), which have no BRIN."""

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return models.Index.create_sql(self, model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class NodeHealth(models.Model):
    """What the platform last heard from its chain node (one row per chain id)."""

    chain_id = models.PositiveBigIntegerField(_("chain id"), unique=True)
    block_number = models.PositiveBigIntegerField(_("latest block"))
    block_hash = models.CharField(_("latest block hash"), max_length=66)
    observed_at = models.DateTimeField(_("observed at"))

    class Meta:
        verbose_name = _("chain node health")
        verbose_name_plural = _("chain node health")

    def __str__(self) -> str:
        return f"chain {self.chain_id} @ {self.block_number}"


class PlatformDeployment(models.Model):
    """The platform registry in use on a chain: deployed once, then reused."""

    chain_id = models.PositiveBigIntegerField(_("chain id"), unique=True)
    registry_address = models.CharField(_("registry address"), max_length=42)
    deploy_tx_hash = models.CharField(_("deployment transaction"), max_length=66)
    block_number = models.PositiveBigIntegerField(_("deployment block"))
    admin_address = models.CharField(_("admin address"), max_length=42)
    operator_address = models.CharField(_("operator address"), max_length=42)
    compliance_address = models.CharField(_("compliance address"), max_length=42)
    # SHA-256 of the artifact's deployed bytecode: tells whether the sources changed since.
    artifact_sha256 = models.CharField(_("artifact SHA-256"), max_length=64, blank=True)
    deployed_at = models.DateTimeField(_("deployed at"))

    class Meta:
        verbose_name = _("platform deployment")
        verbose_name_plural = _("platform deployments")

    def __str__(self) -> str:
        return f"registry {self.registry_address} on chain {self.chain_id}"


class SigningKey(models.Model):
    """An address the platform signs with; locking its row serialises nonce assignment."""

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    address = models.CharField(_("address"), max_length=42)
    next_nonce = models.PositiveBigIntegerField(_("next nonce"), default=0)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        constraints = [
            models.UniqueConstraint(fields=["chain_id", "address"], name="signing_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.address} (next nonce {self.next_nonce})"


class Batcher(models.Model):
    """The batcher of a chain. Locking its row lets one batcher run at a time, so compliance acts
    reach the chain in the order they were decided; ``deferred_until`` says a batch waiting for
    more operations is already scheduled, so waiting batches do not multiply."""

    chain_id = models.PositiveBigIntegerField(_("chain id"), unique=True)
    deferred_until = models.DateTimeField(_("next batch due at"), null=True, blank=True)

    class Meta:
        verbose_name = _("batcher")
        verbose_name_plural = _("batchers")

    def __str__(self) -> str:
        return f"batcher of chain {self.chain_id}"


class ChainTransaction(models.Model):
    """One transaction the platform sends, from request to final state (Chainlink's eth_tx).

    unstarted: built, no nonce yet; in_progress: nonce taken and an attempt signed and saved,
    not yet accepted by the node; unconfirmed: accepted, waiting for enough confirmations;
    confirmed: mined and executed; reverted: mined but the contract refused it; fatal: will
    never be sent (its operations were failed or requested again).
    """

    class State(models.TextChoices):
        UNSTARTED = "unstarted", _("Unstarted")
        IN_PROGRESS = "in_progress", _("In progress")
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")
        CONFIRMED = "confirmed", _("Confirmed")
        REVERTED = "reverted", _("Reverted")
        FATAL = "fatal", _("Fatal")

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    from_address = models.CharField(_("from"), max_length=42)
    to_address = models.CharField(_("to"), max_length=42)
    data = models.TextField(_("call data"))
    function = models.CharField(_("function"), max_length=64)
    nonce = models.PositiveBigIntegerField(_("nonce"), null=True, blank=True)
    gas_limit = models.PositiveBigIntegerField(_("gas limit"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.UNSTARTED
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    broadcast_at = models.DateTimeField(_("first broadcast at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("chain transaction")
        verbose_name_plural = _("chain transactions")
        indexes = [models.Index(fields=["state", "from_address"])]
        constraints = [
            # A nonce is taken when the transaction is signed, and kept from then on; one
            # refused before signing ends fatal without one.
            models.CheckConstraint(
                condition=Q(state="unstarted", nonce__isnull=True)
                | Q(state="fatal")
                | (~Q(state__in=["unstarted", "fatal"]) & Q(nonce__isnull=False)),
                name="chain_tx_nonce_iff_started",
            ),
            # One signed-but-not-accepted transaction per key: the next waits for it.
            models.UniqueConstraint(
                fields=["chain_id", "from_address"],
                condition=Q(state="in_progress"),
                name="chain_tx_one_in_progress_per_key",
            ),
            models.UniqueConstraint(
                fields=["chain_id", "from_address", "nonce"],
                condition=Q(nonce__isnull=False),
                name="chain_tx_unique_nonce",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.function} #{self.pk} ({self.state})"


class Attempt(models.Model):
    """One signed version of a transaction; its bytes are saved before they are broadcast."""

    transaction = models.ForeignKey(
        ChainTransaction, on_delete=models.PROTECT, related_name="attempts"
    )
    chain_id = models.PositiveBigIntegerField(_("chain id"))
    tx_hash = models.CharField(_("transaction hash"), max_length=66)
    raw = models.BinaryField(_("signed transaction"))
    max_fee_per_gas = Uint256Field(_("max fee per gas"))
    max_priority_fee_per_gas = Uint256Field(_("max priority fee per gas"))
    created_at = models.DateTimeField(_("signed at"), auto_now_add=True)
    broadcast_at = models.DateTimeField(_("broadcast at"), null=True, blank=True)
    # The chain's head when the node first accepted it: how long it has been waiting.
    broadcast_block = models.PositiveBigIntegerField(_("broadcast at block"), null=True, blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        constraints = [
            models.UniqueConstraint(fields=["chain_id", "tx_hash"], name="attempt_unique_hash")
        ]

    def __str__(self) -> str:
        return self.tx_hash


class Receipt(models.Model):
    """A receipt seen for an attempt; a reorg can make the same hash land in another block."""

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="receipts")
    tx_hash = models.CharField(_("transaction hash"), max_length=66)
    block_number = models.PositiveBigIntegerField(_("block"))
    block_hash = models.CharField(_("block hash"), max_length=66)
    status = models.PositiveSmallIntegerField(_("status"))
    gas_used = models.PositiveBigIntegerField(_("gas used"))
    revert_reason = models.TextField(_("revert reason"), blank=True)
    created_at = models.DateTimeField(_("seen at"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(fields=["tx_hash", "block_hash"], name="receipt_unique_block")
        ]

    def __str__(self) -> str:
        return f"{self.tx_hash} @ {self.block_number}"


class Operation(models.Model):
    """One on-chain action a part of the platform asked for: a movement, or a compliance act.

    A token movement's primary key is the reference the contract records, so every row maps to
    exactly one on-chain record and the contract refuses a second. ``token_address`` is the
    token acted on (blank for the registry's own acts); ``account`` is the address an
    allowlist or freeze act is about; ``reason_hash`` is the hash of the legal basis that
    forced transfers, freezes and pauses carry on-chain.
    """

    class Kind(models.TextChoices):
        ISSUE_ASSET = "issue_asset", _("Issue of an asset's token")
        MINT = "mint", _("Mint")
        BURN = "burn", _("Burn")
        TRANSFER = "transfer", _("Recorded transfer")
        FORCED_TRANSFER = "forced_transfer", _("Forced transfer")
        ALLOWLIST = "allowlist", _("Allowlisting")
        DELIST = "delist", _("Removal from the allowlist")
        FREEZE = "freeze", _("Freeze of an address")
        UNFREEZE = "unfreeze", _("Unfreeze of an address")
        FREEZE_TOKENS = "freeze_tokens", _("Freeze of part of a balance")
        UNFREEZE_TOKENS = "unfreeze_tokens", _("Release of part of a frozen balance")
        PAUSE = "pause", _("Pause")
        UNPAUSE = "unpause", _("End of a pause")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUBMITTED = "submitted", _("Submitted")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    chain_id = models.PositiveBigIntegerField(_("chain id"))
    token_address = models.CharField(_("token"), max_length=42, blank=True)
    sender = models.CharField(_("sender"), max_length=42, blank=True)
    receiver = models.CharField(_("receiver"), max_length=42, blank=True)
    account = models.CharField(_("account"), max_length=42, blank=True)
    amount = Uint256Field(_("amount"), null=True, blank=True)
    reason_hash = models.CharField(_("legal basis hash"), max_length=66, blank=True)
    # What a kind needs beyond the columns (an asset's data and documents for its issue).
    payload = models.JSONField(_("arguments"), default=dict, blank=True)
    # What the chain answered that the caller needs (the address of an issued token).
    result = models.JSONField(_("result"), default=dict, blank=True)
    # Which part of the platform asked, so the outcome reaches it (see settlement.py).
    purpose = models.CharField(_("purpose"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    transaction = models.ForeignKey(
        ChainTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="operations",
    )
    # Why it failed as the platform stores it: a code (the contract error's name, or the
    # platform's own) and its parameters, put into words in the reader's language when read
    # (reasons.failure_text). ``failure_reason`` is the same in English with the raw
    # arguments, for operators' logs; it is never shown to holders or issuers.
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    failure_params = models.JSONField(_("failure parameters"), default=dict, blank=True)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    # Whether the units it moves are held back from its sender's available balance now (see
    # ledger.py): set on request, cleared once its Transfer is applied or it fails.
    holding = models.BooleanField(_("holds units"), default=False)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("chain operation")
        verbose_name_plural = _("chain operations")
        indexes = [models.Index(fields=["state", "token_address", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="operation_amount_positive",
            ),
            # Pending operations wait for a transaction; submitted and later ones have one.
            models.CheckConstraint(
                condition=Q(state="pending", transaction__isnull=True)
                | Q(state="failed")
                | (Q(state__in=["submitted", "confirmed"]) & Q(transaction__isnull=False)),
                name="operation_transaction_matches_state",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"


class Hold(models.Model):
    """Units a holder has set aside for a decision still to come (a redemption the issuer has
    yet to fulfil), before any on-chain movement is requested for them.

    A hold counts in ``TokenBalance.reserved`` while it is open, exactly as a requested
    movement does, so the holder cannot move the units meanwhile.
    """

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    token_address = models.CharField(_("token"), max_length=42)
    holder = models.CharField(_("holder"), max_length=42)
    amount = Uint256Field(_("units"))
    key = models.CharField(_("key"), max_length=128, unique=True)
    created_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        indexes = [
            models.Index(
                fields=["chain_id", "token_address", "holder"],
                condition=Q(released_at__isnull=True),
                name="hold_open",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="hold_amount_positive")
        ]

    def __str__(self) -> str:
        return self.key


class PlatformToken(models.Model):
    """A token the registry issued, found by the indexer in the registry's AssetIssued events."""

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    address = models.CharField(_("token"), max_length=42)
    asset_id = models.CharField(_("asset id"), max_length=66)
    block_number = models.PositiveBigIntegerField(_("issued in block"))
    # Read from the token when it is found; fixed at issue, so read once.
    name = models.CharField(_("name"), max_length=255, blank=True)
    symbol = models.CharField(_("symbol"), max_length=64, blank=True)
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=0)

    class Meta:
        verbose_name = _("platform token")
        verbose_name_plural = _("platform tokens")
        constraints = [
            models.UniqueConstraint(fields=["chain_id", "address"], name="platform_token_unique")
        ]

    def __str__(self) -> str:
        return self.address


class IndexerCursor(models.Model):
    """How far the indexer has read the chain, and how far it has applied to balances."""

    chain_id = models.PositiveBigIntegerField(_("chain id"), unique=True)
    block_number = models.BigIntegerField(_("last block read"))
    applied_block = models.BigIntegerField(_("last block applied to balances"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("indexer cursor")
        verbose_name_plural = _("indexer cursors")

    def __str__(self) -> str:
        return f"chain {self.chain_id} @ {self.block_number}"


class IndexedBlock(models.Model):
    """The hash of a recently read block, kept until it is final, to notice a reorg."""

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    number = models.PositiveBigIntegerField(_("block"))
    block_hash = models.CharField(_("block hash"), max_length=66)
    parent_hash = models.CharField(_("parent hash"), max_length=66)

    class Meta:
        verbose_name = _("indexed block")
        verbose_name_plural = _("indexed blocks")
        constraints = [
            models.UniqueConstraint(fields=["chain_id", "number"], name="indexed_block_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.block_hash}"


class TokenTransfer(models.Model):
    """One ERC-20 Transfer of a platform token as the chain logged it.

    Mints come from the zero address and burns go to it; ``ref`` is the platform reference
    the token recorded with it, empty for a holder's own transfer from an external wallet.
    """

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    token_address = models.CharField(_("token"), max_length=42)
    block_number = models.PositiveBigIntegerField(_("block"))
    block_hash = models.CharField(_("block hash"), max_length=66)
    log_index = models.PositiveIntegerField(_("log index"))
    tx_hash = models.CharField(_("transaction hash"), max_length=66)
    sender = models.CharField(_("sender"), max_length=42)
    receiver = models.CharField(_("receiver"), max_length=42)
    amount = Uint256Field(_("amount"))
    ref = Uint256Field(_("platform reference"), null=True, blank=True)
    applied = models.BooleanField(_("applied to balances"), default=False)

    class Meta:
        verbose_name = _("token transfer")
        verbose_name_plural = _("token transfers")
        indexes = [
            # Rows are stored in chain order (a rollback deletes everything above the common
            # ancestor before reading again), so the id orders them as the chain does: the
            # registry pages newest-first by id, per asset and per party.
            models.Index(fields=["token_address", "id"], name="token_transfer_token"),
            models.Index(fields=["sender", "id"], name="token_transfer_sender"),
            models.Index(fields=["receiver", "id"], name="token_transfer_receiver"),
            # A platform reference is an operation id, unique across tokens. Operations are
            # recorded roughly in the order they were requested, so refs follow the rows'
            # order: a block-range index finds one in a few pages and costs next to nothing
            # to keep up while the indexer writes.
            BlockRangeIndex(fields=["ref"], name="token_transfer_ref", pages_per_range=16),
        ]
        constraints = [
            # A log is its block's hash and its index in the block. The block number leads so
            # that new rows land at the index's end rather than at random places (a hash), and
            # so that the same index serves the range reads by block: those still waiting for
            # confirmations sit above the last block applied, and a rollback deletes those
            # above the common ancestor.
            models.UniqueConstraint(
                fields=["chain_id", "block_number", "log_index", "block_hash"],
                name="token_transfer_unique_log",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender} -> {self.receiver}: {self.amount}"


class EventBlock(models.Model):
    """A block in which a platform token moved, with its time: how dates map to blocks.

    Written by the indexer beside the block's transfers and rolled back with them.
    """

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    number = models.PositiveBigIntegerField(_("block"))
    block_hash = models.CharField(_("block hash"), max_length=66)
    timestamp = models.DateTimeField(_("block time"))

    class Meta:
        verbose_name = _("block with movements")
        verbose_name_plural = _("blocks with movements")
        constraints = [
            models.UniqueConstraint(fields=["chain_id", "number"], name="event_block_unique")
        ]
        indexes = [models.Index(fields=["chain_id", "timestamp"], name="event_block_time")]

    def __str__(self) -> str:
        return f"{self.number} @ {self.timestamp:%Y-%m-%d %H:%M:%S}"


class DailyVolume(models.Model):
    """What moved of a token on one day (the platform's time zone), from confirmed transfers.

    Kept by a periodic task so that charts and daily reports read a few rows per day, not
    every transfer.
    """

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    token_address = models.CharField(_("token"), max_length=42)
    day = models.DateField(_("day"))
    minted = Uint256Field(_("issued units"), default=0)
    burned = Uint256Field(_("redeemed units"), default=0)
    transferred = Uint256Field(_("transferred units"), default=0)
    transfers = models.PositiveIntegerField(_("transfers"), default=0)

    class Meta:
        verbose_name = _("daily volume")
        verbose_name_plural = _("daily volumes")
        constraints = [
            models.UniqueConstraint(
                fields=["chain_id", "day", "token_address"], name="daily_volume_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.token_address}"


class TokenBalance(models.Model):
    """A holder's balance of a token, from confirmed Transfer events only.

    ``reserved`` is what requested movements from this holder hold back until their Transfer
    is applied here (or they fail): ``amount - reserved`` is what a new request may move.
    """

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    token_address = models.CharField(_("token"), max_length=42)
    holder = models.CharField(_("holder"), max_length=42)
    amount = Uint256Field(_("amount"), default=0, db_default=0)
    reserved = Uint256Field(_("reserved"), default=0, db_default=0)

    class Meta:
        verbose_name = _("token balance")
        verbose_name_plural = _("token balances")
        constraints = [
            models.UniqueConstraint(
                fields=["chain_id", "token_address", "holder"], name="token_balance_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="token_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.holder}: {self.amount}"


class ReconciliationRun(models.Model):
    """One comparison of the database's ledger with the chain; kept for the registry."""

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    block_number = models.BigIntegerField(_("compared at block"))
    token_address = models.CharField(_("token"), max_length=42, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    tokens_checked = models.PositiveIntegerField(_("tokens checked"), default=0)
    holders_checked = models.PositiveIntegerField(_("holders checked"), default=0)
    refs_checked = models.PositiveIntegerField(_("references checked"), default=0)
    differences = models.PositiveIntegerField(_("differences"), default=0)

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} @ {self.block_number}: {self.differences}"


class ReconciliationDifference(models.Model):
    """One thing the database and the chain disagree on."""

    class Kind(models.TextChoices):
        BALANCE = "balance", _("Balance")
        TOTAL_SUPPLY = "total_supply", _("Total supply")
        MISSING_RECORD = "missing_record", _("Confirmed movement without its on-chain record")
        RECORD_MISMATCH = "record_mismatch", _("On-chain record differs from the movement")
        RESERVATION = "reservation", _("Reserved units differ from the movements holding them")
        RECORDED_FAILURE = "recorded_failure", _("Failed movement with an on-chain record")

    run = models.ForeignKey(
        ReconciliationRun, on_delete=models.CASCADE, related_name="difference_rows"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    token_address = models.CharField(_("token"), max_length=42)
    subject = models.CharField(_("holder or reference"), max_length=78, blank=True)
    database_value = models.CharField(_("in the database"), max_length=200, blank=True)
    chain_value = models.CharField(_("on chain"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reconciliation difference")
        verbose_name_plural = _("reconciliation differences")

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}: {self.database_value} != {self.chain_value}"


class WorkerHeartbeat(models.Model):
    """When a worker last showed it takes work from the broker (one row per worker name).

    Written when a worker starts and each time it runs the heartbeat task beat sends, so a
    recent row means broker, beat and a worker all work; none means nothing moves.
    """

    worker = models.CharField(_("worker"), max_length=255, unique=True)
    seen_at = models.DateTimeField(_("last heard from"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
