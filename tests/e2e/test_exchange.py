"""A trade from deposit to on-chain settlement in the browser, in Russian and in English:
the treasury imports the bank statement that credits holder A, A buys on the market's page,
holder B sells into the bid, both see the fill, the platform's matcher (``manage.py
runmatcher``) matches it and a real worker delivers the units on anvil, the trade turns final,
cash and tokens have moved, and the regulator finds the trade, its transfer and both orders.
"""

import datetime
import time

import pytest
from django.utils import translation

from issuance.models import Distribution
from issuance.services import distribution_send
from qoima.chain.direct import BackedAssetToken
from qoima.chain.indexer import index_until_head
from qoima.chain.models import PlatformToken
from qoima.chain.tasks import chain_confirm, chain_index
from qoima.custody.selectors import custodial_wallet
from qoima.exchange.models import Order, Trade
from qoima.exchange.services import market_open
from qoima.participants.models import Role
from tests.exchange.trading import SETTINGS
from tests.factories import make_user
from tests.onchain import issued, until

from .session import login, shown

pytestmark = pytest.mark.e2e

# Read off the page in each language: the same amounts through the platform's formatters.
SHOWN = {
    "ru": {
        "deposited": "5\xa0000,00\xa0₸",
        "held": "2\xa0004,00\xa0₸",
        "price": "1\xa0000,00\xa0₸",
        "amount": "2\xa0000,00\xa0₸",
        "a_available": "2\xa0998,00\xa0₸",
        "b_available": "1\xa0996,00\xa0₸",
        "zero": "0,00\xa0₸",
        "units_traded": "2,00",
        "b_units_left": "48,00",
    },
    "en": {
        "deposited": "5,000.00\xa0₸",
        "held": "2,004.00\xa0₸",
        "price": "1,000.00\xa0₸",
        "amount": "2,000.00\xa0₸",
        "a_available": "2,998.00\xa0₸",
        "b_available": "1,996.00\xa0₸",
        "zero": "0.00\xa0₸",
        "units_traded": "2.00",
        "b_units_left": "48.00",
    },
}


def settle() -> None:
    chain_confirm.delay()
    chain_index.delay()


def statement_csv(reference: str) -> str:
    today = datetime.date.today().isoformat()
    return (
        "date,amount,currency,bank_reference,payer_name,payer_iban,purpose\n"
        f"{today},5000.00,KZT,BNK7001,Holder A,,Пополнение счёта {reference}\n"
    )


