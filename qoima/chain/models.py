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
