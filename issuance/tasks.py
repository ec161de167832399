"""Celery entry points of issuance: ids in, one service each."""

from typing import Any

from celery import shared_task
from django.dispatch import receiver

from qoima.broker import enqueue_on_commit
from qoima.chain.client import get_web3

from .models import Distribution
from .selectors import distributions_waiting
from .services import distribution_process, documents_recheck
from .services.distribution import distribution_uploaded


@shared_task
def issuance_distribution_process(distribution_id: int) -> None:
    """Check an uploaded distribution file and send it; safe to run twice."""
    distribution_process(distribution_id=distribution_id)


@receiver(distribution_uploaded, dispatch_uid="issuance.tasks.issuance_distribution_process")
def _process_on_commit(sender: object, *, distribution: Distribution, **kwargs: Any) -> None:
    enqueue_on_commit(issuance_distribution_process, distribution.pk)


@shared_task
def issuance_distributions_sweep() -> None:
    """Check the uploaded files whose message was lost or never sent (the broker was down)."""
    for distribution_id in distributions_waiting().values_list("pk", flat=True):
        distribution_process(distribution_id=distribution_id)


@shared_task
def issuance_documents_recheck() -> None:
    """Re-hash every stored document against the DB and the chain (beat, daily)."""
    documents_recheck(w3=get_web3())
