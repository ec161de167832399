"""Compliance's acts in the browser, in Russian and in English, carried out by a real worker on
anvil: officer A freezes part of a holder's units on an uploaded court order, the holder sees
them frozen and can neither send nor sell them; officer A asks for a forced transfer, officer B
confirms it, it lands on-chain with the order's hash; the regulator sees the act, its document
and the chain's event; a paused asset stops its market and its transfers, and its end resumes
them."""

import hashlib
import re
import time

import pytest
from django.utils import translation

from issuance.models import Distribution
from issuance.services import distribution_send
from qoima.chain.direct import BackedAssetToken
from qoima.chain.models import PlatformToken, TokenBalance
from qoima.chain.tasks import chain_confirm, chain_index
from qoima.custody.selectors import custodial_wallet
from qoima.enforcement.models import EnforcementAct
from qoima.exchange.services import market_open
from qoima.participants.models import Role
from tests.exchange.trading import SETTINGS
from tests.factories import PDF, make_user
from tests.onchain import issued, until

from .session import login, shown

pytestmark = pytest.mark.e2e

SHOWN = {
    "ru": {"frozen": "4,00", "available": "6,00", "forced_left": "5,00", "received": "5,00"},
    "en": {"frozen": "4.00", "available": "6.00", "forced_left": "5.00", "received": "5.00"},
}


def settle() -> None:
    chain_confirm.delay()
    chain_index.delay()


def decide(
    page, live_server, *, kind, document, number, subject="", asset="", amount="", receiver=""
):
    """Officer's new act, filled in and submitted; returns the act's page."""
    page.goto(f"{live_server.url}/compliance/enforcement/")
    page.get_by_test_id("new-act").click()
    form = page.get_by_test_id("act-form")
    form.locator("select[name=kind]").select_option(kind)
    if subject:
        form.locator("input[name=subject]").fill(subject)
    if asset:
        form.locator("select[name=token_address]").select_option(asset)
    if amount:
        form.locator("input[name=amount]").fill(amount)
    if receiver:
        form.locator("input[name=receiver]").fill(receiver)
    form.locator("textarea[name=reason]").fill("Обеспечение иска ТОО «Астық» к держателю")
    form.locator("select[name=basis_kind]").select_option("court_decision")
    form.locator("input[name=basis_number]").fill(number)
    form.locator("input[name=basis_issued_on]").fill("2026-12-01")
    form.locator("input[name=basis_authority]").fill("СМЭС г. Алматы")
    form.locator("input[name=basis_document]").set_input_files(str(document))
    form.get_by_test_id("act-submit").click()
    page.wait_for_load_state()
    if not re.search(r"/compliance/enforcement/\d+/$", page.url):
        raise AssertionError(f"the act was refused: {page.locator('main').inner_text()}")
    return page


def send(page, live_server, to, amount):
    """The holder's transfer from the wallet page; the page shows the outcome."""
    page.goto(f"{live_server.url}/wallet/")
    form = page.get_by_test_id("transfer-form")
    form.locator("input[name=to]").fill(to)
    form.locator("input[name=amount]").fill(amount)
    form.locator("button[type=submit]").click()


def labels(language):
    with translation.override(language):
        return {
            "confirmed": str(EnforcementAct.State.CONFIRMED.label),
            "awaiting": str(EnforcementAct.State.AWAITING_CONFIRMATION.label),
            "freeze": str(EnforcementAct.Kind.FREEZE_UNITS.label),
            "forced": str(EnforcementAct.Kind.FORCED_TRANSFER.label),
            "halted": str(_market_halted()),
            "paused": "paused by compliance" if language == "en" else "приостановлен",
        }


def _indexed(token: str, address: str) -> bool:
    settle()
    return TokenBalance.objects.filter(token_address=token, holder=address, amount__gt=0).exists()


def _market_halted():
    from qoima.exchange.models import Market

    return Market.Status.HALTED.label


