"""Operations the platform asked for and the transactions that carry them to the chain."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..fields import Uint256Field


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
        ChainTransaction,
        verbose_name=_("chain transaction"),
        on_delete=models.PROTECT,
        related_name="attempts",
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

    attempt = models.ForeignKey(
        Attempt, verbose_name=_("attempt"), on_delete=models.PROTECT, related_name="receipts"
    )
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
        AUDIT_ANCHOR = "audit_anchor", _("Audit log anchored")

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
        verbose_name=_("chain transaction"),
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
