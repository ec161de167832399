"""The platform's side of the message broker: enqueueing after commit, and the Redis transport.

The database is the source of truth and every kind of enqueued task has a periodic sweep that
finds its work again (chain_sweep for operations, issuance_distributions_sweep for uploaded
distributions). A message is only a hint to start sooner, so losing one, or failing to send one
because the broker is down, must never fail the request that committed the work.
"""

import logging
import time
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import KombuError
from kombu.transport import redis

logger = logging.getLogger(__name__)


def enqueue_on_commit(
    task: Task, *args: Any, countdown: float = 0, stamp_due: bool = False, **kwargs: Any
) -> None:
    """Send ``task`` once the current transaction commits (at once outside one).

    A broker that does not answer is logged and otherwise ignored: the committed rows are
    there, the sweep will find them, and the caller has already succeeded. With ``stamp_due``
    the task also gets ``due``, the wall-clock time it is due at, taken when it is sent: after
    the commit, so whatever ran later than ``due`` saw every row the transaction wrote.
    """

    def send() -> None:
        if stamp_due:
            kwargs["due"] = time.time() + countdown
        enqueue(task, *args, countdown=countdown, **kwargs)

    transaction.on_commit(send)


def enqueue(task: Task, *args: Any, countdown: float = 0, **kwargs: Any) -> bool:
    """Send ``task`` now; whether the broker took it (one that does not answer is logged)."""
    try:
        if countdown:
            task.apply_async(args=args, kwargs=kwargs, countdown=countdown)
        else:
            task.apply_async(args=args, kwargs=kwargs)
    except (KombuError, OSError) as error:
        logger.warning(
            "%s was not enqueued, the broker did not answer (%s); its sweep will find the work",
            task.name,
            error,
        )
        return False
    return True


class _QoS(redis.QoS):
    def restore_unacked(self, client: Any = None) -> None:
        # After a lost connection Celery collects the connection, which detaches the transport
        # from it (``transport.client = None``), and then closes it. When the channel holding the
        # worker's unacknowledged messages is closed only then, kombu's restore builds a new
        # Redis pool from ``transport.client`` and fails with AttributeError ('NoneType' object
        # has no attribute 'hostname'), which ends the worker instead of reconnecting. The
        # messages need no restoring here: Redis keeps them in its unacked index and hands them
        # out again after the visibility timeout (and the sweeps find their work sooner).
        transport = self.channel.connection
        if client is None and (transport is None or transport.client is None):
            delivered = self._delivered
            if delivered:
                logger.warning(
                    "%d unacknowledged message(s) left to the broker's visibility timeout "
                    "after the connection was lost",
                    len(delivered),
                )
                delivered.clear()
            return
        super().restore_unacked(client)


class _Channel(redis.Channel):
    QoS = _QoS


class RedisTransport(redis.Transport):
    """kombu's Redis transport, with a worker that survives its connection being lost."""

    Channel = _Channel
