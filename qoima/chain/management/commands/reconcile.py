from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from web3.exceptions import Web3Exception

from qoima.chain.client import ChainUnavailable, get_web3
from qoima.chain.health import INDEXER_STALLED, OPERATION_STALLED, Stall, stall_status
from qoima.chain.reconciliation import reconcile


def _stall_lines(stall: Stall) -> list[str]:
    lines = []
    if OPERATION_STALLED in stall.work_reasons:
        lines.append(
            f"Stalled: the oldest unfinished operation has waited {stall.oldest_unfinished_age} s, "
            f"longer than CHAIN_STALL_SECONDS={stall.stall_seconds}."
        )
    if INDEXER_STALLED in stall.work_reasons:
        lines.append(
            f"Stalled: the indexer is {stall.indexer_blocks_behind} blocks behind the node and "
            f"has not moved for {stall.indexer_seconds_behind} s, longer than "
            f"CHAIN_STALL_SECONDS={stall.stall_seconds}."
        )
    if lines:
        heard = (
            "no worker has been heard from"
            if stall.heartbeat_age is None
            else f"the last worker was heard from {stall.heartbeat_age} s ago"
        )
        lines.append(f"Workers: {heard}.")
    return lines


class Command(BaseCommand):
    help = (
        "Compare the database's ledger with the chain and report every difference; fail too "
        "when work is older than CHAIN_STALL_SECONDS (nothing moves)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--asset", default="", help="Only this token address.")

    def handle(self, *args: Any, asset: str = "", **options: Any) -> None:
        # Agreement between the database and the chain says nothing about work that never
        # reaches the chain: a dead worker leaves both agreeing while operations pile up.
        stalled = _stall_lines(stall_status(chain_id=settings.CHAIN_ID))
        for line in stalled:
            self.stderr.write(line)
        try:
            run = reconcile(w3=get_web3(), token_address=asset)
        except (ChainUnavailable, OSError, Web3Exception) as error:
            raise CommandError(
                f"The chain node at {settings.CHAIN_RPC_URL} does not answer: {error}"
            ) from error
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
        if stalled:
            raise CommandError(f"{summary} But work has stalled: {stalled[0]}")
        self.stdout.write(self.style.SUCCESS(summary))
