"""Sessions kept in the database with their owner, so that each person sees theirs and ends
them, and a password reset ends all of them."""

import datetime

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from ua_parser import parse

from qoima.participants.models import User


class AccountSession(AbstractBaseSession):
    """Django's database session, with the columns its owner's list shows.

    The columns are copies of values kept in the session's own data (``qoima.accounts.policy``):
    Django writes a session row whole on every save, from its data.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="account_sessions",
        verbose_name=_("user"),
    )
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("signed in"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last active"), null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["user", "expire_date"])]

    @property
    def device(self) -> str:
        """The browser and system the session was opened from, as ua-parser reads the
        User-Agent (``Chrome 156 · Windows``); empty when it cannot tell."""
        if not self.user_agent:
            return ""
        parsed = parse(self.user_agent)
        browser = parsed.user_agent
        named = [
            f"{browser.family} {browser.major or ''}".strip() if browser else "",
            parsed.os.family if parsed.os and parsed.os.family != "Other" else "",
        ]
        return " · ".join(part for part in named if part and part != "Other")

    @classmethod
    def get_session_store_class(cls) -> type:
        from .sessions import SessionStore

        return SessionStore


class SecondFactorKind(models.TextChoices):
    """The ways to prove the second factor, as the audit log names them."""

    TOTP = "totp", _("authenticator app")
    PASSKEY = "passkey", _("passkey")


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox's, as KNOX_TOKEN_MODEL): only the SHA-512 digest of the
    token is stored, and its first characters to tell it apart. Its owner names it, gives it
    a scope and a term, sees when it was last used, and revokes it."""

    class Scope(models.TextChoices):
        READ = "read", _("read only")
        WRITE = "write", _("read and write")

    # Declared again (knox's abstract model declares it untyped) with its translated name.
    user: models.ForeignKey[User, User] = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="auth_token_set",
        verbose_name=_("user"),
    )
    name: models.CharField[str, str] = models.CharField(_("name"), max_length=100)
    scope: models.CharField[str, str] = models.CharField(
        _("scope"), max_length=10, choices=Scope.choices, default=Scope.READ
    )
    last_used_at: models.DateTimeField[datetime.datetime | None, datetime.datetime | None] = (
        models.DateTimeField(_("last used"), null=True, blank=True)
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
