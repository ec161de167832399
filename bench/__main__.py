"""``make bench``: measures the platform's figures, the audit log's, its contracts' gas, and the
transaction manager and indexer end to end, and a CSV distribution end to end, printed as tables.

The platform and transaction figures run against a throwaway test database (PostgreSQL when
DATABASE_URL is set, else SQLite; Redis as the broker when REDIS_URL is set) and every chain
figure against a throwaway anvil, so nothing of the platform's own data or chain is touched.
"""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoima.settings.test")

import django

django.setup()

from bench import audit, exchange, gas, issuance, platform, registry, txm  # noqa: E402
from bench.table import print_table  # noqa: E402

SECTIONS = {
    "platform": lambda: print_table("Platform", platform.HEADER, platform.measure()),
    "audit": lambda: audit.print_report(audit.measure()),
    "gas": lambda: gas.print_report(gas.measure()),
    "txm": lambda: txm.print_report(txm.measure()),
    "issuance": lambda: issuance.print_report(issuance.measure()),
    "registry": lambda: registry.print_report(registry.measure()),
    "exchange": lambda: exchange.print_report(exchange.measure()),
}


def main() -> int:
    """Every section, or only those named: ``python -m bench txm``."""
    names = sys.argv[1:] or list(SECTIONS)
    unknown = set(names) - SECTIONS.keys()
    if unknown:
        print(f"unknown sections {sorted(unknown)}; choose from {list(SECTIONS)}", file=sys.stderr)
        return 2
    for name in names:
        SECTIONS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
