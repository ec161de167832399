from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    """Transfers, order book, matching, settlement and the tenge cash ledger."""

    name = "qoima.exchange"
    verbose_name = _("Exchange")
