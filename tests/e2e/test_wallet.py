"""A holder sends an asset in the browser and watches it reach the chain without reloading.

A real worker process, the real broker and database, anvil and Chromium.
"""

import time

import pytest

from qoima.chain.deployment import platform_keys, platform_registry_ensure
from qoima.chain.indexer import index_until_head
from qoima.chain.models import Operation
from qoima.chain.tasks import chain_confirm
from qoima.custody.models import Wallet
from qoima.participants.demo import DEMO_PASSWORD, demo_load
from tests.onchain import issued_token

pytestmark = pytest.mark.e2e


def confirm_until(page, locator, text, timeout=60.0):
    """Ask the worker to follow receipts, as beat does, until the page shows ``text``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chain_confirm.delay()
        if text in locator.inner_text():
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"the page never showed {text!r}: {locator.inner_text()}")


def test_a_holder_sends_and_sees_the_transfer_confirmed_live(
    worker_factory, chain, live_server, page_factory
):
    platform_registry_ensure(chain)
    worker = worker_factory.start()
    demo_load()
    worker.wait_for(
        lambda: Operation.objects.filter(kind="allowlist", state="pending").count() == 0
    )
    chain_confirm.delay()
    worker.wait_for(
        lambda: not Operation.objects.filter(kind="allowlist").exclude(state="confirmed").exists()
    )
    holder1 = Wallet.objects.get(holder__user__username="holder1")
    issued = issued_token(chain)
    issued.token.record_transfer(
        platform_keys()[1], issued.issuer, holder1.address, 5_000, 10**15 + 3
    )
    index_until_head(w3=chain)

    page = page_factory("ru-RU")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "holder1")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]:not(.link)")
    page.get_by_test_id("wallet-link").click()
    assert holder1.address in page.get_by_test_id("wallet-address").inner_text()
    assert "5\xa0000" in page.get_by_test_id("holding-WHT").inner_text()

    form = page.get_by_test_id("transfer-form")
    form.locator("input[name=to]").fill("950341000052")
    form.locator("input[name=amount]").fill("1250")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/wallet/")
    assert "Перевод запрошен" in page.locator(".message").inner_text()
    row = page.get_by_test_id("transfers").locator("tbody tr").first
    assert "1\xa0250" in row.inner_text()
    # From here on the page is not reloaded: the history refreshes itself.
    page.evaluate("window.notReloaded = true")
    confirm_until(page, page.get_by_test_id("transfers").locator("tbody tr").first, "Подтверждена")
    assert page.evaluate("window.notReloaded") is True
    row = page.get_by_test_id("transfers").locator("tbody tr").first
    assert "блок" in row.inner_text()
    assert issued.token.balance_of(holder1.address) == 5_000 - 1_250
