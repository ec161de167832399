"""Every custom error of the platform's contracts has a readable, translated reason."""

from django.utils import translation

from qoima.chain.contracts import OPERATOR_ROLE, DecodedError, _error_table, to_bytes32
from qoima.chain.reasons import REASONS, error_reason


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
