"""Acts of enforcement as compliance asks for them: each on a legal basis, four eyes where the
act needs them, what changes at once, and every refusal with the message the officer reads."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qoima.audit.models import AuditEntry
from qoima.chain.models import Operation, TokenBalance
from qoima.enforcement import selectors
from qoima.enforcement.models import EnforcementAct, LegalBasis
from qoima.enforcement.services import ActData, act_confirm, act_reject, act_request
from qoima.enforcement.settlement import acts_settled
from qoima.errors import Conflict, InvalidInput, NotAllowed
from qoima.exchange.models import Market, Order, OrderChange
from qoima.exchange.services import market_halt, market_resume, transfer_request
from qoima.exchange.services.orders import order_place
from qoima.participants.models import Role
from tests.exchange.conftest import HELD, TOKEN
from tests.exchange.matching_world import Trader, deposit, place
from tests.factories import make_user

from .acts import ALICE, BANK, K, ask, basis

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_b(db):
    return make_user(Role.COMPLIANCE_OFFICER)


def balance(party):
    row = TokenBalance.objects.get(token_address=TOKEN, holder=party.wallet.address)
    return int(row.amount), int(row.reserved), int(row.frozen)


def market_of(asset):
    """A market of the asset, open, whole units at 100.00 ₸ and no fees."""
    return Market.objects.create(
        token=asset,
        tick_tiyn=1,
        lot_units=100,
        min_units=100,
        max_units=100_000,
        band_bps=5_000,
        maker_fee_bps=0,
        taker_fee_bps=0,
        reference_price=10_000,
    )


def settle(act, state=Operation.State.CONFIRMED, code=""):
    """What the transaction manager hands over when the act's operation is final."""
    operation = act.operation
    operation.state, operation.failure_code = state, code
    acts_settled([operation])
    act.refresh_from_db()
    return act


def test_a_freeze_of_units_holds_them_at_once_with_the_documents_hash(officer, alice, asset):
    act = ask(officer, K.FREEZE_UNITS, subject=ALICE, token_address=TOKEN, amount="250.00")
    assert act.state == EnforcementAct.State.PENDING
    operation = act.operation
    assert (operation.kind, operation.sender, int(operation.amount)) == (
        "freeze_tokens",
        alice.wallet.address,
        25_000,
    )
    # The legal basis's SHA-256 is the reason hash the chain will record.
    assert operation.reason_hash == "0x" + act.legal_basis.document_sha256
    assert operation.purpose == "enforcement.act"
    assert balance(alice) == (HELD, 25_000, 0)
    entry = AuditEntry.objects.get(action="enforcement.act_requested")
    assert entry.details["legal_basis"]["number"] == "2-117/2026"
    # The holder can no longer send the frozen part.
    with pytest.raises(InvalidInput, match=r"You have 750\.00 ABAY10 available"):
        transfer_request(
            actor=alice.user,
            token_address=TOKEN,
            receiver_number=BANK,
            amount="750.01",
            idempotency_key="k",
        )


def test_an_act_without_its_legal_document_is_refused(officer, alice, asset):
    data = ActData(kind=K.FREEZE_WALLET, reason="Постановление", subject=ALICE)
    with pytest.raises(InvalidInput) as refused:
        act_request(officer=officer, data=data, basis=basis(**{"document": None}))
    assert refused.value.field == "basis_document"
    assert str(refused.value.message) == (
        "Every act needs its legal basis: upload the document (PDF, PNG or JPEG)."
    )
    assert not EnforcementAct.objects.exists()
    assert not Operation.objects.exclude(kind="allowlist").exists()


