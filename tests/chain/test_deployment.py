"""``make run`` deploys the platform registry once and reuses it."""

import pytest
from django.core.management import CommandError, call_command

from qoima.audit.models import AuditEntry
from qoima.chain.contracts import COMPLIANCE_ROLE, OPERATOR_ROLE
from qoima.chain.deployment import RegistryOutdated, platform_keys, platform_registry_ensure
from qoima.chain.direct import PlatformRegistry
from qoima.chain.models import PlatformDeployment

pytestmark = pytest.mark.django_db


def test_registry_is_deployed_once_with_the_platform_roles(chain):
    deployment, deployed = platform_registry_ensure(chain)
    assert deployed
    registry = PlatformRegistry(chain, deployment.registry_address)
    admin, operator, compliance = platform_keys()
    assert registry.has_role(b"\x00" * 32, admin.address)
    assert registry.has_role(OPERATOR_ROLE, operator.address)
    assert registry.has_role(COMPLIANCE_ROLE, compliance.address)
    assert not registry.has_role(OPERATOR_ROLE, compliance.address)
    assert AuditEntry.objects.get(action="chain.registry_deployed").details["registry"] == (
        deployment.registry_address
    )

    again, deployed_again = platform_registry_ensure(chain)
    assert not deployed_again
    assert again.registry_address == deployment.registry_address
    assert PlatformDeployment.objects.count() == 1


def test_registry_is_deployed_again_when_the_chain_lost_it(chain):
    deployment, _ = platform_registry_ensure(chain)
    # A chain reset (a fresh dev node) keeps the database row but not the code.
    chain.provider.make_request("anvil_setCode", [deployment.registry_address, "0x"])
    fresh, deployed = platform_registry_ensure(chain)
    assert deployed
    assert fresh.registry_address != deployment.registry_address
    assert AuditEntry.objects.filter(action="chain.registry_redeployed").count() == 1


def test_deployplatform_command_reports_what_it_did(chain, capsys):
    call_command("deployplatform")
    assert "Deployed the platform registry" in capsys.readouterr().out
    call_command("deployplatform")
    assert "Using the platform registry" in capsys.readouterr().out


def test_registry_built_from_other_sources_is_replaced_only_when_asked(chain):
    deployment, _ = platform_registry_ensure(chain)
    PlatformDeployment.objects.filter(pk=deployment.pk).update(artifact_sha256="0" * 64)
    with pytest.raises(RegistryOutdated):
        platform_registry_ensure(chain)
    with pytest.raises(CommandError, match="--replace-outdated"):
        call_command("deployplatform")
    fresh, deployed = platform_registry_ensure(chain, replace_outdated=True)
    assert deployed
    assert fresh.registry_address != deployment.registry_address
    assert fresh.artifact_sha256 != "0" * 64
