"""What the platform last heard from its chain node and its workers."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NodeHealth(models.Model):
    """What the platform last heard from its chain node (one row per chain id)."""

    chain_id = models.PositiveBigIntegerField(_("chain id"), unique=True)
    block_number = models.PositiveBigIntegerField(_("latest block"))
    block_hash = models.CharField(_("latest block hash"), max_length=66)
    observed_at = models.DateTimeField(_("observed at"))

    class Meta:
        verbose_name = _("chain node health")
        verbose_name_plural = _("chain node health")

    def __str__(self) -> str:
        return f"chain {self.chain_id} @ {self.block_number}"


class WorkerHeartbeat(models.Model):
    """When a worker last showed it takes work from the broker (one row per worker name).

    Written when a worker starts and each time it runs the heartbeat task beat sends, so a
    recent row means broker, beat and a worker all work; none means nothing moves.
    """

    worker = models.CharField(_("worker"), max_length=255, unique=True)
    seen_at = models.DateTimeField(_("last heard from"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
