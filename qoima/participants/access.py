from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from qoima.errors import NotFound

from .models import HolderProfile, Permit, Role, User
from .selectors import user_role

View = Callable[..., HttpResponseBase]


def current_user(request: HttpRequest | Request) -> User:
    """The logged-in user of a view already guarded by role_required."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def role_required(*roles: Role) -> Callable[[View], View]:
    """Anonymous users go to the login page; users of any other role get 403."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if user_role(request.user) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def api_role_required(*roles: Role) -> type[BasePermission]:
    """A DRF permission: authenticated users of one of these roles; everyone else gets 403."""

    class HasRole(BasePermission):
        def has_permission(self, request: Request, view: APIView) -> bool:
            return user_role(request.user) in roles

    return HasRole


# ------------------------------------------------------------------------------ objects
#
# Who may see and act on one permit or holder: asked by the views, the templates (through the
# ``participant_access`` filters) and the services alike.

# The statuses compliance may move a permit to from each status, on the authority's word.
PERMIT_TRANSITIONS: dict[str, frozenset[str]] = {
    Permit.Status.PENDING: frozenset(),
    Permit.Status.REFUSED: frozenset(),
    Permit.Status.ACTIVE: frozenset({Permit.Status.SUSPENDED, Permit.Status.REVOKED}),
    Permit.Status.SUSPENDED: frozenset({Permit.Status.ACTIVE, Permit.Status.REVOKED}),
    Permit.Status.REVOKED: frozenset(),
}


def permits_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Permit]:
    """An issuer's staff see their own organisation's permits; compliance and the regulator
    every one."""
    role = user_role(user)
    if role == Role.ISSUER_STAFF and isinstance(user, User) and user.organisation_id:
        return Permit.objects.filter(organisation_id=user.organisation_id)
    if role in (Role.COMPLIANCE_OFFICER, Role.REGULATOR):
        return Permit.objects.all()
    return Permit.objects.none()


def can_review_permit(user: AbstractBaseUser | AnonymousUser, permit: Permit) -> bool:
    """Verify or refuse: compliance, while the permit awaits verification."""
    return user_role(user) == Role.COMPLIANCE_OFFICER and permit.status == Permit.Status.PENDING


def permit_status_choices(
    user: AbstractBaseUser | AnonymousUser, permit: Permit
) -> list[tuple[str, str]]:
    """The statuses the user may move the permit to (none: no change is open to them)."""
    if user_role(user) != Role.COMPLIANCE_OFFICER:
        return []
    allowed = PERMIT_TRANSITIONS.get(permit.status, frozenset())
    return [(status.value, str(status.label)) for status in Permit.Status if status in allowed]


def can_verify_holder(user: AbstractBaseUser | AnonymousUser, holder: HolderProfile) -> bool:
    """Compliance verifies a holder who is not verified yet, never themselves."""
    return (
        user_role(user) == Role.COMPLIANCE_OFFICER
        and holder.verification_status != HolderProfile.Status.VERIFIED
        and holder.user_id != user.pk
    )


def can_suspend_holder(user: AbstractBaseUser | AnonymousUser, holder: HolderProfile) -> bool:
    return (
        user_role(user) == Role.COMPLIANCE_OFFICER
        and holder.verification_status == HolderProfile.Status.VERIFIED
    )


def holder_for(user: AbstractBaseUser | AnonymousUser) -> HolderProfile:
    """The holder profile of the logged-in holder; NotFound for an account without one."""
    holder = HolderProfile.objects.filter(user=user).first() if isinstance(user, User) else None
    if holder is None:
        raise NotFound(_("No holder profile is linked to this account."))
    return holder
