"""Amounts and references as uint256 columns: numeric(78, 0) on PostgreSQL as before (nothing
changes there), fixed-width text on SQLite, whose decimal columns did not keep them exactly.
The values SQLite kept are rewritten in the new form."""

from django.db import migrations

import qoima.chain.fields
from qoima.chain.fields import sqlite_columns_pad

COLUMNS = {'application': ['backed_units', 'mint_units'], 'distribution': ['total_units'], 'distributionline': ['amount'], 'redemption': ['amount']}


def pad(apps, schema_editor):
    for model, columns in COLUMNS.items():
        table = apps.get_model("issuance", model)._meta.db_table
        sqlite_columns_pad(schema_editor, table, columns)


class Migration(migrations.Migration):

    dependencies = [
        ('issuance', '0003_distribution_error_codes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='application',
            name='backed_units',
            field=qoima.chain.fields.Uint256Field(verbose_name='backed units'),
        ),
        migrations.AlterField(
            model_name='application',
            name='mint_units',
            field=qoima.chain.fields.Uint256Field(verbose_name='units to mint'),
        ),
        migrations.AlterField(
            model_name='distribution',
            name='total_units',
            field=qoima.chain.fields.Uint256Field(default=0, verbose_name='units'),
        ),
        migrations.AlterField(
            model_name='distributionline',
            name='amount',
            field=qoima.chain.fields.Uint256Field(verbose_name='units'),
        ),
        migrations.AlterField(
            model_name='redemption',
            name='amount',
            field=qoima.chain.fields.Uint256Field(verbose_name='units'),
        ),
        migrations.RunPython(pad, migrations.RunPython.noop),
    ]
