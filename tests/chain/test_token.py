"""BackedAssetToken through web3.py on anvil: Art. 5 data, documents, movements and their rules."""

import dataclasses

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from qoima.chain.contracts import (
    COMPLIANCE_ROLE,
    OPERATOR_ROLE,
    DecodedError,
    decode_error,
    to_bytes32,
)
from qoima.chain.direct import BackedAssetToken

from .conftest import (
    ASSET,
    CAP,
    DECISION_SHA256,
    DOCUMENTS,
    ISSUER_BIN,
    MINT_REF,
    MINTED,
    PROOF_SHA256,
    ZERO_ADDRESS,
    ZERO_HASH,
    addr,
    event_args,
    events,
    reason,
    reverts,
)

COURT_ORDER = reason("Алматы қалалық сотының 2025 жылғы 2 сәуірдегі № 2-1234/25 ұйғарымы")
LIFTED = reason("Алматы қалалық сотының 2025 жылғы 9 сәуірдегі № 2-1301/25 ұйғарымы")
REDEMPTION = 900
AMOUNT = 10


def give(token: BackedAssetToken, accounts, holder, amount: int, ref: int) -> None:
    """Move units from the issuer to a holder the way the platform does: a recorded transfer."""
    token.record_transfer(accounts.operator, accounts.issuer.address, holder.address, amount, ref)


def balances(token, *holders):
    return [token.balance_of(holder.address) for holder in holders]


# ------------------------------------------------------------------ Art. 5 data


def test_token_carries_the_issuer_data(token):
    assert token.issuer() == (ASSET.issuer_name, ISSUER_BIN, ASSET.permit_number)


def test_token_carries_the_underlying_asset(token):
    assert token.underlying_asset() == ("20:311:004:123", "tangible_asset")


def test_token_knows_its_asset_id_and_registry(token, registry):
    assert token.asset_id() == ASSET.asset_id
    assert token.registry() == registry.address


def test_token_has_the_decimals_name_symbol_and_cap_chosen_at_issue(token):
    assert token.decimals() == 2
    assert token.name() == ASSET.name
    assert token.symbol() == ASSET.symbol
    assert token.cap() == CAP
    assert token.total_supply() == 0
    assert token.total_minted() == 0
    assert not token.paused()


# ------------------------------------------------------------------ documents


def test_documents_given_at_issue_are_readable(chain, issued):
    token, receipt = issued
    issued_at = chain.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert token.get_all_documents() == ["issuance_decision", "proof_of_rights"]
    decision = token.get_document("issuance_decision")
    assert (decision.uri, decision.sha256, decision.timestamp) == (
        DOCUMENTS[0].uri,
        DECISION_SHA256,
        issued_at,
    )
    proof = token.get_document("proof_of_rights")
    assert (proof.uri, proof.sha256) == (DOCUMENTS[1].uri, PROOF_SHA256)
    assert token.get_document_versions("proof_of_rights") == [proof]


def test_documents_given_at_issue_are_announced(issued):
    token, receipt = issued
    assert event_args(token, "DocumentUpdated", receipt) == [
        {"name": to_bytes32(d.name), "uri": d.uri, "documentHash": d.sha256} for d in DOCUMENTS
    ]


def test_set_document_adds_a_version_and_keeps_the_old_one(token, accounts):
    amended = reason("2025 жылғы 20 наурыздағы № 8 өзгертілген шешім")
    uri = "https://qoima.kz/documents/decision-8.pdf"
    receipt = token.set_document(accounts.operator, "issuance_decision", uri, amended)
    assert event_args(token, "DocumentUpdated", receipt) == [
        {"name": to_bytes32("issuance_decision"), "uri": uri, "documentHash": amended}
    ]
    latest = token.get_document("issuance_decision")
    assert (latest.uri, latest.sha256) == (uri, amended)
    first, second = token.get_document_versions("issuance_decision")
    assert (first.uri, first.sha256) == (DOCUMENTS[0].uri, DECISION_SHA256)
    assert second == latest
    assert second.timestamp >= first.timestamp
    assert token.get_all_documents() == ["issuance_decision", "proof_of_rights"]


def test_set_document_with_a_new_name_lists_it(token, accounts):
    digest = reason("тәуелсіз бағалаушының есебі")
    token.set_document(accounts.operator, "valuation_report", "ipfs://valuation", digest)
    assert token.get_all_documents() == ["issuance_decision", "proof_of_rights", "valuation_report"]
    assert token.get_document("valuation_report").sha256 == digest


def test_set_document_with_an_empty_hash_reverts(token, accounts):
    with reverts("BackedAssetInvalidDocument", name=to_bytes32("proof_of_rights")):
        token.set_document(accounts.operator, "proof_of_rights", "ipfs://x", ZERO_HASH)
    assert len(token.get_document_versions("proof_of_rights")) == 1


def test_set_document_with_an_empty_name_reverts(token, accounts):
    with reverts("BackedAssetInvalidDocument", name=ZERO_HASH):
        token.set_document(accounts.operator, "", "ipfs://x", reason("x"))
    assert token.get_all_documents() == ["issuance_decision", "proof_of_rights"]


def test_unknown_document_reverts(token):
    with reverts("BackedAssetUnknownDocument", name=to_bytes32("prospectus")):
        token.get_document("prospectus")
    assert token.get_document_versions("prospectus") == []


# ------------------------------------------------------------------ mint


def test_mint_credits_the_receiver_and_records_the_decision(token, accounts):
    receipt = token.mint(accounts.operator, accounts.issuer.address, MINTED, 42)
    assert event_args(token, "Minted", receipt) == [
        {
            "to": addr(accounts.issuer.address),
            "amount": MINTED,
            "ref": 42,
            "decisionHash": DECISION_SHA256,
        }
    ]
    assert token.balance_of(accounts.issuer.address) == MINTED
    assert token.total_supply() == MINTED
    assert token.total_minted() == MINTED
    assert token.is_ref_used(42)
    assert not token.is_ref_used(43)


