"""The compliance officer's side: the Art. 5 checklist, maker-checker approval, rejection,
change requests. The second officer's confirmation is what asks the chain to issue and mint."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.errors import Conflict, InvalidInput, NotAllowed
from qoima.participants.models import Role, User
from qoima.text import text_optional, text_required

from .. import access
from ..models import Application, Review
from ..notifications import issuer_staff, notify, officers
from ..selectors import ART5_ITEMS, checklist_record
from .applications import required_documents_check
from .common import locked, require_role, valid_permit, verified_organisation
from .minting import issue_request_in_transaction

S = Application.Status


# The action recorded when an officer sends an application back or refuses it.
REVIEW_ACTIONS: dict[str, AuditAction] = {
    Review.Action.REJECT: AuditAction.APPLICATION_REJECTED,
    Review.Action.REQUEST_CHANGES: AuditAction.APPLICATION_CHANGES_REQUESTED,
}


def _officer_application(
    actor: User, application_id: int, *, open_in: frozenset[str]
) -> Application:
    require_role(actor, Role.COMPLIANCE_OFFICER)
    application = locked(Application, application_id)
    if application.status not in open_in:
        raise Conflict(
            _("The application is %(status)s; this action is not open to it.")
            % {"status": application.get_status_display()}
        )
    return application


def _step(application: Application, actor: User, action: str, **extra: object) -> Review:
    return Review.objects.create(
        application=application, actor=actor, action=action, revision=application.revision, **extra
    )


@transaction.atomic(durable=True)
def application_approve(
    *, officer: User, application_id: int, confirmed_items: list[int], note: str = ""
) -> Application:
    """The first officer approves, having confirmed each item of Art. 5 against its evidence."""
    application = _officer_application(officer, application_id, open_in=access.APPROVABLE)
    missing = sorted(set(ART5_ITEMS) - set(confirmed_items))
    if missing:
        raise InvalidInput(
            _("Confirm every item of the Art. 5 checklist; not yet confirmed: %(items)s.")
            % {"items": ", ".join(str(n) for n in missing)},
            field="items",
            code="checklist_incomplete",
        )
    permit = valid_permit(application.organisation, step="approval")
    verified_organisation(application.organisation, step="approval")
    today = timezone.localdate()
    required_documents_check(application, on=today)
    now = timezone.now()
    application.status, application.permit = S.APPROVED, permit
    application.approved_by, application.approved_at = officer, now
    application.save(update_fields=["status", "permit", "approved_by", "approved_at", "updated_at"])
    _step(
        application,
        officer,
        Review.Action.APPROVE,
        checklist=checklist_record(application, confirmed_items),
        note=text_optional(note, multiline=True),
    )
    audit_record(
        actor=officer,
        action=AuditAction.APPLICATION_APPROVED,
        obj=application,
        details={"revision": application.revision, "items": sorted(ART5_ITEMS)},
    )
    notify(
        users=[user for user in officers() if user.pk != officer.pk],
        subject=_("Approval to confirm: %(name)s"),
        body=_("%(officer)s approved %(name)s; a second officer must confirm it."),
        name=application.name,
        officer=officer.get_username(),
    )
    return application


@transaction.atomic(durable=True)
def application_confirm(*, officer: User, application_id: int, note: str = "") -> Application:
    """The second officer confirms the approval; the asset is then issued and minted."""
    application = _officer_application(officer, application_id, open_in=access.CONFIRMABLE)
    if application.approved_by_id == officer.pk:
        raise NotAllowed(
            _("You approved this application; a different officer must confirm it."),
            code="maker_checker",
        )
    permit = valid_permit(application.organisation, step="mint")
    verified_organisation(application.organisation, step="mint")
    now = timezone.now()
    application.status, application.permit = S.ISSUING, permit
    application.confirmed_by, application.confirmed_at = officer, now
    application.save(
        update_fields=["status", "permit", "confirmed_by", "confirmed_at", "updated_at"]
    )
    _step(application, officer, Review.Action.CONFIRM, note=text_optional(note, multiline=True))
    issue_request_in_transaction(application=application, actor=officer)
    audit_record(
        actor=officer,
        action=AuditAction.APPLICATION_CONFIRMED,
        obj=application,
        details={"approved_by": application.approved_by_id, "permit": permit.number},
    )
    notify(
        users=issuer_staff(application.organisation),
        subject=_("Approved: %(name)s"),
        body=_("%(name)s is approved; the token is being issued and minted on-chain."),
        name=application.name,
    )
    return application


def _decide(
    *, officer: User, application_id: int, reason: str, action: str, status: str
) -> Application:
    reason = text_required(
        reason,
        field="reason",
        message=_("Give the reason; the issuer will see it."),
        multiline=True,
    )
    application = locked(Application, application_id)
    require_role(officer, Role.COMPLIANCE_OFFICER)
    if application.status not in access.DECIDABLE:
        raise Conflict(
            _("The application is %(status)s; this action is not open to it.")
            % {"status": application.get_status_display()}
        )
    application.status, application.status_reason = status, reason
    # A change request or a rejection voids an approval awaiting confirmation.
    application.approved_by, application.approved_at = None, None
    application.save(
        update_fields=["status", "status_reason", "approved_by", "approved_at", "updated_at"]
    )
    _step(application, officer, action, note=reason)
    audit_record(
        actor=officer,
        action=REVIEW_ACTIONS[action],
        obj=application,
        details={"revision": application.revision, "reason": reason},
    )
    return application


@transaction.atomic(durable=True)
def application_reject(*, officer: User, application_id: int, reason: str) -> Application:
    application = _decide(
        officer=officer,
        application_id=application_id,
        reason=reason,
        action=Review.Action.REJECT,
        status=S.REJECTED,
    )
    notify(
        users=issuer_staff(application.organisation),
        subject=_("Rejected: %(name)s"),
        body=_("%(name)s was rejected: %(reason)s"),
        name=application.name,
        reason=reason,
    )
    return application


@transaction.atomic(durable=True)
def application_request_changes(*, officer: User, application_id: int, reason: str) -> Application:
    application = _decide(
        officer=officer,
        application_id=application_id,
        reason=reason,
        action=Review.Action.REQUEST_CHANGES,
        status=S.CHANGES_REQUESTED,
    )
    notify(
        users=issuer_staff(application.organisation),
        subject=_("Changes requested: %(name)s"),
        body=_("Compliance asks for changes to %(name)s: %(reason)s"),
        name=application.name,
        reason=reason,
    )
    return application
