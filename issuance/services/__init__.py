"""Every state change of issuance, one function a use case."""

from .applications import (
    ApplicationData,
    DocumentData,
    application_create,
    application_submit,
    application_update,
    document_add,
)
from .distribution import distribution_process, distribution_send, distribution_upload
from .integrity import documents_recheck
from .minting import issue_payload, issue_request_in_transaction
from .redemption import redemption_fulfil, redemption_refuse, redemption_request
from .review import (
    application_approve,
    application_confirm,
    application_reject,
    application_request_changes,
)

__all__ = [
    "ApplicationData",
    "DocumentData",
    "application_approve",
    "application_confirm",
    "application_create",
    "application_reject",
    "application_request_changes",
    "application_submit",
    "application_update",
    "distribution_process",
    "distribution_send",
    "distribution_upload",
    "document_add",
    "documents_recheck",
    "issue_payload",
    "issue_request_in_transaction",
    "redemption_fulfil",
    "redemption_refuse",
    "redemption_request",
]
