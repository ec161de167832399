"""What the platform last heard from its matchers."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MatcherHeartbeat(models.Model):
    """When a matcher process last went round its loop (one row per process name).

    Apart from the Celery workers' heartbeats: a live worker says nothing about whether orders
    are being matched, and a live matcher nothing about whether anything reaches the chain.
    """

    name = models.CharField(_("matcher"), max_length=255, unique=True)
    seen_at = models.DateTimeField(_("last heard from"))
    steps = models.PositiveBigIntegerField(_("steps run"), default=0)

    class Meta:
        verbose_name = _("matcher heartbeat")
        verbose_name_plural = _("matcher heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
