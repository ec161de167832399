"""The formatters every page uses, read as a person reads them: dates per language in Almaty,
hashes shortened with their copy button and explorer link, amounts with the asset's symbol."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

from qoima.ui.states import STATE_COLOURS, state_colour

# 04:02 UTC is 09:02 in Almaty (UTC+5).
MOMENT = datetime.datetime(2026, 12, 5, 5, 2, tzinfo=datetime.UTC)


def render(source: str, **context: object) -> str:
    return Template("{% load ui tokens %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "5 Dec 2026, 10:02"), ("ru", "05.12.2026 10:02"), ("kk", "05.12.2026 10:02")],
)
def test_a_moment_reads_as_people_there_write_it_in_almaty_time(language, expected):
    with translation.override(language):
        assert render('{{ t|date:"SHORT_DATETIME_FORMAT" }}', t=MOMENT) == expected


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "5 Dec 2026"), ("ru", "05.12.2026"), ("kk", "05.12.2026")]
)
def test_a_day_reads_as_people_there_write_it(language, expected):
    with translation.override(language):
        assert render('{{ d|date:"SHORT_DATE_FORMAT" }}', d=MOMENT.date()) == expected


def test_the_zone_is_named_where_times_matter():
    with translation.override("en"):
        assert "Times are in Almaty (UTC+05:00)." in render("{% time_zone_note %}")


TX = "0x" + "ab" * 31 + "9f0e"


def test_a_hash_is_shortened_with_the_whole_value_to_copy_and_no_link_without_an_explorer():
    with translation.override("en"), override_settings(CHAIN_EXPLORER_URL=""):
        html = render('{% chain_id h "tx" %}', h=TX)
    assert "0xabab…9f0e" in html
    assert f'data-copy="{TX}"' in html
    assert f'title="{TX}"' in html
    assert "<a " not in html


def test_a_hash_links_to_the_explorer_when_one_is_configured():
    with translation.override("ru"), override_settings(CHAIN_EXPLORER_URL="https://scan.example/"):
        tx = render('{% chain_id h "tx" %}', h=TX)
        address = render('{% chain_id a "address" %}', a="0x" + "12" * 20)
    assert f'href="https://scan.example/tx/{TX}"' in tx
    assert 'href="https://scan.example/address/0x' in address
    assert "Копировать" in tx


def test_nothing_to_show_is_a_dash():
    assert render('{% chain_id h "tx" %}', h=None) == "—"


def test_amounts_carry_their_asset_symbol_in_the_page_language():
    asset = SimpleNamespace(decimals=2, symbol="WHTK3")
    with translation.override("ru"):
        assert render("{% units_of u a %}", u=125050, a=asset) == "1\xa0250,50\xa0WHTK3"
        assert render("{% amount_of b a %}", b=Decimal("1250.5"), a=asset) == "1\xa0250,50\xa0WHTK3"
    with translation.override("en"):
        assert render("{% units_of u a %}", u=125050, a=asset) == "1,250.50\xa0WHTK3"


def test_every_state_has_one_colour_and_badges_show_the_label_not_the_code():
    assert state_colour("confirmed") == state_colour("verified") == "green"
    assert state_colour("failed") == "red"
    assert state_colour("never_heard_of") == "secondary"
    assert set(STATE_COLOURS.values()) <= {"green", "blue", "yellow", "red", "secondary"}
    html = render("{% badge 'changes_requested' label %}", label="Нужны изменения")
    assert ">Нужны изменения</span>" in html
    assert "bg-yellow" in html
