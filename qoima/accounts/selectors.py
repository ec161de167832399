"""Reads of sessions and lockouts."""

import datetime
from dataclasses import dataclass

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, QuerySet, Sum
from django.utils import timezone

from qoima.participants.models import User

from .models import AccountSession


def account_sessions(*, user: User) -> QuerySet[AccountSession]:
    """The user's sessions that have not ended, the most recently active first."""
    return AccountSession.objects.filter(user=user, expire_date__gt=timezone.now()).order_by(
        "-last_seen_at"
    )


@dataclass(frozen=True)
class Lockout:
    """An account (``username``) or an address locked out of signing in."""

    username: str
    address: str
    failures: int
    last_attempt: datetime.datetime
    until: datetime.datetime


def lockouts() -> list[Lockout]:
    """What repeated failures lock now: each account and each address at or past the limit
    within the cool-off (django-axes counts them the same way)."""
    cooloff: datetime.timedelta = settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cooloff)
    found: list[Lockout] = []
    for field in ("username", "ip_address"):
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
            .order_by("-last")
        )
        for row in rows:
            found.append(
                Lockout(
                    username=row[field] if field == "username" else "",
                    address=row[field] if field == "ip_address" else "",
                    failures=row["failures"],
                    last_attempt=row["last"],
                    until=row["last"] + cooloff,
                )
            )
    return found
