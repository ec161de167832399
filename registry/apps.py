from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    """Read-only views, API, exports and reports for regulators and auditors."""

    name = "registry"
    verbose_name = _("Registry")
