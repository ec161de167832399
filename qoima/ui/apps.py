from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UiConfig(AppConfig):
    """The design system: the page frame, shared partials and the formatters every page uses."""

    name = "qoima.ui"
    label = "ui"
    verbose_name = _("Interface")
