"""PlatformRegistry through web3.py on anvil: roles, allowlist, freeze, pause, issue and audit
anchors."""

import dataclasses

import pytest
from eth_utils import keccak

from qoima.chain.contracts import (
    COMPLIANCE_ROLE,
    DEFAULT_ADMIN_ROLE,
    OPERATOR_ROLE,
    DocumentData,
    call,
    to_bytes32,
)
from qoima.chain.direct import PlatformRegistry, send

from .conftest import (
    ASSET,
    DECISION_SHA256,
    DOCUMENTS,
    ISSUER_BIN,
    PROOF_SHA256,
    ZERO_ADDRESS,
    addr,
    event_args,
    events,
    reason,
    reverts,
)

COURT_ORDER = reason("Алматы қалалық сотының 2025 жылғы 2 сәуірдегі № 2-1234/25 ұйғарымы")
LIFTED = reason("Алматы қалалық сотының 2025 жылғы 9 сәуірдегі № 2-1301/25 ұйғарымы")
AUDIT_ROOT = reason("audit entries 1 to 40")
LATER_ROOT = reason("audit entries 1 to 97")


def second_asset(asset_id="KZ-ALM-ABAY12-2025"):
    return dataclasses.replace(ASSET, asset_id=asset_id, symbol="ABAY12")


# ------------------------------------------------------------------ deployment and roles


def test_constructor_makes_the_given_account_admin_and_nobody_else(chain, accounts):
    registry = PlatformRegistry.deploy(chain, accounts.outsider, accounts.admin.address)
    assert registry.has_role(DEFAULT_ADMIN_ROLE, accounts.admin.address)
    assert not registry.has_role(DEFAULT_ADMIN_ROLE, accounts.outsider.address)
    assert not registry.has_role(OPERATOR_ROLE, accounts.admin.address)
    assert not registry.has_role(COMPLIANCE_ROLE, accounts.admin.address)
    assert not registry.paused()
    assert registry.all_tokens() == []


def test_constructor_rejects_the_zero_admin(chain, accounts):
    with reverts("RegistryZeroAddress"):
        PlatformRegistry.deploy(chain, accounts.admin, ZERO_ADDRESS)


def test_role_constants_match_the_wrappers(registry):
    functions = registry.contract.functions
    assert bytes(functions.OPERATOR_ROLE().call()) == OPERATOR_ROLE
    assert bytes(functions.COMPLIANCE_ROLE().call()) == COMPLIANCE_ROLE
    assert bytes(functions.DEFAULT_ADMIN_ROLE().call()) == DEFAULT_ADMIN_ROLE
    assert bytes(functions.ISSUANCE_DECISION().call()) == to_bytes32("issuance_decision")
    assert bytes(functions.PROOF_OF_RIGHTS().call()) == to_bytes32("proof_of_rights")


def test_admin_administers_both_platform_roles(registry):
    functions = registry.contract.functions
    assert bytes(functions.getRoleAdmin(OPERATOR_ROLE).call()) == DEFAULT_ADMIN_ROLE
    assert bytes(functions.getRoleAdmin(COMPLIANCE_ROLE).call()) == DEFAULT_ADMIN_ROLE


def test_fixture_roles_are_granted(registry, accounts):
    assert registry.has_role(OPERATOR_ROLE, accounts.operator.address)
    assert registry.has_role(COMPLIANCE_ROLE, accounts.compliance.address)
    assert not registry.has_role(OPERATOR_ROLE, accounts.compliance.address)
    assert not registry.has_role(COMPLIANCE_ROLE, accounts.operator.address)


def test_grant_role_emits_role_granted(registry, accounts):
    receipt = registry.grant_role(accounts.admin, OPERATOR_ROLE, accounts.holder_a.address)
    assert registry.has_role(OPERATOR_ROLE, accounts.holder_a.address)
    assert event_args(registry, "RoleGranted", receipt) == [
        {
            "role": OPERATOR_ROLE,
            "account": addr(accounts.holder_a.address),
            "sender": addr(accounts.admin.address),
        }
    ]


