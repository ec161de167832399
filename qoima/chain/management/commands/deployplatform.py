from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qoima.chain.client import ChainUnavailable
from qoima.chain.services import platform_registry_ensure


class Command(BaseCommand):
    help = "Deploy the platform registry on the configured chain unless it is deployed already."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            deployment, deployed = platform_registry_ensure()
        except ChainUnavailable as error:
            raise CommandError(f"The chain node does not answer: {error}") from error
        verb = "Deployed" if deployed else "Using"
        self.stdout.write(
            f"{verb} the platform registry {deployment.registry_address} "
            f"on chain {deployment.chain_id} (block {deployment.block_number})."
        )
