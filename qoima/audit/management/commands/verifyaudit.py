from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qoima.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and name the first broken entry."

    def handle(self, *args: Any, **options: Any) -> None:
        check = audit_chain_verify()
        if not check.ok:
            raise CommandError(
                f"Audit chain broken at entry #{check.first_broken_seq}: {check.problem}"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {check.entries_checked} entries checked.")
        )
