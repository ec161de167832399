"""Every use case commits on its own: calling one inside another's transaction is refused,
and a step shared by use cases refuses to run outside one."""

import inspect
from collections.abc import Callable
from types import ModuleType

import pytest
from django.db import transaction

import issuance.services.applications
import issuance.services.distribution
import issuance.services.redemption
import issuance.services.review
import qoima.audit.services
import qoima.chain.anchors
import qoima.chain.services
import qoima.chain.volumes
import qoima.exchange.services.cash
import qoima.exchange.services.markets
import qoima.exchange.services.matching
import qoima.exchange.services.orders
import qoima.exchange.services.settlement
import qoima.exchange.services.transfers
import qoima.exchange.services.treasury
import qoima.participants.services
from issuance import services
from qoima.custody.services import wallet_allowlist_set_in_transaction
from tests.issuance.conftest import make_world

MODULES: list[ModuleType] = [
    qoima.participants.services,
    qoima.audit.services,
    qoima.exchange.services.transfers,
    qoima.exchange.services.cash,
    qoima.exchange.services.treasury,
    qoima.exchange.services.markets,
    qoima.exchange.services.orders,
    qoima.exchange.services.matching,
    qoima.exchange.services.settlement,
    qoima.chain.services,
    qoima.chain.anchors,
    qoima.chain.volumes,
    issuance.services.applications,
    issuance.services.distribution,
    issuance.services.redemption,
    issuance.services.review,
]
# Public functions of those modules that are not use cases: pure functions, the audit trail's
# own steps, settlement hooks (run inside the chain manager's transaction), and the registry
# deployment, which asks the chain before its own durable write.
NOT_USE_CASES = {
    "roles_sync",
    "permit_default_expiry",
    "audit_record",
    "audit_record_many",
    "audit_entry",
    "audit_unsealed_age",
    "audit_anchors_read",
    "audit_chain_check",
    "platform_keys",
    "registry_artifact_sha256",
    "platform_registry_ensure",
    "required_documents_check",
    "distribution_settled",
    "redemption_settled",
    "member_accounts",
    "platform_account",
    "posting_sql",
    "postings_sql",
    "luhn_digit",
    "reference_is_valid",
    # Orders' and markets' pure checks and parsers, shared by the placement and its preview.
    "order_quote",
    "order_amounts_parse",
    "price_parse",
    "quantity_parse",
    "price_band",
    "fee_of",
    "amount_of",
    "member_of",
    "change_reason_label",
    "halt_reason_label",
    "market_settings_parse",
    "trades_settled",
}


def _use_cases() -> list[tuple[str, Callable[..., object]]]:
    found: list[tuple[str, Callable[..., object]]] = []
    for module in MODULES:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if (
                function.__module__ == module.__name__
                and not name.startswith("_")
                and not name.endswith("_in_transaction")
                and name not in NOT_USE_CASES
            ):
                found.append((f"{module.__name__}.{name}", function))
    return found


USE_CASES = _use_cases()


def test_the_use_cases_are_found():
    names = {name.rsplit(".", 1)[1] for name, _function in USE_CASES}
    assert {"application_submit", "holder_verify", "transfer_request", "redemption_fulfil"} <= (
        names
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "use_case"), USE_CASES, ids=[n for n, _f in USE_CASES])
def test_a_use_case_cannot_run_inside_another_transaction(name, use_case):
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        use_case()


@pytest.mark.django_db
def test_two_use_cases_cannot_be_wrapped_into_one_transaction():
    world = make_world(holder_count=1)
    application = world.submitted()

    def approve_and_confirm() -> None:
        services.application_approve(
            officer=world.officer_a,
            application_id=application.pk,
            confirmed_items=[1, 2, 3, 4, 5, 6, 7],
        )
        services.application_confirm(officer=world.officer_b, application_id=application.pk)

    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        approve_and_confirm()
    application.refresh_from_db()
    assert application.status == application.Status.SUBMITTED


@pytest.mark.django_db
def test_a_use_case_on_its_own_commits_under_the_test_transaction():
    world = make_world(holder_count=1)
    application = world.submitted()
    services.application_approve(
        officer=world.officer_a,
        application_id=application.pk,
        confirmed_items=[1, 2, 3, 4, 5, 6, 7],
    )
    application.refresh_from_db()
    assert application.status == application.Status.APPROVED


def test_a_shared_step_refuses_to_run_outside_a_transaction(committed_db):
    world = make_world(holder_count=1)
    wallet = world.holders[0].wallets.get()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        wallet_allowlist_set_in_transaction(
            wallet=wallet, allowed=False, event="test", actor=world.officer_a
        )