def test_a_disguised_document_is_refused_by_its_content(officer, alice, asset):
    fake = SimpleUploadedFile("order.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(InvalidInput, match="not a PDF, PNG or JPEG") as refused:
        ask(officer, K.FREEZE_WALLET, document=fake, subject=ALICE)
    assert refused.value.field == "basis_document"
    assert not LegalBasis.objects.exists()


def test_a_document_dated_in_the_future_is_refused(officer, alice, asset):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(InvalidInput, match="cannot be dated in the future"):
        ask(officer, K.FREEZE_WALLET, basis_changes={"issued_on": tomorrow}, subject=ALICE)


def test_unfreezing_more_than_is_frozen_is_refused(officer, alice, asset):
    TokenBalance.objects.filter(holder=alice.wallet.address).update(frozen=10_000, reserved=10_000)
    with pytest.raises(InvalidInput) as refused:
        ask(officer, K.UNFREEZE_UNITS, subject=ALICE, token_address=TOKEN, amount="100.01")
    assert refused.value.code == "unfreeze_exceeds_frozen"
    assert str(refused.value.message) == (
        "Only 100.00 ABAY10 of Alice (791028302728) are frozen; 100.01 ABAY10 cannot be released."
    )
    ask(officer, K.UNFREEZE_UNITS, subject=ALICE, token_address=TOKEN, amount="60")
    # What a release on its way will take counts too.
    with pytest.raises(InvalidInput, match=r"Only 40\.00 ABAY10"):
        ask(officer, K.UNFREEZE_UNITS, subject=ALICE, token_address=TOKEN, amount="41")


def test_freezing_more_than_is_not_frozen_is_refused(officer, alice, asset):
    ask(officer, K.FREEZE_UNITS, subject=ALICE, token_address=TOKEN, amount="900")
    with pytest.raises(InvalidInput) as refused:
        ask(officer, K.FREEZE_UNITS, subject=ALICE, token_address=TOKEN, amount="100.01")
    assert refused.value.code == "freeze_exceeds_balance"
    assert "has 100.00 ABAY10 that are not frozen" in str(refused.value.message)


def test_a_forced_transfer_waits_for_a_second_officer(officer, officer_b, alice, bank, asset):
    act = ask(
        officer,
        K.FORCED_TRANSFER,
        subject=ALICE,
        token_address=TOKEN,
        amount="300",
        receiver=BANK,
    )
    assert act.state == EnforcementAct.State.AWAITING_CONFIRMATION
    assert act.operation is None
    assert balance(alice) == (HELD, 0, 0)

    with pytest.raises(NotAllowed) as refused:
        act_confirm(officer=officer, act_id=act.pk)
    assert refused.value.code == "maker_checker"
    assert str(refused.value.message) == (
        "You asked for this act; a different officer must confirm it."
    )

    act = act_confirm(officer=officer_b, act_id=act.pk)
    assert (act.state, act.confirmed_by) == (EnforcementAct.State.PENDING, officer_b)
    operation = act.operation
    assert (operation.kind, operation.sender, operation.receiver, int(operation.amount)) == (
        "forced_transfer",
        alice.wallet.address,
        bank.wallet.address,
        30_000,
    )
    assert balance(alice) == (HELD, 30_000, 0)
    with pytest.raises(Conflict, match="no longer waits"):
        act_confirm(officer=officer_b, act_id=act.pk)


def test_a_rejected_act_is_never_carried_out(officer, officer_b, alice, bank, asset):
    act = ask(
        officer, K.FORCED_TRANSFER, subject=ALICE, token_address=TOKEN, amount="1", receiver=BANK
    )
    act = act_reject(officer=officer_b, act_id=act.pk, reason="Решение отменено апелляцией")
    assert act.state == EnforcementAct.State.REJECTED
    with pytest.raises(Conflict):
        act_confirm(officer=officer_b, act_id=act.pk)
    assert not Operation.objects.filter(kind="forced_transfer").exists()


def test_a_wallets_freeze_stops_its_transfers_and_its_release_waits_for_the_chain(
    officer, alice, bank, asset
):
    pending, _ = transfer_request(
        actor=alice.user, token_address=TOKEN, receiver_number=BANK, amount="5", idempotency_key="p"
    )
    act = ask(officer, K.FREEZE_WALLET, subject=ALICE)
    alice.wallet.refresh_from_db()
    assert alice.wallet.frozen
    assert (act.operation.kind, act.operation.account) == ("freeze", alice.wallet.address)
    # The movement not yet sent is withdrawn and its units given back.
    pending.operation.refresh_from_db()
    assert (pending.operation.state, pending.operation.failure_code) == ("failed", "WalletFrozen")
    assert balance(alice) == (HELD, 0, 0)
    with pytest.raises(Conflict) as refused:
        transfer_request(
            actor=alice.user,
            token_address=TOKEN,
            receiver_number=BANK,
            amount="5",
            idempotency_key="q",
        )
    assert str(refused.value.message) == "A wallet of this transfer is frozen by compliance."
    with pytest.raises(Conflict, match="frozen already"):
        ask(officer, K.FREEZE_WALLET, subject=ALICE)

    settle(act)
    release = ask(officer, K.UNFREEZE_WALLET, subject=ALICE)
    alice.wallet.refresh_from_db()
    assert alice.wallet.frozen
    with pytest.raises(Conflict, match="on its way"):
        ask(officer, K.UNFREEZE_WALLET, subject=ALICE)
    settle(release)
    alice.wallet.refresh_from_db()
    assert not alice.wallet.frozen
    assert release.state == EnforcementAct.State.CONFIRMED


def test_a_failed_wallet_freeze_leaves_the_wallet_free(officer, alice, asset):
    act = settle(ask(officer, K.FREEZE_WALLET, subject=ALICE), Operation.State.FAILED, "Error")
    assert act.state == EnforcementAct.State.FAILED
    alice.wallet.refresh_from_db()
    assert not alice.wallet.frozen


def test_an_asset_pause_halts_its_market_and_its_end_resumes_it(officer, alice, bank, asset):
    market = market_of(asset)
    act = ask(officer, K.PAUSE_ASSET, token_address=TOKEN)
    market.refresh_from_db()
    assert (market.status, market.halt_reason) == ("halted", "asset_paused")
    assert (act.operation.kind, act.operation.token_address) == ("pause", TOKEN)
    assert selectors.paused(TOKEN)
    with pytest.raises(Conflict) as refused:
        transfer_request(
            actor=alice.user,
            token_address=TOKEN,
            receiver_number=BANK,
            amount="5",
            idempotency_key="a",
        )
    assert "This asset is paused by compliance" in str(refused.value.message)

    settle(act)
    resume = ask(officer, K.UNPAUSE_ASSET, token_address=TOKEN)
    # Paused until the chain confirms the end of the pause.
    assert selectors.paused(TOKEN)
    settle(resume)
    market.refresh_from_db()
    assert (market.status, market.halt_reason) == ("open", "")
    assert not selectors.paused(TOKEN)


def test_the_platforms_pause_needs_four_eyes_and_halts_every_market(
    officer, officer_b, alice, asset
):
    act = ask(officer, K.PAUSE_PLATFORM)
    assert act.state == EnforcementAct.State.AWAITING_CONFIRMATION
    assert not selectors.paused()
    act_confirm(officer=officer_b, act_id=act.pk)
    assert selectors.paused()
    act.refresh_from_db()
    assert (act.operation.kind, act.operation.token_address) == ("pause", "")


def test_only_compliance_officers_act(alice, asset):
    regulator = make_user(Role.REGULATOR)
    for actor in (regulator, alice.user, make_user(Role.PLATFORM_ADMIN)):
        with pytest.raises(NotAllowed):
            ask(actor, K.FREEZE_WALLET, subject=ALICE)


@pytest.mark.parametrize(
    ("named", "field", "message"),
    [
        ({"subject": "000000000000"}, "subject", "No participant with this IIN / BIN"),
        ({"subject": ALICE, "address": "0x12"}, "address", "no wallet at this address"),
        (
            {"subject": ALICE, "token_address": "0xnope", "amount": "1"},
            "token_address",
            "Choose an asset",
        ),
        ({"subject": ALICE, "token_address": TOKEN, "amount": "0"}, "amount", "above zero"),
        (
            {"subject": ALICE, "token_address": TOKEN, "amount": "1.001"},
            "amount",
            "2 decimal places",
        ),
    ],
)
def test_bad_input_names_its_field_and_changes_nothing(
    officer, alice, asset, named, field, message
):
    with pytest.raises(InvalidInput, match=message) as refused:
        ask(officer, K.FREEZE_UNITS, **({"token_address": TOKEN, "amount": "1"} | named))
    assert refused.value.field == field
    assert not EnforcementAct.objects.exists()
    assert not LegalBasis.objects.exists()


def test_a_freeze_of_units_cancels_the_holders_open_sells_of_the_asset(officer, alice, asset):
    market = market_of(asset)
    seller = Trader(deposit(alice.holder, 0), alice.holder, alice.wallet.address)
    order = place(market, seller, "sell", 500, 10_000)
    ask(officer, K.FREEZE_UNITS, subject=ALICE, token_address=TOKEN, amount="1")
    change = OrderChange.objects.get(order=order)
    assert (change.kind, change.reason) == ("cancel", "units_frozen")


def test_a_frozen_wallets_holder_cannot_place_orders(officer, alice, asset):
    market = market_of(asset)
    deposit(alice.holder, 0)
    ask(officer, K.FREEZE_WALLET, subject=ALICE)
    with pytest.raises(NotAllowed) as refused:
        order_place(
            actor=alice.user,
            market_id=market.pk,
            client_order_id="c-1",
            side="sell",
            type="limit",
            time_in_force="gtc",
            quantity=100,
            price=10_000,
        )
    assert refused.value.code == "wallet_frozen"
    assert str(refused.value.message) == (
        "Your wallet is frozen by compliance: you cannot place orders."
    )
    assert not Order.objects.exists()


def test_a_recovery_retires_the_wallet_and_moves_its_unfrozen_units_to_a_new_one(
    officer, officer_b, alice, asset
):
    TokenBalance.objects.filter(holder=alice.wallet.address).update(frozen=5_000, reserved=5_000)
    old = alice.wallet.address
    act = ask(officer, K.RECOVER_WALLET, subject=ALICE)
    assert act.state == EnforcementAct.State.AWAITING_CONFIRMATION
    with pytest.raises(NotAllowed):
        act_confirm(officer=officer, act_id=act.pk)
    act = act_confirm(officer=officer_b, act_id=act.pk)

    alice.wallet.refresh_from_db()
    assert (alice.wallet.kind, alice.wallet.frozen) == ("retired", True)
    new = act.receiver_wallet
    assert (new.kind, new.holder) == ("custodial", alice.holder)
    assert new.address != old
    key = f"enforcement.act:{act.pk}"
    operations = Operation.objects.filter(idempotency_key__startswith=key).order_by("pk")
    assert [(op.kind, op.account or op.sender) for op in operations] == [
        ("delist", old),
        ("allowlist", new.address),
        ("forced_transfer", old),
    ]
    forced = operations.get(kind="forced_transfer")
    # The frozen 50.00 stay where the freeze named them.
    assert (forced.receiver, int(forced.amount)) == (new.address, HELD - 5_000)
    assert forced.reason_hash == "0x" + act.legal_basis.document_sha256

    # Settled only once every operation is confirmed (the manager hands them over as they are).
    handed = list(operations)
    for operation in handed[:2]:
        operation.state = Operation.State.CONFIRMED
    acts_settled(handed[:2])
    act.refresh_from_db()
    assert act.state == EnforcementAct.State.PENDING
    handed[2].state = Operation.State.CONFIRMED
    acts_settled(handed)
    act.refresh_from_db()
    assert act.state == EnforcementAct.State.CONFIRMED
    with pytest.raises(Conflict):
        ask(officer, K.RECOVER_WALLET, subject=ALICE, address=old)


def test_the_administrator_neither_pauses_nor_resumes_a_market_for_compliance(officer, asset):
    market = market_of(asset)
    admin = make_user(Role.PLATFORM_ADMIN)
    with pytest.raises(InvalidInput, match="Choose why the market is halted"):
        market_halt(actor=admin, market_id=market.pk, reason="asset_paused")
    ask(officer, K.PAUSE_ASSET, token_address=TOKEN)
    with pytest.raises(Conflict) as refused:
        market_resume(actor=admin, market_id=market.pk)
    assert str(refused.value.message) == (
        "Compliance paused this market's asset; it resumes when the pause ends."
    )
    market.refresh_from_db()
    assert market.status == "halted"
