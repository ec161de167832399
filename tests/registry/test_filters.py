"""Every date and number filter of every registry page, API endpoint and export, at the ends of
the calendar, reversed and garbled: a valid date works (read as the nearer end of what can be
on chain), anything else is a 400 with its reason; never a 500, never a 200 cut short."""

import csv
import io
import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.conf import settings
from django.http import StreamingHttpResponse
from django.urls import reverse

from qoima.chain.models import DailyVolume
from registry import exports, selectors, transfers

from .conftest import client_for

pytestmark = pytest.mark.django_db

APP = object()  # stands for the ledger's asset id in a request's parameters
ALL = "all"
NONE = "none"
REVERSED = "The end date is before the start date."
BAD_DATE = "Enter a valid date."

# name, whether the URL takes the asset's id, parameters every request has, formats.
DATED = [
    ("registry-transfers", {}, ("page", "csv", "json")),
    ("api-registry-transfers", {}, ("api",)),
    ("registry-daily", {}, ("page", "csv", "json")),
    ("registry-daily", {"asset": APP}, ("page", "csv", "json")),
    ("api-registry-daily", {}, ("api",)),
    ("api-registry-daily", {"asset": APP}, ("api",)),
    ("registry-monitoring", {"asset": APP, "threshold": "1"}, ("csv", "json", "xml")),
]
RANGES = [
    ({"date_from": "0001-01-01"}, 200, ALL),
    ({"date_to": "9999-12-31"}, 200, ALL),
    ({"date_from": "0001-01-01", "date_to": "9999-12-31"}, 200, ALL),
    ({"date_to": "0001-01-01"}, 200, NONE),
    ({"date_from": "9999-12-31"}, 200, NONE),
    ({"date_from": "9999-12-31", "date_to": "0001-01-01"}, 400, REVERSED),
    ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, 400, REVERSED),
    ({"date_from": "2026-02-30"}, 400, BAD_DATE),
    ({"date_to": "0000-01-01"}, 400, BAD_DATE),
    ({"date_to": "10000-01-01"}, 400, BAD_DATE),
    ({"date_from": "yesterday"}, 400, BAD_DATE),
    ({"date_to": "2026-01-01'; --"}, 400, BAD_DATE),
]


def _cases(surfaces, values) -> list[Any]:
    cases = []
    for name, base, formats in surfaces:
        for fmt in formats:
            for params, status, expect in values:
                query = "&".join(f"{k}={v}"[:40] for k, v in params.items())
                label = f"{name}-{'+'.join(base)}-{fmt}-{query}"
                cases.append(pytest.param(name, base, fmt, params, status, expect, id=label))
    return cases


@pytest.fixture
def daily_ledger(ledger):
    """The ledger with a day's volume for each day it has transfers on."""
    for day in sorted(set(ledger.days.values())):
        DailyVolume.objects.create(
            chain_id=settings.CHAIN_ID,
            token_address=ledger.application.token_address,
            day=day,
            transferred=100,
            transfers=1,
        )
    return ledger


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(cast(Iterator[bytes], response.streaming_content)).decode("utf-8")


def request(client, ledger, name, base, fmt, params, *, args=()):
    query = {k: (ledger.application.pk if v is APP else v) for k, v in {**base, **params}.items()}
    if fmt not in ("page", "api"):
        query["export"] = fmt
    return client.get(reverse(name, args=args), query)


def counted(response, fmt) -> int | None:
    """The rows a complete answer holds; None for a page (its rows are not counted here)."""
    if fmt == "api":
        return len(response.json()["results"])
    if fmt == "page":
        return None
    text = body(response)
    if fmt == "csv":
        assert text.startswith("\ufeff")
        return len(list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))))
    if fmt == "json":
        return len(json.loads(text))
    return len(ET.fromstring(text).findall("Operation"))  # noqa: S314 - the platform's own output


def expected_all(name, ledger) -> int:
    if "daily" in name:
        return len(set(ledger.days.values()))
    return len(ledger.transfers)


def assert_refused(response, fmt, message):
    assert response.status_code == 400, response.content[:500]
    assert not isinstance(response, StreamingHttpResponse)
    if fmt == "api":
        assert message in response.json()["detail"]
        return
    page = response.content.decode()
    # The search page again, the error beside what was typed, no results.
    errors = page[page.index('data-testid="form-errors"') :]
    assert message in errors[: errors.index("</div>")]


@pytest.mark.parametrize(
    ("name", "base", "fmt", "params", "status", "expect"), _cases(DATED, RANGES)
)
def test_every_date_filter_takes_any_date_or_says_why_not(
    daily_ledger, regulator_client, name, base, fmt, params, status, expect
):
    response = request(regulator_client, daily_ledger, name, base, fmt, params)
    if status == 400:
        assert_refused(response, fmt, expect)
        return
    assert response.status_code == 200
    rows = counted(response, fmt)
    if rows is not None:
        assert rows == (expected_all(name, daily_ledger) if expect == ALL else 0)


