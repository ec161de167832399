"""Sign-in, passwords, one's sessions, and the administrator's lockouts page."""

import base64
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from qoima.errors import ApplicationError, NotAllowed, TooManyRequests
from qoima.participants import services as participant_services
from qoima.participants.access import current_user, role_required
from qoima.participants.models import Role
from qoima.throttling import throttle_check

from . import selectors, services
from .forms import ApiTokenForm, CodeForm, ConfirmForm, ResetForm
from .models import ApiToken
from .policy import lifetime
from .second_factor import enrolled, recovery_device, required, session_verified, verified_now
from .webauthn import NEW_CODES

LOCKED = _(
    "Signing in is locked after %(count)s failed attempts. Try again in %(minutes)s minutes, "
    "or ask the platform's administrator to unlock it."
)


class ThrottledFormMixin:
    """Every submission of the form counts against ``throttle_scope``'s rate; over it the page
    answers 429 with the reason, and the form is not read at all (a login's password is not
    checked, a reset's mail not sent)."""

    throttle_scope: str

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            throttle_check(request, self.throttle_scope)
        except TooManyRequests as error:
            view: Any = self
            unbound = {
                name: value
                for name, value in view.get_form_kwargs().items()
                if name not in ("data", "files")
            }
            form = view.get_form_class()(**unbound)
            context = view.get_context_data(form=form, refusal=error.message)
            response: HttpResponse = view.render_to_response(context, status=429)
            return response
        return super().post(request, *args, **kwargs)  # type: ignore[misc]


class LoginView(ThrottledFormMixin, auth_views.LoginView):
    template_name = "participants/login.html"
    redirect_authenticated_user = True
    throttle_scope = "login"

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        participant_services.user_language_remember(
            user=form.get_user(), language=translation.get_language() or ""
        )
        return response


class LogoutView(auth_views.LogoutView):
    pass


