"""The platform's contracts deployed on a chain."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlatformDeployment(models.Model):
    """The platform registry in use on a chain: deployed once, then reused."""

    chain_id = models.PositiveBigIntegerField(_("chain id"), unique=True)
    registry_address = models.CharField(_("registry address"), max_length=42)
    deploy_tx_hash = models.CharField(_("deployment transaction"), max_length=66)
    block_number = models.PositiveBigIntegerField(_("deployment block"))
    admin_address = models.CharField(_("admin address"), max_length=42)
    operator_address = models.CharField(_("operator address"), max_length=42)
    compliance_address = models.CharField(_("compliance address"), max_length=42)
    # SHA-256 of the artifact's deployed bytecode: tells whether the sources changed since.
    artifact_sha256 = models.CharField(_("artifact SHA-256"), max_length=64, blank=True)
    deployed_at = models.DateTimeField(_("deployed at"))

    class Meta:
        verbose_name = _("platform deployment")
        verbose_name_plural = _("platform deployments")

    def __str__(self) -> str:
        return f"registry {self.registry_address} on chain {self.chain_id}"
