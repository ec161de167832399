"""Each section's own throwaway database, so the platform's data is never touched."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def throwaway_database() -> Iterator[None]:
    """A fresh test database for the block, dropped after it; the connection then names the
    database it named before (create_test_db returns the new name, not the old one)."""
    original = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.close()
        connection.creation.destroy_test_db(original, verbosity=0)
