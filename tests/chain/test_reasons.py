"""Every custom error of the platform's contracts has a readable, translated reason."""

import pytest
from django.conf import settings
from django.utils import translation

from qoima.chain.contracts import OPERATOR_ROLE, DecodedError, _error_table, to_bytes32
from qoima.chain.models import Operation
from qoima.chain.reasons import (
    ADDRESS_PARAMS,
    AMOUNT_PARAMS,
    PLAIN_NUMBER_PARAMS,
    REASONS,
    error_reason,
    failure_params,
    failure_text,
)
from tests.factories import token_row

TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def test_every_custom_error_has_a_reason_naming_all_its_arguments():
    for entry in _error_table().values():
        assert entry["name"] in REASONS, entry["name"]
        template = str(REASONS[entry["name"]])
        for argument in entry["inputs"]:
            assert f"%({argument['name']})s" in template, (entry["name"], argument["name"])


def test_reason_fills_in_the_arguments_readably():
    error = DecodedError("RegistryMissingDocument", {"name": to_bytes32("proof_of_rights")})
    assert error_reason(error) == (
        "The proof_of_rights document is missing; Art. 5 requires it before the token is formed."
    )
    account = "0x" + "ab" * 20
    assert error_reason(DecodedError("RegistryFrozen", {"account": account})) == (
        f"The address {account} is frozen."
    )


def test_roles_are_named():
    error = DecodedError(
        "BackedAssetUnauthorized", {"account": "0x" + "12" * 20, "role": OPERATOR_ROLE}
    )
    assert "lacks the operator role" in error_reason(error)


def test_reason_is_translated():
    with translation.override("ru"):
        reason = error_reason(DecodedError("EnforcedPause"))
    assert reason != "Movements are paused."
    assert reason


def test_unknown_error_falls_back_to_its_signature():
    assert error_reason(DecodedError("Mystery", {"x": 1})) == "Mystery(x=1)"


def test_every_address_and_amount_an_error_names_is_put_into_words():
    # An address shown raw, or an amount in base units, is what people must never read.
    for entry in _error_table().values():
        for argument in entry["inputs"]:
            if argument["type"] == "address":
                assert argument["name"] in ADDRESS_PARAMS, entry["name"]
            elif argument["type"] == "uint256" and argument["name"] not in PLAIN_NUMBER_PARAMS:
                assert argument["name"] in AMOUNT_PARAMS, entry["name"]


def test_stored_parameters_are_text_every_database_gives_back_exactly():
    error = DecodedError(
        "BackedAssetUnauthorized", {"account": "0x" + "12" * 20, "role": OPERATOR_ROLE}
    )
    assert failure_params(error) == {"account": "0x" + "12" * 20, "role": "operator"}
    huge = DecodedError("BackedAssetCapExceeded", {"cap": 2**256 - 1, "minted": 0, "amount": 1})
    assert failure_params(huge)["cap"] == str(2**256 - 1)


def failed(code, params, **fields):
    return Operation(
        kind=Operation.Kind.MINT,
        chain_id=settings.CHAIN_ID,
        token_address=TOKEN,
        state=Operation.State.FAILED,
        failure_code=code,
        failure_params=params,
        **fields,
    )


@pytest.mark.django_db
def test_a_failure_reads_in_the_readers_language_with_amounts_in_units():
    token_row(TOKEN, symbol="WHT3", decimals=2)
    operation = failed(
        "BackedAssetCapExceeded", {"cap": "100000", "minted": "100000", "amount": "199800"}
    )
    assert failure_text(operation, "en") == (
        "Minting 1,998.00 WHT3 would exceed the backed units: 1,000.00 WHT3 of 1,000.00 WHT3 "
        "are minted."
    )
    assert "1\xa0998,00 WHT3" in failure_text(operation, "ru")


@pytest.mark.django_db
def test_a_wallet_outside_the_platform_is_named_so_not_by_its_address():
    operation = failed("RegistryFrozen", {"account": "0x" + "ab" * 20})
    assert failure_text(operation, "en") == "The address A wallet outside the platform is frozen."


@pytest.mark.django_db
def test_a_failure_without_a_known_code_still_reads_as_a_sentence():
    assert failure_text(failed("Mystery", {"x": "1"}), "en") == (
        "The chain refused this operation."
    )
    assert failure_text(failed("", {}, failure_reason="raw [X(0xab)]"), "en") == (
        "The chain refused this operation."
    )


@pytest.mark.django_db
def test_failures_recorded_before_codes_read_as_sentences_after_the_migration():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("qoima.chain.migrations.0013_operation_failure_code_and_params")
    account = "0x" + "ab" * 20
    frozen = failed("", {}, failure_reason=f"The address {account} is frozen. ")
    frozen.failure_reason += f"[RegistryFrozen(account={account})]"
    document = "0x" + b"proof_of_rights".ljust(32, b"\0").hex()
    missing = failed("", {}, failure_reason=f"... [RegistryMissingDocument(name={document})]")
    suspended = failed(
        "", {}, failure_reason="The holder was suspended before the movement was sent."
    )
    for n, operation in enumerate((frozen, missing, suspended)):
        operation.idempotency_key = f"legacy-{n}"
        operation.save()

    migration.codes_from_stored_reasons(apps, None)

    for operation in (frozen, missing, suspended):
        operation.refresh_from_db()
    assert failure_text(frozen, "en") == "The address A wallet outside the platform is frozen."
    assert failure_text(missing, "en").startswith("The proof_of_rights document is missing")
    assert failure_text(suspended, "ru") == "Держатель приостановлен до отправки движения."


def test_an_audit_anchor_out_of_order_names_both_entries():
    error = DecodedError("RegistryAuditSeqNotIncreasing", {"lastSeq": 97, "seq": 40})
    assert error_reason(error) == (
        "Audit entry 40 cannot be anchored: the log is anchored up to entry 97 already."
    )
