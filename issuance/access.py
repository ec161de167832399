"""Who may see and do what with an application, its documents, distributions and redemptions.

One function a question, asked by the pages, the API and the templates alike; the services ask
the same functions before they change anything. Something a user may not see is not found
rather than forbidden: another issuer's application is none of their business, not even its
existence.
"""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from qoima.errors import NotFound
from qoima.participants.models import Role, User
from qoima.participants.selectors import user_role

from .models import Application, Distribution, Document, Redemption

AnyUser = AbstractBaseUser | AnonymousUser
S = Application.Status

# The statuses each step of the review is open in.
APPROVABLE = frozenset({S.SUBMITTED})
CONFIRMABLE = frozenset({S.APPROVED})
DECIDABLE = frozenset({S.SUBMITTED, S.APPROVED})
DISTRIBUTABLE = frozenset({S.ISSUED})


def _issuer_of(user: AnyUser, organisation_id: int | None) -> bool:
    return (
        isinstance(user, User)
        and user_role(user) == Role.ISSUER_STAFF
        and user.organisation_id is not None
        and user.organisation_id == organisation_id
    )


def _officer(user: AnyUser) -> bool:
    return user_role(user) == Role.COMPLIANCE_OFFICER


# ------------------------------------------------------------------------------ applications


def applications_visible_to(user: AnyUser) -> QuerySet[Application]:
    """Issuer staff see their organisation's applications; officers every submitted one."""
    role = user_role(user)
    if role == Role.ISSUER_STAFF and isinstance(user, User) and user.organisation_id:
        return Application.objects.filter(organisation_id=user.organisation_id)
    if role == Role.COMPLIANCE_OFFICER:
        return Application.objects.exclude(status=S.DRAFT)
    return Application.objects.none()


def application_visible(user: AnyUser, application: Application) -> bool:
    """The same rule as ``applications_visible_to``, for an application already read."""
    return _issuer_of(user, application.organisation_id) or (
        _officer(user) and application.status != S.DRAFT
    )


def application_for(
    user: AnyUser, application_id: int, rows: QuerySet[Application] | None = None
) -> Application:
    """The application if the user may see it; NotFound otherwise."""
    rows = Application.objects.all() if rows is None else rows
    application = rows.filter(pk=application_id).first()
    if application is None or not application_visible(user, application):
        raise NotFound()
    return application


def can_edit(user: AnyUser, application: Application) -> bool:
    """Change the draft, upload its documents, submit it: its issuer, until it is submitted."""
    return _issuer_of(user, application.organisation_id) and application.editable


def can_approve(user: AnyUser, application: Application) -> bool:
    return _officer(user) and application.status in APPROVABLE


def can_confirm(user: AnyUser, application: Application) -> bool:
    """The second officer: anyone but the one who approved (maker-checker)."""
    return (
        _officer(user)
        and application.status in CONFIRMABLE
        and application.approved_by_id != user.pk
    )


def can_decide(user: AnyUser, application: Application) -> bool:
    """Reject or ask for changes: while the application is under review."""
    return _officer(user) and application.status in DECIDABLE


def can_distribute(user: AnyUser, application: Application) -> bool:
    return _issuer_of(user, application.organisation_id) and application.status in DISTRIBUTABLE


@dataclass(frozen=True)
class ApplicationActions:
    """What the user may do with one application, for its page to show or leave out."""

    edit: bool
    approve: bool
    confirm: bool
    decide: bool
    distribute: bool
    # An officer who may not confirm an approval sees why.
    awaiting_other_officer: bool

    @property
    def review(self) -> bool:
        return self.approve or self.confirm or self.decide


def application_actions(user: AnyUser, application: Application) -> ApplicationActions:
    return ApplicationActions(
        edit=can_edit(user, application),
        approve=can_approve(user, application),
        confirm=can_confirm(user, application),
        decide=can_decide(user, application),
        distribute=can_distribute(user, application),
        awaiting_other_officer=_officer(user)
        and application.status in CONFIRMABLE
        and not can_confirm(user, application),
    )


# ------------------------------------------------------------------------------ documents


def documents_visible_to(user: AnyUser) -> QuerySet[Document]:
    return Document.objects.filter(application__in=applications_visible_to(user))


def document_for(user: AnyUser, document_id: int) -> Document:
    document = documents_visible_to(user).filter(pk=document_id).first()
    if document is None:
        raise NotFound()
    return document


# ------------------------------------------------------------------------------ distributions


def distributions_visible_to(user: AnyUser) -> QuerySet[Distribution]:
    """An issuer's own distributions; nobody else's."""
    if user_role(user) == Role.ISSUER_STAFF and isinstance(user, User) and user.organisation_id:
        return Distribution.objects.filter(application__organisation_id=user.organisation_id)
    return Distribution.objects.none()


def distribution_for(user: AnyUser, distribution_id: int) -> Distribution:
    distribution = (
        distributions_visible_to(user)
        .select_related("application")
        .filter(pk=distribution_id)
        .first()
    )
    if distribution is None:
        raise NotFound()
    return distribution


# ------------------------------------------------------------------------------ redemptions


def redemptions_visible_to(user: AnyUser) -> QuerySet[Redemption]:
    """A holder's own requests; the requests to the issuer's organisation."""
    role = user_role(user)
    if role == Role.HOLDER and isinstance(user, User):
        return Redemption.objects.filter(holder__user=user)
    if role == Role.ISSUER_STAFF and isinstance(user, User) and user.organisation_id:
        return Redemption.objects.filter(application__organisation_id=user.organisation_id)
    return Redemption.objects.none()


def redemption_visible(user: AnyUser, redemption: Redemption) -> bool:
    """The same rule as ``redemptions_visible_to``, for a redemption already read."""
    if user_role(user) == Role.HOLDER:
        return redemption.holder.user_id == user.pk
    return _issuer_of(user, redemption.application.organisation_id)


def can_answer(user: AnyUser, redemption: Redemption) -> bool:
    """Fulfil or refuse: the issuer of the asset, while the request is open."""
    return (
        _issuer_of(user, redemption.application.organisation_id)
        and redemption.status == Redemption.Status.REQUESTED
    )
