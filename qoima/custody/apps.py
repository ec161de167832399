from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustodyConfig(AppConfig):
    """Custodial wallets, keys encrypted at rest, signing, external wallet links."""

    name = "qoima.custody"
    verbose_name = _("Custody")