# A later version of the decision document does not change what the token was approved on.
def test_mint_cites_the_decision_the_token_was_issued_on(token, accounts):
    amended = reason("2025 жылғы 20 наурыздағы № 8 өзгертілген шешім")
    token.set_document(accounts.operator, "issuance_decision", "ipfs://decision-8", amended)
    receipt = token.mint(accounts.operator, accounts.issuer.address, MINTED, 42)
    (minted,) = event_args(token, "Minted", receipt)
    assert minted["decisionHash"] == DECISION_SHA256
    assert token.get_document("issuance_decision").sha256 == amended


def test_mint_up_to_the_cap_succeeds(token, accounts):
    token.mint(accounts.operator, accounts.issuer.address, CAP - 1, 2)
    token.mint(accounts.operator, accounts.holder_a.address, 1, 3)
    assert token.total_supply() == CAP
    assert token.total_minted() == CAP


def test_mint_above_the_cap_reverts(minted_token, accounts):
    with reverts("BackedAssetCapExceeded", cap=CAP, minted=MINTED, amount=CAP - MINTED + 1):
        minted_token.mint(accounts.operator, accounts.issuer.address, CAP - MINTED + 1, 2)
    assert minted_token.total_minted() == MINTED
    assert not minted_token.is_ref_used(2)


def test_burning_does_not_free_cap(token, accounts):
    token.mint(accounts.operator, accounts.issuer.address, CAP, 2)
    token.burn(accounts.operator, accounts.issuer.address, 100, 3)
    assert token.total_supply() == CAP - 100
    assert token.total_minted() == CAP
    with reverts("BackedAssetCapExceeded", cap=CAP, minted=CAP, amount=1):
        token.mint(accounts.operator, accounts.issuer.address, 1, 4)


# An amount that would overflow when added to what was minted is still a cap breach.
def test_mint_of_an_amount_near_uint256_max_reverts_with_cap_exceeded(minted_token, accounts):
    with reverts("BackedAssetCapExceeded", cap=CAP, minted=MINTED, amount=2**256 - 1):
        minted_token.mint(accounts.operator, accounts.issuer.address, 2**256 - 1, 2)


# ------------------------------------------------------------------ burn


def test_burn_redeems_with_its_reference(minted_token, accounts):
    receipt = minted_token.burn(accounts.operator, accounts.issuer.address, 300, REDEMPTION)
    assert event_args(minted_token, "Redeemed", receipt) == [
        {"from": addr(accounts.issuer.address), "amount": 300, "ref": REDEMPTION}
    ]
    assert minted_token.balance_of(accounts.issuer.address) == MINTED - 300
    assert minted_token.total_supply() == MINTED - 300
    assert minted_token.is_ref_used(REDEMPTION)


def test_burn_above_the_balance_reverts(minted_token, accounts):
    with reverts(
        "ERC20InsufficientBalance",
        sender=accounts.issuer.address,
        balance=MINTED,
        needed=MINTED + 1,
    ):
        minted_token.burn(accounts.operator, accounts.issuer.address, MINTED + 1, REDEMPTION)


# ------------------------------------------------------------------ recorded transfers


def test_record_transfer_emits_transfer_recorded_after_the_transfer(minted_token, accounts):
    issuer, holder = accounts.issuer.address, accounts.holder_a.address
    receipt = minted_token.record_transfer(accounts.operator, issuer, holder, 250, 7001)
    (transfer,) = events(minted_token, "Transfer", receipt)
    (recorded,) = events(minted_token, "TransferRecorded", receipt)
    assert event_args(minted_token, "Transfer", receipt) == [
        {"from": addr(issuer), "to": addr(holder), "value": 250}
    ]
    assert event_args(minted_token, "TransferRecorded", receipt) == [
        {"ref": 7001, "from": addr(issuer), "to": addr(holder), "amount": 250}
    ]
    assert transfer["logIndex"] < recorded["logIndex"]
    assert balances(minted_token, accounts.issuer, accounts.holder_a) == [MINTED - 250, 250]
    assert minted_token.is_ref_used(7001)


def test_record_transfers_maps_refs_in_order_to_the_transfer_logs(minted_token, accounts):
    issuer, a, b = accounts.issuer.address, accounts.holder_a.address, accounts.holder_b.address
    sources, receivers, amounts, refs = [issuer, issuer, a], [a, b, b], [100, 200, 30], [11, 9, 10]
    receipt = minted_token.record_transfers(accounts.operator, sources, receivers, amounts, refs)
    transfers = events(minted_token, "Transfer", receipt)
    (batch,) = events(minted_token, "TransfersRecorded", receipt)
    assert list(batch["args"]["refs"]) == refs
    assert all(transfer["logIndex"] < batch["logIndex"] for transfer in transfers)
    moved = [
        (ref, log["args"]["from"], log["args"]["to"], log["args"]["value"])
        for ref, log in zip(batch["args"]["refs"], transfers, strict=True)
    ]
    assert moved == list(zip(refs, sources, receivers, amounts, strict=True))
    assert events(minted_token, "TransferRecorded", receipt) == []
    assert balances(minted_token, accounts.issuer, accounts.holder_a, accounts.holder_b) == [
        MINTED - 300,
        70,
        230,
    ]
    assert all(minted_token.is_ref_used(ref) for ref in refs)


