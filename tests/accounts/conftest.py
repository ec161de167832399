"""The issuance fixtures (an issuer with a permit, two officers, verified holders), for the
tests of confirming sensitive acts."""

from tests.issuance.conftest import world  # noqa: F401
