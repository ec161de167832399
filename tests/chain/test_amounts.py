"""The one rule for amounts people type, and the one formatter for amounts people read."""

from decimal import Decimal

import pytest
from django.utils import translation

from qoima.chain.amounts import MAX_UINT256, format_units, units_from_text
from qoima.errors import InvalidInput

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("language", "text", "units"),
    [
        ("en", "12.50", 1250),
        ("en", "12", 1200),
        ("en", " 1 000 000.5 ", 100_000_050),
        ("ru", "12,50", 1250),
        ("ru", "12.50", 1250),
        ("kk", f"1{NBSP}998,00", 199_800),  # as a Russian or Kazakh page prints it
        ("ru", "1\u202f000", 100_000),
        ("en", "1.000", 100),  # trailing zeros beyond the places are no more precision
    ],
)
def test_amounts_written_as_the_rule_says_are_read(language, text, units):
    with translation.override(language):
        assert units_from_text(text, 2) == units


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1_000", "amount_not_a_number"),  # Python's Decimal takes underscores
        ("١٢", "amount_not_a_number"),  # Arabic-Indic digits
        ("１２", "amount_not_a_number"),  # full-width digits
        ("1e30", "amount_not_a_number"),
        ("1E+3", "amount_not_a_number"),
        ("NaN", "amount_not_a_number"),
        ("Infinity", "amount_not_a_number"),
        ("+5", "amount_not_a_number"),
        ("1,000.00", "amount_not_a_number"),  # a comma is no thousands separator
        ("1'000", "amount_not_a_number"),
        ("1 00", "amount_not_a_number"),  # spaces group thousands, by three
        ("12 3456", "amount_not_a_number"),
        ("1.2.3", "amount_not_a_number"),
        ("12.", "amount_not_a_number"),
        ("", "amount_not_a_number"),
        ("\u200b12", "amount_not_a_number"),
        ("-5", "amount_not_positive"),
        ("0", "amount_not_positive"),
        ("0.00", "amount_not_positive"),
        ("1.001", "amount_too_precise"),
        (str(MAX_UINT256), "amount_too_large"),
        ("9" * 100, "amount_too_large"),
    ],
)
def test_anything_else_is_refused_with_its_reason(text, code):
    with translation.override("en"), pytest.raises(InvalidInput) as error:
        units_from_text(text, 2, field="backed_amount")
    assert error.value.code == code
    assert error.value.field == "backed_amount"


def test_a_comma_is_a_decimal_mark_only_where_the_language_has_it():
    with translation.override("en"), pytest.raises(InvalidInput):
        units_from_text("12,50", 2)
    with translation.override("ru"):
        assert units_from_text("12,50", 2) == 1250
        # A file takes a point whoever uploads it, and says so.
        with pytest.raises(InvalidInput) as error:
            units_from_text("12,50", 2, localized=False)
        # The example keeps its point in Russian too.
        assert "точкой" in str(error.value.message)
        assert "12.50" in str(error.value.message)
    with translation.override("en"), pytest.raises(InvalidInput) as error:
        units_from_text("12,50", 2, localized=False)
    assert "a point for decimals" in str(error.value.message)


def test_the_largest_amount_the_chain_counts_is_read():
    assert units_from_text(str(MAX_UINT256), 0) == MAX_UINT256
    whole, places = divmod(MAX_UINT256, 10**18)
    assert units_from_text(f"{whole}.{places:018d}", 18) == MAX_UINT256


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "1,998.00 WHT3"),
        ("ru", f"1{NBSP}998,00 WHT3"),
        ("kk", f"1{NBSP}998,00 WHT3"),
    ],
)
def test_units_are_shown_in_the_assets_units_in_the_readers_language(language, shown):
    assert format_units(199_800, 2, language=language, symbol="WHT3") == shown
    with translation.override(language):
        assert format_units(Decimal(199_800), 2, symbol="WHT3") == shown


def test_every_unit_of_an_eighteen_place_amount_is_shown():
    assert format_units(MAX_UINT256, 18, language="en").endswith(f"{MAX_UINT256 % 10**18:018d}")
