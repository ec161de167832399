"""Fixtures of the exchange (two verified holders, an asset) and issuance (an issuer with a
permit, officers, verified holders) tests, for the API tests."""

import uuid

import pytest

from tests.exchange.conftest import alice, asset, bank, officer  # noqa: F401
from tests.issuance.conftest import world  # noqa: F401


@pytest.fixture
def throttle_rate(settings):
    """Sets the recipient-lookup (or another scope's) rate, and counts requests afresh (on
    SQLite user ids of earlier tests come again, and throttles outlive a test's rolled-back
    transaction)."""

    def set_rate(rate: str, scope: str = "recipient") -> None:
        settings.CACHES = {
            "default": {**settings.CACHES["default"], "KEY_PREFIX": uuid.uuid4().hex}
        }
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                "anon": "10000/minute",
                "recipient": "10000/minute",
                "registration": "10000/minute",
                scope: rate,
            },
        }

    return set_rate
