"""Tenge read and written as people do, in each language."""

import pytest
from django.template import Context, Template
from django.utils import translation

from qoima.errors import InvalidInput
from qoima.exchange.money import format_tenge, tiyn_from_text


@pytest.mark.parametrize(
    ("language", "shown"),
    [("ru", "1\xa0234,50\xa0₸"), ("kk", "1\xa0234,50\xa0₸"), ("en", "1,234.50\xa0₸")],
)
def test_tenge_reads_in_the_readers_language(language: str, shown: str) -> None:
    with translation.override(language):
        assert format_tenge(123_450) == shown
        assert Template("{% load tenge %}{% tenge 123450 %}").render(Context()) == shown


def test_small_and_zero_amounts_keep_two_decimals() -> None:
    with translation.override("en"):
        assert format_tenge(5) == "0.05\xa0₸"
        assert format_tenge(0) == "0.00\xa0₸"


@pytest.mark.parametrize(
    ("language", "typed", "tiyn"),
    [("ru", "1 234,50", 123_450), ("ru", "1234.5", 123_450), ("en", "1234.50", 123_450)],
)
def test_typed_amounts_become_tiyn(language: str, typed: str, tiyn: int) -> None:
    with translation.override(language):
        assert tiyn_from_text(typed) == tiyn


@pytest.mark.parametrize("typed", ["0", "-5", "1,234.567", "12.345", "abc", "9" * 30])
def test_bad_amounts_are_refused_with_a_message(typed: str) -> None:
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        tiyn_from_text(typed)
    assert str(refused.value.message)