@pytest.mark.parametrize("short", ["from", "to", "amounts", "refs"])
def test_record_transfers_rejects_arrays_of_different_lengths(minted_token, accounts, short):
    arrays = {
        "from": [accounts.issuer.address] * 2,
        "to": [accounts.holder_a.address] * 2,
        "amounts": [5, 5],
        "refs": [21, 22],
    }
    arrays[short] = arrays[short][:1]
    with reverts("BackedAssetArrayLengthMismatch"):
        minted_token.record_transfers(
            accounts.operator, arrays["from"], arrays["to"], arrays["amounts"], arrays["refs"]
        )
    assert not minted_token.is_ref_used(21)


def test_record_transfers_rejects_an_empty_batch(minted_token, accounts):
    with reverts("BackedAssetEmptyBatch"):
        minted_token.record_transfers(accounts.operator, [], [], [], [])


# ------------------------------------------------------------------ references


def test_refs_either_side_of_a_bitmap_word_are_independent(minted_token, accounts):
    give(minted_token, accounts, accounts.holder_a, 1, 255)
    assert minted_token.is_ref_used(255)
    assert not minted_token.is_ref_used(256)
    give(minted_token, accounts, accounts.holder_a, 1, 256)
    assert minted_token.is_ref_used(256)
    assert not minted_token.is_ref_used(254)
    assert not minted_token.is_ref_used(257)
    assert minted_token.balance_of(accounts.holder_a.address) == 2


def test_the_largest_ref_is_usable_once(minted_token, accounts):
    largest = 2**256 - 1
    give(minted_token, accounts, accounts.holder_a, 1, largest)
    assert minted_token.is_ref_used(largest)
    with reverts("BackedAssetRefUsed", ref=largest):
        give(minted_token, accounts, accounts.holder_a, 1, largest)


# One bitmap serves every kind of movement, so a ref taken by the mint is taken for all of them.
REF_USERS = {
    "mint": lambda t, a, ref: t.mint(a.operator, a.holder_a.address, 1, ref),
    "burn": lambda t, a, ref: t.burn(a.operator, a.issuer.address, 1, ref),
    "recordTransfer": lambda t, a, ref: t.record_transfer(
        a.operator, a.issuer.address, a.holder_a.address, 1, ref
    ),
    "recordTransfers": lambda t, a, ref: t.record_transfers(
        a.operator, [a.issuer.address], [a.holder_a.address], [1], [ref]
    ),
    "forcedTransfer": lambda t, a, ref: t.forced_transfer(
        a.compliance, a.issuer.address, a.holder_a.address, 1, ref, COURT_ORDER
    ),
}


@pytest.mark.parametrize("movement", REF_USERS)
def test_a_used_ref_is_refused_by_every_movement(minted_token, accounts, movement):
    with reverts("BackedAssetRefUsed", ref=MINT_REF):
        REF_USERS[movement](minted_token, accounts, MINT_REF)
    assert balances(minted_token, accounts.issuer, accounts.holder_a) == [MINTED, 0]


@pytest.mark.parametrize("movement", REF_USERS)
def test_each_movement_marks_its_ref_used(minted_token, accounts, movement):
    REF_USERS[movement](minted_token, accounts, 5000)
    assert minted_token.is_ref_used(5000)
    with reverts("BackedAssetRefUsed", ref=5000):
        REF_USERS[movement](minted_token, accounts, 5000)


def test_a_ref_repeated_within_one_batch_reverts_the_whole_batch(minted_token, accounts):
    issuer, holder = accounts.issuer.address, accounts.holder_a.address
    with reverts("BackedAssetRefUsed", ref=31):
        minted_token.record_transfers(
            accounts.operator, [issuer, issuer], [holder, holder], [5, 6], [31, 31]
        )
    assert not minted_token.is_ref_used(31)
    assert minted_token.balance_of(holder) == 0


# ------------------------------------------------------------------ zero amounts and addresses

ZERO_AMOUNT = {
    "mint": lambda t, a: t.mint(a.operator, a.issuer.address, 0, 61),
    "burn": lambda t, a: t.burn(a.operator, a.issuer.address, 0, 61),
    "recordTransfer": lambda t, a: t.record_transfer(
        a.operator, a.issuer.address, a.holder_a.address, 0, 61
    ),
    "recordTransfers": lambda t, a: t.record_transfers(
        a.operator,
        [a.issuer.address, a.issuer.address],
        [a.holder_a.address, a.holder_b.address],
        [5, 0],
        [61, 62],
    ),
    "forcedTransfer": lambda t, a: t.forced_transfer(
        a.compliance, a.issuer.address, a.holder_a.address, 0, 61, COURT_ORDER
    ),
    "freezePartialTokens": lambda t, a: t.freeze_partial(
        a.compliance, a.issuer.address, 0, COURT_ORDER
    ),
    "unfreezePartialTokens": lambda t, a: t.unfreeze_partial(
        a.compliance, a.issuer.address, 0, LIFTED
    ),
}


@pytest.mark.parametrize("operation", ZERO_AMOUNT)
def test_a_zero_amount_is_refused_where_it_means_nothing(minted_token, accounts, operation):
    if operation == "unfreezePartialTokens":
        # With something frozen, the refusal is about the zero and not about an empty freeze.
        minted_token.freeze_partial(accounts.compliance, accounts.issuer.address, 5, COURT_ORDER)
    with reverts("BackedAssetZeroAmount"):
        ZERO_AMOUNT[operation](minted_token, accounts)
    assert not minted_token.is_ref_used(61)
    assert minted_token.balance_of(accounts.holder_a.address) == 0


def test_mint_to_the_zero_address_reverts(token, accounts):
    with reverts("ERC20InvalidReceiver", receiver=ZERO_ADDRESS):
        token.mint(accounts.operator, ZERO_ADDRESS, 1, 2)


def test_burn_from_the_zero_address_reverts(minted_token, accounts):
    with reverts("ERC20InvalidSender", sender=ZERO_ADDRESS):
        minted_token.burn(accounts.operator, ZERO_ADDRESS, 1, 2)


