import logging

from celery import shared_task

from qoima.chain.anchors import audit_anchored_verify
from qoima.chain.client import ChainUnavailable

from .services import audit_chain_verify, audit_seal

logger = logging.getLogger(__name__)


@shared_task
def audit_seal_entries() -> None:
    # A run that finds another at work leaves the entries to it.
    audit_seal(wait=False)


@shared_task
def audit_verify_chain() -> None:
    try:
        audit_anchored_verify()
    except ChainUnavailable:
        # The chain itself can still be checked; the anchors wait for the next run.
        logger.warning("the chain node does not answer: the audit log is checked without anchors")
        audit_chain_verify()
