"""Amounts and references as uint256 columns: numeric(78, 0) on PostgreSQL as before (nothing
changes there), fixed-width text on SQLite, whose decimal columns did not keep them exactly.
The values SQLite kept are rewritten in the new form."""

from django.db import migrations

import qoima.chain.fields
from qoima.chain.fields import sqlite_columns_pad

COLUMNS = {'attempt': ['max_fee_per_gas', 'max_priority_fee_per_gas'], 'dailyvolume': ['minted', 'burned', 'transferred'], 'hold': ['amount'], 'operation': ['amount'], 'tokenbalance': ['amount', 'reserved'], 'tokentransfer': ['amount', 'ref']}


def pad(apps, schema_editor):
    for model, columns in COLUMNS.items():
        table = apps.get_model("chain", model)._meta.db_table
        sqlite_columns_pad(schema_editor, table, columns)


class Migration(migrations.Migration):

    dependencies = [
        ('chain', '0011_worker_heartbeat'),
    ]

    operations = [
        migrations.AlterField(
            model_name='attempt',
            name='max_fee_per_gas',
            field=qoima.chain.fields.Uint256Field(verbose_name='max fee per gas'),
        ),
        migrations.AlterField(
            model_name='attempt',
            name='max_priority_fee_per_gas',
            field=qoima.chain.fields.Uint256Field(verbose_name='max priority fee per gas'),
        ),
        migrations.AlterField(
            model_name='dailyvolume',
            name='burned',
            field=qoima.chain.fields.Uint256Field(default=0, verbose_name='redeemed units'),
        ),
        migrations.AlterField(
            model_name='dailyvolume',
            name='minted',
            field=qoima.chain.fields.Uint256Field(default=0, verbose_name='issued units'),
        ),
        migrations.AlterField(
            model_name='dailyvolume',
            name='transferred',
            field=qoima.chain.fields.Uint256Field(default=0, verbose_name='transferred units'),
        ),
        migrations.AlterField(
            model_name='hold',
            name='amount',
            field=qoima.chain.fields.Uint256Field(verbose_name='units'),
        ),
        migrations.AlterField(
            model_name='operation',
            name='amount',
            field=qoima.chain.fields.Uint256Field(blank=True, null=True, verbose_name='amount'),
        ),
        migrations.AlterField(
            model_name='tokenbalance',
            name='amount',
            field=qoima.chain.fields.Uint256Field(db_default=0, default=0, verbose_name='amount'),
        ),
        migrations.AlterField(
            model_name='tokenbalance',
            name='reserved',
            field=qoima.chain.fields.Uint256Field(db_default=0, default=0, verbose_name='reserved'),
        ),
        migrations.AlterField(
            model_name='tokentransfer',
            name='amount',
            field=qoima.chain.fields.Uint256Field(verbose_name='amount'),
        ),
        migrations.AlterField(
            model_name='tokentransfer',
            name='ref',
            field=qoima.chain.fields.Uint256Field(blank=True, null=True, verbose_name='platform reference'),
        ),
        migrations.RunPython(pad, migrations.RunPython.noop),
    ]
