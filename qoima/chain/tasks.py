"""Celery entry points of the chain: ids in (or nothing), one service each.

Every task is safe to run twice or concurrently, and none is the only copy of anything: the
database rows are, and the periodic sweep finds whatever a lost message left behind. Sending
is never retried by Celery itself; the saved attempt is what gets sent again.
"""

import logging

from celery import shared_task

from .client import ChainUnavailable, get_web3
from .indexer import index_step
from .manager import (
    key_send_all,
    operations_batch,
    operator_account,
    transactions_confirm,
    transactions_resend,
)
from .reconciliation import reconcile
from .services import node_health_record

logger = logging.getLogger(__name__)


@shared_task
def chain_record_head() -> None:
    try:
        node_health_record()
    except ChainUnavailable as error:
        # The next beat tick tries again; the stale observed_at is what staff see meanwhile.
        logger.warning("chain node did not answer: %s", error)


@shared_task
def chain_batch() -> None:
    """Batch what is pending and send it."""
    operations_batch()
    chain_send.delay(operator_account().address)


@shared_task
def chain_send(address: str) -> None:
    key_send_all(address=address, w3=get_web3())


@shared_task
def chain_confirm() -> None:
    transactions_confirm(w3=get_web3())


@shared_task
def chain_index() -> None:
    index_step(w3=get_web3())


@shared_task
def chain_reconcile() -> None:
    reconcile(w3=get_web3())


@shared_task
def chain_resend() -> None:
    transactions_resend(w3=get_web3())


@shared_task
def chain_sweep() -> None:
    """Pick up work whose message was lost: pending operations and unsent transactions."""
    operations_batch()
    key_send_all(address=operator_account().address, w3=get_web3())
