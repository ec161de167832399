"""What the indexer read from the chain: tokens, transfers, blocks, and how far it has read."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..fields import Uint256Field
from .indexes import BlockRangeIndex


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


class ComplianceEvent(models.Model):
    """A compliance act as the chain logged it: a freeze or its release (of an address, or of
    units of one token), a pause or its end, or a forced transfer, with its legal basis hash.

    ``contract`` is the token acted on, or the registry for an address's freeze and the
    platform's pause. Kept like transfers: written as read, applied once deep enough (units
    frozen count in the holder's balance row), rolled back with its block.
    """

    class Kind(models.TextChoices):
        ADDRESS_FROZEN = "address_frozen", _("Address frozen")
        ADDRESS_UNFROZEN = "address_unfrozen", _("Address unfrozen")
        UNITS_FROZEN = "units_frozen", _("Units frozen")
        UNITS_UNFROZEN = "units_unfrozen", _("Frozen units released")
        PAUSED = "paused", _("Paused")
        UNPAUSED = "unpaused", _("Pause ended")
        FORCED_TRANSFER = "forced_transfer", _("Forced transfer")

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    contract = models.CharField(_("contract"), max_length=42)
    block_number = models.PositiveBigIntegerField(_("block"))
    block_hash = models.CharField(_("block hash"), max_length=66)
    log_index = models.PositiveIntegerField(_("log index"))
    tx_hash = models.CharField(_("transaction hash"), max_length=66)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    account = models.CharField(_("account"), max_length=42, blank=True)
    receiver = models.CharField(_("receiver"), max_length=42, blank=True)
    amount = Uint256Field(_("amount"), null=True, blank=True)
    reason_hash = models.CharField(_("legal basis hash"), max_length=66)
    ref = Uint256Field(_("platform reference"), null=True, blank=True)
    applied = models.BooleanField(_("applied"), default=False)

    class Meta:
        verbose_name = _("on-chain compliance event")
        verbose_name_plural = _("on-chain compliance events")
        indexes = [
            models.Index(fields=["tx_hash"], name="compliance_event_tx"),
            models.Index(fields=["account", "id"], name="compliance_event_account"),
            # Each index step looks for the acts it has yet to apply: few, and this finds them.
            models.Index(
                fields=["chain_id", "block_number"],
                condition=models.Q(applied=False),
                name="compliance_event_unapplied",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["chain_id", "block_number", "log_index", "block_hash"],
                name="compliance_event_unique_log",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.account or self.contract} @ {self.block_number}"