def test_record_transfer_from_the_zero_address_reverts(minted_token, accounts):
    with reverts("ERC20InvalidSender", sender=ZERO_ADDRESS):
        minted_token.record_transfer(
            accounts.operator, ZERO_ADDRESS, accounts.holder_a.address, 1, 2
        )
    assert minted_token.total_supply() == MINTED


def test_record_transfer_to_the_zero_address_reverts(minted_token, accounts):
    with reverts("ERC20InvalidReceiver", receiver=ZERO_ADDRESS):
        minted_token.record_transfer(accounts.operator, accounts.issuer.address, ZERO_ADDRESS, 1, 2)
    assert minted_token.total_supply() == MINTED


def test_forced_transfer_to_the_zero_address_reverts(minted_token, accounts):
    with reverts("ERC20InvalidReceiver", receiver=ZERO_ADDRESS):
        minted_token.forced_transfer(
            accounts.compliance, accounts.issuer.address, ZERO_ADDRESS, 1, 2, COURT_ORDER
        )


# ------------------------------------------------------------------ allowlist and frozen flags

# Each movement moves AMOUNT from the issuer (the sender) to holder_b (the receiver).
MOVEMENTS = {
    "transfer": lambda t, a: t.transfer(a.issuer, a.holder_b.address, AMOUNT),
    "transferFrom": lambda t, a: t.transfer_from(
        a.holder_a, a.issuer.address, a.holder_b.address, AMOUNT
    ),
    "recordTransfer": lambda t, a: t.record_transfer(
        a.operator, a.issuer.address, a.holder_b.address, AMOUNT, 71
    ),
    "recordTransfers": lambda t, a: t.record_transfers(
        a.operator, [a.issuer.address], [a.holder_b.address], [AMOUNT], [71]
    ),
    "recordTransfersFrom": lambda t, a: t.record_transfers_from(
        a.operator, a.issuer.address, [a.holder_b.address], [AMOUNT], [71]
    ),
    "mint": lambda t, a: t.mint(a.operator, a.holder_b.address, AMOUNT, 71),
    "burn": lambda t, a: t.burn(a.operator, a.issuer.address, AMOUNT, 71),
    "forcedTransfer": lambda t, a: t.forced_transfer(
        a.compliance, a.issuer.address, a.holder_b.address, AMOUNT, 71, COURT_ORDER
    ),
}
RECORDED = ["recordTransfer", "recordTransfers", "recordTransfersFrom"]
SENDER_CHECKED = ["transfer", "transferFrom", *RECORDED, "burn"]
RECEIVER_CHECKED = ["transfer", "transferFrom", *RECORDED, "mint"]
# A forced transfer carries out a legal order: pauses do not stop it.
PAUSABLE = [m for m in MOVEMENTS if m != "forcedTransfer"]


def _prepare(token, accounts, movement):
    if movement == "transferFrom":
        token.approve(accounts.issuer, accounts.holder_a.address, AMOUNT)


def _make_ineligible(registry, accounts, party, state):
    account = accounts.issuer if party == "sender" else accounts.holder_b
    if state == "delisted":
        registry.set_allowlisted(accounts.compliance, account.address, False)
        return "RegistryNotAllowlisted", account.address
    registry.set_frozen(accounts.compliance, account.address, True, COURT_ORDER)
    return "RegistryFrozen", account.address


@pytest.mark.parametrize("state", ["delisted", "frozen"])
@pytest.mark.parametrize(
    ("movement", "party"),
    [(m, "sender") for m in SENDER_CHECKED] + [(m, "receiver") for m in RECEIVER_CHECKED],
)
def test_movements_need_an_allowlisted_unfrozen_party(
    minted_token, registry, accounts, movement, party, state
):
    _prepare(minted_token, accounts, movement)
    error, account = _make_ineligible(registry, accounts, party, state)
    with reverts(error, account=account):
        MOVEMENTS[movement](minted_token, accounts)
    assert balances(minted_token, accounts.issuer, accounts.holder_b) == [MINTED, 0]


def test_an_ineligible_receiver_late_in_a_batch_stops_the_whole_batch(
    minted_token, registry, accounts
):
    issuer, a, b = accounts.issuer.address, accounts.holder_a.address, accounts.holder_b.address
    registry.set_frozen(accounts.compliance, b, True, COURT_ORDER)
    with reverts("RegistryFrozen", account=b):
        minted_token.record_transfers(
            accounts.operator, [issuer, issuer, issuer], [a, a, b], [1, 2, 3], [41, 42, 43]
        )
    assert minted_token.balance_of(a) == 0
    assert not minted_token.is_ref_used(41)


def test_transfer_to_an_address_never_allowlisted_reverts(minted_token, accounts):
    with reverts("RegistryNotAllowlisted", account=accounts.outsider.address):
        minted_token.transfer(accounts.issuer, accounts.outsider.address, AMOUNT)


def test_a_relisted_holder_can_move_again(minted_token, registry, accounts):
    registry.set_allowlisted(accounts.compliance, accounts.holder_b.address, False)
    with reverts("RegistryNotAllowlisted", account=accounts.holder_b.address):
        minted_token.transfer(accounts.issuer, accounts.holder_b.address, AMOUNT)
    registry.set_allowlisted(accounts.compliance, accounts.holder_b.address, True)
    minted_token.transfer(accounts.issuer, accounts.holder_b.address, AMOUNT)
    assert minted_token.balance_of(accounts.holder_b.address) == AMOUNT


# ------------------------------------------------------------------ pause


@pytest.mark.parametrize("movement", PAUSABLE)
def test_a_paused_token_refuses_every_movement(minted_token, accounts, movement):
    _prepare(minted_token, accounts, movement)
    minted_token.pause(accounts.compliance, COURT_ORDER)
    with reverts("EnforcedPause"):
        MOVEMENTS[movement](minted_token, accounts)
    assert balances(minted_token, accounts.issuer, accounts.holder_b) == [MINTED, 0]


