from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender: AppConfig, **kwargs: Any) -> None:
    # Permissions exist only after post_migrate has created them, so groups follow here.
    from .services import roles_sync

    roles_sync()


class ParticipantsConfig(AppConfig):
    name = "qoima.participants"
    verbose_name = _("Participants")

    def ready(self) -> None:
        post_migrate.connect(_sync_roles, sender=self)
