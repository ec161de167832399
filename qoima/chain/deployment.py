"""Deployment of the platform registry on a chain, signed and sent directly by the admin key.

Run by ``manage.py deployplatform`` (and by tests and benchmarks): the one place outside the
transaction manager that sends, because the manager's operations need the registry to exist.
"""

import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record

from .client import chain_head, get_web3
from .contracts import COMPLIANCE_ROLE, OPERATOR_ROLE, artifact
from .direct import PlatformRegistry
from .models import PlatformDeployment


def platform_keys() -> tuple[LocalAccount, LocalAccount, LocalAccount]:
    """The admin, operator and compliance signers."""
    return (
        Account.from_key(settings.CHAIN_ADMIN_KEY),
        Account.from_key(settings.CHAIN_OPERATOR_KEY),
        Account.from_key(settings.CHAIN_COMPLIANCE_KEY),
    )


class RegistryOutdated(Exception):
    """The registry on the chain was built from other contract sources than the current ones."""


def registry_artifact_sha256() -> str:
    return hashlib.sha256(artifact("PlatformRegistry")["deployedBytecode"].encode()).hexdigest()


def platform_registry_ensure(
    w3: Web3 | None = None, *, replace_outdated: bool = False
) -> tuple[PlatformDeployment, bool]:
    """Deploy the platform registry on the chain unless it is there; True when deployed now.

    The chain is asked before the database is written, and the deployment row commits with its
    audit entry, so an interrupted deployment is simply done again. A registry built from other
    sources is replaced only when asked: tokens issued under it stay governed by it.
    """
    w3 = w3 or get_web3()
    chain_id = chain_head(w3).chain_id
    known = PlatformDeployment.objects.filter(chain_id=chain_id).first()
    if known is not None and w3.eth.get_code(Web3.to_checksum_address(known.registry_address)):
        if known.artifact_sha256 == registry_artifact_sha256():
            return known, False
        if not replace_outdated:
            raise RegistryOutdated(
                f"The registry {known.registry_address} was built from other contract sources."
            )
    admin, operator, compliance = platform_keys()
    registry = PlatformRegistry.deploy(w3, admin, admin.address)
    registry.grant_role(admin, OPERATOR_ROLE, operator.address)
    registry.grant_role(admin, COMPLIANCE_ROLE, compliance.address)
    return _deployment_save(w3, chain_id, registry, admin, operator, compliance), True


@transaction.atomic(durable=True)
def _deployment_save(
    w3: Web3,
    chain_id: int,
    registry: PlatformRegistry,
    admin: LocalAccount,
    operator: LocalAccount,
    compliance: LocalAccount,
) -> PlatformDeployment:
    creation = registry.deployment_receipt
    deployment, created = PlatformDeployment.objects.update_or_create(
        chain_id=chain_id,
        defaults={
            "registry_address": registry.address,
            "deploy_tx_hash": creation["transactionHash"].to_0x_hex(),
            "block_number": creation["blockNumber"],
            "admin_address": admin.address,
            "operator_address": operator.address,
            "compliance_address": compliance.address,
            "artifact_sha256": registry_artifact_sha256(),
            "deployed_at": timezone.now(),
        },
    )
    audit_record(
        actor=None,
        action=(
            AuditAction.CHAIN_REGISTRY_DEPLOYED
            if created
            else AuditAction.CHAIN_REGISTRY_REDEPLOYED
        ),
        obj=deployment,
        details={
            "chain_id": chain_id,
            "registry": registry.address,
            "tx_hash": deployment.deploy_tx_hash,
            "operator": operator.address,
            "compliance": compliance.address,
        },
    )
    return deployment
