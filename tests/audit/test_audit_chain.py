"""The audit log is append-only and hash-chained; verifyaudit names the first broken entry.

Tampering is done as someone with direct database access would: past the triggers, in SQL.
"""

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from qoima.audit.actions import AuditAction
from qoima.audit.hashing import GENESIS_HASH, entry_digest
from qoima.audit.models import AuditEntry, AuditHead, AuditLogIsAppendOnly, ChainCheck
from qoima.audit.services import (
    AuditEntryTampered,
    audit_chain_check,
    audit_record,
    audit_seal,
)
from qoima.audit.triggers import create_triggers, drop_triggers
from qoima.participants.models import Role
from tests.audit.tampering import rewrite_from
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ACTIONS = [
    AuditAction.HOLDER_REGISTERED,
    AuditAction.HOLDER_VERIFIED,
    AuditAction.USER_LANGUAGE_CHANGED,
    AuditAction.HOLDER_SUSPENDED,
    AuditAction.USER_API_TOKEN_ISSUED,
]


def record(n: int, actor=None) -> AuditEntry:
    with transaction.atomic():
        return audit_record(
            actor=actor, action=ACTIONS[n % len(ACTIONS)], obj=actor, details={"n": n, "t": "ә"}
        )


@pytest.fixture
def entries():
    """Five entries, sealed, as the log holds them."""
    actor = make_user(Role.COMPLIANCE_OFFICER)
    written = [record(i, actor) for i in range(1, 6)]
    assert audit_seal() == 5
    return list(AuditEntry.objects.filter(pk__in=[e.pk for e in written]).order_by("seq"))


def tamper(sql: str, params: list) -> None:
    drop_triggers(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify_fails(*args: str) -> str:
    with pytest.raises(CommandError) as error:
        call_command("verifyaudit", *args)
    return str(error.value)


def test_intact_chain_verifies(entries, capsys):
    call_command("verifyaudit")
    assert "Audit chain intact: 5 entries checked." in capsys.readouterr().out
    check = ChainCheck.objects.get()
    assert check.ok
    assert check.entries_checked == 5


def test_an_entry_is_written_unsealed_and_sealed_in_the_order_it_was_written():
    first, second = record(1), record(2)
    assert (first.seq, first.prev_hash, first.entry_hash) == (None, None, None)
    assert first.content_hash
    assert second.content_hash
    assert audit_seal() == 2
    assert audit_seal() == 0
    first, second = AuditEntry.objects.get(pk=first.pk), AuditEntry.objects.get(pk=second.pk)
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.entry_hash
    head = AuditHead.objects.get()
    assert (head.seq, head.entry_hash) == (2, second.entry_hash)


def test_each_entry_links_to_the_one_before(entries):
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
        assert after.seq == before.seq + 1


def test_verifyaudit_seals_what_waits_first(entries, capsys):
    record(6)
    call_command("verifyaudit")
    assert "Audit chain intact: 6 entries checked." in capsys.readouterr().out
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()


def test_changed_detail_is_reported_at_that_entry(entries):
    victim = entries[2]
    tamper("UPDATE audit_auditentry SET details = %s WHERE id = %s", ['{"n": 99}', victim.id])
    message = verify_fails()
    assert message == (
        f"Audit chain broken at entry #3: entry id={victim.id} (#3) was changed after it was "
        "written"
    )
    assert ChainCheck.objects.get().first_broken_seq == victim.seq


def test_changed_action_is_reported(entries):
    tamper("UPDATE audit_auditentry SET action = %s WHERE id = %s", ["user.created", entries[0].id])
    assert f"at entry #1: entry id={entries[0].id} (#1) was changed" in verify_fails()


def test_deleted_row_is_reported_at_the_entry_after_it(entries):
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].id])
    message = verify_fails()
    assert message == (
        f"Audit chain broken at entry #3: entry id={entries[2].id} has sequence 3, expected 2"
    )


def test_deleted_last_row_is_reported_through_the_head(entries):
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [entries[-1].id])
    message = verify_fails()
    assert "the log ends at #4 but its head names #5: entries were removed from the end" in message


