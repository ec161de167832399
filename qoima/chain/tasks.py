"""Celery entry points of the chain: ids in (or nothing), one service each.

Every task is safe to run twice or concurrently, and none is the only copy of anything: the
database rows are, and the periodic sweep finds whatever a lost message left behind. Sending
is never retried by Celery itself; the saved attempt is what gets sent again. A node that does
not answer ends a task with a warning: the next beat tick tries again.
"""

import logging
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec

from celery import Task, shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError, transaction
from django.dispatch import receiver
from web3.exceptions import Web3Exception

from qoima.broker import enqueue, enqueue_on_commit

from .anchors import audit_anchor_request
from .client import ChainUnavailable, get_web3
from .indexer import index_step
from .manager import (
    batch_wanted,
    key_send_all,
    keys_with_unsent,
    operations_batch,
    transactions_confirm,
    transactions_resend,
)
from .reconciliation import reconcile
from .services import node_health_record, worker_heartbeat_record
from .volumes import daily_volumes_refresh

logger = logging.getLogger(__name__)
P = ParamSpec("P")


def _unless_node_down(task: Callable[P, None]) -> Callable[P, None]:
    @wraps(task)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            task(*args, **kwargs)
        except (ChainUnavailable, OSError, Web3Exception) as error:
            logger.warning("%s: the chain node did not answer: %s", task.__name__, error)

    return run


@shared_task
@_unless_node_down
def chain_record_head() -> None:
    # The stale observed_at is what staff see while the node is away.
    node_health_record()


@shared_task
def chain_audit_anchor() -> None:
    # The operation waits for the node like any other: no need to skip while it is down.
    audit_anchor_request()


def _send_all() -> None:
    w3 = get_web3()
    for address in keys_with_unsent():
        key_send_all(address=address, w3=w3)


# How far apart the clocks of the process that sends a batch request and of the worker may be.
CLOCK_SKEW_SECONDS = 1.0
# When this worker process last started a batch run that went through: every pending operation
# and unsent transaction then in the database was batched and sent.
_batched_since = 0.0


@shared_task
@_unless_node_down
def chain_batch(due: float | None = None) -> None:
    """Batch what is pending and send it, each signing key's transactions in nonce order.

    A request due before this process's last complete run began is already done: its
    operations had committed before it was sent, and that run read them. A worker started
    behind a backlog (one request per matcher step) skips the hundreds of them instead of
    reading the database and the node for each while chain_confirm waits behind them.
    """
    global _batched_since
    if due is not None and due < _batched_since - CLOCK_SKEW_SECONDS:
        return
    started = time.time()
    operations_batch()
    _send_all()
    # Only a run that left nothing unsent covers the requests before it: a refused broadcast
    # is tried again by the next request, as before.
    if not keys_with_unsent():
        _batched_since = max(_batched_since, started)


@receiver(batch_wanted, dispatch_uid="qoima.chain.tasks.chain_batch")
def _batch_on_commit(sender: object, *, countdown: float = 0, **kwargs: Any) -> None:
    if not settings.CHAIN_BATCH_REQUEST_SECONDS:
        enqueue_on_commit(chain_batch, countdown=countdown, stamp_due=True)
        return
    transaction.on_commit(lambda: _batch_requests.request(countdown))


class _BatchRequests:
    """One process's batch requests, at most one every CHAIN_BATCH_REQUEST_SECONDS.

    The matcher commits a step every few milliseconds while a market trades, and each step's
    trades ask for a batch: a request each had the worker read every pending operation again
    for each step (a batch waits CHAIN_BATCH_WAIT_SECONDS to fill anyway), taking a core from
    the matcher. A request is due at a time (``due``) and its run reads every row committed
    before it; so a commit needs no request of its own when one already sent is due no sooner,
    and otherwise its request is due no sooner than the interval after the last one sent. A
    request the broker did not take is not counted: the next commit sends its own.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latest_due = 0.0

    def request(self, countdown: float) -> None:
        now = time.time()
        with self.lock:
            due = now + countdown
            if self.latest_due >= due:
                return
            due = max(due, self.latest_due + settings.CHAIN_BATCH_REQUEST_SECONDS)
            previous, self.latest_due = self.latest_due, due
        # Sent outside the lock: a broker that does not answer keeps one thread waiting, not all.
        if not enqueue(chain_batch, countdown=due - now, due=due):
            with self.lock:
                if self.latest_due == due:
                    self.latest_due = previous


_batch_requests = _BatchRequests()


@shared_task
@_unless_node_down
def chain_confirm() -> None:
    transactions_confirm(w3=get_web3())


@shared_task
@_unless_node_down
def chain_index() -> None:
    index_step(w3=get_web3())


@shared_task
@_unless_node_down
def chain_reconcile() -> None:
    reconcile(w3=get_web3())


@shared_task
@_unless_node_down
def chain_resend() -> None:
    transactions_resend(w3=get_web3())


@shared_task
@_unless_node_down
def chain_sweep() -> None:
    """Pick up work whose message was lost: pending operations and unsent transactions."""
    operations_batch()
    _send_all()


@shared_task(bind=True)
def chain_heartbeat(self: Task) -> None:
    """Stamp this worker as heard from now (beat sends it to whichever worker is free)."""
    worker_heartbeat_record(worker=self.request.hostname or "unknown")


@worker_ready.connect
def _heard_at_start(sender: Any = None, **kwargs: Any) -> None:
    # A freshly (re)started worker counts at once, not only at beat's next heartbeat.
    try:
        worker_heartbeat_record(worker=str(getattr(sender, "hostname", "") or "unknown"))
    except DatabaseError as error:
        logger.warning("the worker's start could not be recorded: %s", error)


@shared_task
def chain_daily_volumes() -> None:
    daily_volumes_refresh()
