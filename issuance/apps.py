from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuanceConfig(AppConfig):
    """Asset applications, documents, Art. 5 checks, review, mint and redemption."""

    name = "issuance"
    verbose_name = _("Issuance")

    def ready(self) -> None:
        # The transaction manager hands confirmed and failed operations to the services'
        # handlers in whichever process confirms them, and the tasks answer the services'
        # signals (a file was uploaded): every process must have both registered, not only
        # workers, where Celery imports the tasks by itself.
        from . import tasks  # noqa: F401
        from .services import distribution, minting, redemption  # noqa: F401
