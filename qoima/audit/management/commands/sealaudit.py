from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qoima.audit.services import SEAL_BATCH, audit_seal


class Command(BaseCommand):
    help = "Give every committed audit entry that waits for it its place in the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=SEAL_BATCH,
            help="entries sealed in one transaction",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = audit_seal(batch_size=options["batch_size"])
        self.stdout.write(self.style.SUCCESS(f"{sealed} audit entries sealed."))
