from celery import shared_task

from .services import audit_chain_verify


@shared_task
def audit_verify_chain() -> None:
    audit_chain_verify()