def test_revoke_role_takes_the_role_away(registry, accounts):
    receipt = registry.revoke_role(accounts.admin, OPERATOR_ROLE, accounts.operator.address)
    assert not registry.has_role(OPERATOR_ROLE, accounts.operator.address)
    assert event_args(registry, "RoleRevoked", receipt) == [
        {
            "role": OPERATOR_ROLE,
            "account": addr(accounts.operator.address),
            "sender": addr(accounts.admin.address),
        }
    ]
    with reverts(
        "AccessControlUnauthorizedAccount",
        account=accounts.operator.address,
        neededRole=OPERATOR_ROLE,
    ):
        registry.issue_asset(accounts.operator, ASSET, DOCUMENTS)


def test_an_account_can_renounce_its_own_role(registry, accounts):
    fn = registry.contract.functions.renounceRole(COMPLIANCE_ROLE, accounts.compliance.address)
    send(fn, accounts.compliance)
    assert not registry.has_role(COMPLIANCE_ROLE, accounts.compliance.address)


def test_renouncing_for_another_account_reverts(registry, accounts):
    fn = registry.contract.functions.renounceRole(COMPLIANCE_ROLE, accounts.compliance.address)
    with reverts("AccessControlBadConfirmation"):
        send(fn, accounts.admin)
    assert registry.has_role(COMPLIANCE_ROLE, accounts.compliance.address)


def test_registry_announces_access_control_interface(registry):
    access_control_id = bytes.fromhex("7965db0b")
    erc165_id = bytes.fromhex("01ffc9a7")
    supports = registry.contract.functions.supportsInterface
    assert supports(access_control_id).call() is True
    assert supports(erc165_id).call() is True
    assert supports(bytes.fromhex("ffffffff")).call() is False


# ------------------------------------------------------------------ unauthorised callers

ROLE_GUARDED = {
    "grantRole": (DEFAULT_ADMIN_ROLE, lambda r, a, s: r.grant_role(s, OPERATOR_ROLE, s.address)),
    "revokeRole": (
        DEFAULT_ADMIN_ROLE,
        lambda r, a, s: r.revoke_role(s, OPERATOR_ROLE, a.operator.address),
    ),
    "setAllowlisted": (
        COMPLIANCE_ROLE,
        lambda r, a, s: r.set_allowlisted(s, a.outsider.address, True),
    ),
    "setAllowlistedBatch": (
        COMPLIANCE_ROLE,
        lambda r, a, s: r.set_allowlisted_batch(s, [a.outsider.address], True),
    ),
    "setFrozen": (
        COMPLIANCE_ROLE,
        lambda r, a, s: r.set_frozen(s, a.holder_a.address, True, COURT_ORDER),
    ),
    "setFrozenBatch": (
        COMPLIANCE_ROLE,
        lambda r, a, s: r.set_frozen_batch(s, [a.holder_a.address], True, COURT_ORDER),
    ),
    "pause": (COMPLIANCE_ROLE, lambda r, a, s: r.pause(s, COURT_ORDER)),
    "unpause": (COMPLIANCE_ROLE, lambda r, a, s: r.unpause(s, LIFTED)),
    "issueAsset": (OPERATOR_ROLE, lambda r, a, s: r.issue_asset(s, ASSET, DOCUMENTS)),
    "anchorAudit": (OPERATOR_ROLE, lambda r, a, s: r.anchor_audit(s, 1, AUDIT_ROOT)),
}
ROLE_HOLDER = {
    DEFAULT_ADMIN_ROLE: "admin",
    OPERATOR_ROLE: "operator",
    COMPLIANCE_ROLE: "compliance",
}


# The staff of the other roles are tried too: holding one platform role must not open another.
@pytest.mark.parametrize(
    ("function", "caller"),
    [
        (function, caller)
        for function, (role, _) in ROLE_GUARDED.items()
        for caller in ("outsider", "issuer", "operator", "compliance")
        if caller != ROLE_HOLDER[role]
    ],
)
def test_role_guarded_functions_reject_callers_without_the_role(
    registry, accounts, function, caller
):
    role, invoke = ROLE_GUARDED[function]
    sender = getattr(accounts, caller)
    if function == "unpause":
        # With the platform running, unpause would fail for being unpaused, not for the role.
        registry.pause(accounts.compliance, COURT_ORDER)
    with reverts("AccessControlUnauthorizedAccount", account=sender.address, neededRole=role):
        invoke(registry, accounts, sender)
    assert registry.paused() == (function == "unpause")


# ------------------------------------------------------------------ allowlist


