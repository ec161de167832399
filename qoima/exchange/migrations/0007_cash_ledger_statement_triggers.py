"""The cash ledger's PostgreSQL triggers run once per statement (``qoima/exchange/triggers.py``).

The row triggers they replace are copied here as they were, to take them off (and put them back
when this step is undone). SQLite keeps its row triggers: nothing changes there.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from qoima.exchange import triggers

ROW_TRIGGERS_CREATE = [
    """CREATE OR REPLACE FUNCTION exchange_leg_before_insert() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM exchange_posting WHERE id = NEW.posting_id) THEN
            RAISE EXCEPTION 'the legs of a posting are written before it, never after' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        UPDATE exchange_cashaccount SET balance = balance + NEW.amount WHERE id = NEW.account_id;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER exchange_leg_open BEFORE INSERT ON exchange_leg
        FOR EACH ROW EXECUTE FUNCTION exchange_leg_before_insert();""",
    """CREATE OR REPLACE FUNCTION exchange_posting_before_insert() RETURNS trigger AS $$
    DECLARE
        legs integer;
        total numeric;
    BEGIN
        SELECT count(*), coalesce(sum(amount), 0) INTO legs, total
            FROM exchange_leg WHERE posting_id = NEW.id;
        IF legs < 2 OR total <> 0 THEN
            RAISE EXCEPTION 'a posting needs at least two legs that sum to zero' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER exchange_posting_balanced BEFORE INSERT ON exchange_posting
        FOR EACH ROW EXECUTE FUNCTION exchange_posting_before_insert();""",
    """CREATE OR REPLACE FUNCTION exchange_ledger_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'postings and their legs are append-only' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER exchange_leg_append_only BEFORE UPDATE OR DELETE ON exchange_leg
        FOR EACH ROW EXECUTE FUNCTION exchange_ledger_refuse_change();""",
    """CREATE TRIGGER exchange_posting_append_only BEFORE UPDATE OR DELETE ON exchange_posting
        FOR EACH ROW EXECUTE FUNCTION exchange_ledger_refuse_change();""",
]
ROW_TRIGGERS_DROP = [
    "DROP TRIGGER IF EXISTS exchange_leg_open ON exchange_leg;",
    "DROP TRIGGER IF EXISTS exchange_posting_balanced ON exchange_posting;",
    "DROP TRIGGER IF EXISTS exchange_leg_append_only ON exchange_leg;",
    "DROP TRIGGER IF EXISTS exchange_posting_append_only ON exchange_posting;",
    "DROP FUNCTION IF EXISTS exchange_leg_before_insert();",
    "DROP FUNCTION IF EXISTS exchange_posting_before_insert();",
    "DROP FUNCTION IF EXISTS exchange_ledger_refuse_change();",
]


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, ROW_TRIGGERS_DROP)
        triggers.create_triggers(schema_editor.connection)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        triggers.drop_triggers(schema_editor.connection)
        _run(schema_editor, ROW_TRIGGERS_CREATE)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0006_matcher_heartbeat")]
    operations = [migrations.RunPython(forwards, backwards)]
