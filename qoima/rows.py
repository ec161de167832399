"""Rows written as plain SQL, for the few hot paths where the ORM's cost per statement is most
of their time (an order placement is a handful of short inserts; building each through the
query compiler costs more than PostgreSQL takes to run it).

The SQL is built from the models' own fields, so a column added to a model is written here too;
values go through each field's own conversion, defaults and ``auto_now_add`` included.
"""

import functools
from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Field


@functools.cache
def _insert_shape(
    model: type[models.Model], with_pk: bool
) -> tuple[list[Field[Any, Any]], str, str]:
    """A model's fields to insert, the statement's head and one row's placeholders."""
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
    return fields, head, "(" + ", ".join(["%s"] * len(fields)) + ")"


def insert_sql(
    objs: Sequence[models.Model], *, returning_pk: bool = False
) -> tuple[str, list[Any]]:
    """One ``INSERT`` of ``objs`` (instances of one model, not yet saved) and its parameters.
    A primary key left unset is left to the database; with ``returning_pk`` the statement
    returns each row's, in the order of ``objs`` (PostgreSQL returns a ``VALUES`` list's rows
    in its order, as Django's ``bulk_create`` relies on)."""
    model = type(objs[0])
    with_pk = objs[0].pk is not None
    fields, head, row = _insert_shape(model, with_pk)
    # The connection itself, not the per-thread proxy: each attribute read through the proxy
    # costs a context-local look-up, and a row has a dozen fields.
    db = connections[DEFAULT_DB_ALIAS]
    params: list[Any] = []
    for obj in objs:
        for field in fields:
            params.append(field.get_db_prep_save(field.pre_save(obj, add=True), db))
    sql = head + ", ".join([row] * len(objs))
    if returning_pk:
        sql += f" RETURNING {db.ops.quote_name(model._meta.pk.column)}"
    return sql, params


def insert_statements(objs: Sequence[models.Model]) -> list[tuple[str, list[Any]]]:
    """``insert_sql`` of ``objs`` in as many statements as the database's limit on parameters
    needs (SQLite's; none on PostgreSQL, whose parameters are bound on the client)."""
    if not objs:
        return []
    db = connections[DEFAULT_DB_ALIAS]
    fields, _head, _row = _insert_shape(type(objs[0]), objs[0].pk is not None)
    size = max(db.ops.bulk_batch_size(fields, objs), 1)
    return [insert_sql(objs[start : start + size]) for start in range(0, len(objs), size)]


def results_of_all(statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
    """Run ``statements`` in order and return each one's rows (none for a plain write).

    On PostgreSQL they go in one round trip: psycopg binds the parameters on the client, so the
    statements travel as one text, and each still runs after the one before it has, seeing what
    committed up to its own start (a read after a lock sees the locked rows as they are).
    Elsewhere, or with parameters bound on the server (one statement a message), one by one.
    The first that fails raises, and the transaction around them is then to be rolled back.
    """
    if not statements:
        return []
    found: list[list[tuple[Any, ...]]] = []
    together = connection.vendor == "postgresql" and not connection.settings_dict.get(
        "OPTIONS", {}
    ).get("server_side_binding")
    with connection.cursor() as cursor:
        if together:
            cursor.execute(
                ";\n".join(sql for sql, _params in statements),
                [param for _sql, params in statements for param in params],
            )
            while True:
                found.append(list(cursor.fetchall()) if cursor.description else [])
                if not cursor.nextset():
                    break
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
                found.append(list(cursor.fetchall()) if cursor.description else [])
    if len(found) != len(statements):
        raise RuntimeError("a statement returned no result")
    return found


def execute_all(statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """``results_of_all`` for statements whose rows nobody reads."""
    results_of_all(statements)