def test_set_allowlisted_adds_and_removes_with_events(registry, accounts):
    outsider = accounts.outsider.address
    added = registry.set_allowlisted(accounts.compliance, outsider, True)
    assert registry.is_allowlisted(outsider)
    removed = registry.set_allowlisted(accounts.compliance, outsider, False)
    assert not registry.is_allowlisted(outsider)
    assert event_args(registry, "AllowlistUpdated", added) == [
        {"account": addr(outsider), "allowlisted": True}
    ]
    assert event_args(registry, "AllowlistUpdated", removed) == [
        {"account": addr(outsider), "allowlisted": False}
    ]


def test_delisting_keeps_the_frozen_flag(registry, accounts):
    holder = accounts.holder_a.address
    registry.set_frozen(accounts.compliance, holder, True, COURT_ORDER)
    registry.set_allowlisted(accounts.compliance, holder, False)
    assert registry.is_frozen(holder)
    registry.set_allowlisted(accounts.compliance, holder, True)
    assert registry.is_frozen(holder)
    assert registry.is_allowlisted(holder)


def test_set_allowlisted_batch_emits_one_event_per_account(registry, accounts):
    targets = [accounts.outsider.address, accounts.admin.address]
    receipt = registry.set_allowlisted_batch(accounts.compliance, targets, True)
    assert all(registry.is_allowlisted(target) for target in targets)
    assert event_args(registry, "AllowlistUpdated", receipt) == [
        {"account": addr(target), "allowlisted": True} for target in targets
    ]
    registry.set_allowlisted_batch(accounts.compliance, targets, False)
    assert not any(registry.is_allowlisted(target) for target in targets)


def test_set_allowlisted_rejects_the_zero_address(registry, accounts):
    with reverts("RegistryZeroAddress"):
        registry.set_allowlisted(accounts.compliance, ZERO_ADDRESS, True)


def test_allowlist_batch_with_a_zero_address_changes_nothing(registry, accounts):
    with reverts("RegistryZeroAddress"):
        registry.set_allowlisted_batch(
            accounts.compliance, [accounts.outsider.address, ZERO_ADDRESS], True
        )
    assert not registry.is_allowlisted(accounts.outsider.address)


def test_empty_allowlist_batch_reverts(registry, accounts):
    with reverts("RegistryEmptyBatch"):
        registry.set_allowlisted_batch(accounts.compliance, [], True)


# ------------------------------------------------------------------ freeze


def test_set_frozen_records_the_reason(registry, accounts):
    holder = accounts.holder_a.address
    frozen = registry.set_frozen(accounts.compliance, holder, True, COURT_ORDER)
    assert registry.is_frozen(holder)
    assert registry.is_allowlisted(holder)
    unfrozen = registry.set_frozen(accounts.compliance, holder, False, LIFTED)
    assert not registry.is_frozen(holder)
    assert event_args(registry, "FrozenUpdated", frozen) == [
        {"account": addr(holder), "frozen": True, "reasonHash": COURT_ORDER}
    ]
    assert event_args(registry, "FrozenUpdated", unfrozen) == [
        {"account": addr(holder), "frozen": False, "reasonHash": LIFTED}
    ]


def test_set_frozen_batch_freezes_each_with_the_same_reason(registry, accounts):
    holders = [accounts.holder_a.address, accounts.holder_b.address]
    receipt = registry.set_frozen_batch(accounts.compliance, holders, True, COURT_ORDER)
    assert all(registry.is_frozen(holder) for holder in holders)
    assert event_args(registry, "FrozenUpdated", receipt) == [
        {"account": addr(holder), "frozen": True, "reasonHash": COURT_ORDER} for holder in holders
    ]
    registry.set_frozen_batch(accounts.compliance, holders, False, LIFTED)
    assert not any(registry.is_frozen(holder) for holder in holders)


def test_set_frozen_rejects_the_zero_address(registry, accounts):
    with reverts("RegistryZeroAddress"):
        registry.set_frozen(accounts.compliance, ZERO_ADDRESS, True, COURT_ORDER)


def test_frozen_batch_with_a_zero_address_changes_nothing(registry, accounts):
    with reverts("RegistryZeroAddress"):
        registry.set_frozen_batch(
            accounts.compliance, [accounts.holder_a.address, ZERO_ADDRESS], True, COURT_ORDER
        )
    assert not registry.is_frozen(accounts.holder_a.address)


