"""The regulator in the browser, in Russian and in English: reads the overview (totals, alerts,
charts and their figures), searches transfers by a holder's IIN, opens one, verifies it on
chain, exports the results and reads a cap table (real anvil, Chromium)."""

import csv
import io

import pytest
from django.conf import settings
from django.utils import formats, timezone, translation

from qoima.chain.models import ReconciliationRun
from qoima.chain.volumes import daily_volumes_refresh
from qoima.participants.models import HolderProfile, Role
from tests.e2e.session import second_step
from tests.factories import PASSWORD, make_user
from tests.registry.conftest import issued_on_chain
from tests.second_factor import recovery_code

pytestmark = pytest.mark.e2e

LOCALES = {"ru": "ru-RU", "en": "en-US"}


def text(language: str, message: str) -> str:
    with translation.override(language):
        translated = translation.gettext(message)
    if language != "en":
        assert translated != message, f"the {language} catalogue lacks {message!r}"
    return translated


def log_in(page, live_server, user) -> None:
    code = recovery_code(user)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]:not(.link)")
    second_step(page, code)
    page.wait_for_url(f"{live_server.url}/dashboard/**")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_regulator_reads_the_overview_and_a_cap_table(
    committed_db, chain, live_server, page_factory, language
):
    _world, application = issued_on_chain(chain)  # 100,000.00 issued, 12.50 to each of three
    daily_volumes_refresh()
    run = ReconciliationRun.objects.create(
        chain_id=settings.CHAIN_ID, block_number=7, differences=1
    )
    page = page_factory(LOCALES[language])
    log_in(page, live_server, make_user(Role.REGULATOR))
    page.get_by_test_id("open-registry").click()
    assert page.get_by_test_id("registry-title").inner_text() == text(language, "Registry")

    # The totals.
    assert page.get_by_test_id("total-assets").inner_text() == "1"
    assert page.get_by_test_id("total-holders").inner_text() == str(HolderProfile.objects.count())
    assert page.get_by_test_id("total-transfers").inner_text() == "3"
    # What needs attention, linking to where it is explained.
    alert = page.get_by_test_id("alert")
    assert alert.count() == 1
    if language == "en":
        assert (
            "The newest reconciliation, at block 7, found 1 difference between the platform's "
            "ledger and the chain." in alert.inner_text()
        )
    alert.get_by_role("link").click()
    page.wait_for_url(f"**/registry/reconciliation/{run.pk}/")
    assert page.get_by_test_id("difference-count").inner_text() == "1"
    page.go_back()

    # The charts are drawn by the page's script, and their figures are a table too.
    drawn = page.locator("#transfers-chart").evaluate("c => Chart.getChart(c) !== undefined")
    assert drawn
    chart = page.get_by_test_id("transfers-chart")
    chart.locator("summary").click()
    with translation.override(language):
        today = formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT")
    row = chart.get_by_test_id("transfers-chart-table").locator("tr", has_text=today)
    assert row.locator("td").inner_text() == "3"

    # The cap table: each holder's share to two decimals, in the reader's language.
    page.goto(f"{live_server.url}/registry/assets/{application.pk}/holders/")
    shares = page.get_by_test_id("share").all_inner_texts()
    mark = "," if language == "ru" else "."
    assert shares == [f"99{mark}96\xa0%", *[f"0{mark}01\xa0%"] * 3]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_regulator_finds_a_transfer_by_iin_verifies_it_and_exports(
    committed_db, chain, live_server, page_factory, language
):
    world, application = issued_on_chain(chain)
    holder = world.holders[1]
    regulator = make_user(Role.REGULATOR)

    page = page_factory(LOCALES[language])
    log_in(page, live_server, regulator)
    assert page.locator("html").get_attribute("lang") == language

    page.get_by_test_id("nav-registry").click()
    assert page.get_by_test_id("registry-title").inner_text() == text(language, "Registry")
    page.get_by_test_id("registry-nav").get_by_text(text(language, "Transfers")).click()
    search = page.get_by_test_id("transfer-search")
    search.locator("input[name=party]").fill(holder.identification_number)
    search.get_by_test_id("search").click()

    rows = page.get_by_test_id("transfer-row")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert holder.full_name in row
    assert holder.identification_number in row
    assert application.symbol in row
    assert holder.full_name in page.get_by_test_id("party-described").inner_text()

    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    content = download.value.path().read_bytes().decode("utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(content)))
    assert [r["receiver_bin_iin"] for r in exported] == [holder.identification_number]
    assert exported[0]["asset"] == application.symbol

    rows.first.get_by_test_id("open-transfer").click()
    details = page.get_by_test_id("transfer").inner_text()
    assert holder.identification_number in details
    # Shortened on the page; the whole hash is what its copy button copies.
    tx_hash = page.get_by_test_id("tx-hash").locator("[data-copy]").get_attribute("data-copy")
    assert tx_hash is not None
    assert tx_hash.startswith("0x")
    assert len(tx_hash) == 66

    page.get_by_test_id("verify").click()
    result = page.get_by_test_id("verify-result")
    result.wait_for()
    assert result.inner_text() == text(
        language, "Verified: the chain's record matches the platform's."
    )
    assert int(page.get_by_test_id("verify-confirmations").inner_text()) >= 1
