"""The audit log is append-only and hash-chained; verifyaudit names the first broken entry."""

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from qoima.audit.models import AuditEntry, AuditLogIsAppendOnly, ChainCheck
from qoima.audit.services import audit_chain_check, audit_record
from qoima.audit.triggers import drop_triggers
from qoima.participants.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries():
    actor = make_user(Role.COMPLIANCE_OFFICER)
    with transaction.atomic():
        return [
            audit_record(actor=actor, action=f"test.step{i}", obj=actor, details={"n": i, "t": "ә"})
            for i in range(1, 6)
        ]


def tamper(sql: str, params: list) -> None:
    """Change the table as someone with direct database access would: past the triggers."""
    drop_triggers(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify_fails_at(entry_id: int) -> str:
    with pytest.raises(CommandError) as error:
        call_command("verifyaudit")
    message = str(error.value)
    assert f"id={entry_id}" in message
    return message


def test_intact_chain_verifies(entries, capsys):
    call_command("verifyaudit")
    assert "5 entries checked" in capsys.readouterr().out
    check = ChainCheck.objects.get()
    assert check.ok
    assert check.entries_checked == 5


def test_each_entry_links_to_the_one_before(entries):
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
        assert after.seq == before.seq + 1


def test_changed_detail_is_reported_with_the_entry_id(entries):
    victim = entries[2]
    tamper("UPDATE audit_auditentry SET details = %s WHERE id = %s", ['{"n": 99}', victim.id])
    message = verify_fails_at(victim.id)
    assert "changed" in message
    assert ChainCheck.objects.get().first_broken_seq == victim.seq


def test_changed_action_is_reported(entries):
    tamper("UPDATE audit_auditentry SET action = %s WHERE id = %s", ["test.other", entries[0].id])
    verify_fails_at(entries[0].id)


def test_deleted_row_is_reported_at_the_entry_after_it(entries):
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].id])
    verify_fails_at(entries[2].id)


def test_deleted_last_row_is_reported_through_the_head(entries):
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [entries[-1].id])
    with pytest.raises(CommandError) as error:
        call_command("verifyaudit")
    assert "removed from the end" in str(error.value)


def test_reordered_rows_are_reported(entries):
    second, third = entries[1], entries[2]
    tamper("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [10**9, second.id])
    tamper("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [second.seq, third.id])
    tamper("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [third.seq, second.id])
    verify_fails_at(third.id)


def test_rewritten_hash_chain_is_still_caught_by_the_next_link(entries):
    victim = entries[1]
    tamper("UPDATE audit_auditentry SET entry_hash = %s WHERE id = %s", ["f" * 64, victim.id])
    report = audit_chain_check()
    assert not report.ok
    assert report.first_broken_id == victim.id


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


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_database_refuses_updates_and_deletes(entries, sql):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [entries[0].id])
    assert audit_chain_check().ok


def test_audit_record_outside_a_transaction_is_refused(committed_db):
    with pytest.raises(RuntimeError):
        audit_record(actor=None, action="test.outside")
