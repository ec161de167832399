"""Matching: the pure engine, and the matcher that feeds it and writes what it does."""

from typing import Any

# The channel order placement notifies and ``runmatcher`` listens on (PostgreSQL).
CHANNEL = "qoima_matching"
# The channel a matcher notifies when a step of a market has committed (PostgreSQL), with the
# market's id and its journal's last entry: for whatever waits on a book, instead of polling it.
MATCHED = "qoima_matched"


def wake(market_id: int) -> None:
    """Tell the matchers a market has work (call it once the order or change has committed).

    On PostgreSQL a NOTIFY on ``qoima_matching`` with the market's id; elsewhere nothing, as the
    matcher polls. Inside a transaction the notice goes out when it commits.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(*wake_sql(market_id))


def wake_sql(market_id: int) -> tuple[str, list[str]]:
    """The statement ``wake`` runs (PostgreSQL), for a caller that sends its statements at once."""
    return "SELECT pg_notify(%s, %s)", [CHANNEL, str(market_id)]


def matched_sql(market_id: int, last_seq: int) -> tuple[str, list[str]]:
    """The notice of a step of ``market_id`` up to journal entry ``last_seq``, sent in the
    step's transaction (PostgreSQL delivers it when the step commits, never before)."""
    return "SELECT pg_notify(%s, %s)", [MATCHED, f"{market_id}:{last_seq}"]


def listen(channel: str) -> Any:
    """A connection of its own (autocommit, PostgreSQL) listening on ``channel``: notices
    arrive on it while the caller's own connection is busy in a transaction."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    listener = psycopg.Connection.connect(**params, autocommit=True)
    listener.execute(f"LISTEN {channel}")
    return listener
