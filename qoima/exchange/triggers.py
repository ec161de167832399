"""Database triggers that make the cash ledger double-entry and append-only, whoever writes.

Why triggers of our own and not a library: django-pgtrigger writes PostgreSQL triggers only, and
the rule must hold on SQLite (the embedded default) as well; of the double-entry packages for
Django, none declares support for Django 5.2 (django-hordak's balance check is PostgreSQL and
MySQL only). The rules are a handful of statements, kept here for both databases side by side.

- A leg may only be written before its posting's header: once the header exists, the posting
  is closed.
- A header may only be written when its posting has at least two legs that sum to zero.
- A leg without its header fails the deferred foreign key when the transaction commits.
- Each leg adds its amount to its account's balance (the check constraint on the account then
  refuses a participant's balance below zero). On PostgreSQL the rules run once per statement
  over its new rows, so an account named by many legs of one statement is updated once, by
  their sum; SQLite has row triggers only.
- Legs and postings are never updated or deleted.

A change here needs a migration that runs it; a migration that replaces the triggers keeps its
own copy of the ones before (``0007_cash_ledger_statement_triggers``).
"""

# ruff: noqa: S608 (the statements are built from this module's constant table names)
from django.db.backends.base.base import BaseDatabaseWrapper

LEG = "exchange_leg"
POSTING = "exchange_posting"
ACCOUNT = "exchange_cashaccount"

CLOSED = "the legs of a posting are written before it, never after"
UNBALANCED = "a posting needs at least two legs that sum to zero"
APPEND_ONLY = "postings and their legs are append-only"

POSTGRES_CREATE = [
    # Statement-level, over the statement's new rows: a step or a settlement writes hundreds of
    # legs at once, and a row-level trigger updated an account once per leg — the platform's
    # fees account hundreds of times in one transaction, each update walking the versions the
    # ones before it left. Now each account is updated once per statement, by its legs' sum.
    f"""CREATE OR REPLACE FUNCTION exchange_legs_after_insert() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM new_legs AS n JOIN {POSTING} AS p ON p.id = n.posting_id) THEN
            RAISE EXCEPTION '{CLOSED}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        UPDATE {ACCOUNT} AS a SET balance = a.balance + s.total
            FROM (SELECT account_id, sum(amount) AS total FROM new_legs GROUP BY account_id) AS s
            WHERE a.id = s.account_id;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;""",
    f"""CREATE TRIGGER exchange_leg_open AFTER INSERT ON {LEG}
        REFERENCING NEW TABLE AS new_legs
        FOR EACH STATEMENT EXECUTE FUNCTION exchange_legs_after_insert();""",
    f"""CREATE OR REPLACE FUNCTION exchange_postings_after_insert() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (
            SELECT 1 FROM new_postings AS p
            CROSS JOIN LATERAL (
                SELECT count(*) AS legs, coalesce(sum(amount), 0) AS total
                FROM {LEG} WHERE posting_id = p.id
            ) AS l
            WHERE l.legs < 2 OR l.total <> 0
        ) THEN
            RAISE EXCEPTION '{UNBALANCED}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;""",
    f"""CREATE TRIGGER exchange_posting_balanced AFTER INSERT ON {POSTING}
        REFERENCING NEW TABLE AS new_postings
        FOR EACH STATEMENT EXECUTE FUNCTION exchange_postings_after_insert();""",
    f"""CREATE OR REPLACE FUNCTION exchange_ledger_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;""",
    f"""CREATE TRIGGER exchange_leg_append_only BEFORE UPDATE OR DELETE ON {LEG}
        FOR EACH ROW EXECUTE FUNCTION exchange_ledger_refuse_change();""",
    f"""CREATE TRIGGER exchange_posting_append_only BEFORE UPDATE OR DELETE ON {POSTING}
        FOR EACH ROW EXECUTE FUNCTION exchange_ledger_refuse_change();""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS exchange_leg_open ON {LEG};",
    f"DROP TRIGGER IF EXISTS exchange_posting_balanced ON {POSTING};",
    f"DROP TRIGGER IF EXISTS exchange_leg_append_only ON {LEG};",
    f"DROP TRIGGER IF EXISTS exchange_posting_append_only ON {POSTING};",
    "DROP FUNCTION IF EXISTS exchange_legs_after_insert();",
    "DROP FUNCTION IF EXISTS exchange_postings_after_insert();",
    "DROP FUNCTION IF EXISTS exchange_ledger_refuse_change();",
]
SQLITE_CREATE = [
    f"""CREATE TRIGGER exchange_leg_open BEFORE INSERT ON {LEG}
        WHEN EXISTS (SELECT 1 FROM {POSTING} WHERE id = NEW.posting_id)
        BEGIN SELECT RAISE(ABORT, '{CLOSED}'); END;""",
    f"""CREATE TRIGGER exchange_leg_applied AFTER INSERT ON {LEG}
        BEGIN
            UPDATE {ACCOUNT} SET balance = balance + NEW.amount WHERE id = NEW.account_id;
        END;""",
    f"""CREATE TRIGGER exchange_posting_balanced BEFORE INSERT ON {POSTING}
        WHEN (SELECT count(*) FROM {LEG} WHERE posting_id = NEW.id) < 2
          OR (SELECT coalesce(sum(amount), 0) FROM {LEG} WHERE posting_id = NEW.id) <> 0
        BEGIN SELECT RAISE(ABORT, '{UNBALANCED}'); END;""",
    f"""CREATE TRIGGER exchange_leg_no_update BEFORE UPDATE ON {LEG}
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END;""",
    f"""CREATE TRIGGER exchange_leg_no_delete BEFORE DELETE ON {LEG}
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END;""",
    f"""CREATE TRIGGER exchange_posting_no_update BEFORE UPDATE ON {POSTING}
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END;""",
    f"""CREATE TRIGGER exchange_posting_no_delete BEFORE DELETE ON {POSTING}
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS exchange_leg_open;",
    "DROP TRIGGER IF EXISTS exchange_leg_applied;",
    "DROP TRIGGER IF EXISTS exchange_posting_balanced;",
    "DROP TRIGGER IF EXISTS exchange_leg_no_update;",
    "DROP TRIGGER IF EXISTS exchange_leg_no_delete;",
    "DROP TRIGGER IF EXISTS exchange_posting_no_update;",
    "DROP TRIGGER IF EXISTS exchange_posting_no_delete;",
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
