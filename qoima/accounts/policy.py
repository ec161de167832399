"""How long a session lasts, by its owner's role: staff sessions end sooner.

A session ends after ``idle`` without a request of its owner's, or ``absolute`` after sign-in
whatever happens. A page's own live updates (htmx requests that only read) are not activity:
a status page left open would otherwise keep its session alive for ever.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from qoima.http import client_address
from qoima.participants.models import STAFF_ROLES
from qoima.participants.selectors import user_role

from .sessions import ADDRESS, AGENT, SEEN, STARTED

# The session's row is written at most this often for activity alone.
SEEN_GRANULARITY_SECONDS = 30

EXPIRED_IDLE = _(
    "Your session ended after %(minutes)s minutes without activity. Please log in again."
)
EXPIRED_ABSOLUTE = _("Your session ended %(hours)s hours after you logged in. Please log in again.")


@dataclass(frozen=True)
class Lifetime:
    idle_seconds: int
    absolute_seconds: int


def lifetime(user: Any) -> Lifetime:
    """The lifetime of a session of this user's role."""
    role = user_role(user)
    if role is not None and role in STAFF_ROLES:
        return Lifetime(
            settings.SESSION_STAFF_IDLE_MINUTES * 60, settings.SESSION_STAFF_MAX_HOURS * 3600
        )
    return Lifetime(
        settings.SESSION_PARTICIPANT_IDLE_MINUTES * 60,
        settings.SESSION_PARTICIPANT_MAX_HOURS * 3600,
    )


def session_begin(request: HttpRequest) -> None:
    """Stamp a session that has just been signed into."""
    now = time.time()
    request.session[STARTED] = now
    _seen(request, now)


def _seen(request: HttpRequest, now: float) -> None:
    request.session[SEEN] = now
    request.session[ADDRESS] = client_address(request) or None
    request.session[AGENT] = str(request.META.get("HTTP_USER_AGENT") or "")[:300]


def _activity(request: HttpRequest) -> bool:
    return not (request.headers.get("HX-Request") and request.method in ("GET", "HEAD"))


class SessionLifetimeMiddleware:
    """Signs out a session past its idle or absolute limit before the view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request: HttpRequest, user: Any) -> None:
        now = time.time()
        started = request.session.get(STARTED)
        seen = request.session.get(SEEN)
        if not isinstance(started, int | float) or not isinstance(seen, int | float):
            # Signed in by other means than the login page (a test client, an old session).
            session_begin(request)
            return
        limits = lifetime(user)
        message = None
        if now - started > limits.absolute_seconds:
            message = EXPIRED_ABSOLUTE % {"hours": limits.absolute_seconds // 3600}
        elif now - seen > limits.idle_seconds:
            message = EXPIRED_IDLE % {"minutes": limits.idle_seconds // 60}
        if message is not None:
            logout(request)
            # On the login page the next request shows, in the reader's language.
            messages.info(request, message)
            return
        if _activity(request) and now - seen >= SEEN_GRANULARITY_SECONDS:
            _seen(request, now)
