from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    """Transfers, order book, matching, settlement and the tenge cash ledger."""

    name = "qoima.exchange"
    verbose_name = _("Exchange")

    def ready(self) -> None:
        from qoima.chain.reconciliation import platform_check_register

        from .reconciliation import exchange_differences

        platform_check_register(exchange_differences)

        # The transaction manager hands a trade's transfer to its settlement in whichever
        # process confirms or fails it: every process must have the handler registered.
        from .services import settlement  # noqa: F401
