"""Rows written as plain SQL, for the few hot paths where the ORM's cost per statement is most
of their time (an order placement is a handful of short inserts; building each through the
query compiler costs more than PostgreSQL takes to run it).

The SQL is built from the models' own fields, so a column added to a model is written here too;
values go through each field's own conversion, defaults and ``auto_now_add`` included.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def insert_sql(objs: Sequence[models.Model]) -> tuple[str, list[Any]]:
    """One ``INSERT`` of ``objs`` (instances of one model, not yet saved) and its parameters.
    A primary key left unset is left to the database."""
    model = type(objs[0])
    fields = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and getattr(objs[0], field.attname) is None)
    ]
    params: list[Any] = []
    for obj in objs:
        for field in fields:
            value = field.pre_save(obj, add=True)
            params.append(field.get_db_prep_save(value, connection))
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = connection.ops.quote_name(model._meta.db_table)
    values = ", ".join([row] * len(objs))
    return f"INSERT INTO {table} ({columns}) VALUES {values}", params  # noqa: S608


def execute_all(statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Run ``statements`` in order in one round trip to the database (on PostgreSQL, whose
    client-side binding sends them as one query; elsewhere one after the other). The first that
    fails raises, and the transaction around them is then to be rolled back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = ";\n".join(statement for statement, _params in statements)
            cursor.execute(sql, [param for _sql, params in statements for param in params])
        else:
            for statement, params in statements:
                cursor.execute(statement, params)
