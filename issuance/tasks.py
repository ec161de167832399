"""Celery entry points of issuance: ids in, one service each."""

from celery import shared_task

from .services import distribution_process


@shared_task
def issuance_distribution_process(distribution_id: int) -> None:
    """Check an uploaded distribution file and send it; safe to run twice."""
    distribution_process(distribution_id=distribution_id)
