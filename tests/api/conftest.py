"""Fixtures of the exchange (two verified holders, an asset) and issuance (an issuer with a
permit, officers, verified holders) tests, for the API tests."""

from tests.exchange.conftest import alice, asset, bank, officer  # noqa: F401
from tests.issuance.conftest import world  # noqa: F401
