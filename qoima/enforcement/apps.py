from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnforcementConfig(AppConfig):
    """Compliance's acts of enforcement: freezes, forced transfers and pauses, each on a
    legal basis, carried to the chain by the transaction manager."""

    name = "qoima.enforcement"
    verbose_name = _("Enforcement")

    def ready(self) -> None:
        # The transaction manager hands an act's operation to its settlement in whichever
        # process confirms or fails it: every process must have the handler registered.
        from . import settlement  # noqa: F401
