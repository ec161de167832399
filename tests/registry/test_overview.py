"""The regulator's overview answers their first questions: how large the platform is, what
needs their attention (each alert linking to where it is explained), and how issuance and
transfers moved, in charts whose figures are also a table."""

import datetime
import json
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from issuance.models import Document, DocumentCheck
from qoima.audit import services as audit_services
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.chain.amounts import format_units
from qoima.chain.models import Operation, ReconciliationRun, TokenBalance
from qoima.chain.volumes import daily_volumes_refresh
from qoima.participants.models import HolderProfile, Organisation, Permit
from tests.pages import visible_text

from .conftest import Ledger, client_for

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


def shown(html: str, testid: str) -> str:
    """The text of the element carrying ``testid`` whose content has no tags (a figure)."""
    found = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', html)
    assert found is not None, f"no {testid} on the page"
    return found.group(1)


def table(html: str, testid: str) -> list[list[str]]:
    """The rows of the table carrying ``testid``, each a list of its cells' text."""
    found = re.search(rf'<table[^>]*data-testid="{testid}".*?</table>', html, re.S)
    assert found is not None, f"no table {testid} on the page"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(0), re.S)
    return [
        [visible_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


def test_the_overview_gives_the_platforms_totals(ledger: Ledger, regulator_client):
    daily_volumes_refresh()
    response = regulator_client.get(reverse("registry-home"))
    html = response.content.decode()
    assert shown(html, "total-issuers") == str(Organisation.objects.count())
    verified = Permit.objects.filter(status=Permit.Status.ACTIVE, verified_by__isnull=False)
    assert shown(html, "total-permits") == str(verified.count())
    assert shown(html, "total-assets") == "1"
    assert shown(html, "total-holders") == str(HolderProfile.objects.count())
    # Four rounds of a transfer to each of three holders; the issue is not a transfer.
    assert shown(html, "total-transfers") == "12"
    application = ledger.application
    supply = format_units(1_000_000, application.decimals)
    assert [application.symbol, supply] == [
        table(html, "supplies")[1][0].split()[0],
        table(html, "supplies")[1][2].split(NBSP)[0],
    ]


def test_nothing_alerts_when_all_is_well(ledger: Ledger, regulator_client):
    ReconciliationRun.objects.create(chain_id=settings.CHAIN_ID, block_number=13, differences=0)
    html = regulator_client.get(reverse("registry-home")).content.decode()
    assert 'data-testid="no-alerts"' in html
    assert 'data-testid="alert"' not in html


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_reconciliation_that_differs_is_an_alert_linking_to_its_differences(
    ledger: Ledger, regulator, language
):
    ReconciliationRun.objects.create(chain_id=settings.CHAIN_ID, block_number=12, differences=0)
    run = ReconciliationRun.objects.create(
        chain_id=settings.CHAIN_ID, block_number=13, differences=2
    )
    html = client_for(regulator, language).get(reverse("registry-home")).content.decode()
    alerts = re.findall(r'<li[^>]*data-testid="alert"[^>]*>(.*?)</li>', html, re.S)
    assert len(alerts) == 1
    assert reverse("registry-reconciliation-run", args=[run.pk]) in alerts[0]
    if language == "en":
        assert visible_text(alerts[0]) == (
            "Alert The newest reconciliation, at block 13, found 2 differences between the "
            "platform's ledger and the chain. See the differences"
        )
    else:
        assert "13" in visible_text(alerts[0])


def test_an_altered_document_and_stalled_work_are_alerts(ledger: Ledger, regulator_client):
    document = ledger.application.documents.exclude(kind=Document.Kind.OTHER).first()
    assert document is not None
    DocumentCheck.objects.create(document=document, ok=True, file_sha256=document.sha256)
    DocumentCheck.objects.create(document=document, ok=False, file_sha256="0" * 64)
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.CHAIN_STALL_SECONDS + 60)
    Operation.objects.create(
        kind=Operation.Kind.MINT,
        chain_id=settings.CHAIN_ID,
        token_address=ledger.application.token_address,
        receiver=ledger.issuer_wallet,
        amount=5,
        idempotency_key="stalled-mint",
    )
    # Every operation still waiting has waited past the limit (the oldest is the one asked).
    Operation.objects.filter(state=Operation.State.PENDING).update(created_at=long_ago)
    Operation.objects.create(
        kind=Operation.Kind.BURN,
        chain_id=settings.CHAIN_ID,
        token_address=ledger.application.token_address,
        sender=ledger.issuer_wallet,
        amount=5,
        idempotency_key="failed-burn",
        state=Operation.State.FAILED,
    )
    html = regulator_client.get(reverse("registry-home")).content.decode()
    alerts = dict(
        re.findall(r'<li[^>]*data-testid="alert" data-kind="([a-z_]+)"[^>]*>(.*?)</li>', html, re.S)
    )
    assert set(alerts) == {"document", "operation_stalled", "operation_failed"}
    assert reverse("registry-document", args=[document.pk]) in alerts["document"]
    assert "no longer has the SHA-256 recorded at upload" in visible_text(alerts["document"])
    assert "the work has stalled" in visible_text(alerts["operation_stalled"])
    assert "1 operation failed on chain in the last 30 days." in visible_text(
        alerts["operation_failed"]
    )
    # Where stalled and failed work is explained: the processing section of the same page.
    assert 'href="/registry/#processing"' in alerts["operation_failed"]
    assert 'id="processing"' in html
    assert shown(html, "failed-count").startswith("1 ")


def test_an_audit_entry_awaiting_its_seal_too_long_is_an_alert(
    ledger: Ledger, regulator_client, monkeypatch
):
    html = regulator_client.get(reverse("registry-home")).content.decode()
    assert 'data-kind="audit_seal"' not in html
    written = timezone.now() - datetime.timedelta(seconds=settings.AUDIT_MAX_SEAL_DELAY + 600)
    with monkeypatch.context() as patched:
        # Written long ago and never sealed since: the sealer is not running.
        patched.setattr(audit_services.timezone, "now", lambda: written)
        audit_record(actor=None, action=AuditAction.HOLDER_SUSPENDED)
    html = regulator_client.get(reverse("registry-home")).content.decode()
    seal = re.search(r'data-kind="audit_seal"[^>]*>(.*?)</li>', html, re.S)
    assert seal is not None
    assert reverse("registry-audit") in seal.group(1)
    assert "the sealer is not running" in visible_text(seal.group(1))


def test_the_charts_figures_are_a_table_beside_each_chart(ledger: Ledger, regulator_client):
    daily_volumes_refresh()
    html = regulator_client.get(reverse("registry-home")).content.decode()
    transfers = table(html, "transfers-chart-table")
    # A row a day of the last 30 days and today, each with the day's transfers.
    assert len(transfers) == 1 + 31
    by_day = {row[0]: row[1] for row in transfers[1:]}
    for day in {ledger.days[n] for n in range(2, 14)}:
        moved = sum(1 for n in range(2, 14) if ledger.days[n] == day)
        assert by_day[day.strftime("%-d %b %Y")] == str(moved)
    assert sum(int(count) for count in by_day.values()) == 12
    issuance = table(html, "issuance-chart-table")
    assert issuance[0] == ["Day", ledger.application.symbol]
    issued = {row[0]: row[1] for row in issuance[1:]}
    assert issued[ledger.days[1].strftime("%-d %b %Y")] == (
        f"{format_units(1_000_000, ledger.application.decimals)}"
    )
    # The chart draws the same figures, from data beside it rather than an inline script.
    data = re.search(
        r'<script id="transfers-chart-data" type="application/json">(.*?)</script>', html
    )
    assert data is not None
    assert sum(json.loads(data.group(1))["series"][0]["data"]) == 12
    assert 'data-chart="transfers-chart-data"' in html


@pytest.mark.parametrize(("language", "share"), [("ru", f"12,50{NBSP}%"), ("en", f"12.50{NBSP}%")])
def test_a_cap_table_gives_shares_to_two_decimals(ledger: Ledger, regulator, language, share):
    # The issuer keeps 500 units and each of the three holders 100: 62.5 % and 12.5 % each.
    token = ledger.application.token_address
    TokenBalance.objects.filter(token_address=token, holder=ledger.issuer_wallet).update(amount=500)
    TokenBalance.objects.filter(token_address=token, holder__in=ledger.wallets).update(amount=100)
    url = reverse("registry-cap-table", args=[ledger.application.pk])
    html = client_for(regulator, language).get(url).content.decode()
    shares = [row[2] for row in table(html, "cap-table")[1:]]
    assert shares == [share.replace("12", "62"), share, share, share]


@pytest.mark.parametrize(
    ("url", "tab"),
    [
        ("registry-home", "Overview"),
        ("registry-transfers", "Transfers"),
        ("registry-audit", "Audit log"),
    ],
)
def test_the_registrys_navigation_marks_the_page_being_read(regulator_client, url, tab):
    html = regulator_client.get(reverse(url)).content.decode()
    current = re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]*)</a>', html)
    assert current == [tab]
