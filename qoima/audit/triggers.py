"""Database triggers that keep audit entries append-only, whoever asks.

An entry may change once: when the sealer gives it its place in the chain (``seq``,
``prev_hash`` and ``entry_hash`` set, from unset), with every other column as it was written.
Every other UPDATE, and every DELETE, is refused. A change here needs a migration that runs
it (the migrations that ran earlier statements keep their own copies).
"""

from django.db.backends.base.base import BaseDatabaseWrapper

from .hashing import CONTENT

TABLE = "audit_auditentry"
# What an entry says: unchanged by its seal.
WRITTEN = ("id", *CONTENT, "content_hash")
_NEW = ", ".join(f"NEW.{column}" for column in WRITTEN)
_OLD = ", ".join(f"OLD.{column}" for column in WRITTEN)
_SEALING = (
    "OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.entry_hash IS NULL "
    "AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.entry_hash IS NOT NULL"
)

# The seal is told apart in the trigger's WHEN clause, which PostgreSQL evaluates without
# calling the function: the sealer's bulk UPDATE pays no procedural call per row.
POSTGRES_CREATE = [
    """CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit log entries are append-only';
    END;
    $$ LANGUAGE plpgsql;""",
    f"""CREATE TRIGGER audit_entry_append_only BEFORE DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change();""",
    f"""CREATE TRIGGER audit_entry_sealed_once BEFORE UPDATE ON {TABLE}
        FOR EACH ROW WHEN (NOT ({_SEALING} AND ({_NEW}) IS NOT DISTINCT FROM ({_OLD})))
        EXECUTE FUNCTION audit_entry_refuse_change();""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS audit_entry_append_only ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_entry_sealed_once ON {TABLE};",
    "DROP FUNCTION IF EXISTS audit_entry_refuse_change();",
]
_UNCHANGED = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in WRITTEN)
SQLITE_CREATE = [
    f"""CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON {TABLE}
        WHEN NOT ({_SEALING} AND {_UNCHANGED})
        BEGIN SELECT RAISE(ABORT, 'audit log entries are append-only'); END;""",
    f"""CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit log entries are append-only'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update;",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete;",
]


def _statements(connection: BaseDatabaseWrapper, *, create: bool) -> list[str]:
    if connection.vendor == "postgresql":
        return POSTGRES_CREATE if create else POSTGRES_DROP
    if connection.vendor == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    return []


def create_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection, create=True):
            cursor.execute(statement)


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection, create=False):
            cursor.execute(statement)
