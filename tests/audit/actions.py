"""Every action code the platform records, read from its code: the audit labels and the
translation catalogues must cover them all."""

import re
from pathlib import Path

from django.contrib import admin

from issuance.models import Review
from qoima.chain.models import Operation
from qoima.participants.models import Permit

ROOT = Path(__file__).resolve().parent.parent.parent
LITERAL = re.compile(r'action="([a-z_]+\.[a-z_.]+)"')


def recorded_actions() -> set[str]:
    """Every action code the platform's code records: literals, and each value of the codes
    it builds from a status or a kind."""
    found = set()
    for folder in ("qoima", "issuance", "registry"):
        for path in (ROOT / folder).rglob("*.py"):
            found.update(LITERAL.findall(path.read_text(encoding="utf-8")))
    found.update(f"permit.{status}" for status in Permit.Status.values)
    found.update(f"custody.wallet_{kind}" for kind in (Operation.Kind.ALLOWLIST, "delist"))
    found.update(
        f"issuance.application_{action}"
        for action in (Review.Action.REJECT, Review.Action.REQUEST_CHANGES)
    )
    found.update(f"issuance.redemption_{status}" for status in ("redeemed", "failed"))
    found.update(
        f"admin.{model._meta.model_name}.{change}"
        for model in admin.site._registry
        for change in ("added", "changed")
    )
    return found