def test_reordered_rows_are_reported_at_the_first_moved_entry(entries):
    second, third = entries[1], entries[2]
    tamper("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [10**9, second.id])
    tamper("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [2, third.id])
    tamper("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [3, second.id])
    message = verify_fails()
    assert message.startswith(
        f"Audit chain broken at entry #2: entry id={third.id} (#2) does not follow the entry "
        "before it"
    )


def test_rewritten_hash_is_still_caught_by_the_next_link(entries):
    victim = entries[1]
    tamper("UPDATE audit_auditentry SET entry_hash = %s WHERE id = %s", ["f" * 64, victim.id])
    report = audit_chain_check()
    assert not report.ok
    assert report.first_broken_id == victim.id


def test_a_consistently_rewritten_chain_is_caught_by_an_anchor(entries):
    anchors = [(2, entries[1].entry_hash), (4, entries[3].entry_hash)]
    assert audit_chain_check(anchors=anchors).ok

    rewrite_from(entries, 2, {"n": 3, "t": "rewritten"})
    assert audit_chain_check().ok  # without anchors, nothing inside the log shows it
    report = audit_chain_check(anchors=anchors)
    assert report.first_broken_seq == 4
    assert report.problem == "the entry at #4 does not match the anchor recorded on-chain"
    message = verify_fails(*(f"--anchor={seq}:{root}" for seq, root in anchors))
    assert message == (
        "Audit chain broken at entry #4: the entry at #4 does not match the anchor recorded "
        "on-chain"
    )


def test_an_anchor_past_the_end_of_the_log_is_reported(entries):
    report = audit_chain_check(anchors=[(9, "a" * 64)])
    assert report.problem == (
        "the log ends at #5 but an anchor was recorded on-chain for #9: entries were removed "
        "from the end"
    )


def test_an_unsealed_entry_changed_before_its_seal_is_not_sealed_and_is_reported(entries):
    victim = record(6)
    later = record(7)
    tamper("UPDATE audit_auditentry SET details = %s WHERE id = %s", ['{"n": 0}', victim.id])
    create_triggers(connection)
    with pytest.raises(AuditEntryTampered, match=f"id={victim.id}"):
        audit_seal()
    assert AuditEntry.objects.filter(pk__in=[victim.pk, later.pk], seq__isnull=True).count() == 2
    message = verify_fails()
    assert message == (
        f"Audit chain broken at an unsealed entry: entry id={victim.id} (not sealed yet) was "
        "changed after it was written"
    )


def test_an_entry_waiting_longer_than_the_seal_delay_is_reported(entries, settings):
    settings.AUDIT_MAX_SEAL_DELAY = 0
    waiting = record(6)
    message = verify_fails("--no-seal")
    assert f"entry id={waiting.id} has waited" in message
    assert "longer than AUDIT_MAX_SEAL_DELAY (0 s): the sealer is not running" in message
    # Sealing keeps the promise again.
    call_command("verifyaudit")
    assert ChainCheck.objects.first().ok


def test_orm_refuses_updates_and_deletes(entries):
    entry = AuditEntry.objects.get(pk=entries[0].pk)
    entry.action = "changed"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(action="changed")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    assert audit_chain_check().ok


def _refused(sql: str, params: list) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET action = 'x' WHERE id = %s",
        "UPDATE audit_auditentry SET seq = seq + 100 WHERE id = %s",
        "UPDATE audit_auditentry SET seq = NULL, prev_hash = NULL, entry_hash = NULL WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_database_refuses_changes_to_a_sealed_entry(entries, sql):
    _refused(sql, [entries[0].id])
    assert audit_chain_check().ok


def test_database_lets_an_unsealed_entry_be_sealed_once_and_nothing_else():
    entry = record(1)
    seal = "UPDATE audit_auditentry SET seq = 1, prev_hash = %s, entry_hash = %s"
    _refused("UPDATE audit_auditentry SET details = '{}' WHERE id = %s", [entry.id])
    _refused("DELETE FROM audit_auditentry WHERE id = %s", [entry.id])
    # A seal that changes what the entry says, or leaves part of it unset.
    _refused(seal + ", action = 'user.created' WHERE id = %s", ["0" * 64, "a" * 64, entry.id])
    _refused(
        "UPDATE audit_auditentry SET seq = 1, entry_hash = %s WHERE id = %s", ["a" * 64, entry.id]
    )
    with connection.cursor() as cursor:
        cursor.execute(seal + " WHERE id = %s", ["0" * 64, "a" * 64, entry.id])
    _refused(seal + " WHERE id = %s", ["0" * 64, "b" * 64, entry.id])


def test_audit_record_outside_a_transaction_is_refused(committed_db):
    with pytest.raises(RuntimeError):
        audit_record(actor=None, action=AuditAction.USER_CREATED)


def test_entries_chained_by_the_earlier_locked_append_verify_with_those_sealed_after_them():
    """Entries written before content hashes were kept carry a hash over their content
    itself; the sealer chains new entries on from them and the check reads both."""
    prev_hash = GENESIS_HASH
    written = timezone.now()
    legacy = []
    for seq in (1, 2):
        fields = {
            "seq": seq,
            "created_at": written,
            "actor_id": None,
            "actor_repr": "system",
            "action": AuditAction.USER_CREATED.value,
            "object_type": "",
            "object_id": "",
            "object_repr": "",
            "details": {"n": seq},
            "prev_hash": prev_hash,
        }
        prev_hash = entry_digest(**fields)
        legacy.append(AuditEntry.objects.create(entry_hash=prev_hash, **fields))
    AuditHead.objects.create(seq=2, entry_hash=prev_hash)
    record(3)
    assert audit_seal() == 1
    report = audit_chain_check()
    assert (report.ok, report.entries_checked) == (True, 3)

    tamper("UPDATE audit_auditentry SET details = %s WHERE id = %s", ['{"n": 9}', legacy[1].id])
    assert verify_fails() == (
        f"Audit chain broken at entry #2: entry id={legacy[1].id} (#2) was changed after it "
        "was written"
    )
