"""Scheduled re-hash of every stored document; the results are kept for the registry."""

import logging

from django.db import transaction
from web3 import Web3

from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record

from ..integrity import documents_verify
from ..models import Application, Document, DocumentCheck

logger = logging.getLogger(__name__)


def documents_recheck(*, w3: Web3 | None) -> int:
    """Re-hash every submitted document and keep one check each; returns how many failed."""
    failed = 0
    applications = Application.objects.exclude(status=Application.Status.DRAFT).select_related(
        "issue_operation"
    )
    for application in applications.iterator(chunk_size=200):
        documents = list(Document.objects.filter(application=application).order_by("pk"))
        # One application's checks commit together, each application on its own.
        with transaction.atomic(durable=True):
            for result in documents_verify(application, documents, w3=w3):
                problem = " ".join(str(p) for p in result.problems)
                DocumentCheck.objects.create(
                    document=result.document,
                    file_sha256=result.file_sha256,
                    chain_sha256=result.chain_sha256 or "",
                    ok=result.ok,
                    problem=problem,
                )
                if not result.ok:
                    failed += 1
                    logger.error("document %s failed its check: %s", result.document.pk, problem)
                    audit_record(
                        actor=None,
                        action=AuditAction.DOCUMENT_CHECK_FAILED,
                        obj=result.document,
                        details={
                            "application": application.pk,
                            "recorded": result.document.sha256,
                            "file": result.file_sha256,
                            "chain": result.chain_sha256,
                        },
                    )
    return failed
