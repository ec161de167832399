from typing import Any

from django.core.management.base import BaseCommand

from qoima.custody.services import wallet_keys_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every custodial key under the first of CUSTODY_ENCRYPTION_KEYS, so an "
        "older encryption key can be retired."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = wallet_keys_reencrypt()
        self.stdout.write(f"{count} keys re-encrypted")