def test_the_refusal_is_in_the_readers_language(ledger, regulator):
    client = client_for(regulator, "ru")
    response = client.get(reverse("registry-transfers"), {"date_from": "2026-02-30"})
    assert response.status_code == 400
    assert "Введите правильную дату." in response.content.decode()
    answer = client.get(
        reverse("api-registry-transfers"), {"date_from": "9999-12-31", "date_to": "0001-01-01"}
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "Дата окончания раньше даты начала.",
        "code": "InvalidInput",
        "field": "date_to",
    }


# ------------------------------------------------------------------------------ numbers

BIG = "9" * 5000
AS_OF = [
    ({"date": "0001-01-01"}, 400, "No movement of any asset was recorded by that date."),
    ({"date": "9999-12-31"}, 400, "The date is in the future."),
    ({"date": "2026-02-30"}, 400, BAD_DATE),
    ({"block": str(2**63 - 1)}, 200, ALL),
    ({"block": "0"}, 200, NONE),
    ({"block": str(2**63)}, 400, "less than or equal to"),
    ({"block": BIG}, 400, "Enter a whole number."),
    ({"block": "-1"}, 400, "greater than or equal to 0"),
    ({"block": "1e3"}, 400, "Enter a whole number."),
    ({"block": "1", "date": "2026-01-01"}, 400, "not both"),
    ({"page": "1000000"}, 200, NONE),
    ({"page": "1000001"}, 400, "less than or equal to"),
    ({"page": BIG}, 400, "Enter a whole number."),
]


@pytest.mark.parametrize(
    ("name", "fmt", "params", "status", "expect"),
    [
        pytest.param(name, fmt, params, status, expect, id=f"{name}-{fmt}-{params}"[:120])
        for name, formats in [
            ("registry-cap-table", ("page", "csv", "json")),
            ("api-registry-cap-table", ("api",)),
        ]
        for fmt in formats
        for params, status, expect in AS_OF
        if not (fmt in ("csv", "json") and "page" in params)
    ],
)
def test_the_cap_table_as_of_any_block_or_date(
    ledger, regulator_client, name, fmt, params, status, expect
):
    response = request(
        regulator_client, ledger, name, {}, fmt, params, args=[ledger.application.pk]
    )
    if status == 400:
        assert_refused(response, fmt, expect)
        return
    assert response.status_code == 200
    if fmt == "page":
        return
    holders = len(ledger.wallets) + 1
    if fmt == "api" and "page" in params:
        assert response.json()["results"] == []
    elif fmt == "api":
        assert response.json()["holders"] == (holders if expect == ALL else 0)
    else:
        assert counted(response, fmt) == (holders if expect == ALL else 0)


SEARCH_NUMBERS = [
    ({"reference": str(2**256 - 1)}, 200, NONE),
    ({"reference": str(2**256)}, 400, "less than or equal to"),
    ({"reference": BIG}, 400, "Enter a whole number."),
    ({"reference": "1e3"}, 400, "Enter a whole number."),
    ({"reference": "-1"}, 400, "greater than or equal to 0"),
    ({"before": str(2**63 - 1)}, 200, ALL),
    ({"before": str(2**63)}, 400, "less than or equal to"),
    ({"before": "0"}, 400, "greater than or equal to 1"),
    ({"before": "abc"}, 400, "Enter a whole number."),
    ({"asset": APP, "min_amount": "1" * 70}, 200, NONE),
    ({"asset": APP, "max_amount": "1" * 70}, 200, ALL),
    ({"asset": APP, "min_amount": "9" * 90}, 400, "The amount is too large."),
    # An exponent is not how people write amounts: refused as not a number.
    ({"asset": APP, "min_amount": "1e999999"}, 400, "Enter the amount as a number"),
    ({"asset": APP, "min_amount": "0"}, 400, "The amount must be above zero."),
    ({"asset": APP, "min_amount": "abc"}, 400, "Enter the amount as a number"),
    ({"asset": BIG}, 400, "Select a valid choice"),
]


@pytest.mark.parametrize(
    ("name", "base", "fmt", "params", "status", "expect"),
    _cases(
        [
            ("registry-transfers", {}, ("page", "csv", "json")),
            ("api-registry-transfers", {}, ("api",)),
        ],
        SEARCH_NUMBERS,
    ),
)
def test_every_number_filter_of_the_transfer_search(
    ledger, regulator_client, name, base, fmt, params, status, expect
):
    if fmt in ("csv", "json") and "before" in params:
        pytest.skip("an export is the whole list: it has no page position")
    response = request(regulator_client, ledger, name, base, fmt, params)
    if status == 400:
        assert_refused(response, fmt, expect)
        return
    assert response.status_code == 200
    rows = counted(response, fmt)
    if rows is not None:
        assert rows == (len(ledger.transfers) if expect == ALL else 0)


