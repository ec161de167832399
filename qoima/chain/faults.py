"""Crash points for fault-injection tests.

Production never sets ``QOIMA_CRASH_AT`` (only the test settings read it), so each point is a
no-op there. A test starts a worker with ``QOIMA_CRASH_AT=<point>`` and the worker kills itself
with SIGKILL at that point, with no chance to clean up, as a power cut would.
"""

import os
import signal

from django.conf import settings


def crash_point(name: str) -> None:
    if getattr(settings, "QOIMA_CRASH_AT", "") == name:
        os.kill(os.getpid(), signal.SIGKILL)
