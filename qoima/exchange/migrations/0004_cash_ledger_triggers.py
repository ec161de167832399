from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from qoima.exchange import triggers


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    triggers.create_triggers(schema_editor.connection)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    triggers.drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0003_cash_ledger_and_markets")]
    operations = [migrations.RunPython(create, drop)]