@pytest.mark.parametrize("movement", PAUSABLE)
def test_a_paused_platform_refuses_every_movement(minted_token, registry, accounts, movement):
    _prepare(minted_token, accounts, movement)
    registry.pause(accounts.compliance, COURT_ORDER)
    # The token itself runs: the refusal comes from the registry's checkTransfer.
    assert not minted_token.paused()
    with reverts("EnforcedPause"):
        MOVEMENTS[movement](minted_token, accounts)
    assert balances(minted_token, accounts.issuer, accounts.holder_b) == [MINTED, 0]


@pytest.mark.parametrize("paused", ["token", "platform"])
def test_a_forced_transfer_goes_through_a_pause(minted_token, registry, accounts, paused):
    (minted_token if paused == "token" else registry).pause(accounts.compliance, COURT_ORDER)
    MOVEMENTS["forcedTransfer"](minted_token, accounts)
    assert balances(minted_token, accounts.issuer, accounts.holder_b) == [MINTED - AMOUNT, AMOUNT]


def test_token_pause_and_unpause_record_their_reasons(minted_token, accounts):
    paused = minted_token.pause(accounts.compliance, COURT_ORDER)
    assert minted_token.paused()
    unpaused = minted_token.unpause(accounts.compliance, LIFTED)
    assert not minted_token.paused()
    assert event_args(minted_token, "PauseReasonRecorded", paused) == [
        {"paused": True, "reasonHash": COURT_ORDER}
    ]
    assert event_args(minted_token, "PauseReasonRecorded", unpaused) == [
        {"paused": False, "reasonHash": LIFTED}
    ]


def test_unpausing_the_token_restores_transfers(minted_token, accounts):
    minted_token.pause(accounts.compliance, COURT_ORDER)
    minted_token.unpause(accounts.compliance, LIFTED)
    minted_token.transfer(accounts.issuer, accounts.holder_b.address, AMOUNT)
    assert minted_token.balance_of(accounts.holder_b.address) == AMOUNT


def test_unpausing_the_platform_restores_transfers(minted_token, registry, accounts):
    registry.pause(accounts.compliance, COURT_ORDER)
    registry.unpause(accounts.compliance, LIFTED)
    minted_token.transfer(accounts.issuer, accounts.holder_b.address, AMOUNT)
    assert minted_token.balance_of(accounts.holder_b.address) == AMOUNT


def test_pausing_a_paused_token_and_unpausing_a_running_one_revert(token, accounts):
    with reverts("ExpectedPause"):
        token.unpause(accounts.compliance, LIFTED)
    token.pause(accounts.compliance, COURT_ORDER)
    with reverts("EnforcedPause"):
        token.pause(accounts.compliance, COURT_ORDER)


def test_pausing_one_token_leaves_the_others_running(minted_token, registry, accounts):
    other, _ = registry.issue_asset(
        accounts.operator, dataclasses.replace(ASSET, asset_id="KZ-ALM-ABAY12-2025"), DOCUMENTS
    )
    other.mint(accounts.operator, accounts.issuer.address, MINTED, 1)
    minted_token.pause(accounts.compliance, COURT_ORDER)
    other.transfer(accounts.issuer, accounts.holder_b.address, AMOUNT)
    assert other.balance_of(accounts.holder_b.address) == AMOUNT


# ------------------------------------------------------------------ forced transfer


def test_forced_transfer_records_its_legal_basis(minted_token, accounts):
    issuer, holder = accounts.issuer.address, accounts.holder_b.address
    receipt = minted_token.forced_transfer(
        accounts.compliance, issuer, holder, 400, 81, COURT_ORDER
    )
    assert event_args(minted_token, "ForcedTransfer", receipt) == [
        {
            "ref": 81,
            "from": addr(issuer),
            "to": addr(holder),
            "amount": 400,
            "legalBasisHash": COURT_ORDER,
        }
    ]
    assert event_args(minted_token, "Transfer", receipt) == [
        {"from": addr(issuer), "to": addr(holder), "value": 400}
    ]
    assert balances(minted_token, accounts.issuer, accounts.holder_b) == [MINTED - 400, 400]
    assert minted_token.is_ref_used(81)


@pytest.mark.parametrize("state", ["delisted", "frozen"])
def test_forced_transfer_takes_from_an_ineligible_holder(minted_token, registry, accounts, state):
    error, account = _make_ineligible(registry, accounts, "sender", state)
    minted_token.forced_transfer(
        accounts.compliance,
        accounts.issuer.address,
        accounts.holder_b.address,
        400,
        81,
        COURT_ORDER,
    )
    assert balances(minted_token, accounts.issuer, accounts.holder_b) == [MINTED - 400, 400]
    # The exemption lasts for the forced transfer only.
    with reverts(error, account=account):
        minted_token.record_transfer(
            accounts.operator, accounts.issuer.address, accounts.holder_b.address, 1, 82
        )


@pytest.mark.parametrize("state", ["delisted", "frozen"])
def test_forced_transfer_to_an_ineligible_receiver_reverts(minted_token, registry, accounts, state):
    error, account = _make_ineligible(registry, accounts, "receiver", state)
    with reverts(error, account=account):
        MOVEMENTS["forcedTransfer"](minted_token, accounts)
    assert balances(minted_token, accounts.issuer, accounts.holder_b) == [MINTED, 0]


def test_forced_transfer_above_the_balance_reverts(minted_token, accounts):
    with reverts(
        "ERC20InsufficientBalance",
        sender=accounts.issuer.address,
        balance=MINTED,
        needed=MINTED + 1,
    ):
        minted_token.forced_transfer(
            accounts.compliance,
            accounts.issuer.address,
            accounts.holder_b.address,
            MINTED + 1,
            81,
            COURT_ORDER,
        )


