"""Passkeys through django-otp-webauthn: its ceremonies and its script, with the platform's
relying party, its audit entries and its stamp of a proved second factor."""

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as passkeys
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from qoima.participants.access import current_user

from . import services
from .second_factor import verified_now

# The recovery codes made with a first passkey, kept until the next page shows them once.
NEW_CODES = "_qoima_new_recovery_codes"


def rp_id(request: HttpRequest) -> str:
    """The relying party: the configured domain, or the host the browser asked for (Django
    checked it against ALLOWED_HOSTS)."""
    if settings.WEBAUTHN_RP_ID:
        return str(settings.WEBAUTHN_RP_ID)
    host = request.get_host()
    return host.rsplit(":", 1)[0] if not host.endswith("]") else host


class Helper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        """The configured origins, or the page's own (the browser writes the origin it signed
        for; only this site's pages can have made it)."""
        if settings.WEBAUTHN_ORIGINS:
            return list(settings.WEBAUTHN_ORIGINS)
        return [f"{self.request.scheme}://{self.request.get_host()}"]


class CompleteRegistration(passkeys.CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            credential = WebAuthnCredential.objects.get(pk=json.loads(response.content)["id"])
            codes = services.passkey_added(user=current_user(self.request), credential=credential)
            if codes:
                self.request.session[NEW_CODES] = codes
            verified_now(self.request)
        return response


class CompleteAuthentication(passkeys.CompleteCredentialAuthenticationView):
    def complete_auth(self, device: Any) -> Any:
        user = super().complete_auth(device)
        verified_now(self.request)
        return user


app_name = "otp_webauthn"
urlpatterns = [
    path(
        "registration/begin/",
        passkeys.BeginCredentialRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        CompleteRegistration.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        passkeys.BeginCredentialAuthenticationView.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        CompleteAuthentication.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
