from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class ChainConfig(AppConfig):
    """The one web3 boundary: client, contract artifacts, transaction manager, indexer."""

    name = "qoima.chain"
    verbose_name = _("Chain")

    def ready(self) -> None:
        from .fields import sqlite_functions_install

        connection_created.connect(sqlite_functions_install, dispatch_uid="uint256_functions")
        # The tasks answer the manager's signals (a batch is wanted) in every process, not only
        # in workers, where Celery imports them by itself.
        from . import tasks  # noqa: F401