@pytest.mark.parametrize(
    ("amount", "frozen_after"),
    [
        (300, 600),  # covered by the unfrozen 400: the freeze stays whole
        (400, 600),
        (700, 300),  # 300 of it comes out of the frozen part
        (MINTED, 0),
    ],
)
def test_forced_transfer_releases_the_frozen_units_it_takes(
    minted_token, accounts, amount, frozen_after
):
    issuer = accounts.issuer.address
    minted_token.freeze_partial(accounts.compliance, issuer, 600, COURT_ORDER)
    receipt = minted_token.forced_transfer(
        accounts.compliance, issuer, accounts.holder_b.address, amount, 81, COURT_ORDER
    )
    assert minted_token.frozen_tokens(issuer) == frozen_after
    assert minted_token.balance_of(issuer) == MINTED - amount
    assert minted_token.frozen_tokens(issuer) <= minted_token.balance_of(issuer)
    released = 600 - frozen_after
    expected = [{"account": addr(issuer), "amount": released, "reasonHash": COURT_ORDER}]
    assert event_args(minted_token, "TokensUnfrozen", receipt) == (expected if released else [])


def test_frozen_amount_read_from_events_matches_the_token_after_forced_transfers(
    minted_token, accounts
):
    issuer = accounts.issuer.address
    receipts = [minted_token.freeze_partial(accounts.compliance, issuer, 600, COURT_ORDER)]
    for ref, amount in [(81, 500), (82, 200), (83, 150)]:
        receipts.append(
            minted_token.forced_transfer(
                accounts.compliance, issuer, accounts.holder_b.address, amount, ref, COURT_ORDER
            )
        )
    receipts.append(minted_token.unfreeze_partial(accounts.compliance, issuer, 100, LIFTED))

    # What an indexer that follows only the freeze events arrives at.
    frozen = 0
    for receipt in receipts:
        frozen += sum(e["amount"] for e in event_args(minted_token, "TokensFrozen", receipt))
        frozen -= sum(e["amount"] for e in event_args(minted_token, "TokensUnfrozen", receipt))

    assert minted_token.balance_of(issuer) == MINTED - 850
    assert minted_token.frozen_tokens(issuer) == 50
    assert frozen == 50


# ------------------------------------------------------------------ partial freeze


def test_freeze_partial_records_the_amount_and_reason(minted_token, accounts):
    issuer = accounts.issuer.address
    first = minted_token.freeze_partial(accounts.compliance, issuer, 250, COURT_ORDER)
    minted_token.freeze_partial(accounts.compliance, issuer, 350, COURT_ORDER)
    assert minted_token.frozen_tokens(issuer) == 600
    assert event_args(minted_token, "TokensFrozen", first) == [
        {"account": addr(issuer), "amount": 250, "reasonHash": COURT_ORDER}
    ]


def test_unfreeze_partial_releases_with_its_reason(minted_token, accounts):
    issuer = accounts.issuer.address
    minted_token.freeze_partial(accounts.compliance, issuer, 600, COURT_ORDER)
    receipt = minted_token.unfreeze_partial(accounts.compliance, issuer, 200, LIFTED)
    assert minted_token.frozen_tokens(issuer) == 400
    assert event_args(minted_token, "TokensUnfrozen", receipt) == [
        {"account": addr(issuer), "amount": 200, "reasonHash": LIFTED}
    ]
    minted_token.transfer(accounts.issuer, accounts.holder_b.address, 600)
    assert minted_token.balance_of(accounts.holder_b.address) == 600


FROZEN_OUT = {
    "transfer": lambda t, a, n: t.transfer(a.issuer, a.holder_b.address, n),
    "transferFrom": lambda t, a, n: t.transfer_from(
        a.holder_a, a.issuer.address, a.holder_b.address, n
    ),
    "recordTransfer": lambda t, a, n: t.record_transfer(
        a.operator, a.issuer.address, a.holder_b.address, n, 91
    ),
    "recordTransfers": lambda t, a, n: t.record_transfers(
        a.operator, [a.issuer.address], [a.holder_b.address], [n], [91]
    ),
    "burn": lambda t, a, n: t.burn(a.operator, a.issuer.address, n, 91),
}


@pytest.mark.parametrize("movement", FROZEN_OUT)
def test_frozen_units_cannot_move(minted_token, accounts, movement):
    issuer = accounts.issuer.address
    minted_token.approve(accounts.issuer, accounts.holder_a.address, MINTED)
    minted_token.freeze_partial(accounts.compliance, issuer, 600, COURT_ORDER)
    with reverts(
        "BackedAssetInsufficientUnfrozenBalance", account=issuer, unfrozen=400, needed=401
    ):
        FROZEN_OUT[movement](minted_token, accounts, 401)
    FROZEN_OUT[movement](minted_token, accounts, 400)
    assert minted_token.balance_of(issuer) == 600
    assert minted_token.frozen_tokens(issuer) == 600


def test_freeze_exceeding_the_balance_reverts(minted_token, accounts):
    issuer = accounts.issuer.address
    with reverts(
        "BackedAssetFreezeExceedsBalance", account=issuer, available=MINTED, amount=MINTED + 1
    ):
        minted_token.freeze_partial(accounts.compliance, issuer, MINTED + 1, COURT_ORDER)
    minted_token.freeze_partial(accounts.compliance, issuer, 600, COURT_ORDER)
    with reverts("BackedAssetFreezeExceedsBalance", account=issuer, available=400, amount=401):
        minted_token.freeze_partial(accounts.compliance, issuer, 401, COURT_ORDER)
    assert minted_token.frozen_tokens(issuer) == 600


