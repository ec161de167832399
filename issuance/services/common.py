"""What the issuance services share: locking, the permit check, role guards."""

from typing import TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from qoima import locks
from qoima.errors import InvalidInput, NotAllowed, NotFound
from qoima.participants.models import Organisation, Permit, Role, User
from qoima.participants.selectors import permit_validity, user_role

from .. import access
from ..models import Application

M = TypeVar("M", bound=models.Model)


def locked(model: type[M], pk: int | str | None) -> M:
    """The row, locked for this transaction; NotFound for an id that is not one."""
    try:
        return locks.lock_row(model, int(pk or 0))
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        raise NotFound() from None


def require_role(actor: User, *roles: Role) -> None:
    if user_role(actor) not in roles:
        raise NotAllowed()


def issuer_application(actor: User, application_id: int | str) -> Application:
    """The actor's own organisation's application, locked; another issuer's is not found."""
    require_role(actor, Role.ISSUER_STAFF)
    application = locked(Application, application_id)
    if not access.application_visible(actor, application):
        raise NotFound()
    return application


def verified_organisation(organisation: Organisation, *, step: str) -> None:
    """InvalidInput unless compliance has verified the organisation (its registration,
    beneficial owners and signatory's authority); ``step`` as for ``valid_permit``."""
    if organisation.verification_status == Organisation.Verification.VERIFIED:
        return
    reason = (
        _("compliance refused to verify the organisation: %(note)s")
        % {"note": organisation.verification_note}
        if organisation.verification_status == Organisation.Verification.REFUSED
        else _(
            "compliance has not verified the organisation yet (its registration, beneficial "
            "owners and signatory's authority)."
        )
    )
    messages = {
        "submit": _("The application cannot be submitted: %(reason)s"),
        "approval": _("The application cannot be approved: %(reason)s"),
        "mint": _("The asset cannot be minted: %(reason)s"),
    }
    raise InvalidInput(
        messages[step] % {"reason": reason}, field="organisation", code="organisation_unverified"
    )


def valid_permit(organisation: Organisation, *, step: str) -> Permit:
    """The organisation's permit in force today, or InvalidInput saying why there is none.

    ``step`` is the step being refused, for the message ("submit", "approval", "mint").
    """
    permits = list(organisation.permits.order_by("-expires_on", "-pk"))
    for permit in permits:
        if permit_validity(permit).valid:
            return permit
    # A renewed permit waiting for compliance explains the refusal better than the old one.
    pending = [permit for permit in permits if permit.status == Permit.Status.PENDING]
    explained = (pending or permits)[:1]
    reason = permit_validity(explained[0]).reason if explained else _("The issuer has no permit.")
    messages = {
        "submit": _("The application cannot be submitted: %(reason)s"),
        "approval": _("The application cannot be approved: %(reason)s"),
        "mint": _("The asset cannot be minted: %(reason)s"),
    }
    raise InvalidInput(messages[step] % {"reason": reason}, field="permit", code="permit_invalid")
