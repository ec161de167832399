from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qoima.audit.services import Anchor, audit_chain_verify
from qoima.chain.anchors import audit_anchors_read
from qoima.chain.client import ChainUnavailable


def _anchor(given: str) -> Anchor:
    seq, _, root = given.partition(":")
    if not seq.isdigit() or len(root) != 64:
        raise CommandError(f"an anchor is SEQ:ENTRY_HASH (64 hex digits), not {given!r}")
    return int(seq), root.lower()


class Command(BaseCommand):
    help = (
        "Seal the entries waiting for it, verify the audit log's hash chain against every "
        "anchor the platform registry holds on-chain, and name the first broken entry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQ:ENTRY_HASH",
            help="an entry hash recorded elsewhere that the entry at SEQ must have",
        )
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="check the log as it is, without sealing the entries that wait first",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchors = [_anchor(given) for given in options["anchor"]]
        try:
            onchain = audit_anchors_read()
        except ChainUnavailable as error:
            # Without the anchors a rewrite of the whole log would pass: no verdict at all.
            raise CommandError(
                f"The chain node does not answer, so the anchors cannot be read: {error}"
            ) from error
        anchors += [record.anchor for record in onchain or []]
        check = audit_chain_verify(anchors=anchors, seal=not options["no_seal"])
        if not check.ok:
            where = (
                f"entry #{check.first_broken_seq}"
                if check.first_broken_seq is not None
                else "an unsealed entry"
            )
            raise CommandError(f"Audit chain broken at {where}: {check.problem}")
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {check.entries_checked} entries checked.")
        )
        if onchain is None:
            self.stdout.write("No platform registry is deployed: no anchors on-chain yet.")
        elif onchain:
            newest = onchain[-1]
            matched = "the one anchor" if len(onchain) == 1 else f"all {len(onchain)} anchors"
            self.stdout.write(
                f"It matches {matched} on-chain; the newest, entry #{newest.seq}, in block "
                f"{newest.block_number} ({newest.tx_hash})."
            )
        else:
            self.stdout.write("The platform registry holds no anchor yet.")
