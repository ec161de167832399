"""Every operation kind is declared once, completely and consistently with the contracts."""

from typing import Any

import pytest

from qoima.chain.contracts import _error_table, artifact
from qoima.chain.kinds import (
    KINDS,
    Batching,
    Contracts,
    Reservation,
    Signer,
    cancellable_kinds,
    moving_kinds,
    reserving_kinds,
)
from qoima.chain.manager.requests import FIELDS
from qoima.chain.models import Operation

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TOKEN = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
SAMPLE: dict[str, Any] = {
    "token_address": TOKEN,
    "sender": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "receiver": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "account": "0x90F79bf6EB2c4f870365E51Ef7e1FE8D8f6f3A21",
    "amount": 5,
    "reason_hash": "0x" + "ab" * 32,
    "payload": {
        "asset": {
            "asset_id": "KZ-1",
            "name": "Asset",
            "symbol": "AST",
            "decimals": 2,
            "cap": 1000,
            "issuer_name": "Issuer",
            "issuer_id_number": "940140000385",
            "permit_number": "P-1",
            "asset_identifier": "20:311",
            "asset_class": "tangible_asset",
        },
        "documents": [{"name": "proof", "uri": "https://qoima.kz/p", "sha256": "0x" + "cd" * 32}],
    },
}


# Each payload kind's own data.
PAYLOADS = {"issue_asset": SAMPLE["payload"], "audit_anchor": {"seq": 5, "root": "0x" + "ab" * 32}}


def _operation(kind: str, pk: int = 7, **fields: Any) -> Operation:
    rule = KINDS[kind]
    given = {name: SAMPLE[name] for name in rule.needs} | fields
    if "payload" in rule.needs:
        given["payload"] = PAYLOADS[kind]
    return Operation(pk=pk, kind=kind, **given)


def _functions(contract: str) -> set[str]:
    return {e["name"] for e in artifact(contract)["abi"] if e["type"] == "function"}


def test_every_kind_has_exactly_one_rule():
    assert set(KINDS) == set(Operation.Kind.values)


@pytest.mark.parametrize("kind", list(Operation.Kind.values))
def test_a_rule_names_only_request_fields_and_needs_what_it_moves(kind):
    rule = KINDS[kind]
    assert rule.needs, kind
    assert rule.needs | rule.may <= set(FIELDS), kind
    assert not rule.needs & rule.may, kind
    if rule.moves:
        assert {"token_address", "amount"} <= rule.needs, kind
    if rule.reserves != Reservation.NONE:
        # Units are reserved from the sender, and released when the movement's Transfer (or
        # the freeze's TokensFrozen) is applied.
        assert rule.moves or kind == "freeze_tokens", kind
        assert {"sender", "token_address", "amount"} <= rule.needs, kind
    if rule.batching == Batching.CONSECUTIVE:
        # Only acts whose order is kept gather consecutively; others would never join.
        assert rule.keeps_order, kind
    if rule.batching == Batching.PER_TOKEN:
        assert "token_address" in rule.needs, kind
    if rule.holder_cancels:
        assert rule.needs & {"sender", "receiver"}, kind


@pytest.mark.parametrize("kind", list(Operation.Kind.values))
def test_a_kind_with_a_payload_checks_it_and_keeps_what_it_checked(kind):
    rule = KINDS[kind]
    assert ("payload" in rule.needs | rule.may) == (rule.payload is not None), kind
    if rule.payload is not None:
        assert rule.payload(PAYLOADS[kind]) == PAYLOADS[kind], kind
        assert rule.payload({}) is None, kind
        assert rule.payload("not a mapping") is None, kind


@pytest.mark.parametrize("kind", list(Operation.Kind.values))
def test_party_reverts_are_contract_errors_naming_an_address_field_of_the_kind(kind):
    errors = {entry["name"]: entry for entry in _error_table().values()}
    rule = KINDS[kind]
    for revert in rule.party_reverts:
        assert revert.error in errors, revert
        arguments = {i["name"]: i["type"] for i in errors[revert.error]["inputs"]}
        assert arguments.get(revert.argument) == "address", revert
        assert set(revert.fields) <= rule.needs, revert


@pytest.mark.parametrize("kind", list(Operation.Kind.values))
def test_each_kind_builds_a_call_to_a_function_its_contract_has(kind):
    rule = KINDS[kind]
    call = rule.call([_operation(kind)], Contracts(REGISTRY))
    contract = "PlatformRegistry" if call.to == REGISTRY else "BackedAssetToken"
    assert call.function in _functions(contract), kind
    assert call.data.startswith("0x"), kind
    if rule.to_registry:
        assert call.to == REGISTRY, kind
    elif "token_address" in rule.needs:
        assert call.to == TOKEN, kind


def test_a_pause_goes_to_the_token_it_names_or_else_to_the_registry():
    for kind in (Operation.Kind.PAUSE, Operation.Kind.UNPAUSE):
        token_call = KINDS[kind].call([_operation(kind, token_address=TOKEN)], Contracts(REGISTRY))
        platform_call = KINDS[kind].call([_operation(kind)], Contracts(REGISTRY))
        assert (token_call.to, platform_call.to) == (TOKEN, REGISTRY)


def test_transfers_of_one_sender_take_the_one_sender_batch():
    one = [_operation("transfer", pk=pk) for pk in (1, 2)]
    two = [_operation("transfer", pk=1), _operation("transfer", pk=2, sender=SAMPLE["account"])]
    contracts = Contracts(REGISTRY)
    assert KINDS["transfer"].call(one[:1], contracts).function == "recordTransfer"
    assert KINDS["transfer"].call(one, contracts).function == "recordTransfersFrom"
    assert KINDS["transfer"].call(two, contracts).function == "recordTransfers"


def test_the_derived_kind_lists():
    assert reserving_kinds() == ["burn", "transfer", "forced_transfer", "freeze_tokens"]
    assert moving_kinds() == ["mint", "burn", "transfer", "forced_transfer"]
    assert cancellable_kinds() == ["mint", "burn", "transfer"]
    compliance = {kind for kind, rule in KINDS.items() if rule.signer == Signer.COMPLIANCE}
    assert compliance == {
        "forced_transfer",
        "allowlist",
        "delist",
        "freeze",
        "unfreeze",
        "freeze_tokens",
        "unfreeze_tokens",
        "pause",
        "unpause",
    }
