"""One transfer export, streamed to nowhere, in a process of its own: prints the rows written,
the seconds it took and the process's peak resident memory in MB (``bench.registry``)."""

import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoima.settings.test")

import django

django.setup()

from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from qoima.participants.models import User  # noqa: E402


def main() -> int:
    query = sys.argv[1] if len(sys.argv) > 1 else ""
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username="bench-regulator"))
    url = f"{reverse('registry-transfers')}?export=csv" + (f"&{query}" if query else "")
    started = time.perf_counter()
    response = client.get(url)
    if response.status_code != 200:
        print(response.content[:500], file=sys.stderr)
        return 1
    lines = 0
    for chunk in response.streaming_content:  # type: ignore[attr-defined]
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    print(lines - 1, f"{elapsed:.2f}", f"{peak_rss_mb():.1f}")
    return 0


def peak_rss_mb() -> float:
    """This program's peak resident memory. VmHWM is kept per address space, which exec
    replaces; getrusage's maximum would include the parent's pages from before the exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
