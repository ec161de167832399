from typing import Any

from django.core.management.base import BaseCommand

from qoima.exchange.demo import demo_exchange_load


class Command(BaseCommand):
    help = (
        "Open the demo asset's market, credit the demo holders from a demo bank statement and "
        "place the demo orders (once the demo asset is distributed)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = demo_exchange_load()
        self.stdout.write("Demo market ready." if done else "The demo asset is not issued yet.")
