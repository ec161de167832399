"""Every change to a person's access: sessions ended, passwords changed or reset, sign-ins
locked and unlocked. Each writes its audit entry in its own transaction."""

import datetime
from dataclasses import dataclass
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.errors import Conflict, InvalidInput, NotAllowed, NotFound, TooManyRequests
from qoima.participants.models import Role, User
from qoima.participants.selectors import user_role

from .models import AccountSession, ApiToken, SecondFactorKind
from .second_factor import RECOVERY_NAME, recovery_device, required


def _sessions_end(*, user: User, keep: str | None = None) -> int:
    sessions = AccountSession.objects.filter(user=user)
    if keep:
        sessions = sessions.exclude(session_key=keep)
    return sessions.delete()[0]


@transaction.atomic
def account_session_end(*, user: User, session_key: str) -> None:
    """Sign out one of the user's own sessions (another browser, a lost phone)."""
    ended = AccountSession.objects.filter(user=user, session_key=session_key).delete()[0]
    if not ended:
        raise NotFound(_("This session has already ended."))
    audit_record(actor=user, action=AuditAction.USER_SESSION_ENDED, obj=user, details={})


@transaction.atomic
def account_sessions_end_others(*, user: User, current: str) -> int:
    """Sign out every session of the user's but the one asking."""
    ended = _sessions_end(user=user, keep=current)
    if ended:
        audit_record(
            actor=user,
            action=AuditAction.USER_SESSION_ENDED,
            obj=user,
            details={"sessions_ended": ended},
        )
    return ended


@transaction.atomic
def password_changed(*, user: User, current: str | None) -> None:
    """The owner changed their password: every other session of theirs ends (Django would
    refuse them at their next request; this also takes them off the list)."""
    ended = _sessions_end(user=user, keep=current)
    audit_record(
        actor=user,
        action=AuditAction.USER_PASSWORD_CHANGED,
        obj=user,
        details={"sessions_ended": ended},
    )


@transaction.atomic
def password_reset_done(*, user: User) -> None:
    """A password was reset through the emailed link: whoever knew the old one may hold a
    session or an API token, so every session ends and every token is revoked."""
    ended = _sessions_end(user=user)
    revoked = ApiToken.objects.filter(user=user).delete()[0]
    audit_record(
        actor=user,
        action=AuditAction.USER_PASSWORD_RESET,
        obj=user,
        details={"sessions_ended": ended, "tokens_revoked": revoked},
    )


@transaction.atomic
def login_locked(*, username: str, address: str | None, failures: int) -> None:
    """Record a lockout (django-axes decided it): on the account when it exists."""
    user = User.objects.filter(username__iexact=username).first() if username else None
    audit_record(
        actor=None,
        action=AuditAction.USER_LOGIN_LOCKED,
        obj=user,
        details={"username": username, "address": address, "failures": failures},
    )


@transaction.atomic
def login_unlock(*, actor: User, username: str = "", address: str = "") -> int:
    """An administrator lifts a lockout of an account or of an address before its cool-off
    ends; returns how many records of failed attempts were cleared."""
    if user_role(actor) != Role.PLATFORM_ADMIN:
        raise NotAllowed()
    if bool(username) == bool(address):
        raise InvalidInput(_("Name either an account or an address to unlock."))
    cleared = axes_reset(username=username or None, ip=address or None)
    if not cleared:
        raise NotFound(_("Nothing is locked for this account or address."))
    user = User.objects.filter(username__iexact=username).first() if username else None
    audit_record(
        actor=actor,
        action=AuditAction.USER_LOGIN_UNLOCKED,
        obj=user,
        details={"username": username, "address": address or None, "count": cleared},
    )
    return cleared


# ------------------------------------------------------------------------------ second factors

RECOVERY_CODES = 10
WRONG_CODE = _(
    "This code is not valid. Enter the 6 digits your app shows now, or an unused recovery code."
)
WAIT = _("Too many wrong codes: wait %(seconds)s seconds before the next try.")