def test_freezing_a_holder_without_tokens_reverts(minted_token, accounts):
    with reverts(
        "BackedAssetFreezeExceedsBalance",
        account=accounts.holder_a.address,
        available=0,
        amount=1,
    ):
        minted_token.freeze_partial(accounts.compliance, accounts.holder_a.address, 1, COURT_ORDER)


# An amount that would overflow when added to the frozen units is still refused by name.
def test_freezing_an_amount_near_uint256_max_reverts_with_freeze_exceeds_balance(
    minted_token, accounts
):
    issuer = accounts.issuer.address
    minted_token.freeze_partial(accounts.compliance, issuer, 600, COURT_ORDER)
    with reverts(
        "BackedAssetFreezeExceedsBalance", account=issuer, available=400, amount=2**256 - 1
    ):
        minted_token.freeze_partial(accounts.compliance, issuer, 2**256 - 1, COURT_ORDER)


def test_unfreezing_more_than_is_frozen_reverts(minted_token, accounts):
    issuer = accounts.issuer.address
    minted_token.freeze_partial(accounts.compliance, issuer, 600, COURT_ORDER)
    with reverts("BackedAssetFreezeExceedsBalance", account=issuer, available=600, amount=601):
        minted_token.unfreeze_partial(accounts.compliance, issuer, 601, LIFTED)
    assert minted_token.frozen_tokens(issuer) == 600


# ------------------------------------------------------------------ unauthorised callers

OPERATOR_FUNCTIONS = {
    "mint": lambda t, a, s: t.mint(s, s.address, 1, 101),
    "burn": lambda t, a, s: t.burn(s, a.issuer.address, 1, 101),
    "recordTransfer": lambda t, a, s: t.record_transfer(
        s, a.issuer.address, a.holder_a.address, 1, 101
    ),
    "recordTransfers": lambda t, a, s: t.record_transfers(
        s, [a.issuer.address], [a.holder_a.address], [1], [101]
    ),
    "setDocument": lambda t, a, s: t.set_document(
        s, "issuance_decision", "ipfs://forged", reason("forged")
    ),
}
COMPLIANCE_FUNCTIONS = {
    "forcedTransfer": lambda t, a, s: t.forced_transfer(
        s, a.issuer.address, s.address, 1, 101, COURT_ORDER
    ),
    "freezePartialTokens": lambda t, a, s: t.freeze_partial(s, a.issuer.address, 1, COURT_ORDER),
    "unfreezePartialTokens": lambda t, a, s: t.unfreeze_partial(s, a.issuer.address, 1, LIFTED),
    "pause": lambda t, a, s: t.pause(s, COURT_ORDER),
    "unpause": lambda t, a, s: t.unpause(s, LIFTED),
}
# The platform admin is among the callers: administering roles must not let it act as staff.
GUARDED_CASES = [
    (function, OPERATOR_ROLE, caller)
    for function in OPERATOR_FUNCTIONS
    for caller in ("outsider", "issuer", "admin", "compliance")
] + [
    (function, COMPLIANCE_ROLE, caller)
    for function in COMPLIANCE_FUNCTIONS
    for caller in ("outsider", "issuer", "admin", "operator")
]


@pytest.mark.parametrize(
    ("function", "role", "caller"),
    GUARDED_CASES,
    ids=[f"{function}-{caller}" for function, _, caller in GUARDED_CASES],
)
def test_staff_functions_reject_callers_without_the_registry_role(
    minted_token, accounts, function, role, caller
):
    minted_token.freeze_partial(accounts.compliance, accounts.issuer.address, 1, COURT_ORDER)
    if function == "unpause":
        minted_token.pause(accounts.compliance, COURT_ORDER)
    invoke = {**OPERATOR_FUNCTIONS, **COMPLIANCE_FUNCTIONS}[function]
    sender = getattr(accounts, caller)
    with reverts("BackedAssetUnauthorized", account=sender.address, role=role):
        invoke(minted_token, accounts, sender)
    assert not minted_token.is_ref_used(101)
    assert minted_token.balance_of(accounts.issuer.address) == MINTED


def test_revoking_the_operator_role_stops_the_operator_on_every_token(
    minted_token, registry, accounts
):
    registry.revoke_role(accounts.admin, OPERATOR_ROLE, accounts.operator.address)
    with reverts("BackedAssetUnauthorized", account=accounts.operator.address, role=OPERATOR_ROLE):
        minted_token.mint(accounts.operator, accounts.issuer.address, 1, 2)
    registry.grant_role(accounts.admin, OPERATOR_ROLE, accounts.holder_a.address)
    minted_token.mint(accounts.holder_a, accounts.issuer.address, 1, 2)
    assert minted_token.total_minted() == MINTED + 1


# ------------------------------------------------------------------ error decoding


def test_decode_error_reads_error_string_panic_custom_and_unknown_data():
    message = bytes.fromhex("08c379a0") + abi_encode(["string"], ["ERC20: сұранысқа жауап жоқ"])
    assert decode_error(message) == DecodedError("Error", {"message": "ERC20: сұранысқа жауап жоқ"})

    panic = bytes.fromhex("4e487b71") + abi_encode(["uint256"], [0x11])
    assert decode_error("0x" + panic.hex()) == DecodedError("Panic", {"code": 0x11})

    selector = keccak(text="BackedAssetRefUsed(uint256)")[:4]
    assert decode_error(selector + abi_encode(["uint256"], [256])) == DecodedError(
        "BackedAssetRefUsed", {"ref": 256}
    )

    unknown = bytes.fromhex("deadbeef") + abi_encode(["uint256"], [1])
    assert decode_error(unknown) == DecodedError("UnknownError", {"data": unknown})
    assert str(decode_error(unknown)) == f"UnknownError(data=0x{unknown.hex()})"


