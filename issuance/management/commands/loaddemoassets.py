from typing import Any

from django.core.management.base import BaseCommand

from issuance.demo import demo_assets_follow, demo_assets_load


class Command(BaseCommand):
    help = (
        "Create the demo asset applications (once); with --follow, wait for the worker to mint "
        "the demo asset, then distribute it to the demo holders and request a redemption."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--follow",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="how long to wait for the mint before giving up",
        )

    def handle(self, *args: Any, follow: float, **options: Any) -> None:
        if follow:
            done = demo_assets_follow(timeout=follow)
            self.stdout.write(
                "Demo asset distributed." if done else "Demo asset not minted in time."
            )
            return
        created = demo_assets_load()
        self.stdout.write("Demo assets loaded." if created else "Demo assets already present.")
