"""One client of the transfer service, as one API process would be: ``python -m bench.requester``.

The transactions bench starts several of these so requests arrive concurrently, as they do at
an API served by several processes. Each sets itself up, says ``ready``, waits for ``go`` on its
standard input, then requests its share of the transfers, ``--chunk`` of them per request and
database transaction (1 as single API calls make them, hundreds as a distribution does), and
says ``done``.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoima.settings.test")

import django

django.setup()

from django.db import transaction  # noqa: E402

from qoima import celery_app  # noqa: E402
from qoima.chain.manager import OperationRequest, operations_request  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--sender", required=True)
    parser.add_argument("--amount", type=int, required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--first", type=int, required=True)
    parser.add_argument("--chunk", type=int, default=1)
    args = parser.parse_args()
    # The receivers come on standard input, one a line, closed by a line "end".
    receivers = []
    for line in sys.stdin:
        if line.strip() == "end":
            break
        receivers.append(line.strip())
    celery_app.conf.task_default_queue = args.queue
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    started = time.perf_counter()
    requests = [
        OperationRequest(
            kind="transfer",
            token_address=args.token,
            amount=args.amount,
            idempotency_key=f"bench-{args.label}-{i}",
            sender=args.sender,
            receiver=receiver,
        )
        for i, receiver in enumerate(receivers, start=args.first)
    ]
    for start in range(0, len(requests), args.chunk):
        with transaction.atomic():
            operations_request(requests=requests[start : start + args.chunk])
    print(f"done {time.perf_counter() - started:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