def _normalised(code: str) -> str:
    return "".join(str(code).split()).replace("-", "").lower()[:32]


@transaction.atomic
def totp_begin(*, user: User) -> TOTPDevice:
    """The authenticator app being added: its key, kept unconfirmed until a code proves the app
    has it (a new start replaces an unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def _wait(device: Any) -> int:
    """Seconds before the device takes another code (django-otp doubles it at each wrong one)."""
    allowed, info = device.verify_is_allowed()
    if allowed or not info or not info.get("locked_until"):
        return 0
    return max(1, int((info["locked_until"] - timezone.now()).total_seconds()) + 1)


def totp_confirm(*, user: User, code: str) -> list[str]:
    """Confirm the app being added with a code it shows; returns the new recovery codes when
    the user had none (to be shown once), else an empty list.

    Not one transaction: a wrong code's count (django-otp's throttling) must outlive the
    refusal."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise Conflict(_("Start adding the authenticator app again."))
    wait = _wait(device)
    if wait:
        raise TooManyRequests(WAIT % {"seconds": wait}, retry_after=wait)
    if not verify_token(user, device.persistent_id, _normalised(code)):
        raise InvalidInput(WRONG_CODE, field="code")
    return _totp_confirmed(user=user, device=device)


@transaction.atomic
def _totp_confirmed(*, user: User, device: TOTPDevice) -> list[str]:
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    audit_record(
        actor=user,
        action=AuditAction.USER_SECOND_FACTOR_ADDED,
        obj=user,
        details={"factor": SecondFactorKind.TOTP},
    )
    return [] if recovery_device(user) else recovery_codes_issue(user=user)


@transaction.atomic
def passkey_added(*, user: User, credential: WebAuthnCredential) -> list[str]:
    """A passkey was registered (django-otp-webauthn checked it); returns new recovery codes
    when the user had none."""
    audit_record(
        actor=user,
        action=AuditAction.USER_SECOND_FACTOR_ADDED,
        obj=user,
        details={"factor": SecondFactorKind.PASSKEY, "name": credential.name},
    )
    return [] if recovery_device(user) else recovery_codes_issue(user=user)


