"""``make bench``: measures the platform's figures and its contracts' gas, printed as tables.

The platform figures run against a throwaway test database (PostgreSQL when DATABASE_URL is set,
else SQLite) and the gas figures against a throwaway anvil, so nothing of the platform's own
data or chain is touched.
"""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoima.settings.test")

import django

django.setup()

from bench import gas, platform  # noqa: E402
from bench.table import print_table  # noqa: E402


def main() -> int:
    print_table("Platform", platform.HEADER, platform.measure())
    gas.print_report(gas.measure())
    return 0


if __name__ == "__main__":
    sys.exit(main())
