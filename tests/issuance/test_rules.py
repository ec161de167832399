"""Art. 5, item 3: names and symbols that look like money are refused; ordinary ones pass."""

import pytest

from issuance.rules import name_is_currency_like, symbol_is_currency_like


@pytest.mark.parametrize(
    "name",
    [
        "Цифровой тенге",
        "Теңге токен",
        "Tenge coin",
        "Digital KZT",
        "US Dollar reserve",
        "Доллар США",
        "Euro token",
        "Российский рубль",
        "рублей на счёте",
        "Тиын",
        "KZTE",
        "₸ wallet",
        "Stablecoin one",
        "Валютный актив",
        "Ақша",
    ],
)
def test_currency_like_names_are_refused(name):
    assert name_is_currency_like(name)


@pytest.mark.parametrize(
    "symbol", ["KZT", "398", "USD", "EUR", "RUB", "USDT", "KZTE", "EURC", "₸", "CNY"]
)
def test_currency_like_symbols_are_refused(symbol):
    assert symbol_is_currency_like(symbol)


@pytest.mark.parametrize(
    "name",
    [
        "Wheat, class 3",
        "Пшеница 3 класса",
        "Gold bar 999.9",
        "Лирика песен Абая",
        "Eurasian grain terminal",
        "Trademark «Shoqan»",
        "All-season tyres",
        "Patent KZ 12345 for a seed drill",
    ],
)
def test_ordinary_names_pass(name):
    assert not name_is_currency_like(name)


@pytest.mark.parametrize("symbol", ["WHT3", "GOLD", "XAU", "SHQN", "AB", "KZGRAIN"])
def test_ordinary_symbols_pass(symbol):
    assert not symbol_is_currency_like(symbol)