@transaction.atomic
def recovery_codes_issue(*, user: User) -> list[str]:
    """New one-time recovery codes, replacing any earlier ones; only their owner sees them,
    once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    audit_record(
        actor=user,
        action=AuditAction.USER_RECOVERY_CODES_ISSUED,
        obj=user,
        details={"count": len(codes)},
    )
    return codes


@dataclass(frozen=True)
class Verified:
    device: Any
    # Recovery codes left, when one was used.
    recovery_left: int | None = None


def second_factor_verify(*, user: User, code: str) -> Verified:
    """Prove the second factor with an app's code or a recovery code (each works once).

    Not one transaction: each device's count of wrong codes (django-otp's throttling) must
    outlive the refusal; each verification is its own (``verify_token``)."""
    token = _normalised(code)
    if not token:
        raise InvalidInput(WRONG_CODE, field="code")
    # An app's code is digits, a recovery code letters and digits: each goes to its own kind
    # of device, so that wrong app codes never make the recovery codes wait.
    if token.isdigit():
        candidates: list[Any] = list(TOTPDevice.objects.filter(user=user, confirmed=True))
        recovery = None
    else:
        recovery = recovery_device(user)
        candidates = [recovery] if recovery else []
    waits: list[int] = []
    for device in candidates:
        wait = _wait(device)
        if wait:
            # Each device counts its own wrong codes (django-otp): a throttled app leaves the
            # recovery codes usable.
            waits.append(wait)
            continue
        if not verify_token(user, device.persistent_id, token):
            continue
        if device is not recovery:
            return Verified(device)
        left = device.token_set.count()
        with transaction.atomic():
            audit_record(
                actor=user,
                action=AuditAction.USER_RECOVERY_CODE_USED,
                obj=user,
                details={"count": left},
            )
        return Verified(device, recovery_left=left)
    if waits and len(waits) == len(candidates):
        raise TooManyRequests(WAIT % {"seconds": min(waits)}, retry_after=min(waits))
    raise InvalidInput(WRONG_CODE, field="code")


@transaction.atomic
def second_factor_remove(*, user: User, kind: str, pk: int) -> None:
    """The owner removes an app or a passkey; staff keep at least one."""
    kinds: dict[str, Any] = {
        SecondFactorKind.TOTP.value: TOTPDevice,
        SecondFactorKind.PASSKEY.value: WebAuthnCredential,
    }
    model = kinds.get(kind)
    if model is None or not model.objects.filter(user=user, pk=pk, confirmed=True).exists():
        raise NotFound(_("No such second factor."))
    if required(user):
        others = (
            TOTPDevice.objects.filter(user=user, confirmed=True).count()
            + WebAuthnCredential.objects.filter(user=user, confirmed=True).count()
        )
        if others <= 1:
            raise Conflict(
                _("Your role needs a second factor: add another before removing this one.")
            )
    model.objects.filter(user=user, pk=pk).delete()
    audit_record(
        actor=user,
        action=AuditAction.USER_SECOND_FACTOR_REMOVED,
        obj=user,
        details={"factor": kind},
    )


@transaction.atomic
def second_factors_reset(*, actor: User, username: str, reason: str) -> None:
    """The administrator resets a person's second factors (a lost phone, verified by other
    means): every app, passkey and recovery code goes, every session ends, and the person
    enrols again at the next sign-in."""
    if user_role(actor) != Role.PLATFORM_ADMIN:
        raise NotAllowed()
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Say why: how the person's identity was checked."), field="reason")
    user = User.objects.filter(username__iexact=username.strip()).first()
    if user is None:
        raise NotFound(_("No account has this username."))
    if user.pk == actor.pk:
        raise NotAllowed(_("Another administrator resets your own second factors."))
    removed = (
        TOTPDevice.objects.filter(user=user).delete()[0]
        + WebAuthnCredential.objects.filter(user=user).delete()[0]
        + StaticDevice.objects.filter(user=user).delete()[0]
    )
    ended = _sessions_end(user=user)
    audit_record(
        actor=actor,
        action=AuditAction.USER_SECOND_FACTORS_RESET,
        obj=user,
        details={"reason": reason[:500], "count": removed, "sessions_ended": ended},
    )


# ------------------------------------------------------------------------------ API tokens


@transaction.atomic
def api_token_issue(*, user: User, name: str, scope: str, days: int) -> tuple[ApiToken, str]:
    """A new API token of the user's: named, scoped, for ``days``. Only its digest is stored:
    the token itself exists only in this return value, to be shown once."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(_("Name the token after the tool that will use it."), field="name")
    if scope not in ApiToken.Scope.values:
        raise InvalidInput(_("Choose what the token may do."), field="scope")
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise InvalidInput(
            _("A token works for 1 to %(days)s days.") % {"days": settings.API_TOKEN_MAX_DAYS},
            field="days",
        )
    instance, token = ApiToken.objects.create(
        user=user, expiry=datetime.timedelta(days=days), name=name[:100], scope=scope
    )
    audit_record(
        actor=user,
        action=AuditAction.USER_API_TOKEN_ISSUED,
        obj=user,
        details={
            "name": instance.name,
            "scope": scope,
            "expires_at": instance.expiry.isoformat() if instance.expiry else None,
        },
    )
    return instance, token


@transaction.atomic
def api_token_revoke(*, user: User, token_key: str) -> None:
    """The owner revokes one of their tokens: it stops working at once."""
    token = ApiToken.objects.filter(user=user, token_key=token_key).first()
    if token is None:
        raise NotFound(_("This token has already been revoked or has expired."))
    token.delete()
    audit_record(
        actor=user,
        action=AuditAction.USER_API_TOKEN_REVOKED,
        obj=user,
        details={"name": token.name, "scope": token.scope},
    )
