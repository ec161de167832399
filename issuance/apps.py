from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuanceConfig(AppConfig):
    """Asset applications, documents, Art. 5 checks, review, mint and redemption."""

    name = "issuance"
    verbose_name = _("Issuance")
