"""Indexes the chain app's models share."""

from typing import Any

from django.contrib.postgres.indexes import BrinIndex
from django.db import models


class BlockRangeIndex(BrinIndex):
    """A BRIN index on PostgreSQL, for a column that grows with the rows; a plain index on
    other databases (SQLite, the embedded default), which have no BRIN."""

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return models.Index.create_sql(self, model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)
