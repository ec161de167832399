"""Tampering with the audit log as someone with direct database access would: past the
triggers, in SQL."""

import json

from django.db import connection

from qoima.audit.hashing import CONTENT, content_digest, sealed_digest
from qoima.audit.models import AuditEntry
from qoima.audit.triggers import create_triggers, drop_triggers


def rewrite_from(entries: list[AuditEntry], start: int, details: dict) -> None:
    """Change one entry's details and recompute every hash after it, and the head, as an
    insider covering their tracks would: the chain is consistent again."""
    drop_triggers(connection)
    victim = entries[start]
    written = AuditEntry.objects.filter(pk=victim.pk).values_list(*CONTENT)[0]
    fields = dict(zip(CONTENT, written, strict=True))
    fields["details"] = details
    prev_hash = entries[start - 1].entry_hash
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET details = %s, content_hash = %s WHERE id = %s",
            [json.dumps(details), content_digest(**fields), victim.id],
        )
        for entry in entries[start:]:
            content_hash = AuditEntry.objects.filter(pk=entry.pk).values_list(
                "content_hash", flat=True
            )[0]
            assert entry.seq is not None
            assert prev_hash is not None
            assert content_hash is not None
            entry_hash = sealed_digest(
                seq=entry.seq, prev_hash=prev_hash, content_hash=content_hash
            )
            cursor.execute(
                "UPDATE audit_auditentry SET prev_hash = %s, entry_hash = %s WHERE id = %s",
                [prev_hash, entry_hash, entry.id],
            )
            prev_hash = entry_hash
        cursor.execute("UPDATE audit_audithead SET entry_hash = %s", [prev_hash])
    create_triggers(connection)