@pytest.mark.parametrize(
    ("params", "status", "expect"),
    [
        ({"before": str(2**63 - 1)}, 200, ""),
        ({"before": str(2**63)}, 400, "less than or equal to"),
        ({"before": BIG}, 400, "Enter a whole number."),
        ({"before": "²"}, 400, "Enter a whole number."),
        ({"action": "x" * 101}, 400, "at most 100 characters"),
    ],
)
@pytest.mark.parametrize("fmt", ["page", "csv", "json", "api"])
def test_the_audit_logs_filters(ledger, regulator_client, params, status, expect, fmt):
    name = "api-registry-audit" if fmt == "api" else "registry-audit"
    if fmt in ("csv", "json") and "before" in params and status == 200:
        pytest.skip("an export is the whole list: it has no page position")
    response = request(regulator_client, ledger, name, {}, fmt, params)
    if status == 400:
        assert_refused(response, fmt, expect)
        return
    assert response.status_code == 200
    if fmt in ("csv", "json"):
        assert counted(response, fmt) > 0


LISTS = [
    "registry-issuers",
    "registry-permits",
    "registry-assets",
    "registry-documents",
    "registry-compliance",
    "registry-reconciliation",
]


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize(
    ("page", "status"),
    [("1", 200), (str(10**18), 200), ("0", 400), (BIG, 400), ("²", 400), ("١", 400)],
)
def test_every_numbered_list_takes_any_page_number(ledger, regulator_client, name, page, status):
    response = regulator_client.get(reverse(name), {"page": page})
    assert response.status_code == status
    if status == 400:
        assert "The page number must be a positive whole number." in response.content.decode()


@pytest.mark.parametrize(
    ("before", "status"), [(str(2**63 - 1), 200), (str(2**63), 400), (BIG, 400), ("²", 400)]
)
def test_the_holders_list_takes_any_page_position(ledger, regulator_client, before, status):
    response = regulator_client.get(reverse("registry-holders"), {"before": before})
    assert response.status_code == status
    if status == 400:
        assert "The page position must be a positive whole number." in response.content.decode()


# ------------------------------------------------------------------------------ mid-stream


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 3)
    monkeypatch.setattr(transfers, "EXPORT_CHUNK", 3)


def failing_after(monkeypatch, rows: int) -> None:
    """Rendering the amount of the row after ``rows`` rows fails."""
    real = selectors.amount_text
    calls = {"n": 0}

    def amount_text(units: Any, application: Any) -> str:
        calls["n"] += 1
        if calls["n"] > rows:
            raise RuntimeError("a row that cannot be rendered")
        return real(units, application)

    monkeypatch.setattr(selectors, "amount_text", amount_text)


def partial_body(response) -> str:
    """What a client receives of a body whose stream is aborted."""
    assert isinstance(response, StreamingHttpResponse)
    received: list[bytes] = []
    stream = cast(Iterator[bytes], response.streaming_content)
    with pytest.raises(exports.ExportAborted):
        received.extend(stream)
    return b"".join(received).decode("utf-8")


@pytest.mark.parametrize(
    ("name", "base", "fmt"),
    [
        ("registry-transfers", {}, "csv"),
        ("registry-transfers", {}, "json"),
        ("registry-monitoring", {"asset": APP, "threshold": "1"}, "csv"),
        ("registry-monitoring", {"asset": APP, "threshold": "1"}, "json"),
        ("registry-monitoring", {"asset": APP, "threshold": "1"}, "xml"),
    ],
)
def test_an_export_that_fails_mid_stream_says_so_and_parses_as_nothing(
    ledger, regulator_client, small_chunks, monkeypatch, caplog, name, base, fmt
):
    failing_after(monkeypatch, 4)
    with caplog.at_level(logging.ERROR, logger="registry.exports"):
        response = request(regulator_client, ledger, name, base, fmt, {})
        assert response.status_code == 200
        text = partial_body(response)
    assert "EXPORT FAILED" in text.strip().splitlines()[-1]
    assert any("failed after its first byte" in r.getMessage() for r in caplog.records)
    if fmt == "csv":
        lines = text.strip().splitlines()
        assert len(lines) == 1 + 3 + 1  # the header, the first chunk, the marker
    elif fmt == "json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
        assert json.loads(text.strip().splitlines()[-1])["error"] == "export_failed"
    else:
        with pytest.raises(ET.ParseError):
            ET.fromstring(text)  # noqa: S314 - the platform's own output
        assert "<ExportFailed>" in text


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_that_fails_before_its_first_byte_is_an_error_not_an_empty_file(
    ledger, regulator, monkeypatch, fmt
):
    failing_after(monkeypatch, 0)
    client = client_for(regulator)
    client.raise_request_exception = False
    response = client.get(reverse("registry-transfers"), {"export": fmt})
    assert response.status_code == 500
    assert not isinstance(response, StreamingHttpResponse)


TEXTS = [
    ("registry-transfers", "party"),
    ("api-registry-transfers", "party"),
    ("registry-audit", "action"),
    ("registry-audit", "actor"),
    ("api-registry-audit", "object_type"),
    ("registry-holders", "q"),
    ("api-registry-holders", "q"),
]


@pytest.mark.parametrize(("name", "field"), TEXTS)
def test_a_text_filter_with_a_null_character_is_a_400(ledger, regulator_client, name, field):
    response = regulator_client.get(reverse(name), {field: "a\x00b"})
    assert response.status_code == 400
    text = response.json()["detail"] if name.startswith("api-") else response.content.decode()
    assert "Null characters are not allowed." in text
