"""Every action code the platform's code can record: the audit labels and the translation
catalogues must cover them all."""

import re
from pathlib import Path

from qoima.audit.actions import AuditAction

ROOT = Path(__file__).resolve().parent.parent.parent
# An action given as a string where the platform records one: every call site names a member.
LITERAL = re.compile(r'action=f?"([a-z_{}]+\.[a-z_.{}]*)"')


def recorded_actions() -> set[str]:
    """The catalogue (audit_record refuses anything else) and any code still written out as a
    string, which the labels test refuses."""
    found = set(AuditAction.values)
    for folder in ("qoima", "issuance", "registry"):
        for path in (ROOT / folder).rglob("*.py"):
            found.update(LITERAL.findall(path.read_text(encoding="utf-8")))
    return found