def locked_out(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes's answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE): the login page
    with the reason, 429 and when to try again."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    # Unbound: binding the form to the request's data would check the password once more.
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    refusal = LOCKED % {"count": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    response = render(
        request, "participants/login.html", {"form": form, "refusal": refusal}, status=429
    )
    response["Retry-After"] = str(minutes * 60)
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account-security")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.password_changed(
            user=current_user(self.request), current=self.request.session.session_key
        )
        messages.success(
            self.request, _("Your password is changed; your other sessions have ended.")
        )
        return response


class PasswordResetView(ThrottledFormMixin, auth_views.PasswordResetView):
    # Each request may send a mail: counted per address, whatever the address typed.
    throttle_scope = "password_reset"
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password-reset-sent")


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"
    extra_context = {"timeout_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password-reset-complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.password_reset_done(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The person's own access: their password, their sessions (each can be signed out)."""
    user = current_user(request)
    limits = lifetime(user)
    return render(
        request,
        "accounts/security.html",
        {
            "sessions": selectors.account_sessions(user=user),
            "current": request.session.session_key,
            "lifetime_idle": limits.idle_seconds // 60,
            "lifetime_hours": limits.absolute_seconds // 3600,
            "apps": TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"),
            "passkeys": WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk"),
            "recovery": recovery_device(user),
            "required": required(user),
        },
    )


@require_POST
@login_required
def session_end(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    key = request.POST.get("session", "")
    if request.POST.get("all_others"):
        ended = services.account_sessions_end_others(
            user=user, current=request.session.session_key or ""
        )
        messages.success(request, _("Signed out of %(count)s other sessions.") % {"count": ended})
    elif key and key == request.session.session_key:
        return redirect("logout")
    else:
        try:
            services.account_session_end(user=user, session_key=key)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("That session is signed out."))
    return redirect("account-security")


@role_required(Role.PLATFORM_ADMIN)
def lockouts(request: HttpRequest) -> HttpResponse:
    """Accounts and addresses locked out of signing in, and their unlocking (audited)."""
    status = 200
    if request.method == "POST":
        try:
            services.login_unlock(
                actor=current_user(request),
                username=request.POST.get("username", ""),
                address=request.POST.get("address", ""),
            )
        except ApplicationError as error:
            messages.error(request, str(error.message))
            status = error.status_code
        else:
            messages.success(request, _("Unlocked: signing in is possible again."))
            return redirect("account-lockouts")
    return render(
        request,
        "accounts/lockouts.html",
        {
            "lockouts": selectors.lockouts(),
            "limit": settings.AXES_FAILURE_LIMIT,
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        status=status,
    )


# ------------------------------------------------------------------------------ second factors


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return str(reverse_lazy("dashboard"))


def _codes(request: HttpRequest, codes: list[str], *, status: int = 200) -> HttpResponse:
    """The new recovery codes, shown once."""
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": _next(request)},
        status=status,
    )


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: an app's code, a recovery code or a passkey."""
    user = current_user(request)
    if session_verified(request):
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            verified = services.second_factor_verify(user=user, code=form.cleaned_data["code"])
        except ApplicationError as error:
            form.add_error("code", str(error.message))
            status = error.status_code
        else:
            otp_login(request, verified.device)
            verified_now(request)
            if verified.recovery_left is not None:
                messages.warning(
                    request,
                    _(
                        "You logged in with a recovery code; %(count)s are left. Make new "
                        "ones on the Account security page if you are running out."
                    )
                    % {"count": verified.recovery_left},
                )
            return redirect(_next(request))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "accounts/two_factor_verify.html",
        {
            "form": form,
            "next": _next(request),
            "has_app": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "has_passkey": WebAuthnCredential.objects.filter(user=user, confirmed=True).exists(),
        },
        status=status,
    )


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Adding a second factor: required for staff at their first sign-in, offered to others."""
    user = current_user(request)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"required": required(user), "enrolled": enrolled(user), "next": _next(request)},
    )


@login_required
def two_factor_totp(request: HttpRequest) -> HttpResponse:
    """An authenticator app: its key as a QR code and as text, confirmed by one of its codes."""
    user = current_user(request)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_confirm(user=user, code=form.cleaned_data["code"])
        except ApplicationError as error:
            form.add_error("code", str(error.message))
            status = error.status_code
        else:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
            if not session_verified(request):
                otp_login(request, device)
            verified_now(request)
            if codes:
                return _codes(request, codes)
            messages.success(request, _("The authenticator app is added."))
            return redirect(_next(request))
    elif request.method == "POST":
        status = 400
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by(
        "-pk"
    ).first() or services.totp_begin(user=user)
    key = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_totp.html",
        {
            "form": form,
            "next": _next(request),
            "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
            "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
        },
        status=status,
    )


@login_required
def two_factor_passkey_done(request: HttpRequest) -> HttpResponse:
    """Where the page goes once the browser has registered a passkey."""
    codes = request.session.pop(NEW_CODES, None)
    if codes:
        return _codes(request, list(codes))
    messages.success(request, _("The passkey is added."))
    return redirect(_next(request))


@require_POST
@login_required
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not enrolled(user):
        raise NotAllowed(_("Add an authenticator app or a passkey first."))
    return _codes(request, services.recovery_codes_issue(user=user))


@require_POST
@login_required
def second_factor_remove(request: HttpRequest) -> HttpResponse:
    try:
        services.second_factor_remove(
            user=current_user(request),
            kind=request.POST.get("kind", ""),
            pk=int(request.POST.get("pk") or 0) if (request.POST.get("pk") or "").isdigit() else 0,
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The second factor is removed."))
    return redirect("account-security")


@require_POST
@role_required(Role.PLATFORM_ADMIN)
def second_factors_reset(request: HttpRequest) -> HttpResponse:
    form = ResetForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the username and how the person's identity was checked."))
        return redirect("account-lockouts")
    try:
        services.second_factors_reset(
            actor=current_user(request),
            username=form.cleaned_data["username"],
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("The second factors of %(username)s are reset: they enrol again at their next login.")
            % {"username": form.cleaned_data["username"]},
        )
    return redirect("account-lockouts")


@login_required
def two_factor_confirm(request: HttpRequest) -> HttpResponse:
    """Confirming it is you before a sensitive act: the password again (counted by the
    lockout like a login) and the second factor, or a passkey alone."""
    user = current_user(request)
    form = ConfirmForm(request.POST or None)
    has_app = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    has_passkey = WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    status = 200
    if request.method == "POST" and form.is_valid():
        checked = authenticate(
            request, username=user.get_username(), password=form.cleaned_data["password"]
        )
        if checked is None or checked.pk != user.pk:
            form.add_error("password", _("This is not your password."))
            status = 400
        else:
            try:
                if enrolled(user):
                    verified = services.second_factor_verify(
                        user=user, code=form.cleaned_data["code"]
                    )
                    otp_login(request, verified.device)
            except ApplicationError as error:
                form.add_error("code", str(error.message))
                status = error.status_code
            else:
                verified_now(request)
                return redirect(_next(request))
    elif request.method == "POST":
        status = 400
    if not enrolled(user):
        del form.fields["code"]
    return render(
        request,
        "accounts/two_factor_confirm.html",
        {"form": form, "next": _next(request), "has_app": has_app, "has_passkey": has_passkey},
        status=status,
    )


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The person's API tokens: issued with a name, a scope and a term (each shown once: only
    its digest is kept), listed with their last use, and revoked."""
    user = current_user(request)
    form = ApiTokenForm(request.POST if "name" in request.POST else None)
    key = ""
    status = 200
    if request.method == "POST" and "revoke" in request.POST:
        try:
            services.api_token_revoke(user=user, token_key=request.POST.get("revoke", ""))
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The token is revoked: it no longer works."))
        return redirect("api-token")
    if request.method == "POST":
        throttle_check(request, "token")
        if form.is_valid():
            try:
                _token, key = services.api_token_issue(user=user, **form.cleaned_data)
            except ApplicationError as error:
                form.add_error(
                    error.field if error.field in form.fields else None, str(error.message)
                )
                status = error.status_code
            else:
                form = ApiTokenForm()
        else:
            status = 400
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "key": key,
            "tokens": ApiToken.objects.filter(user=user).order_by("-created"),
            "now": timezone.now(),
        },
        status=status,
    )
