"""Acts of enforcement and external wallets with a real worker on anvil: a freeze that
overtakes a transfer already in flight, a forced transfer confirmed by a second officer that
lands with the order's hash, a pause that stops an asset's transfers and its end, a recovery of
three assets to a new wallet, and an external wallet linked by signature that takes units and
sends them back with a plain transfer; the ledger reconciles with the chain after each."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from eth_account import Account
from eth_account.messages import encode_defunct

from issuance.models import Application, Distribution
from issuance.services import application_confirm, distribution_send
from qoima.chain.direct import BackedAssetToken, PlatformRegistry
from qoima.chain.models import ComplianceEvent, Operation, PlatformDeployment, TokenBalance
from qoima.chain.reconciliation import reconcile
from qoima.chain.tasks import chain_index
from qoima.custody.selectors import custodial_wallet
from qoima.custody.services import wallet_link_decide, wallet_link_request, wallet_link_sign
from qoima.enforcement.models import EnforcementAct
from qoima.enforcement.services import ActData, BasisData, act_confirm, act_request
from qoima.errors import Conflict
from qoima.exchange.models import Transfer
from qoima.exchange.selectors.transfers import holder_history
from qoima.exchange.services import transfer_request, transfer_to_own_wallet
from qoima.participants.models import Role
from tests.factories import make_user, pdf_upload
from tests.onchain import issued, until
from tests.pages import visible_text

K = EnforcementAct.Kind
ORDER = "Определение СМЭС г. Алматы № 2-117/2026 об обеспечении иска"


def basis(extra: bytes = b"") -> BasisData:
    return BasisData(
        kind="court_decision",
        number="2-117/2026",
        issued_on=datetime.date(2026, 12, 1),
        authority="СМЭС г. Алматы",
        document=pdf_upload("order.pdf", extra),
    )


def ask(officer, kind, extra=b"", **named):
    return act_request(
        officer=officer, data=ActData(kind=kind, reason=ORDER, **named), basis=basis(extra)
    )


def state(act):
    act.refresh_from_db()
    return act.state


def ledger(token, address):
    row = TokenBalance.objects.filter(token_address=token, holder=address).first()
    return (int(row.amount), int(row.reserved), int(row.frozen)) if row else None


def given_units(worker, world, application, holder, amount, key=""):
    sent = distribution_send(
        actor=world.issuer,
        application_id=application.pk,
        receiver=holder.identification_number,
        amount=amount,
        idempotency_key=key or f"give-{holder.pk}",
    )
    until(worker, lambda: Distribution.objects.get(pk=sent.pk).status == Distribution.Status.DONE)
    address = custodial_wallet(holder).address
    until(worker, indexed(lambda: ledger(application.token_address, address) is not None))


def indexed(condition):
    def check():
        chain_index.delay()
        return condition()

    return check


def test_a_freeze_overtakes_a_transfer_in_flight_and_a_forced_transfer_lands_with_its_hash(
    worker_factory, chain, client
):
    worker = worker_factory.start()
    world, application = issued(worker, chain)
    token = application.token_address
    a, b = world.holders[0], world.holders[1]
    a_wallet, b_wallet = custodial_wallet(a), custodial_wallet(b)
    given_units(worker, world, application, a, "10")
    until(worker, indexed(lambda: ledger(token, a_wallet.address) == (1_000, 0, 0)))

    # A's transfer is broadcast and waits in the node's pool when compliance freezes 5.00.
    chain.provider.make_request("evm_setAutomine", [False])
    try:
        transfer, _ = transfer_request(
            actor=a.user,
            token_address=token,
            receiver_number=b.identification_number,
            amount="6",
            idempotency_key="in-flight",
        )
        until(worker, lambda: _broadcast(transfer.operation))
        freeze = ask(
            world.officer_a,
            K.FREEZE_UNITS,
            subject=a.identification_number,
            token_address=token,
            amount="5",
        )
        until(worker, lambda: _broadcast(freeze.operation))
        chain.provider.make_request("anvil_mine", [1])
    finally:
        chain.provider.make_request("evm_setAutomine", [True])

    until(worker, lambda: state(freeze) == EnforcementAct.State.CONFIRMED)
    operation = Transfer.objects.get(pk=transfer.pk).operation
    assert (operation.state, operation.failure_code) == (
        Operation.State.FAILED,
        "BackedAssetInsufficientUnfrozenBalance",
    )
    # The transfer's units are free again; the frozen ones stay out of reach.
    until(worker, indexed(lambda: ledger(token, a_wallet.address) == (1_000, 500, 500)))
    on_chain = BackedAssetToken(chain, token)
    assert on_chain.frozen_tokens(a_wallet.address) == 500
    event = ComplianceEvent.objects.get(kind=ComplianceEvent.Kind.UNITS_FROZEN)
    assert event.reason_hash == freeze.operation.reason_hash
    # The regulator reads the frozen units among what is in effect on-chain.
    client.force_login(make_user(Role.REGULATOR))
    page = client.get(reverse("registry-compliance"), HTTP_ACCEPT_LANGUAGE="en")
    in_effect = visible_text(page.content.decode().split('data-testid="in-effect"')[1])
    assert f"Units frozen {a.full_name} ({a.identification_number})" in in_effect
    assert f"{application.symbol} 5.00" in in_effect
    assert event.reason_hash == "0x" + freeze.legal_basis.document_sha256

    # A court orders 7.00 to B: officer A asks, officer B confirms; the frozen units go too.
    forced = ask(
        world.officer_a,
        K.FORCED_TRANSFER,
        extra=b"% recovery",
        subject=a.identification_number,
        token_address=token,
        amount="7",
        receiver=b.identification_number,
    )
    assert forced.operation is None
    act_confirm(officer=world.officer_b, act_id=forced.pk)
    until(worker, lambda: state(forced) == EnforcementAct.State.CONFIRMED)
    until(worker, indexed(lambda: ledger(token, a_wallet.address) == (300, 300, 300)))
    assert on_chain.balance_of(b_wallet.address) == 700
    assert on_chain.frozen_tokens(a_wallet.address) == 300
    forced.refresh_from_db()
    recorded = ComplianceEvent.objects.get(kind=ComplianceEvent.Kind.FORCED_TRANSFER)
    assert (recorded.account, recorded.receiver, int(recorded.amount), int(recorded.ref)) == (
        a_wallet.address,
        b_wallet.address,
        700,
        forced.operation_id,
    )
    assert recorded.reason_hash == "0x" + forced.legal_basis.document_sha256
    assert reconcile(w3=chain).differences == 0


def test_a_paused_asset_stops_its_transfers_until_the_pause_ends(worker_factory, chain):
    worker = worker_factory.start()
    world, application = issued(worker, chain)
    token = application.token_address
    a, b = world.holders[0], world.holders[1]
    given_units(worker, world, application, a, "10")

    pause = ask(world.officer_a, K.PAUSE_ASSET, token_address=token)
    until(worker, lambda: state(pause) == EnforcementAct.State.CONFIRMED)
    assert BackedAssetToken(chain, token).paused()
    with pytest.raises(Conflict, match="paused by compliance"):
        transfer_request(
            actor=a.user,
            token_address=token,
            receiver_number=b.identification_number,
            amount="1",
            idempotency_key="paused",
        )

    resume = ask(world.officer_a, K.UNPAUSE_ASSET, extra=b"% lifted", token_address=token)
    until(worker, lambda: state(resume) == EnforcementAct.State.CONFIRMED)
    transfer, _ = transfer_request(
        actor=a.user,
        token_address=token,
        receiver_number=b.identification_number,
        amount="1",
        idempotency_key="resumed",
    )
    until(worker, lambda: _state(transfer.operation) == Operation.State.CONFIRMED)
    until(worker, indexed(lambda: _indexed_pauses() == 2))
    assert reconcile(w3=chain).differences == 0


def _issued(pk) -> bool:
    return Application.objects.get(pk=pk).status == Application.Status.ISSUED


def _broadcast(operation) -> bool:
    operation.refresh_from_db()
    tx = operation.transaction
    return tx is not None and tx.state == "unconfirmed"


def _state(operation) -> str:
    operation.refresh_from_db()
    return operation.state


def _indexed_pauses() -> int:
    return ComplianceEvent.objects.filter(
        kind__in=[ComplianceEvent.Kind.PAUSED, ComplianceEvent.Kind.UNPAUSED], applied=True
    ).count()


def test_a_recovery_moves_three_assets_to_a_new_wallet_and_keeps_the_history(
    worker_factory, chain, client
):
    worker = worker_factory.start()
    world, first = issued(worker, chain)
    applications = [first]
    for symbol in ("OATS2", "RYE4"):
        approved = world.approved(symbol=symbol, asset_identifier=f"12:345:{symbol}")
        application_confirm(officer=world.officer_b, application_id=approved.pk)
        until(worker, lambda pk=approved.pk: _issued(pk))
        approved.refresh_from_db()
        applications.append(approved)
    holder = world.holders[0]
    old = custodial_wallet(holder)
    for n, application in enumerate(applications, start=1):
        given_units(worker, world, application, holder, str(n), key=f"give-{n}")
    tokens = [application.token_address for application in applications]
    until(
        worker,
        indexed(
            lambda: [ledger(t, old.address) for t in tokens] == [(100 * n, 0, 0) for n in (1, 2, 3)]
        ),
    )

    act = ask(world.officer_a, K.RECOVER_WALLET, subject=holder.identification_number)
    act_confirm(officer=world.officer_b, act_id=act.pk)
    until(worker, lambda: state(act) == EnforcementAct.State.CONFIRMED)
    act.refresh_from_db()
    new = act.receiver_wallet
    until(
        worker,
        indexed(
            lambda: [ledger(t, new.address) for t in tokens] == [(100 * n, 0, 0) for n in (1, 2, 3)]
        ),
    )
    registry = PlatformRegistry(chain, PlatformDeployment.objects.get().registry_address)
    assert not registry.is_allowlisted(old.address)
    assert registry.is_allowlisted(new.address)
    for n, token in enumerate(tokens, start=1):
        on_chain = BackedAssetToken(chain, token)
        assert (on_chain.balance_of(old.address), on_chain.balance_of(new.address)) == (0, 100 * n)
        assert ledger(token, old.address) == (0, 0, 0)
    assert reconcile(w3=chain).differences == 0

    # The holder reads the new wallet and, under it, the whole history: what came to the old
    # address and what the recovery moved.
    client.force_login(holder.user)
    answer = client.get(reverse("holder-transfers"), HTTP_ACCEPT_LANGUAGE="en")
    page = visible_text(answer.content.decode())
    assert new.address[:6] in page
    with translation.override("en"):
        assert page.count(str(_("Forced transfer"))) >= 3
    history = holder_history(holder)
    assert {m.kind for m in history} >= {"forced", "distribution"}


def test_an_external_wallet_linked_by_signature_takes_units_and_sends_them_back(
    worker_factory, chain, client
):
    worker = worker_factory.start()
    world, application = issued(worker, chain)
    token = application.token_address
    holder = world.holders[0]
    custodial = custodial_wallet(holder)
    given_units(worker, world, application, holder, "10")
    until(worker, indexed(lambda: ledger(token, custodial.address) == (1_000, 0, 0)))

    # A key the platform never sees signs the platform's message in the holder's own software.
    key = Account.create()
    link = wallet_link_request(
        actor=holder.user, address=key.address, domain="qoima.kz", uri="https://qoima.kz/"
    )
    signature = key.sign_message(encode_defunct(text=link.message)).signature.to_0x_hex()
    wallet_link_sign(actor=holder.user, link_id=link.pk, signature=signature)
    own = wallet_link_decide(officer=world.officer_a, link_id=link.pk, approve=True).wallet
    registry = PlatformRegistry(chain, PlatformDeployment.objects.get().registry_address)
    until(worker, lambda: registry.is_allowlisted(key.address))

    # The holder sends 3.00 to it through the platform: a recorded transfer.
    out = transfer_to_own_wallet(
        actor=holder.user,
        wallet_id=own.pk,
        token_address=token,
        amount="3",
        idempotency_key="to-own",
    )
    until(worker, lambda: _state(out) == Operation.State.CONFIRMED)
    until(worker, indexed(lambda: ledger(token, key.address) == (300, 0, 0)))

    # And 1.00 back with a plain ERC-20 transfer from their own software; the indexer reads it.
    chain.provider.make_request("anvil_setBalance", [key.address, hex(10**18)])
    BackedAssetToken(chain, token).transfer(key, custodial.address, 100)
    until(worker, indexed(lambda: ledger(token, key.address) == (200, 0, 0)))
    assert ledger(token, custodial.address) == (800, 0, 0)
    assert reconcile(w3=chain).differences == 0

    history = holder_history(holder)
    back = next(m for m in history if m.kind == "external")
    assert (int(back.amount), back.tx_hash is not None) == (100, True)
    assert any(m.kind == "transfer" and int(m.amount) == 300 for m in history)
    client.force_login(holder.user)
    page = visible_text(
        client.get(reverse("holder-transfers"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert "Transfer outside the platform" in page
    assert "2.00" in page  # the external wallet's balance, shown with it
