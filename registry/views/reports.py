"""The overview, and the reports: reconciliation, the audit log and the daily summary."""

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render

from qoima.audit.labels import audit_shown
from qoima.audit.models import ChainCheck
from qoima.chain.models import IndexerCursor, NodeHealth, ReconciliationRun

from .. import selectors
from ..forms import AuditFilterForm, PeriodForm
from .common import (
    PAGE,
    columns,
    exported_list,
    list_query,
    page_of,
    query_without,
    refused,
    registry_view,
)

# The table of one asset's days lists this many, newest first; its chart and export, all.
TABLE_DAYS = 31
RUN_COLUMNS = columns(
    id="pk",
    started_at="started_at",
    block="block_number",
    token_address="token_address",  # noqa: S106 - a column, not a secret
    tokens="tokens_checked",
    holders="holders_checked",
    references="refs_checked",
    differences="differences",
)
DIFFERENCE_COLUMNS = columns(
    kind="kind",
    token_address="token_address",  # noqa: S106 - a column, not a secret
    subject="subject",
    database="database_value",
    chain="chain_value",
)
AUDIT_COLUMNS = columns(
    seq="seq",
    time="created_at",
    actor="actor_repr",
    action="action",
    object_type="object_type",
    object_id="object_id",
    object="object_repr",
    details=lambda e: json.dumps(e.details, ensure_ascii=False),
    prev_hash="prev_hash",
    entry_hash="entry_hash",
)


@registry_view
def home(request: HttpRequest) -> HttpResponse:
    """The regulator's landing page: the platform's totals, what needs attention, and how
    issuance and transfers moved over the last days."""
    chain_id = settings.CHAIN_ID
    overview = selectors.regulator_overview()
    return render(
        request,
        "registry/home.html",
        {
            "overview": overview,
            "totals": overview.totals,
            "last_run": overview.last_run,
            "last_check": overview.last_check,
            "cursor": IndexerCursor.objects.filter(chain_id=chain_id).first(),
            "node": NodeHealth.objects.filter(chain_id=chain_id).first(),
            "issuance_chart": overview.issuance.as_json(),
            "transfers_chart": overview.transfers.as_json(),
        },
    )


@registry_view
def reconciliation(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.reconciliation_runs()
    return exported_list(request, "reconciliation-runs", RUN_COLUMNS, rows) or render(
        request,
        "registry/reconciliation.html",
        {"page": page_of(request, rows), "query": list_query(request)},
    )


@registry_view
def reconciliation_run(request: HttpRequest, run_id: int) -> HttpResponseBase:
    run = get_object_or_404(ReconciliationRun, pk=run_id, chain_id=settings.CHAIN_ID)
    rows = selectors.reconciliation_differences(run)
    name = f"reconciliation-{run.pk}"
    return exported_list(request, name, DIFFERENCE_COLUMNS, rows) or render(
        request,
        "registry/reconciliation_run.html",
        {
            "run": run,
            "page": page_of(request, rows),
            "query": list_query(request),
            "tokens": selectors.tokens_by_address(),
        },
    )


@registry_view
def audit(request: HttpRequest) -> HttpResponseBase:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return refused(
            request,
            "registry/audit.html",
            form,
            query=query_without(request, "before", "check", "export"),
            last_check=ChainCheck.objects.first(),
            max_seal_delay=settings.AUDIT_MAX_SEAL_DELAY,
        )
    data = form.cleaned_data
    entries = selectors.audit_entries(
        action=data["action"], actor=data["actor"], object_type=data["object_type"]
    )
    download = exported_list(request, "audit-log", AUDIT_COLUMNS, entries)
    if download:
        return download
    # Paged by sequence number, which only grows: the oldest page costs what the newest does.
    # The first page also shows the entries awaiting their seal (no number yet).
    before = data.get("before")
    shown = list((entries.filter(seq__lt=before) if before else entries)[: PAGE + 1])
    anchors = selectors.audit_anchors()
    return render(
        request,
        "registry/audit.html",
        {
            "form": form,
            "entries": audit_shown(shown[:PAGE]),
            "next_before": shown[PAGE - 1].seq if len(shown) > PAGE else None,
            "query": query_without(request, "before", "check", "export"),
            "last_check": ChainCheck.objects.first(),
            "check_now": selectors.audit_check_now(anchors) if request.GET.get("check") else None,
            "anchors": anchors,
            "max_seal_delay": settings.AUDIT_MAX_SEAL_DELAY,
        },
    )


@registry_view
def daily(request: HttpRequest) -> HttpResponseBase:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return refused(request, "registry/daily.html", form)
    since, until = form.period()
    asset = form.cleaned_data.get("asset")
    rows = selectors.daily_volumes(
        since=since, until=until, token=asset.token_address if asset else ""
    )
    tokens = selectors.tokens_by_address()
    spec = columns(
        day="day",
        asset=lambda v: tokens[v.token_address].symbol if v.token_address in tokens else "",
        token_address="token_address",  # noqa: S106 - a column, not a secret
        issued_units=lambda v: int(v.minted),
        redeemed_units=lambda v: int(v.burned),
        transferred_units=lambda v: int(v.transferred),
        transfers="transfers",
    )
    download = exported_list(request, "daily-summary", spec, rows)
    if download:
        return download
    if asset is not None:
        # One asset: a row a day (at most one per day of the period).
        volumes = list(rows)
        chart = selectors.asset_days_chart(volumes, asset)
    else:
        # Every asset: its totals over the period (a row an asset, however long the period).
        volumes = list(selectors.period_totals(since=since, until=until))
        chart = selectors.transfer_days_chart(since=since, until=until)
    return render(
        request,
        "registry/daily.html",
        {
            "form": form,
            "asset": asset,
            "since": since,
            "until": until,
            "volumes": volumes if asset is None else volumes[::-1][:TABLE_DAYS],
            "more_days": asset is not None and len(volumes) > TABLE_DAYS,
            "tokens": tokens,
            "chart": chart,
            "chart_data": chart.as_json(),
            "query": query_without(request, "export"),
        },
    )
