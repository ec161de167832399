"""The API's token check: knox's, without a read of the user's other tokens on every request.

Knox deletes a user's expired tokens whenever any token of theirs is presented, at the cost of
a statement on every API call. A user holds one token at a time here (``api_token_issue``
replaces it), so there are no others to sweep; the presented token's expiry is checked, and
an expired one refused and deleted, as knox does.
"""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from knox.signals import token_expired
from rest_framework.exceptions import AuthenticationFailed


class TokenAuthentication(auth.TokenAuthentication):
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
