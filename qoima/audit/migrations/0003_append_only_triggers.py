from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# The statements of this step as they were (qoima/audit/triggers.py has the current ones).
TABLE = "audit_auditentry"
POSTGRES_CREATE = [
    """CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit log entries are append-only';
    END;
    $$ LANGUAGE plpgsql;""",
    f"""CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change();""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS audit_entry_append_only ON {TABLE};",
    "DROP FUNCTION IF EXISTS audit_entry_refuse_change();",
]
SQLITE_CREATE = [
    f"""CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit log entries are append-only'); END;""",
    f"""CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit log entries are append-only'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update;",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete;",
]


def _run(schema_editor: BaseDatabaseSchemaEditor, *, create: bool) -> None:
    vendor = schema_editor.connection.vendor
    statements = {
        ("postgresql", True): POSTGRES_CREATE,
        ("postgresql", False): POSTGRES_DROP,
        ("sqlite", True): SQLITE_CREATE,
        ("sqlite", False): SQLITE_DROP,
    }.get((vendor, create), [])
    for statement in statements:
        schema_editor.execute(statement)


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, create=True)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, create=False)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