@pytest.mark.parametrize("language", ["ru", "en"])
def test_freeze_forced_transfer_and_pause_in_the_browser(
    language, worker_factory, chain, live_server, page_factory, tmp_path
):
    expect, label = SHOWN[language], labels(language)
    worker = worker_factory.start()
    world, application = issued(worker, chain)
    holder_a, holder_b = world.holders[0], world.holders[1]
    symbol, token = application.symbol, application.token_address
    sent = distribution_send(
        actor=world.issuer,
        application_id=application.pk,
        receiver=holder_a.identification_number,
        amount="10",
        idempotency_key="holder-a",
    )
    until(worker, lambda: Distribution.objects.get(pk=sent.pk).status == Distribution.Status.DONE)
    a_address = custodial_wallet(holder_a).address
    until(worker, lambda: _indexed(token, a_address))
    market = market_open(
        actor=make_user(Role.PLATFORM_ADMIN),
        token_id=PlatformToken.objects.get(address=token).pk,
        values=SETTINGS,
    )
    order = tmp_path / "order.pdf"
    order.write_bytes(PDF + b"% court order 2-117/2026")
    recovery = tmp_path / "recovery.pdf"
    recovery.write_bytes(PDF + b"% writ of execution 2-117/2026")

    # Officer A freezes 4.00 of A's units on the court order; the act turns confirmed by itself.
    a_officer = login(page_factory, live_server, world.officer_a, language)
    a_officer.get_by_test_id("nav-enforcement").click()
    decide(
        a_officer,
        live_server,
        kind="freeze_units",
        document=order,
        number="2-117/2026",
        subject=holder_a.identification_number,
        asset=token,
        amount="4",
    )
    assert "2-117/2026" in a_officer.get_by_test_id("act-basis").inner_text()
    assert (
        hashlib.sha256(order.read_bytes()).hexdigest()
        in a_officer.get_by_test_id("act-basis").inner_text()
    )
    a_officer.evaluate("window.notReloaded = true")
    shown(a_officer, a_officer.get_by_test_id("act-status"), label["confirmed"], nudge=settle)
    assert a_officer.evaluate("window.notReloaded") is True

    # A sees the frozen units and why, and can send or sell only the rest.
    a = login(page_factory, live_server, holder_a.user, language)
    a.goto(f"{live_server.url}/wallet/")
    shown(a, a.get_by_test_id(f"frozen-{symbol}"), expect["frozen"], nudge=settle, reload=True)
    restrictions = a.get_by_test_id("restrictions").inner_text()
    assert label["freeze"] in restrictions
    assert "2-117/2026" in restrictions
    assert "СМЭС г. Алматы" in restrictions
    send(a, live_server, holder_b.identification_number, "7")
    assert expect["available"] in a.get_by_test_id("transfer-form").inner_text()
    a.goto(f"{live_server.url}/exchange/markets/{market.pk}/trade/")
    order_form = a.get_by_test_id("order-form")
    order_form.locator("select[name=side]").select_option("sell")
    order_form.locator("input[name=price]").fill("1000")
    order_form.locator("input[name=quantity]").fill("7")
    order_form.get_by_test_id("place-order").click()
    assert expect["available"] in a.get_by_test_id("order-form").inner_text()

    # Officer A asks for a forced transfer of 5.00 to B; only another officer can confirm it.
    decide(
        a_officer,
        live_server,
        kind="forced_transfer",
        document=recovery,
        number="2-117/2026-И",
        subject=holder_a.identification_number,
        asset=token,
        amount="5",
        receiver=holder_b.identification_number,
    )
    assert label["awaiting"] in a_officer.get_by_test_id("act-status").inner_text()
    assert a_officer.get_by_test_id("own-act").is_visible()
    assert a_officer.get_by_test_id("confirm-act").count() == 0
    forced = EnforcementAct.objects.get(kind="forced_transfer")
    b_officer = login(page_factory, live_server, world.officer_b, language)
    b_officer.get_by_test_id("nav-enforcement").click()
    b_officer.get_by_test_id("awaiting-acts").get_by_test_id(f"act-{forced.pk}").locator(
        "a"
    ).click()
    b_officer.get_by_test_id("confirm-act").click()
    b_officer.wait_for_url(f"{live_server.url}/compliance/enforcement/{forced.pk}/")
    shown(b_officer, b_officer.get_by_test_id("act-status"), label["confirmed"], nudge=settle)
    forced.refresh_from_db()
    recovery_hash = hashlib.sha256(recovery.read_bytes()).hexdigest()
    assert forced.operation.reason_hash == "0x" + recovery_hash
    on_chain = BackedAssetToken(chain, token)
    assert on_chain.balance_of(custodial_wallet(holder_b).address) == 500
    shown(
        b_officer,
        b_officer.get_by_test_id("act-status"),
        recovery_hash[:10],
        nudge=settle,
        reload=True,
    )

    # The regulator sees both acts, their documents and the chain's events with their hashes.
    regulator = login(page_factory, live_server, make_user(Role.REGULATOR), language)
    regulator.goto(f"{live_server.url}/registry/compliance/")
    acts = regulator.get_by_test_id("compliance-acts")
    row = acts.get_by_test_id(f"act-{forced.pk}")
    shown(regulator, row, recovery_hash[:10], nudge=settle, reload=True)
    text = row.inner_text()
    assert label["forced"] in text
    assert recovery_hash in text
    assert holder_a.full_name in text
    assert world.officer_b.username in text
    with regulator.expect_download() as download:
        row.get_by_test_id(f"basis-document-{forced.legal_basis_id}").click()
    saved = download.value.path()
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == recovery_hash

    # The asset is paused: its market halts and transfers stop; the end of the pause resumes them.
    decide(
        a_officer,
        live_server,
        kind="pause_asset",
        document=order,
        number="2-117/2026-П",
        asset=token,
    )
    shown(a_officer, a_officer.get_by_test_id("act-status"), label["confirmed"], nudge=settle)
    a.goto(f"{live_server.url}/exchange/markets/{market.pk}/trade/")
    assert label["halted"] in a.get_by_test_id("market-status").inner_text()
    send(a, live_server, holder_b.identification_number, "1")
    assert label["paused"] in a.get_by_test_id("transfer-form").inner_text()

    decide(
        a_officer,
        live_server,
        kind="unpause_asset",
        document=recovery,
        number="2-117/2026-С",
        asset=token,
    )
    shown(a_officer, a_officer.get_by_test_id("act-status"), label["confirmed"], nudge=settle)
    a.goto(f"{live_server.url}/exchange/markets/{market.pk}/trade/")
    assert label["halted"] not in a.get_by_test_id("market-status").inner_text()
    send(a, live_server, holder_b.identification_number, "1")
    deadline = time.monotonic() + 60
    while on_chain.balance_of(custodial_wallet(holder_b).address) != 600:
        assert time.monotonic() < deadline, "the transfer after the pause never landed"
        settle()
        time.sleep(0.5)
