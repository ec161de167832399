"""From a confirmed approval to minted units: the issue of the token, then the mint.

Both go through the transaction manager. The mint needs the token's address, which exists
only once the issue is confirmed, and the issuer's wallet on the allowlist, which a different
key puts there: whichever of the two is confirmed last asks for the mint. Each handler locks
the application first, so the two cannot both miss it.
"""

import logging

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.chain.manager import operation_request, settlement_handler
from qoima.chain.models import Operation
from qoima.chain.reasons import failure_text
from qoima.custody.models import Wallet
from qoima.custody.selectors import (
    organisation_wallet,
    wallet_allowlist_latest,
    wallet_allowlisted,
)
from qoima.custody.services import (
    organisation_wallet_open_in_transaction,
    wallet_allowlist_set_in_transaction,
)
from qoima.participants.models import User
from qoima.transactions import in_transaction

from ..models import Application, Document
from ..notifications import issuer_staff, notify
from ..selectors import current_documents

logger = logging.getLogger(__name__)
S = Application.Status
ISSUE, MINT, WALLET = "issuance.issue", "issuance.mint", "issuance.wallet"


def document_uri(document: Document) -> str:
    """Where a document is found by what it is: its content's hash."""
    return f"sha256:{document.sha256}"


def issue_payload(application: Application) -> dict[str, object]:
    """The token's data as the contract stores it: issuer data (Art. 5, item 5), the units
    it is backed by, and the hashes of its documents (items 2 and 6)."""
    organisation, permit = application.organisation, application.permit
    assert permit is not None
    documents = []
    others = 0
    for document in current_documents(application).order_by("kind", "pk"):
        name = document.kind
        if document.kind == Document.Kind.OTHER:
            others += 1
            name = f"other_{others}"
        documents.append({"name": name, "uri": document_uri(document), "sha256": document.sha256})
    return {
        "asset": {
            "asset_id": application.asset_id,
            "name": application.name,
            "symbol": application.symbol,
            "decimals": application.decimals,
            "cap": int(application.backed_units),
            "issuer_name": organisation.legal_name,
            "issuer_id_number": organisation.identification_number,
            "permit_number": permit.number,
            "asset_identifier": application.asset_identifier,
            "asset_class": application.asset_class,
        },
        "documents": documents,
    }


@in_transaction
def issue_request_in_transaction(*, application: Application, actor: User) -> Operation:
    """Ask the chain to issue the token (and, through the handlers, to mint its units)."""
    wallet = organisation_wallet_open_in_transaction(
        organisation=application.organisation, actor=actor
    )
    if not _allowlisting(wallet):
        wallet_allowlist_set_in_transaction(
            wallet=wallet,
            allowed=True,
            event=f"issuer-application-{application.pk}",
            actor=actor,
            purpose=WALLET,
        )
    operation = operation_request(
        kind=Operation.Kind.ISSUE_ASSET,
        payload=issue_payload(application),
        idempotency_key=f"{ISSUE}:{application.pk}",
        purpose=ISSUE,
    )
    application.issue_operation = operation
    application.save(update_fields=["issue_operation", "updated_at"])
    return operation


def _allowlisting(wallet: Wallet) -> bool:
    """Whether the wallet is on the allowlist or on its way there."""
    latest = wallet_allowlist_latest(wallet)
    return latest is not None and latest.kind == Operation.Kind.ALLOWLIST


def _mint_if_ready(application: Application) -> None:
    """Ask for the mint once the token exists and the issuer's wallet may hold it (the caller
    holds the application's lock)."""
    if application.mint_operation_id or not application.token_address:
        return
    if application.status != S.ISSUING:
        return
    wallet = organisation_wallet(application.organisation)
    if wallet is None or not wallet_allowlisted(wallet):
        return
    application.mint_operation = operation_request(
        kind=Operation.Kind.MINT,
        token_address=application.token_address,
        receiver=wallet.address,
        amount=int(application.mint_units),
        idempotency_key=f"{MINT}:{application.pk}",
        purpose=MINT,
    )
    application.save(update_fields=["mint_operation", "updated_at"])
    audit_record(
        actor=None,
        action=AuditAction.MINT_REQUESTED,
        obj=application,
        details={"operation": application.mint_operation.pk, "units": int(application.mint_units)},
    )


def _fail(application: Application, operation: Operation) -> None:
    if application.status != S.ISSUING:
        return
    # Why is the operation's failure, put into words for each reader (Application.failure).
    application.status, application.status_reason = S.FAILED, ""
    application.save(update_fields=["status", "status_reason", "updated_at"])
    audit_record(
        actor=None,
        action=AuditAction.ONCHAIN_FAILED,
        obj=application,
        details={
            "operation": operation.pk,
            "code": operation.failure_code,
            "params": operation.failure_params,
        },
    )
    notify(
        users=issuer_staff(application.organisation),
        subject=_("Issue failed: %(name)s"),
        body=_("The chain refused the issue of %(name)s: %(reason)s"),
        name=application.name,
        reason=lazy(failure_text, str)(operation),
    )


@settlement_handler(ISSUE)
@in_transaction
def issue_settled(operations: list[Operation]) -> None:
    for operation in operations:
        application = locks.rows_for_update(
            Application.objects.filter(issue_operation=operation)
        ).first()
        if application is None:
            continue
        if operation.state == Operation.State.FAILED:
            _fail(application, operation)
            continue
        if not application.token_address:
            application.token_address = operation.token_address
            application.save(update_fields=["token_address", "updated_at"])
            audit_record(
                actor=None,
                action=AuditAction.TOKEN_ISSUED,
                obj=application,
                details={"token": operation.token_address, "operation": operation.pk},
            )
        _mint_if_ready(application)


@settlement_handler(WALLET)
@in_transaction
def wallet_settled(operations: list[Operation]) -> None:
    for operation in operations:
        if operation.state != Operation.State.CONFIRMED:
            logger.error("the allowlisting of issuer wallet %s failed", operation.account)
            continue
        wallet = Wallet.objects.filter(address=operation.account).first()
        if wallet is None or wallet.organisation_id is None:
            continue
        waiting = locks.rows_for_update(
            Application.objects.filter(organisation_id=wallet.organisation_id, status=S.ISSUING)
        )
        for application in waiting:
            _mint_if_ready(application)


@settlement_handler(MINT)
@in_transaction
def mint_settled(operations: list[Operation]) -> None:
    for operation in operations:
        application = locks.rows_for_update(
            Application.objects.filter(mint_operation=operation)
        ).first()
        if application is None:
            continue
        if operation.state == Operation.State.FAILED:
            _fail(application, operation)
        elif application.status == S.ISSUING:
            application.status = S.ISSUED
            application.save(update_fields=["status", "updated_at"])
            audit_record(
                actor=None,
                action=AuditAction.MINTED,
                obj=application,
                details={"operation": operation.pk, "units": int(application.mint_units)},
            )
            notify(
                users=issuer_staff(application.organisation),
                subject=_("Minted: %(name)s"),
                body=_("%(name)s is issued and its units are in your wallet."),
                name=application.name,
            )
