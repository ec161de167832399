from typing import Any

from django.core.management.base import BaseCommand

from qoima.participants.demo import demo_load


class Command(BaseCommand):
    help = "Create the demo participants (once; running it again changes nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = demo_load()
        self.stdout.write("Demo data loaded." if created else "Demo data already present.")
