"""Exports: every list as CSV and JSON, streamed chunk by chunk, and the financial-monitoring
report as CSV and XML."""

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import cast

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from qoima.participants import services as participants
from qoima.participants.models import Role
from registry import exports, transfers
from tests.factories import HolderProfileFactory, make_user
from tests.registry.conftest import client_for

pytestmark = pytest.mark.django_db


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(cast(Iterator[bytes], response.streaming_content)).decode("utf-8")


def csv_rows(response) -> list[dict[str, str]]:
    text = body(response)
    assert text.startswith("\ufeff"), "spreadsheet programs need the byte-order mark"
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of three rows, so a few transfers cross several chunk and page boundaries."""
    monkeypatch.setattr(exports, "CHUNK", 3)
    monkeypatch.setattr(transfers, "EXPORT_CHUNK", 3)


def test_a_transfer_search_exports_every_match_as_csv_and_json(
    ledger, regulator_client, small_chunks
):
    holder = ledger.holders[0]
    params = {"party": holder.identification_number}
    url = reverse("registry-transfers")
    response = regulator_client.get(url, {**params, "export": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="qoima-transfers-')
    rows = csv_rows(response)
    wallet = ledger.wallets[0]
    expected = [t for t in reversed(ledger.transfers) if wallet in (t.sender, t.receiver)]
    assert [int(r["id"]) for r in rows] == [t.pk for t in expected]
    assert {r["receiver_bin_iin"] for r in rows} == {holder.identification_number}
    assert {r["receiver"] for r in rows} == {holder.full_name}
    assert rows[0]["asset"] == ledger.application.symbol
    assert rows[0]["amount"].endswith(ledger.application.symbol)
    as_json = json.loads(body(regulator_client.get(url, {**params, "export": "json"})))
    assert [row["id"] for row in as_json] == [t.pk for t in expected]
    assert as_json[0]["sender_bin_iin"] == ledger.application.organisation.identification_number


def test_every_list_exports_in_both_formats(ledger, regulator_client, small_chunks, audit_seal):
    lists = [
        "registry-issuers",
        "registry-permits",
        "registry-assets",
        "registry-documents",
        "registry-holders",
        "registry-compliance",
        "registry-reconciliation",
        "registry-audit",
        "registry-daily",
        "registry-transfers",
    ]
    for name in lists:
        url = reverse(name)
        as_csv = csv_rows(regulator_client.get(url, {"export": "csv"}))
        as_json = json.loads(body(regulator_client.get(url, {"export": "json"})))
        assert len(as_csv) == len(as_json), name
    holders = json.loads(
        body(regulator_client.get(reverse("registry-holders"), {"export": "json"}))
    )
    assert {h["iin_bin"] for h in holders} == {h.identification_number for h in ledger.holders}
    audit_seal()
    audit = csv_rows(regulator_client.get(reverse("registry-audit"), {"export": "csv"}))
    assert audit
    assert all(len(row["entry_hash"]) == 64 for row in audit)


def test_the_financial_monitoring_report_lists_operations_at_or_above_the_threshold(
    ledger, regulator_client, small_chunks
):
    url = reverse("registry-monitoring")
    params = {"asset": ledger.application.pk, "threshold": "3"}
    expected = [t for t in reversed(ledger.transfers) if t.amount >= 300]
    rows = csv_rows(regulator_client.get(url, {**params, "export": "csv"}))
    assert [int(r["id"]) for r in rows] == [t.pk for t in expected]
    assert all(r["amount_kzt"] == "" for r in rows)
    xml = body(regulator_client.get(url, {**params, "export": "xml"}))
    root = ET.fromstring(xml.encode())  # noqa: S314 - the platform's own output
    assert root.tag == "FM1Report"
    assert root.get("asset") == ledger.application.symbol
    operations = root.findall("Operation")
    assert [op.findtext("Reference") for op in operations] == [str(int(t.ref)) for t in expected]
    issuer = ledger.application.organisation.identification_number
    # The issue itself (from the zero address) is an operation above the threshold too.
    payees = {op.findtext("PayeeIdNumber") for op in operations}
    assert payees == {h.identification_number for h in ledger.holders} | {issuer}
    assert {op.findtext("PayerIdNumber") for op in operations} == {issuer, ""}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"threshold": "3"}, "This field is required."),
        ({"asset": "1", "threshold": "abc"}, "Enter the amount as a number"),
    ],
)
def test_a_bad_monitoring_request_is_a_400(ledger, regulator_client, params, message):
    if "asset" in params:
        params = {**params, "asset": ledger.application.pk}
    response = regulator_client.get(reverse("registry-monitoring"), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_text_with_markup_is_exported_as_text_and_shown_escaped(ledger, regulator_client):
    holder = ledger.holders[0]
    type(holder).objects.filter(pk=holder.pk).update(full_name="<script>alert(1)</script>")
    page = regulator_client.get(
        reverse("registry-transfers"), {"party": holder.identification_number}
    ).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    rows = csv_rows(regulator_client.get(reverse("registry-holders"), {"export": "csv"}))
    assert "<script>alert(1)</script>" in {r["name"] for r in rows}


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_exported_inert(ledger, regulator_client):
    holder = ledger.holders[0]
    type(holder).objects.filter(pk=holder.pk).update(full_name='=HYPERLINK("http://x")')
    rows = csv_rows(regulator_client.get(reverse("registry-holders"), {"export": "csv"}))
    assert '\'=HYPERLINK("http://x")' in {r["name"] for r in rows}
    # JSON is read by programs, not spreadsheets: the value is exactly as stored.
    holders = json.loads(
        body(regulator_client.get(reverse("registry-holders"), {"export": "json"}))
    )
    assert '=HYPERLINK("http://x")' in {h["name"] for h in holders}


def test_the_compliance_decisions_export_gives_each_action_as_people_read_it(regulator):
    officer = make_user(Role.COMPLIANCE_OFFICER)
    holder = HolderProfileFactory()
    participants.holder_verify(officer=officer, holder_id=holder.pk, document_ref="KYC-1")
    participants.holder_suspend(officer=officer, holder_id=holder.pk, reason="Court order 7")
    response = client_for(regulator, "ru").get(reverse("registry-compliance"), {"export": "csv"})
    suspended = [row for row in csv_rows(response) if row["action"] == "holder.suspended"]
    assert len(suspended) == 1
    assert suspended[0]["action_label"] == "Держатель приостановлен"


def test_financial_monitoring_prices_exchange_trades_in_tenge(
    ledger, regulator_client, small_chunks
):
    """A transfer that settled an exchange trade carries the trade's tenge amount; other
    movements have no price."""
    from qoima.chain.models import Operation, PlatformToken
    from qoima.exchange.models import Order, Trade
    from tests.exchange.factories_market import Journal, make_market, make_member

    token = PlatformToken.objects.get(address=ledger.application.token_address)
    market = make_market(token)
    seller, buyer = (make_member(h) for h in ledger.holders[:2])
    journal = Journal(market=market, user=ledger.holders[0].user)
    sold = ledger.transfers[-1]
    sell = journal.order(seller, Order.Side.SELL, 123_456, int(sold.amount))
    taker = journal.order(buyer, Order.Side.BUY, 123_456, int(sold.amount), accept=False)
    trade = journal.trade(taker, sell, int(sold.amount), state=Trade.State.FINAL)
    # The trade's transfer is the one recorded with this reference.
    Operation.objects.filter(pk=trade.operation_id).update(id=int(sold.ref))
    Trade.objects.filter(pk=trade.pk).update(operation_id=int(sold.ref))
    amount = 123_456 * int(sold.amount) // 10**token.decimals

    url = reverse("registry-monitoring")
    params = {"asset": ledger.application.pk, "threshold": "0.01"}
    rows = csv_rows(regulator_client.get(url, {**params, "export": "csv"}))
    priced = {r["reference"]: r["amount_kzt"] for r in rows if r["amount_kzt"]}
    assert priced == {str(int(sold.ref)): f"{amount // 100}.{amount % 100:02d}"}
    xml = body(regulator_client.get(url, {**params, "export": "xml"}))
    operations = ET.fromstring(xml.encode()).findall("Operation")  # noqa: S314 - our own output
    assert {op.findtext("Reference"): op.findtext("AmountKZT") for op in operations}[
        str(int(sold.ref))
    ] == f"{amount // 100}.{amount % 100:02d}"
