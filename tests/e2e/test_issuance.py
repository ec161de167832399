"""Issuance in the browser, one test per path, against a real worker, broker, database,
anvil and Chromium: draft to mint, distribution by CSV and redemption, rejection, a change
request and resubmission, and maker-checker."""

import datetime
import time

import pytest

from issuance.models import Application
from qoima.chain.deployment import platform_registry_ensure
from qoima.chain.direct import BackedAssetToken
from qoima.chain.indexer import index_until_head
from qoima.chain.tasks import chain_confirm, chain_index
from qoima.custody.selectors import custodial_wallet
from tests.e2e.session import second_step
from tests.factories import PASSWORD
from tests.issuance.conftest import PDF, make_world
from tests.onchain import issued
from tests.second_factor import recovery_code

pytestmark = pytest.mark.e2e


def login(page_factory, live_server, user):
    page = page_factory("en-US")
    code = recovery_code(user)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]:not(.link)")
    second_step(page, code)
    page.wait_for_url(f"{live_server.url}/dashboard/**")
    return page


def wait_text(page, locator, text, *, nudge=None, timeout=90.0):
    """Until the page shows ``text`` there, asking the worker (as beat does) meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if nudge:
            nudge()
        if text in locator.inner_text():
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"the page never showed {text!r}: {locator.inner_text()}")


def draft_in_browser(page, live_server, tmp_path):
    page.get_by_test_id("applications-link").click()
    page.get_by_test_id("new-application").click()
    form = page.get_by_test_id("application-form")
    form.locator("input[name=name]").fill("Wheat, class 3")
    form.locator("input[name=symbol]").fill("WHT3")
    form.locator("select[name=asset_class]").select_option("tangible_asset")
    form.locator("textarea[name=description]").fill("Grain at the Kostanay elevator.")
    form.locator("input[name=asset_identifier]").fill("12:345:678:901")
    form.locator("input[name=decimals]").fill("2")
    form.locator("input[name=backed_amount]").fill("50000")
    form.locator("input[name=mint_amount]").fill("50000")
    form.locator("button[type=submit]").click()
    assert "The draft is saved" in page.locator(".message.success").inner_text()
    today = datetime.date.today()
    for kind, extra in (
        ("issuance_decision", {"number": "R-17", "signatory": "A. Director"}),
        ("proof_of_rights", {}),
    ):
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(PDF + kind.encode())
        upload = page.get_by_test_id("document-form")
        upload.locator("select[name=kind]").select_option(kind)
        upload.locator("input[name=file]").set_input_files(str(path))
        upload.locator("input[name=dated_on]").fill(
            (today - datetime.timedelta(days=5)).isoformat()
        )
        for name, value in extra.items():
            upload.locator(f"input[name={name}]").fill(value)
        upload.locator("button[type=submit]").click()
        assert "The document is stored" in page.locator(".message.success").inner_text()
    page.get_by_test_id("submit-form").locator("button").click()
    assert "submitted for review" in page.locator(".message.success").inner_text()
    return Application.objects.get(symbol="WHT3")


def answer_the_question(page):
    """Accept the confirmation a refusing button asks for; what it asked is returned."""
    asked = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    return asked


def open_application(page, live_server, application):
    page.goto(f"{live_server.url}/issuance/{application.pk}/")


def approve_in_browser(page, live_server, application):
    open_application(page, live_server, application)
    form = page.get_by_test_id("approve-form")
    for item in range(1, 8):
        form.get_by_test_id(f"item-{item}").check()
    form.locator("button[type=submit]").click()
    assert "A second officer must confirm" in page.locator(".message.success").inner_text()


def test_issuer_drafts_two_officers_approve_and_the_token_is_minted_live(
    worker_factory, chain, live_server, page_factory, tmp_path
):
    platform_registry_ensure(chain)
    worker_factory.start()
    world = make_world(holder_count=0)
    issuer = login(page_factory, live_server, world.issuer)
    application = draft_in_browser(issuer, live_server, tmp_path)

    officer_a = login(page_factory, live_server, world.officer_a)
    officer_a.get_by_test_id("review-link").click()
    assert "Wheat, class 3" in officer_a.get_by_test_id("queue").inner_text()
    approve_in_browser(officer_a, live_server, application)

    officer_b = login(page_factory, live_server, world.officer_b)
    open_application(officer_b, live_server, application)
    officer_b.get_by_test_id("confirm-form").locator("button[type=submit]").click()
    assert "being issued and minted" in officer_b.locator(".message.success").inner_text()

    # The issuer watches it reach the chain without reloading.
    open_application(issuer, live_server, application)
    issuer.evaluate("window.notReloaded = true")
    wait_text(issuer, issuer.get_by_test_id("onchain"), "Issued", nudge=chain_confirm.delay)
    assert issuer.evaluate("window.notReloaded") is True
    onchain = issuer.get_by_test_id("onchain").inner_text()
    assert "Confirmed" in issuer.get_by_test_id("mint-state").inner_text()
    application.refresh_from_db()
    assert application.token_address in onchain
    assert application.mint_operation.transaction.attempts.last().tx_hash in onchain

    token = BackedAssetToken(chain, application.token_address)
    organisation = application.organisation
    assert token.issuer() == (
        organisation.legal_name,
        organisation.identification_number,
        world.permit.number,
    )
    assert token.cap() == int(application.backed_units) == 5_000_000
    for document in application.documents.all():
        assert token.get_document(document.kind).sha256.hex() == document.sha256
        assert document.sha256 in issuer.get_by_test_id("documents").inner_text()


def test_issuer_distributes_by_csv_and_a_holder_redeems(
    worker_factory, chain, live_server, page_factory, tmp_path
):
    worker = worker_factory.start()
    world, application = issued(worker, chain)
    token = BackedAssetToken(chain, application.token_address)
    issuer = login(page_factory, live_server, world.issuer)
    open_application(issuer, live_server, application)
    csv = tmp_path / "holders.csv"
    csv.write_text(
        "holder,amount\n"
        + "".join(
            f"{h.identification_number},{10 * (n + 1)}\n" for n, h in enumerate(world.holders)
        )
    )
    form = issuer.get_by_test_id("csv-form")
    form.locator("input[name=file]").set_input_files(str(csv))
    form.locator("button[type=submit]").click()
    wait_text(issuer, issuer.get_by_test_id("progress"), "Done", nudge=chain_confirm.delay)
    assert "3 of 3 confirmed on-chain" in issuer.get_by_test_id("progress").inner_text()
    bar = issuer.get_by_test_id("progress").get_by_role("progressbar")
    assert (bar.get_attribute("aria-valuenow"), bar.get_attribute("aria-valuemax")) == ("3", "3")
    holder = world.holders[2]
    assert token.balance_of(custodial_wallet(holder).address) == 3000

    index_until_head(w3=chain)
    page = login(page_factory, live_server, holder.user)
    page.get_by_test_id("assets-link").click()
    assert "30.00" in page.get_by_test_id("asset-WHT3").inner_text()
    redeem = page.get_by_test_id("redeem-WHT3")
    redeem.locator("input[name=amount]").fill("12.50")
    redeem.locator("button[type=submit]").click()
    assert "redemption is requested" in page.locator(".message.success").inner_text()
    assert "17.50" in page.get_by_test_id("asset-WHT3").inner_text()  # the rest is available

    supply = token.total_supply()
    issuer.goto(f"{live_server.url}/issuance/")
    fulfil = issuer.get_by_test_id("fulfil-form").first
    fulfil.locator("input[name=reference]").fill("Waybill 0042")
    fulfil.locator("button[type=submit]").click()
    assert "burned on-chain" in issuer.locator(".message.success").inner_text()

    def settle():
        chain_confirm.delay()
        chain_index.delay()

    page.reload()
    deadline = time.monotonic() + 90
    while "Redeemed" not in page.get_by_test_id("my-redemptions").inner_text():
        assert time.monotonic() < deadline, page.get_by_test_id("my-redemptions").inner_text()
        settle()
        page.wait_for_timeout(500)
        page.reload()
    assert token.total_supply() == supply - 1250


def test_an_officer_rejects_and_the_issuer_sees_why(
    committed_db, live_server, page_factory, tmp_path
):
    world = make_world(holder_count=0)
    issuer = login(page_factory, live_server, world.issuer)
    application = draft_in_browser(issuer, live_server, tmp_path)
    officer = login(page_factory, live_server, world.officer_a)
    open_application(officer, live_server, application)
    officer.get_by_test_id("changes-form").locator("textarea[name=reason]").fill(
        "Money market units are securities."
    )
    asked = answer_the_question(officer)
    officer.get_by_test_id("reject-button").click()
    assert asked == ["Reject this application?"]
    assert "rejected" in officer.locator(".message.success").inner_text()
    open_application(issuer, live_server, application)
    assert (
        "Money market units are securities." in issuer.get_by_test_id("status-reason").inner_text()
    )
    assert issuer.get_by_test_id("submit-form").count() == 0


def test_changes_requested_then_resubmitted_keeps_the_history(
    committed_db, live_server, page_factory, tmp_path
):
    world = make_world(holder_count=0)
    issuer = login(page_factory, live_server, world.issuer)
    application = draft_in_browser(issuer, live_server, tmp_path)
    officer = login(page_factory, live_server, world.officer_a)
    open_application(officer, live_server, application)
    officer.get_by_test_id("changes-form").locator("textarea[name=reason]").fill(
        "Give the warehouse receipt number."
    )
    asked = answer_the_question(officer)
    officer.get_by_test_id("changes-form").locator("button[type=submit]").first.click()
    assert asked == ["Send the application back to the issuer for changes?"]
    assert "Changes are requested" in officer.locator(".message.success").inner_text()

    open_application(issuer, live_server, application)
    assert "warehouse receipt" in issuer.get_by_test_id("status-reason").inner_text()
    issuer.get_by_test_id("edit-link").click()
    issuer.locator("textarea[name=description]").fill("Grain, warehouse receipt 17.")
    issuer.get_by_test_id("application-form").locator("button[type=submit]").click()
    issuer.get_by_test_id("submit-form").locator("button").click()
    history = issuer.get_by_test_id("history").inner_text()
    assert "Requested changes (revision 1): Give the warehouse receipt number." in history
    assert "Submitted (revision 2)" in history
    application.refresh_from_db()
    assert application.description == "Grain, warehouse receipt 17."


def test_a_single_officer_cannot_approve_and_confirm(
    committed_db, live_server, page_factory, tmp_path
):
    world = make_world(holder_count=0)
    issuer = login(page_factory, live_server, world.issuer)
    application = draft_in_browser(issuer, live_server, tmp_path)
    officer = login(page_factory, live_server, world.officer_a)
    approve_in_browser(officer, live_server, application)
    # The officer who approved is not offered the confirmation, and is told why.
    assert officer.get_by_test_id("confirm-form").count() == 0
    assert (
        "A different officer must confirm the approval"
        in officer.get_by_test_id("awaiting-confirmation").inner_text()
    )
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert application.issue_operation is None
