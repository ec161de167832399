from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qoima.chain.client import ChainUnavailable
from qoima.chain.deployment import RegistryOutdated, platform_registry_ensure


class Command(BaseCommand):
    help = "Deploy the platform registry on the configured chain unless it is deployed already."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--replace-outdated",
            action="store_true",
            help="Deploy a new registry when the one on chain was built from other sources.",
        )

    def handle(self, *args: Any, replace_outdated: bool = False, **options: Any) -> None:
        try:
            deployment, deployed = platform_registry_ensure(replace_outdated=replace_outdated)
        except ChainUnavailable as error:
            raise CommandError(f"The chain node does not answer: {error}") from error
        except RegistryOutdated as error:
            raise CommandError(f"{error} Run with --replace-outdated to deploy anew.") from error
        verb = "Deployed" if deployed else "Using"
        self.stdout.write(
            f"{verb} the platform registry {deployment.registry_address} "
            f"on chain {deployment.chain_id} (block {deployment.block_number})."
        )
