from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qoima.errors import ApplicationError


class AuditLogIsAppendOnly(ApplicationError):
    status_code = 409
    default_message = _("Audit log entries can never be changed or deleted.")


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: object) -> int:
        raise AuditLogIsAppendOnly()

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly()


class AuditEntry(models.Model):
    """One entry of the append-only, hash-chained audit log.

    An entry is written unsealed, in the transaction of the change it records, with the hash
    of its content (``content_hash``); no lock is taken, so audited changes never wait for
    each other. The sealer (``audit_seal``) then gives committed entries, in id order, their
    place in the chain: ``seq`` numbers entries without gaps and ``prev_hash`` is the previous
    entry's ``entry_hash``, so a changed, deleted or reordered entry breaks the chain where it
    happened. Database triggers (qoima/audit/triggers.py) refuse every UPDATE but that one
    seal, and every DELETE.

    The maximum seal delay (as Certificate Transparency's maximum merge delay) is the promise
    for an unsealed entry: it commits with its change or not at all, is durable from then
    on, its content can no longer change (the triggers, and its content hash, which the
    sealer checks), and it is sealed within AUDIT_MAX_SEAL_DELAY seconds of its time.
    ``/health/`` fails and ``verifyaudit`` reports a problem when an entry waits longer.
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, null=True)
    created_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_repr = models.CharField(_("actor"), max_length=255)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    details = models.JSONField(_("details"), default=dict)
    # Null on entries sealed before content hashes were kept (their entry_hash covers the
    # content itself).
    content_hash = models.CharField(_("content hash"), max_length=64, null=True)  # noqa: DJ001
    # Unset (null, which unique allows many of) until the entry is sealed.
    prev_hash = models.CharField(_("previous entry hash"), max_length=64, null=True)  # noqa: DJ001
    entry_hash = models.CharField(  # noqa: DJ001
        _("entry hash"), max_length=64, unique=True, null=True
    )

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = [models.F("seq").asc(nulls_last=True), "id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # What the sealer reads: the unsealed entries, few at any time, in id order.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="audit_entry_unsealed"
            ),
        ]

    def __str__(self) -> str:
        from .actions import AuditAction

        known = self.action in AuditAction.values
        label = AuditAction(self.action).label if known else self.action
        return f"#{self.seq} {label}" if self.sealed else f"{label} ({_('awaiting seal')})"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly()

    @property
    def sealed(self) -> bool:
        return self.seq is not None


class AuditHead(models.Model):
    """The single row that names the newest sealed entry.

    Only the sealer locks it (one sealer at a time), and it lets verification notice entries
    removed from the end of the log.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(_("sequence"), default=0)
    entry_hash = models.CharField(_("entry hash"), max_length=64)

    class Meta:
        verbose_name = _("audit log head")
        verbose_name_plural = _("audit log heads")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single")]

    def __str__(self) -> str:
        return f"head #{self.seq}"


class ChainCheck(models.Model):
    """The outcome of one verification of the audit hash chain."""

    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)
    entries_checked = models.PositiveBigIntegerField(_("entries checked"))
    ok = models.BooleanField(_("chain intact"))
    first_broken_seq = models.PositiveBigIntegerField(_("first broken entry"), null=True)
    problem = models.TextField(_("problem"), blank=True)

    class Meta:
        verbose_name = _("audit chain check")
        verbose_name_plural = _("audit chain checks")
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'broken'}"