def test_empty_frozen_batch_reverts(registry, accounts):
    with reverts("RegistryEmptyBatch"):
        registry.set_frozen_batch(accounts.compliance, [], True, COURT_ORDER)


# ------------------------------------------------------------------ pause


def test_pause_and_unpause_record_their_reasons(registry, accounts):
    paused = registry.pause(accounts.compliance, COURT_ORDER)
    assert registry.paused()
    unpaused = registry.unpause(accounts.compliance, LIFTED)
    assert not registry.paused()
    assert event_args(registry, "PauseReasonRecorded", paused) == [
        {"paused": True, "reasonHash": COURT_ORDER}
    ]
    assert event_args(registry, "PauseReasonRecorded", unpaused) == [
        {"paused": False, "reasonHash": LIFTED}
    ]
    assert event_args(registry, "Paused", paused) == [
        {"account": addr(accounts.compliance.address)}
    ]
    assert event_args(registry, "Unpaused", unpaused) == [
        {"account": addr(accounts.compliance.address)}
    ]


def test_pausing_twice_reverts(registry, accounts):
    registry.pause(accounts.compliance, COURT_ORDER)
    with reverts("EnforcedPause"):
        registry.pause(accounts.compliance, COURT_ORDER)


def test_unpausing_a_running_platform_reverts(registry, accounts):
    with reverts("ExpectedPause"):
        registry.unpause(accounts.compliance, LIFTED)


# ------------------------------------------------------------------ checkSpender


def test_check_spender_passes_an_allowlisted_address(registry, accounts):
    registry.check_spender(accounts.holder_a.address)


def test_check_spender_rejects_an_address_never_allowlisted(registry, accounts):
    with reverts("RegistryNotAllowlisted", account=accounts.outsider.address):
        registry.check_spender(accounts.outsider.address)


def test_check_spender_rejects_a_frozen_address(registry, accounts):
    registry.set_frozen(accounts.compliance, accounts.holder_a.address, True, COURT_ORDER)
    with reverts("RegistryFrozen", account=accounts.holder_a.address):
        registry.check_spender(accounts.holder_a.address)


# ------------------------------------------------------------------ audit anchors


def test_no_audit_entry_is_anchored_on_a_new_registry(registry):
    assert registry.last_audit_seq() == 0


def test_anchor_audit_records_the_seq_root_and_time(registry, accounts, chain):
    receipt = registry.anchor_audit(accounts.operator, 40, AUDIT_ROOT)
    block = chain.eth.get_block(receipt["blockNumber"])
    assert event_args(registry, "AuditAnchored", receipt) == [
        {"seq": 40, "root": AUDIT_ROOT, "anchoredAt": block["timestamp"]}
    ]
    assert registry.last_audit_seq() == 40


def test_anchors_may_skip_entries_but_only_go_forward(registry, accounts):
    registry.anchor_audit(accounts.operator, 40, AUDIT_ROOT)
    registry.anchor_audit(accounts.operator, 97, LATER_ROOT)
    assert registry.last_audit_seq() == 97


@pytest.mark.parametrize("seq", [97, 96, 40, 0])
def test_an_anchor_at_or_below_the_last_seq_reverts(registry, accounts, seq):
    registry.anchor_audit(accounts.operator, 97, LATER_ROOT)
    with reverts("RegistryAuditSeqNotIncreasing", lastSeq=97, seq=seq):
        registry.anchor_audit(accounts.operator, seq, AUDIT_ROOT)
    assert registry.last_audit_seq() == 97


def test_seq_zero_cannot_be_anchored_on_a_new_registry(registry, accounts):
    with reverts("RegistryAuditSeqNotIncreasing", lastSeq=0, seq=0):
        registry.anchor_audit(accounts.operator, 0, AUDIT_ROOT)
    assert registry.last_audit_seq() == 0


def test_anchoring_goes_on_while_the_platform_is_paused(registry, accounts):
    registry.pause(accounts.compliance, COURT_ORDER)
    receipt = registry.anchor_audit(accounts.operator, 40, AUDIT_ROOT)
    assert len(events(registry, "AuditAnchored", receipt)) == 1
    assert registry.last_audit_seq() == 40


# ------------------------------------------------------------------ checkTransfer


def test_check_transfer_passes_between_allowlisted_addresses(registry, accounts):
    registry.check_transfer(accounts.holder_a.address, accounts.holder_b.address)


