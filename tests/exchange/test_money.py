"""Tenge as each language writes it, and amounts read back by one rule."""

import pytest
from django.template import Context, Template
from django.utils import translation

from qoima.errors import InvalidInput
from qoima.exchange.money import MAX_TIYN, format_tenge, tiyn_from_text


@pytest.mark.parametrize(
    ("language", "tiyn", "shown"),
    [
        ("ru", 123_450, "1\xa0234,50\xa0₸"),
        ("kk", 123_450, "1\xa0234,50\xa0₸"),
        ("en", 123_450, "1,234.50\xa0₸"),
        ("ru", 0, "0,00\xa0₸"),
        ("en", 5, "0.05\xa0₸"),
        ("ru", 100_000_000_00, "100\xa0000\xa0000,00\xa0₸"),
        ("en", -123_450, "-1,234.50\xa0₸"),
        ("kk", -1, "-0,01\xa0₸"),
    ],
)
def test_tenge_is_written_the_readers_way(language, tiyn, shown):
    with translation.override(language):
        assert format_tenge(tiyn) == shown
        assert (
            Template("{% load tenge %}{% tenge amount %}").render(Context({"amount": tiyn}))
            == shown
        )


@pytest.mark.parametrize(
    ("text", "tiyn"),
    [
        ("1 234,50", 123_450),
        ("1\xa0234,50", 123_450),
        ("1234.50", 123_450),
        ("1234,5", 123_450),
        ("1234", 123_400),
        ("0,01", 1),
        (" 7 ", 700),
        ("1 234,50 ₸", 123_450),
        ("1\xa0234,50\xa0₸", 123_450),
    ],
)
@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_an_amount_is_read_with_either_decimal_mark(language, text, tiyn):
    with translation.override(language):
        assert tiyn_from_text(text) == tiyn


def test_what_is_shown_reads_back(db):
    for language in ("ru", "kk", "en"):
        with translation.override(language):
            if language != "en":
                assert tiyn_from_text(format_tenge(98_765_432)) == 98_765_432


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("0", "amount_not_positive", "The amount must be above zero."),
        ("0,00", "amount_not_positive", "The amount must be above zero."),
        ("-5", "amount_not_positive", "The amount must be above zero."),
        (
            "1,005",
            "amount_too_precise",
            "An amount in tenge has at most two decimal places (tiyn).",
        ),
        (
            "1,000",
            "amount_too_precise",
            "An amount in tenge has at most two decimal places (tiyn).",
        ),
        (
            "1,234.50",
            "amount_not_a_number",
            "Enter the amount in tenge as a number, such as 1 234,50.",
        ),
        ("1e5", "amount_not_a_number", "Enter the amount in tenge as a number, such as 1 234,50."),
        ("", "amount_not_a_number", "Enter the amount in tenge as a number, such as 1 234,50."),
        ("١٢", "amount_not_a_number", "Enter the amount in tenge as a number, such as 1 234,50."),
        (
            "12 34",
            "amount_not_a_number",
            "Enter the amount in tenge as a number, such as 1 234,50.",
        ),
        ("$5", "amount_not_a_number", "Enter the amount in tenge as a number, such as 1 234,50."),
        (
            "10000000000001",
            "amount_too_large",
            "The amount is too large: at most 10,000,000,000,000.00\xa0₸.",
        ),
        (
            "9" * 40,
            "amount_too_large",
            "The amount is too large: at most 10,000,000,000,000.00\xa0₸.",
        ),
    ],
)
def test_a_bad_amount_is_refused_with_a_reason(text, code, message):
    with translation.override("en"), pytest.raises(InvalidInput) as error:
        tiyn_from_text(text)
    assert error.value.code == code
    assert error.value.field == "amount"
    with translation.override("en"):
        assert str(error.value.message) == message


def test_the_largest_amount_is_accepted():
    assert tiyn_from_text("10000000000000") == MAX_TIYN
