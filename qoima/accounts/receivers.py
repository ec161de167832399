"""What the platform does when someone signs in or is locked out."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from .policy import session_begin
from .services import login_locked


@receiver(user_logged_in)
def _signed_in(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_begin(request)


@receiver(user_locked_out)
def _locked_out(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    # Axes also says so on each attempt while the lockout lasts; only the attempt that
    # reached the limit (the one it counted) is recorded.
    failures = int(getattr(request, "axes_failures_since_start", 0) or 0)
    if failures:
        login_locked(username=username or "", address=ip_address, failures=failures)
