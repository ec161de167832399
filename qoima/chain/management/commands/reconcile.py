from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qoima.chain.client import get_web3
from qoima.chain.reconciliation import reconcile


class Command(BaseCommand):
    help = "Compare the database's ledger with the chain and report every difference."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--asset", default="", help="Only this token address.")

    def handle(self, *args: Any, asset: str = "", **options: Any) -> None:
        run = reconcile(w3=get_web3(), token_address=asset)
        for difference in run.difference_rows.all():
            self.stdout.write(
                f"{difference.get_kind_display()}: token {difference.token_address} "
                f"{difference.subject} database={difference.database_value} "
                f"chain={difference.chain_value}"
            )
        summary = (
            f"Compared at block {run.block_number}: {run.tokens_checked} tokens, "
            f"{run.holders_checked} holders, {run.refs_checked} references, "
            f"{run.differences} differences."
        )
        if run.differences:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
