from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuanceConfig(AppConfig):
    """Asset applications, documents, Art. 5 checks, review, mint and redemption."""

    name = "issuance"
    verbose_name = _("Issuance")

    def ready(self) -> None:
        # The transaction manager hands confirmed and failed operations to these handlers in
        # whichever process confirms them: every process must have them registered.
        from .services import distribution, minting, redemption  # noqa: F401

        # The tasks answer the services' signals (a file was uploaded) in every process, not
        # only in workers, where Celery imports them by itself.
        from . import tasks  # noqa: F401
