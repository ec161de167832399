from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainConfig(AppConfig):
    """The one web3 boundary: client, contract artifacts, transaction manager, indexer."""

    name = "qoima.chain"
    verbose_name = _("Chain")
