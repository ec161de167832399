import datetime
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Min, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import HolderProfile, Organisation, Permit, Role, User


def user_role(user: AbstractBaseUser | AnonymousUser) -> Role | None:
    """The user's one role, read from their groups (cached on the instance)."""
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    cached: Role | None = getattr(user, "_qoima_role", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = next((role for role in Role if role.value in names), None)
        user._qoima_role = cached  # type: ignore[attr-defined]
    return cached


@dataclass(frozen=True)
class PermitValidity:
    valid: bool
    reason: str = ""


def permit_validity(permit: Permit, *, on: datetime.date | None = None) -> PermitValidity:
    """Whether the permit allows issuing on a day, and if not, a message that says why."""
    day = on or timezone.localdate()
    if permit.status == Permit.Status.PENDING:
        return PermitValidity(
            False,
            _("Permit %(number)s is not verified yet: it counts once compliance has verified it.")
            % {"number": permit.number},
        )
    if permit.status == Permit.Status.REFUSED:
        return PermitValidity(
            False, _("Permit %(number)s was refused by compliance.") % {"number": permit.number}
        )
    if permit.status == Permit.Status.REVOKED:
        return PermitValidity(False, _("Permit %(number)s is revoked.") % {"number": permit.number})
    if permit.status == Permit.Status.SUSPENDED:
        return PermitValidity(
            False, _("Permit %(number)s is suspended.") % {"number": permit.number}
        )
    if day < permit.issued_on:
        return PermitValidity(
            False,
            _("Permit %(number)s is in force only from %(date)s.")
            % {"number": permit.number, "date": date_format(permit.issued_on)},
        )
    if day > permit.expires_on:
        return PermitValidity(
            False,
            _("Permit %(number)s expired on %(date)s.")
            % {"number": permit.number, "date": date_format(permit.expires_on)},
        )
    return PermitValidity(True)


def permit_is_valid(permit: Permit, *, on: datetime.date | None = None) -> bool:
    return permit_validity(permit, on=on).valid


def holder_list(*, status: str | None = None) -> QuerySet[HolderProfile]:
    holders = HolderProfile.objects.select_related("user", "verified_by")
    if status:
        holders = holders.filter(verification_status=status)
    return holders.order_by("verification_status", "created_at")


def organisation_list() -> QuerySet[Organisation]:
    return Organisation.objects.prefetch_related("permits").order_by("legal_name")


def organisation_permits(organisation: Organisation) -> QuerySet[Permit]:
    """An issuer's permits, latest first, with who verified each."""
    return organisation.permits.select_related("verified_by").order_by("-issued_on", "-pk")


def permits_pending() -> QuerySet[Permit]:
    """Compliance's queue: permits waiting to be verified against their documents, oldest first."""
    return (
        Permit.objects.filter(status=Permit.Status.PENDING)
        .select_related("organisation")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class Waiting:
    """A queue as a dashboard shows it: how many wait, and since when the oldest has."""

    count: int
    oldest: datetime.datetime | None


def holders_waiting() -> Waiting:
    """Holders who registered and wait for compliance to verify their identity."""
    row = HolderProfile.objects.filter(
        verification_status=HolderProfile.Status.UNVERIFIED
    ).aggregate(count=Count("pk"), oldest=Min("created_at"))
    return Waiting(row["count"], row["oldest"])


def permits_waiting() -> Waiting:
    """Permits waiting to be checked against their documents (``permits_pending``, counted)."""
    row = Permit.objects.filter(status=Permit.Status.PENDING).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    return Waiting(row["count"], row["oldest"])


def organisations_waiting() -> QuerySet[Organisation]:
    """Issuer organisations that sent their documents and wait for compliance, oldest first."""
    return Organisation.objects.filter(
        verification_status=Organisation.Verification.PENDING,
        verification_submitted_at__isnull=False,
    ).order_by("verification_submitted_at")