# ------------------------------------------------------------------ one-sender batches


def test_record_transfers_from_moves_a_distribution_and_maps_refs_in_order(minted_token, accounts):
    issuer = accounts.issuer.address.lower()
    receivers = [accounts.holder_a.address, accounts.holder_b.address, accounts.holder_a.address]
    receivers = [r.lower() for r in receivers]
    receipt = minted_token.record_transfers_from(
        accounts.operator, issuer, receivers, [1, 2, 3], [300, 301, 302]
    )
    transfers = event_args(minted_token, "Transfer", receipt)
    assert [(t["from"], t["to"], t["value"]) for t in transfers] == [
        (issuer, receivers[0], 1),
        (issuer, receivers[1], 2),
        (issuer, receivers[2], 3),
    ]
    assert event_args(minted_token, "TransfersRecorded", receipt) == [{"refs": [300, 301, 302]}]
    assert minted_token.balance_of(accounts.holder_a.address) == 4
    assert all(minted_token.is_ref_used(ref) for ref in (300, 301, 302))


def test_record_transfers_from_refuses_a_ref_used_before_or_twice_in_the_batch(
    minted_token, accounts
):
    issuer, a = accounts.issuer.address, accounts.holder_a.address
    minted_token.record_transfer(accounts.operator, issuer, a, 1, 400)
    with reverts("BackedAssetRefUsed", ref=400):
        minted_token.record_transfers_from(accounts.operator, issuer, [a], [1], [400])
    with reverts("BackedAssetRefUsed", ref=401):
        minted_token.record_transfers_from(accounts.operator, issuer, [a, a], [1, 1], [401, 401])
    assert not minted_token.is_ref_used(401)


def test_record_transfers_from_refuses_bad_batches(minted_token, accounts):
    issuer, a = accounts.issuer.address, accounts.holder_a.address
    with reverts("BackedAssetArrayLengthMismatch"):
        minted_token.record_transfers_from(accounts.operator, issuer, [a, a], [1], [500, 501])
    with reverts("BackedAssetArrayLengthMismatch"):
        minted_token.record_transfers_from(accounts.operator, issuer, [a], [1, 1], [500])
    with reverts("BackedAssetEmptyBatch"):
        minted_token.record_transfers_from(accounts.operator, issuer, [], [], [])
    with reverts("BackedAssetZeroAmount"):
        minted_token.record_transfers_from(accounts.operator, issuer, [a], [0], [500])
    with reverts("BackedAssetUnauthorized", account=accounts.issuer.address, role=OPERATOR_ROLE):
        minted_token.record_transfers_from(accounts.issuer, issuer, [a], [1], [500])


def test_record_transfers_from_cannot_move_frozen_units(minted_token, accounts):
    issuer, a = accounts.issuer.address, accounts.holder_a.address
    minted_token.freeze_partial(accounts.compliance, issuer, MINTED - 10, COURT_ORDER)
    with reverts("BackedAssetInsufficientUnfrozenBalance", account=issuer, unfrozen=0, needed=5):
        minted_token.record_transfers_from(accounts.operator, issuer, [a, a], [8, 7], [600, 601])
    minted_token.record_transfers_from(accounts.operator, issuer, [a, a], [6, 4], [600, 601])
    assert minted_token.balance_of(a) == 10
    assert minted_token.frozen_tokens(issuer) == MINTED - 10


# ------------------------------------------------------------------ spenders


@pytest.mark.parametrize("state", ["never allowlisted", "delisted", "frozen"])
def test_a_spender_must_be_verified_and_unfrozen(minted_token, registry, accounts, state):
    owner, receiver = accounts.issuer.address, accounts.holder_b.address
    spender = accounts.outsider if state == "never allowlisted" else accounts.holder_a
    minted_token.approve(accounts.issuer, spender.address, AMOUNT)
    if state == "frozen":
        registry.set_frozen(accounts.compliance, spender.address, True, COURT_ORDER)
        error = "RegistryFrozen"
    else:
        if state == "delisted":
            registry.set_allowlisted(accounts.compliance, spender.address, False)
        error = "RegistryNotAllowlisted"
    with reverts(error, account=spender.address):
        minted_token.transfer_from(spender, owner, receiver, AMOUNT)
    assert minted_token.allowance(owner, spender.address) == AMOUNT
    assert balances(minted_token, accounts.issuer, accounts.holder_b) == [MINTED, 0]


def test_a_verified_spender_moves_within_the_allowance(minted_token, accounts):
    owner, spender = accounts.issuer.address, accounts.holder_a.address
    minted_token.approve(accounts.issuer, spender, 3 * AMOUNT)
    receipt = minted_token.transfer_from(
        accounts.holder_a, owner, accounts.holder_b.address, AMOUNT
    )
    assert event_args(minted_token, "Transfer", receipt) == [
        {"from": addr(owner), "to": addr(accounts.holder_b.address), "value": AMOUNT}
    ]
    assert minted_token.allowance(owner, spender) == 2 * AMOUNT
    assert balances(minted_token, accounts.issuer, accounts.holder_b) == [MINTED - AMOUNT, AMOUNT]


def test_a_spender_is_checked_before_its_allowance(minted_token, registry, accounts):
    # The spender's standing is the first thing asked of it, with or without an allowance.
    with reverts("RegistryNotAllowlisted", account=accounts.outsider.address):
        minted_token.transfer_from(
            accounts.outsider, accounts.issuer.address, accounts.holder_b.address, AMOUNT
        )
    with reverts(
        "ERC20InsufficientAllowance",
        spender=accounts.holder_a.address,
        allowance=0,
        needed=AMOUNT,
    ):
        minted_token.transfer_from(
            accounts.holder_a, accounts.issuer.address, accounts.holder_b.address, AMOUNT
        )
