"""What tests and benchmarks need to start real platform processes against their database."""

import sys
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection


def database_url() -> str:
    """A URL for the database this process uses (a test database), for another process."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded default's locking options: without them, concurrent writers fail with
        # "database is locked" instead of queueing.
        options = db.get("OPTIONS", {})
        query = urlencode(
            {key: options[key] for key in ("timeout", "transaction_mode") if key in options}
        )
        return f"sqlite:///{Path(str(db['NAME'])).resolve()}" + (f"?{query}" if query else "")
    user, password = db.get("USER") or "", db.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def worker_command(queue: str, name: str, *, processes: int = 0) -> list[str]:
    """A ``celery worker`` on one queue of its own, logging at info (which is how its readiness
    is seen), without the chatter a lone worker does not need: one task at a time, or with
    ``processes`` a pool of that many, as the compose file runs it (one per core)."""
    pool = ["--pool", "solo"]
    if processes:
        pool = ["--pool", "prefork", "--concurrency", str(processes)]
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "qoima",
        "worker",
        "-Q",
        queue,
        *pool,
        "-l",
        "info",
        "-n",
        f"{name}@%h",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]


def matcher_command(name: str) -> list[str]:
    """``manage.py runmatcher`` under a heartbeat name of its own."""
    return [sys.executable, "manage.py", "runmatcher", "--name", name]
