import logging

from celery import shared_task

from .client import ChainUnavailable
from .services import node_health_record

logger = logging.getLogger(__name__)


@shared_task
def chain_record_head() -> None:
    try:
        node_health_record()
    except ChainUnavailable as error:
        # The next beat tick tries again; the stale observed_at is what staff see meanwhile.
        logger.warning("chain node did not answer: %s", error)
