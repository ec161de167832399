"""Amounts and references as uint256 columns: numeric(78, 0) on PostgreSQL as before (nothing
changes there), fixed-width text on SQLite, whose decimal columns did not keep them exactly.
The values SQLite kept are rewritten in the new form."""

from django.db import migrations

import qoima.chain.fields
from qoima.chain.fields import sqlite_columns_pad

COLUMNS = {'transfer': ['amount']}


def pad(apps, schema_editor):
    for model, columns in COLUMNS.items():
        table = apps.get_model("exchange", model)._meta.db_table
        sqlite_columns_pad(schema_editor, table, columns)


class Migration(migrations.Migration):

    dependencies = [
        ('exchange', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='transfer',
            name='amount',
            field=qoima.chain.fields.Uint256Field(verbose_name='units'),
        ),
        migrations.RunPython(pad, migrations.RunPython.noop),
    ]
