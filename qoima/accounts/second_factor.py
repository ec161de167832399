"""Second factors (django-otp): TOTP authenticator apps, passkeys (django-otp-webauthn) and
one-time recovery codes. Staff must have one before any page; holders and issuers may add one,
and once they have, every sign-in asks for it."""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from qoima.http import is_api
from qoima.participants.models import STAFF_ROLES
from qoima.participants.selectors import user_role

# When the person last proved both factors (sign-in, or the confirmation before a sensitive
# act), in the session's data.
VERIFIED_AT = "_qoima_verified_at"
RECOVERY_NAME = "recovery"

REQUIRED = _("Your role needs a second factor: add an authenticator app or a passkey first.")
NOT_VERIFIED = _("Confirm your sign-in with your second factor first.")

# Pages a signed-in person reaches before the second factor: the steps themselves, signing out,
# the language, and the passkey ceremonies.
_OPEN_NAMES = {
    "two-factor-verify",
    "two-factor-setup",
    "two-factor-totp",
    "two-factor-passkey-done",
    "two-factor-confirm",
    "logout",
    "set_language",
    "help",
}
_OPEN_NAMESPACES = {"otp_webauthn"}


def required(user: Any) -> bool:
    """Whether the user's role must have a second factor."""
    return user_role(user) in STAFF_ROLES


def enrolled(user: Any) -> bool:
    """Whether the user has a confirmed way to prove the second factor (recovery codes alone
    are a way back in, not an enrolment)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def session_verified(request: HttpRequest) -> bool:
    """Whether this session proved a second factor (django-otp's middleware tells)."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def verified_now(request: HttpRequest) -> None:
    """Stamp the moment both factors were proved."""
    request.session[VERIFIED_AT] = time.time()


def verified_recently(request: HttpRequest) -> bool:
    stamp = request.session.get(VERIFIED_AT)
    return isinstance(stamp, int | float) and (
        time.time() - stamp <= settings.SECOND_FACTOR_RECENT_SECONDS
    )


def _open(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.url_name in _OPEN_NAMES or bool(set(match.namespaces) & _OPEN_NAMESPACES)


class SecondFactorMiddleware:
    """A signed-in person who has a second factor and has not proved it this session, or
    whose role needs one and has none, reaches only the second factor's pages: pages redirect
    there, the API (with the session's cookie) answers 403. API tokens are issued only to a
    session that passed, so a token already stands for both factors."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not _open(request)
        ):
            if enrolled(user):
                return self._refuse(request, "two-factor-verify", NOT_VERIFIED)
            if required(user):
                return self._refuse(request, "two-factor-setup", REQUIRED)
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, name: str, message: Any) -> HttpResponse:
        if is_api(request.path_info):
            return JsonResponse(
                {"detail": str(message), "code": "second_factor_required"}, status=403
            )
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return redirect(f"{reverse(name)}{'?' + query if query else ''}")


def recovery_device(user: Any) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()


CONFIRM_FIRST = _(
    "This act needs you to confirm it is you: enter your password and your second factor, "
    "then press the button again."
)


def reauthentication_required(view: Callable[..., HttpResponseBase]) -> Callable[..., Any]:
    """Sensitive acts (confirming a mint, an act of enforcement, a large withdrawal) need both
    factors proved within SECOND_FACTOR_RECENT_SECONDS, not only an open session: a session
    left open on a desk does not move property. Otherwise the act is not carried out and the
    person is sent to confirm, then back to the page they acted from."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if verified_recently(request):
            return view(request, *args, **kwargs)
        back = str(request.META.get("HTTP_REFERER") or "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("dashboard")
        messages.info(request, CONFIRM_FIRST)
        return redirect(f"{reverse('two-factor-confirm')}?{urlencode({'next': back})}")

    return wrapped


class RecentlyVerified(BasePermission):
    """The API's side of ``reauthentication_required``: a sensitive act needs a browser session
    that proved both factors within SECOND_FACTOR_RECENT_SECONDS. An API token can never
    confirm it: a token is a standing credential, not a person present."""

    message = _(
        "This act needs you to confirm it is you (password and second factor) in the browser "
        "within the last few minutes; an API token cannot carry it out."
    )

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.auth is None and verified_recently(request._request)
