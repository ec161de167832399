"""The API fuzzed through its own OpenAPI schema, as every role, with schemathesis.

Every operation is called with generated input (valid and invalid) by an anonymous caller and
by a user of each role, against a world where the caller's objects exist: an issuer with a
draft, a submitted, an approved and an issued application, a verified holder with units of the
issued asset, a pending redemption, a distribution and a transfer. Every answer must be
documented (status code, content type, body schema) and none may be a server error.

The run is derandomized (the same cases on every run) and small enough for every test run.
Raise ``QOIMA_FUZZ_EXAMPLES`` to search harder.
"""

import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, strategies
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from issuance import services as issuance
from issuance.models import Application
from qoima.accounts.models import ApiToken
from qoima.chain.models import PlatformToken, TokenBalance
from qoima.custody.selectors import custodial_wallet
from qoima.exchange.services import market_open, order_place, transfer_request
from qoima.participants.models import Role
from tests.exchange.trading import SETTINGS, deposit
from tests.factories import make_user
from tests.issuance.conftest import issued_without_chain

EXAMPLES = int(os.environ.get("QOIMA_FUZZ_EXAMPLES", "8"))
ROLES = [
    None,
    Role.HOLDER,
    Role.ISSUER_STAFF,
    Role.COMPLIANCE_OFFICER,
    Role.REGULATOR,
    Role.PLATFORM_ADMIN,
    Role.TREASURY_OFFICER,
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _openapi() -> dict[str, Any]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(_openapi())


@dataclass
class Fuzzed:
    users: dict[Any, Any]
    ids: dict[str, dict[str, int]]


@pytest.fixture
def fuzz_world(world) -> Fuzzed:
    """Every role's user and one object of each kind its operations take."""
    holder, other = world.holders[0], world.holders[1]
    draft = world.draft(symbol="DRFT1")
    submitted = world.submitted(symbol="SBMT1")
    approved = world.approved(symbol="APRV1")
    # The token as the indexer would have read it from the chain.
    issued = issued_without_chain(world)
    wallet = custodial_wallet(holder)
    assert wallet is not None
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=issued.token_address,
        holder=wallet.address,
        amount=500_000,
    )
    redemption = issuance.redemption_request(
        actor=holder.user, application_id=issued.pk, amount="10"
    )
    distribution = issuance.distribution_send(
        actor=world.issuer,
        application_id=issued.pk,
        receiver=other.identification_number,
        amount="5",
        idempotency_key="fuzz-1",
    )
    transfer, _created = transfer_request(
        actor=holder.user,
        token_address=issued.token_address,
        receiver_number=other.identification_number,
        amount="1",
        idempotency_key="fuzz-1",
    )
    document = issued.documents.first()
    assert document is not None
    # A market for the issued asset, and the holder's buy resting in it.
    market = market_open(
        actor=make_user(Role.PLATFORM_ADMIN),
        token_id=PlatformToken.objects.get(address=issued.token_address).pk,
        values=SETTINGS,
    )
    deposit(holder, 10_000_000)
    order, _placed = order_place(
        actor=holder.user,
        market_id=market.pk,
        client_order_id="fuzz-1",
        side="buy",
        type="limit",
        time_in_force="gtc",
        price=100_000,
        quantity=100,
    )
    users = {
        Role.HOLDER: holder.user,
        Role.ISSUER_STAFF: world.issuer,
        Role.COMPLIANCE_OFFICER: world.officer_b,
        Role.REGULATOR: make_user(Role.REGULATOR),
        Role.PLATFORM_ADMIN: make_user(Role.PLATFORM_ADMIN),
        Role.TREASURY_OFFICER: make_user(Role.TREASURY_OFFICER),
    }
    common = {
        "redemption_id": redemption.pk,
        "distribution_id": distribution.pk,
        "transfer_id": transfer.pk,
        "document_id": document.pk,
        "market_id": market.pk,
        "order_id": order.pk,
    }
    # The application each operation acts on: one in the state the operation expects.
    ids = {
        "submit": {**common, "application_id": draft.pk},
        "documents": {**common, "application_id": draft.pk},
        "approve": {**common, "application_id": submitted.pk},
        "reject": {**common, "application_id": submitted.pk},
        "request-changes": {**common, "application_id": submitted.pk},
        "confirm": {**common, "application_id": approved.pk},
        "": {**common, "application_id": issued.pk},
    }
    assert Application.objects.filter(status=Application.Status.ISSUED).exists()
    return Fuzzed(users, ids)


@pytest.fixture
def django_app():
    """Django's WSGI application, called inside the test's transaction.

    A WSGI server closes stale connections around each request; inside a test that would
    close the test's own transaction, so (as Django's test client does) it is left out.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _token_for(user) -> str:
    return ApiToken.objects.create(user=user, name="Fuzz", scope="write")[1]


def _ids_for(path: str, fuzzed: Fuzzed) -> dict[str, int]:
    action = path.rstrip("/").rsplit("/", 1)[-1]
    return fuzzed.ids.get(action, fuzzed.ids[""])


OPERATIONS = [
    result.ok() if isinstance(result, Ok) else pytest.fail(str(result.err()))
    for result in schema.get_all_operations()
]


def _cases(operation):
    """Valid and invalid input for the operation (invalid where its schema allows any)."""
    positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    try:
        negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    except Exception:  # an operation without input has no invalid input
        return positive
    return strategies.one_of(positive, negative)


def _fuzz(operation, ids: dict[str, int], headers: dict[str, str], app) -> None:
    @given(case=_cases(operation))
    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        # Path ids name the world's objects, so operations reach their bodies.
        for name in case.path_parameters or {}:
            if name in ids:
                case.path_parameters[name] = ids[name]
        case.call_and_validate(app=app, headers=headers, checks=CHECKS)

    call()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
def test_the_api_answers_as_documented(role, fuzz_world, django_app):
    """One test per role (the world is built once for all operations); every failing
    operation is listed, not only the first."""
    headers = {"Accept-Language": "ru"}
    if role is not None:
        headers["Authorization"] = f"Token {_token_for(fuzz_world.users[role])}"
    failures = []
    for operation in OPERATIONS:
        try:
            _fuzz(operation, _ids_for(operation.path, fuzz_world), headers, django_app)
        except (Exception, BaseExceptionGroup) as failure:  # schemathesis' FailureGroup
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}"[:3000])
    assert not failures, "\n\n".join(failures)
