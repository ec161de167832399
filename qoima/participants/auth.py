"""The API's token check: knox's, with the token's scope and its last use, and without a read
of the user's other tokens on every request.

Knox deletes a user's expired tokens whenever any token of theirs is presented, at the cost of
a statement on every API call; here the presented token's expiry is checked, and an expired
one refused and deleted, as knox does (the owner's list shows the others as expired). A
read-only token (the regulator's tools) is refused for anything but reading.
"""

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from knox.signals import token_expired
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

# A token's last use is written at most this often.
LAST_USED_GRANULARITY = datetime.timedelta(minutes=1)


class TokenAuthentication(auth.TokenAuthentication):
    def authenticate(self, request: Request) -> Any:
        found = super().authenticate(request)
        if found is None:
            return None
        from qoima.accounts.models import ApiToken

        token = found[1]
        if token.scope == ApiToken.Scope.READ and request.method not in SAFE_METHODS:
            raise PermissionDenied(_("This API token is read-only: it cannot change anything."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return found

    def authenticate_credentials(self, token: bytes) -> Any:
        # Knox decodes the header as UTF-8 unguarded: other bytes would be a server error.
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Invalid token.")) from None
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token: Any) -> bool:
        """Whether the token has expired: then it is deleted and skipped."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of knox's class, for this one."""

    target_class = "qoima.participants.auth.TokenAuthentication"