def place(page, *, side, price, quantity):
    form = page.get_by_test_id("order-form")
    form.locator("select[name=side]").select_option(side)
    form.locator("input[name=price]").fill(price)
    form.locator("input[name=quantity]").fill(quantity)
    form.get_by_test_id("place-order").click()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_deposit_a_crossing_trade_and_its_settlement_on_chain(
    language, worker_factory, chain, live_server, page_factory, tmp_path
):
    expect = SHOWN[language]
    worker = worker_factory.start()
    world, application = issued(worker, chain)
    holder_a, holder_b = world.holders[0], world.holders[1]
    symbol = application.symbol
    sent = distribution_send(
        actor=world.issuer,
        application_id=application.pk,
        receiver=holder_b.identification_number,
        amount="50",
        idempotency_key="holder-b",
    )
    until(
        worker,
        lambda: Distribution.objects.get(pk=sent.pk).status == Distribution.Status.DONE,
    )
    index_until_head(w3=chain)
    admin = make_user(Role.PLATFORM_ADMIN)
    token = PlatformToken.objects.get(address=application.token_address)
    market = market_open(actor=admin, token_id=token.pk, values=SETTINGS)
    worker_factory.start_matcher()

    # Holder A reads the payment reference off the cash page; the treasury imports the bank's
    # statement naming it; A's tenge are there.
    a = login(page_factory, live_server, holder_a.user, language)
    a.get_by_test_id("nav-cash").click()
    reference = a.get_by_test_id("payment-reference").inner_text().strip()
    treasurer = login(page_factory, live_server, make_user(Role.TREASURY_OFFICER), language)
    treasurer.get_by_test_id("nav-statements").click()
    statement = tmp_path / "statement.csv"
    statement.write_text(statement_csv(reference), encoding="utf-8")
    form = treasurer.get_by_test_id("statement-form")
    form.locator("select[name=format]").select_option("csv")
    form.locator("input[name=file]").set_input_files(str(statement))
    form.locator("button[type=submit]").click()
    assert treasurer.get_by_test_id("import-result").is_visible()
    a.reload()
    assert expect["deposited"] in a.get_by_test_id("balance-available").inner_text()

    # A bids from the markets list; B sells into the bid.
    a.get_by_test_id("nav-markets").click()
    a.get_by_test_id(f"trade-{market.pk}").click()
    a.wait_for_url(f"{live_server.url}/exchange/markets/{market.pk}/trade/")
    assert a.get_by_test_id("market-ticker").is_visible()
    place(a, side="buy", price="1000", quantity="2")
    shown(a, a.get_by_test_id("market-book"), expect["price"], timeout=30)
    a.goto(f"{live_server.url}/exchange/cash/")
    assert expect["held"] in a.get_by_test_id("balance-held").inner_text()

    a.goto(f"{live_server.url}/exchange/markets/{market.pk}/trade/")
    a.evaluate("window.notReloaded = true")
    with translation.override(language):
        final = str(Trade.State.FINAL.label)
        filled = str(Order.State.FILLED.label)

    b = login(page_factory, live_server, holder_b.user, language)
    b.goto(f"{live_server.url}/exchange/markets/{market.pk}/trade/")
    place(b, side="sell", price="1000", quantity="2")
    # From here on B's page is not reloaded: the fill appears and turns final by itself once
    # the matcher has matched it and the worker has delivered the units.
    b.evaluate("window.notReloaded = true")
    fills = b.get_by_test_id("fills")
    shown(b, fills, expect["price"], timeout=60)
    trade = Trade.objects.get(market=market)
    row = fills.get_by_test_id(f"fill-{trade.pk}")
    assert expect["units_traded"] in row.inner_text()
    shown(b, b.get_by_test_id(f"fill-{trade.pk}"), final, nudge=settle)
    assert b.evaluate("window.notReloaded") is True

    # A's page shows the trade in the market's recent trades by itself; A's own fill on reload.
    shown(a, a.get_by_test_id("market-trades"), expect["price"], timeout=30)
    assert a.evaluate("window.notReloaded") is True
    a.reload()
    assert final in a.get_by_test_id(f"fill-{trade.pk}").inner_text()
    assert filled in a.get_by_test_id("order-history").inner_text()
    assert a.get_by_test_id("market-book").get_by_test_id("book-empty").is_visible()

    # Cash moved: A paid 2 000,00 ₸ and the maker fee; B got 2 000,00 ₸ less the taker fee.
    a.goto(f"{live_server.url}/exchange/cash/")
    assert expect["a_available"] in a.get_by_test_id("balance-available").inner_text()
    assert expect["zero"] in a.get_by_test_id("balance-held").inner_text()
    assert expect["zero"] in a.get_by_test_id("balance-pending").inner_text()
    b.goto(f"{live_server.url}/exchange/cash/")
    assert expect["b_available"] in b.get_by_test_id("balance-available").inner_text()

    # Tokens moved, on the wallet page as on the chain.
    settle()
    a.goto(f"{live_server.url}/wallet/")
    shown(a, a.get_by_test_id("wallet"), f"{expect['units_traded']}\xa0{symbol}", reload=True)
    b.goto(f"{live_server.url}/wallet/")
    assert expect["b_units_left"] in b.get_by_test_id(f"holding-{symbol}").inner_text()
    token_on_chain = BackedAssetToken(chain, application.token_address)
    assert token_on_chain.balance_of(custodial_wallet(holder_a).address) == 200
    assert token_on_chain.balance_of(custodial_wallet(holder_b).address) == 4_800

    # The regulator finds the trade, its on-chain transfer and both orders.
    regulator = login(page_factory, live_server, make_user(Role.REGULATOR), language)
    regulator.goto(f"{live_server.url}/registry/exchange/trades/")
    trade_row = regulator.get_by_test_id("trade-row")
    shown(regulator, trade_row, final, nudge=settle, reload=True)
    text = trade_row.inner_text()
    assert expect["price"] in text
    assert expect["amount"] in text
    assert f"{expect['units_traded']}\xa0{symbol}" in text
    assert f"#{trade.buy_order_id}" in text
    assert f"#{trade.sell_order_id}" in text
    deadline = time.monotonic() + 60
    while not trade_row.get_by_test_id("trade-transfer").count():
        assert time.monotonic() < deadline, "the trade's transfer was never indexed"
        settle()
        regulator.wait_for_timeout(500)
        regulator.reload()
    trade_row.get_by_test_id("trade-transfer").click()
    trade.refresh_from_db()
    tx_hash = trade.operation.transaction.attempts.last().tx_hash
    assert tx_hash in regulator.locator("main").inner_text()
    regulator.goto(f"{live_server.url}/registry/exchange/orders/")
    orders = regulator.get_by_test_id("exchange-orders").inner_text()
    assert f"#{trade.buy_order_id}" in orders
    assert f"#{trade.sell_order_id}" in orders
    assert orders.count(filled) == 2