# The zero address stands for mint (as sender) and burn (as receiver).
def test_check_transfer_does_not_check_the_zero_address(registry, accounts):
    registry.check_transfer(ZERO_ADDRESS, accounts.holder_a.address)
    registry.check_transfer(accounts.holder_a.address, ZERO_ADDRESS)
    with reverts("RegistryNotAllowlisted", account=accounts.outsider.address):
        registry.check_transfer(accounts.outsider.address, ZERO_ADDRESS)


@pytest.mark.parametrize("party", ["sender", "receiver"])
def test_check_transfer_rejects_a_party_not_on_the_allowlist(registry, accounts, party):
    parties = {"sender": accounts.holder_a.address, "receiver": accounts.holder_b.address}
    parties[party] = accounts.outsider.address
    with reverts("RegistryNotAllowlisted", account=accounts.outsider.address):
        registry.check_transfer(parties["sender"], parties["receiver"])


@pytest.mark.parametrize("party", ["sender", "receiver"])
def test_check_transfer_rejects_a_frozen_party(registry, accounts, party):
    parties = {"sender": accounts.holder_a.address, "receiver": accounts.holder_b.address}
    registry.set_frozen(accounts.compliance, parties[party], True, COURT_ORDER)
    with reverts("RegistryFrozen", account=parties[party]):
        registry.check_transfer(parties["sender"], parties["receiver"])


def test_check_transfer_rejects_a_delisted_party_that_is_also_frozen_as_not_allowlisted(
    registry, accounts
):
    holder = accounts.holder_a.address
    registry.set_frozen(accounts.compliance, holder, True, COURT_ORDER)
    registry.set_allowlisted(accounts.compliance, holder, False)
    with reverts("RegistryNotAllowlisted", account=holder):
        registry.check_transfer(holder, accounts.holder_b.address)


def test_forced_check_skips_the_sender_but_not_the_receiver(registry, accounts):
    frozen = accounts.holder_a.address
    registry.set_frozen(accounts.compliance, frozen, True, COURT_ORDER)
    registry.check_transfer(frozen, accounts.holder_b.address, forced=True)
    registry.check_transfer(accounts.outsider.address, accounts.holder_b.address, forced=True)
    with reverts("RegistryNotAllowlisted", account=accounts.outsider.address):
        registry.check_transfer(accounts.holder_b.address, accounts.outsider.address, forced=True)
    with reverts("RegistryFrozen", account=frozen):
        registry.check_transfer(accounts.holder_b.address, frozen, forced=True)


def test_check_transfer_reverts_while_the_platform_is_paused_unless_forced(registry, accounts):
    registry.pause(accounts.compliance, COURT_ORDER)
    with reverts("EnforcedPause"):
        registry.check_transfer(accounts.holder_a.address, accounts.holder_b.address)
    # A forced transfer carries out a legal order; a pause must not block it.
    registry.check_transfer(accounts.holder_a.address, accounts.holder_b.address, forced=True)
    registry.set_frozen(accounts.compliance, accounts.holder_b.address, True, COURT_ORDER)
    with reverts("RegistryFrozen", account=accounts.holder_b.address):
        registry.check_transfer(accounts.holder_a.address, accounts.holder_b.address, forced=True)


def check_transfers(registry, sources, receivers):
    call(registry.contract.functions.checkTransfers(sources, receivers))


def test_check_transfers_passes_a_batch_of_allowlisted_pairs(registry, accounts):
    a, b, issuer = accounts.holder_a.address, accounts.holder_b.address, accounts.issuer.address
    check_transfers(registry, [issuer, a, b], [a, b, issuer])
    check_transfers(registry, [], [])


@pytest.mark.parametrize("side", ["sources", "receivers"])
@pytest.mark.parametrize("state", ["delisted", "frozen"])
def test_check_transfers_rejects_an_ineligible_party_anywhere_in_the_batch(
    registry, accounts, side, state
):
    a, b, issuer = accounts.holder_a.address, accounts.holder_b.address, accounts.issuer.address
    pairs = {"sources": [issuer, issuer, issuer], "receivers": [a, a, a]}
    bad = b
    pairs[side][2] = bad
    if state == "delisted":
        registry.set_allowlisted(accounts.compliance, bad, False)
        error = "RegistryNotAllowlisted"
    else:
        registry.set_frozen(accounts.compliance, bad, True, COURT_ORDER)
        error = "RegistryFrozen"
    with reverts(error, account=bad):
        check_transfers(registry, pairs["sources"], pairs["receivers"])


