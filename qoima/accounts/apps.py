from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Signing in and staying signed in: lockouts, sessions and their lifetimes, passwords."""

    name = "qoima.accounts"
    verbose_name = _("Accounts and access")

    def ready(self) -> None:
        # Sign-ins and lockouts are noticed in whichever process handles them.
        from . import receivers  # noqa: F401
