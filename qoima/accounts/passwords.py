"""The password policy's one rule of its own: a minimum length by role (the other rules are
Django's validators, see AUTH_PASSWORD_VALIDATORS)."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext

from qoima.participants.models import STAFF_ROLES
from qoima.participants.selectors import user_role


def minimum_length(user: Any) -> int:
    """Staff (whose accounts reach every participant's data) need longer passwords."""
    if user is not None and user_role(user) in STAFF_ROLES:
        return int(settings.PASSWORD_STAFF_MIN_LENGTH)
    return int(settings.PASSWORD_MIN_LENGTH)


class RoleMinimumLengthValidator:
    def validate(self, password: str, user: Any = None) -> None:
        least = minimum_length(user)
        if len(password) < least:
            raise ValidationError(
                ngettext(
                    "This password is too short: it must have at least %(min_length)d character.",
                    "This password is too short: it must have at least %(min_length)d characters.",
                    least,
                ),
                code="password_too_short",
                params={"min_length": least},
            )
        if len(password) > settings.PASSWORD_MAX_LENGTH:
            raise ValidationError(
                gettext("This password is too long: at most %(max_length)d characters."),
                code="password_too_long",
                params={"max_length": settings.PASSWORD_MAX_LENGTH},
            )

    def get_help_text(self) -> str:
        return gettext(
            "At least %(participants)d characters (%(staff)d for the platform's staff); a "
            "passphrase of several words is easiest to remember."
        ) % {
            "participants": settings.PASSWORD_MIN_LENGTH,
            "staff": settings.PASSWORD_STAFF_MIN_LENGTH,
        }