def test_check_transfers_rejects_arrays_of_different_lengths(registry, accounts):
    a, b = accounts.holder_a.address, accounts.holder_b.address
    with reverts("RegistryArrayLengthMismatch"):
        check_transfers(registry, [a, b], [b])


def test_check_transfers_reverts_while_the_platform_is_paused(registry, accounts):
    registry.pause(accounts.compliance, COURT_ORDER)
    with reverts("EnforcedPause"):
        check_transfers(registry, [accounts.holder_a.address], [accounts.holder_b.address])


# ------------------------------------------------------------------ issueAsset


def test_issue_asset_emits_asset_issued_with_the_document_hashes(registry, issued):
    token, receipt = issued
    (event,) = event_args(registry, "AssetIssued", receipt)
    assert event == {
        "assetId": to_bytes32(ASSET.asset_id),
        "token": addr(token.address),
        "issuerIdHash": keccak(text=ISSUER_BIN),
        "decisionHash": DECISION_SHA256,
        "proofHash": PROOF_SHA256,
    }


def test_issue_asset_registers_the_token(registry, token):
    assert registry.token_of(ASSET.asset_id) == token.address
    assert registry.all_tokens() == [token.address]
    assert token.registry() == registry.address
    assert registry.token_of("KZ-UNKNOWN") == ZERO_ADDRESS


def test_all_tokens_lists_tokens_in_order_of_issue(registry, accounts, token):
    second, _ = registry.issue_asset(accounts.operator, second_asset(), DOCUMENTS)
    assert registry.all_tokens() == [token.address, second.address]
    assert registry.token_of(second_asset().asset_id) == second.address
    assert second.address != token.address


def test_issuing_an_asset_id_twice_reverts(registry, accounts, token):
    with reverts("RegistryAssetExists", assetId=to_bytes32(ASSET.asset_id)):
        registry.issue_asset(accounts.operator, ASSET, DOCUMENTS)
    assert registry.all_tokens() == [token.address]


@pytest.mark.parametrize("missing", ["issuance_decision", "proof_of_rights"])
def test_issue_asset_requires_both_art5_documents(registry, accounts, missing):
    documents = [document for document in DOCUMENTS if document.name != missing]
    with reverts("RegistryMissingDocument", name=to_bytes32(missing)):
        registry.issue_asset(accounts.operator, ASSET, documents)
    assert registry.all_tokens() == []


def test_issue_asset_accepts_further_documents(registry, accounts):
    valuation = DocumentData(
        "valuation_report", "https://qoima.kz/documents/valuation.pdf", reason("бағалау есебі")
    )
    token, receipt = registry.issue_asset(accounts.operator, ASSET, [valuation, *DOCUMENTS])
    assert token.get_all_documents() == ["valuation_report", "issuance_decision", "proof_of_rights"]
    (event,) = event_args(registry, "AssetIssued", receipt)
    assert event["decisionHash"] == DECISION_SHA256
    assert event["proofHash"] == PROOF_SHA256


def test_issue_asset_with_a_zero_cap_reverts(registry, accounts):
    with reverts("BackedAssetZeroAmount"):
        registry.issue_asset(accounts.operator, dataclasses.replace(ASSET, cap=0), DOCUMENTS)
    assert registry.token_of(ASSET.asset_id) == ZERO_ADDRESS


def test_issue_asset_with_an_empty_document_hash_reverts(registry, accounts):
    blank_proof = dataclasses.replace(DOCUMENTS[1], sha256=b"\x00" * 32)
    with reverts("BackedAssetInvalidDocument", name=to_bytes32("proof_of_rights")):
        registry.issue_asset(accounts.operator, ASSET, [DOCUMENTS[0], blank_proof])


def test_issue_asset_reverts_while_the_platform_is_paused(registry, accounts):
    registry.pause(accounts.compliance, COURT_ORDER)
    with reverts("EnforcedPause"):
        registry.issue_asset(accounts.operator, ASSET, DOCUMENTS)
    registry.unpause(accounts.compliance, LIFTED)
    token, receipt = registry.issue_asset(accounts.operator, ASSET, DOCUMENTS)
    assert len(events(registry, "AssetIssued", receipt)) == 1
    assert registry.token_of(ASSET.asset_id) == token.address
