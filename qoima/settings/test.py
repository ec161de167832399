"""Test settings: the same services as production whenever DATABASE_URL / REDIS_URL are set."""

import uuid

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, VAR_DIR, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A real worker process must see the test database, so SQLite tests use a file, not memory.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
# Tests that count a rate set it themselves (tests/conftest.py: throttle_rate).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        scope: "10000/minute"
        for scope in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]  # noqa: F405
    },
}
# Each run counts its throttles afresh: a new database reuses user ids of the last run.
CACHES["default"]["KEY_PREFIX"] = f"qoima-test-{uuid.uuid4().hex}"

# Fault injection: a worker started with QOIMA_CRASH_AT=<point> kills itself there (SIGKILL),
# as a power cut would, so tests can prove that nothing is lost or done twice.
QOIMA_CRASH_AT = env.str("QOIMA_CRASH_AT", default="")
# Tests drive each step themselves; a batch need not wait for more transfers to join.
CHAIN_BATCH_WAIT_SECONDS = 0.0
# A request per commit: tests run tasks in their own process, where a request sent for later is
# run at once. A matcher process started by a test coalesces them as deployed.
CHAIN_BATCH_REQUEST_SECONDS = env.float("CHAIN_BATCH_REQUEST_SECONDS", default=0.0)
