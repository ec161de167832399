"""The regulator in the browser, in Russian and in English: searches transfers by a holder's
IIN, opens one, verifies it on chain and exports the results (real anvil, Chromium)."""

import csv
import io

import pytest
from django.utils import translation

from qoima.participants.models import Role
from tests.factories import PASSWORD, make_user
from tests.registry.conftest import issued_on_chain

pytestmark = pytest.mark.e2e

LOCALES = {"ru": "ru-RU", "en": "en-US"}


def text(language: str, message: str) -> str:
    with translation.override(language):
        translated = translation.gettext(message)
    if language != "en":
        assert translated != message, f"the {language} catalogue lacks {message!r}"
    return translated


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_regulator_finds_a_transfer_by_iin_verifies_it_and_exports(
    committed_db, chain, live_server, page_factory, language
):
    world, application = issued_on_chain(chain)
    holder = world.holders[1]
    regulator = make_user(Role.REGULATOR)

    page = page_factory(LOCALES[language])
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == language
    page.fill("input[name=username]", regulator.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]:not(.link)")
    page.wait_for_url(f"{live_server.url}/dashboard/**")

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
    tx_hash = page.get_by_test_id("tx-hash").inner_text()
    assert tx_hash.startswith("0x")
    assert len(tx_hash) == 66

    page.get_by_test_id("verify").click()
    result = page.get_by_test_id("verify-result")
    result.wait_for()
    assert result.inner_text() == text(
        language, "Verified: the chain's record matches the platform's."
    )
    assert int(page.get_by_test_id("verify-confirmations").inner_text()) >= 1
