"""The regulator's pages: read only (GET and HEAD; anything else is 405), regulators only.

Each list pages through its rows and exports all of them (``?export=csv`` or ``json``) with
the same filters, streamed.
"""

import datetime
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_safe

from issuance.models import Application
from qoima.audit.models import ChainCheck
from qoima.chain.client import get_web3
from qoima.chain.models import (
    IndexerCursor,
    NodeHealth,
    PlatformToken,
    ReconciliationRun,
    TokenTransfer,
)
from qoima.errors import InvalidInput
from qoima.participants.access import role_required
from qoima.participants.models import Role

from . import exports, holdings, selectors, transfers
from .forms import AsOfForm, AuditFilterForm, MonitoringForm, PeriodForm, TransferSearchForm
from .parties import Party, parties_for

PAGE = 50
TABLE_DAYS = 31
View = Callable[..., HttpResponseBase]

# The columns of each export (machine-readable names: the files are read by programs).
ISSUER_HEADER = ("id", "legal_name", "kind", "bin_iin", "address", "permits", "issued_assets")
PERMIT_HEADER = (
    "number",
    "authority",
    "issuer",
    "bin_iin",
    "issued_on",
    "expires_on",
    "status",
    "valid_today",
    "status_reason",
    "document_ref",
)
ASSET_HEADER = (
    "id",
    "name",
    "symbol",
    "class",
    "identifier",
    "issuer",
    "bin_iin",
    "status",
    "backed_units",
    "decimals",
    "token",
    "approved_by",
    "confirmed_by",
)
DOCUMENT_HEADER = (
    "id",
    "asset",
    "issuer",
    "kind",
    "number",
    "dated_on",
    "sha256",
    "size",
    "uploaded_at",
    "superseded",
    "last_check_ok",
    "last_check_at",
)
AUDIT_HEADER = (
    "seq",
    "time",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object",
    "details",
    "prev_hash",
    "entry_hash",
)
DAILY_HEADER = (
    "day",
    "asset",
    "token",
    "issued_units",
    "redeemed_units",
    "transferred_units",
    "transfers",
)


def registry_view(view: View) -> View:
    """Regulators only (others 403, anonymous users to the login page), and only reads."""
    return role_required(Role.REGULATOR)(require_safe(view))


def _page(request: HttpRequest, rows: QuerySet[Any] | Sequence[Any]) -> Page[Any]:
    number = request.GET.get("page", "1")
    if not number.isdigit() or int(number) < 1:
        raise InvalidInput(_("The page number must be a positive whole number."), field="page")
    return Paginator(rows, PAGE).get_page(number)


def _older_than(request: HttpRequest, rows: QuerySet[Any]) -> tuple[list[Any], int | None]:
    """A page of a long list, newest first, keyed by id rather than numbered: the thousandth
    page costs what the first does. Returns the rows and the id to ask the next page with."""
    before = request.GET.get("before", "")
    if before and not (before.isdigit() and 0 < int(before) < 2**63):
        raise InvalidInput(_("The page position must be a positive whole number."), field="before")
    if before:
        rows = rows.filter(pk__lt=int(before))
    found = list(rows.order_by("-pk")[: PAGE + 1])
    return found[:PAGE], (found[PAGE - 1].pk if len(found) > PAGE else None)


def _invalid(form: Any) -> InvalidInput:
    field, errors = next(iter(form.errors.items()))
    return InvalidInput(" ".join(str(e) for e in errors), field=field)


def _export(
    request: HttpRequest, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponseBase | None:
    requested = request.GET.get("export")
    if not requested:
        return None
    return exports.export_response(exports.export_format(requested), name, header, rows)


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _list_query(request: HttpRequest) -> str:
    """The list's filters, for its page and export links."""
    return _query_without(request, "page", "export")


def _fragment_or_page(
    request: HttpRequest, fragment: str, page: str, context: dict[str, Any]
) -> HttpResponse:
    """A live check answers an htmx request with its section, anything else with a page."""
    polled = request.headers.get("HX-Request") == "true"
    response = render(request, fragment if polled else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ------------------------------------------------------------------------------ overview


@registry_view
def home(request: HttpRequest) -> HttpResponse:
    chain_id = settings.CHAIN_ID
    today = timezone.localdate()
    return render(
        request,
        "registry/home.html",
        {
            "issuer_count": selectors.issuers().count(),
            "asset_count": selectors.assets().filter(status=Application.Status.ISSUED).count(),
            "holder_count": selectors.holders().count(),
            "last_run": selectors.reconciliation_runs().first(),
            "last_check": ChainCheck.objects.first(),
            "failed_documents": selectors.failed_document_checks()[:10],
            "cursor": IndexerCursor.objects.filter(chain_id=chain_id).first(),
            "node": NodeHealth.objects.filter(chain_id=chain_id).first(),
            "chart": _counts_chart(
                selectors.daily_transfer_counts(
                    since=today - datetime.timedelta(days=30), until=today
                )
            ),
        },
    )


# ------------------------------------------------------------------------------ issuers


@registry_view
def issuers(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.issuers()
    exported = _export(
        request,
        "issuers",
        ISSUER_HEADER,
        (
            (
                o.pk,
                o.legal_name,
                o.kind,
                o.identification_number,
                o.registered_address,
                o.permit_count,  # type: ignore[attr-defined]
                o.asset_count,  # type: ignore[attr-defined]
            )
            for o in rows.iterator(chunk_size=exports.CHUNK)
        ),
    )
    return exported or render(
        request,
        "registry/issuers.html",
        {"page": _page(request, rows), "query": _list_query(request)},
    )


@registry_view
def issuer(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = get_object_or_404(selectors.issuers(), pk=organisation_id)
    permits = list(selectors.issuer_permits(organisation))
    today = timezone.localdate()
    return render(
        request,
        "registry/issuer.html",
        {
            "organisation": organisation,
            "permits": [(permit, permit.is_valid_on(today)) for permit in permits],
            "history": selectors.permits_history(permits),
            "assets": selectors.assets().filter(organisation=organisation),
            "wallets": organisation.wallets.all(),
        },
    )


@registry_view
def permits(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.permits()
    today = timezone.localdate()
    exported = _export(
        request,
        "permits",
        PERMIT_HEADER,
        (
            (
                p.number,
                p.authority,
                p.organisation.legal_name,
                p.organisation.identification_number,
                p.issued_on,
                p.expires_on,
                p.status,
                p.is_valid_on(today),
                p.status_reason,
                p.status_document_ref,
            )
            for p in rows.iterator(chunk_size=exports.CHUNK)
        ),
    )
    page = _page(request, rows)
    return exported or render(
        request,
        "registry/permits.html",
        {
            "page": page,
            "rows": [(p, p.is_valid_on(today)) for p in page],
            "query": _list_query(request),
        },
    )


# ------------------------------------------------------------------------------ assets


@registry_view
def assets(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.assets()
    exported = _export(
        request,
        "assets",
        ASSET_HEADER,
        (
            (
                a.pk,
                a.name,
                a.symbol,
                a.asset_class,
                a.asset_identifier,
                a.organisation.legal_name,
                a.organisation.identification_number,
                a.status,
                int(a.backed_units),
                a.decimals,
                a.token_address,
                a.approved_by.get_username() if a.approved_by else "",
                a.confirmed_by.get_username() if a.confirmed_by else "",
            )
            for a in rows.iterator(chunk_size=exports.CHUNK)
        ),
    )
    return exported or render(
        request,
        "registry/assets.html",
        {"page": _page(request, rows), "query": _list_query(request)},
    )


@registry_view
def asset(request: HttpRequest, application_id: int) -> HttpResponse:
    application = get_object_or_404(selectors.assets(), pk=application_id)
    supply = selectors.ledger_supply(application.token_address) if application.token_address else 0
    return render(
        request,
        "registry/asset.html",
        {
            "application": application,
            "checklist": selectors.asset_checklist(application),
            "reviews": selectors.asset_reviews(application),
            "documents": selectors.asset_documents(application),
            "supply": supply,
        },
    )


@registry_view
def asset_onchain(request: HttpRequest, application_id: int) -> HttpResponse:
    """The token's data read live beside the DB's, every difference flagged."""
    application = get_object_or_404(selectors.assets(), pk=application_id)
    return _fragment_or_page(
        request,
        "registry/_asset_onchain.html",
        "registry/asset_onchain.html",
        {
            "application": application,
            "comparison": selectors.asset_onchain(application, w3=get_web3()),
        },
    )


@registry_view
def cap_table(request: HttpRequest, application_id: int) -> HttpResponseBase:
    application = get_object_or_404(selectors.assets().exclude(token_address=""), pk=application_id)
    form = AsOfForm(request.GET)
    if not form.is_valid():
        raise _invalid(form)
    block = form.cleaned_data.get("block")
    day = form.cleaned_data.get("date")
    if day is not None:
        block = transfers.block_at_end_of(day)
        if block is None:
            raise InvalidInput(
                _("No movement of any asset was recorded by that date."), field="date"
            )
    number = form.cleaned_data.get("page") or 1
    if request.GET.get("export"):
        table = holdings.cap_table(application.token_address, block=block, limit=10**9)
        return exports.export_response(
            exports.export_format(request.GET["export"]),
            f"holders-{application.symbol}",
            ["address", "holder", "bin_iin", "units", "amount"],
            _holding_rows(table.rows, application),
        )
    table = holdings.cap_table(
        application.token_address, block=block, offset=(number - 1) * PAGE, limit=PAGE
    )
    parties = parties_for({row.address for row in table.rows})
    return render(
        request,
        "registry/cap_table.html",
        {
            "application": application,
            "form": form,
            "table": table,
            "rows": [(row, parties[row.address]) for row in table.rows],
            "page_number": number,
            "has_next": number * PAGE < table.holders,
            "query": _query_without(request, "page"),
            "as_of_day": day,
        },
    )


def _holding_rows(rows: list[holdings.Holding], application: Application) -> Iterator[list[Any]]:
    for chunk in exports.chunked(rows, exports.CHUNK):
        parties = parties_for({row.address for row in chunk})
        for row in chunk:
            party = parties[row.address]
            yield [
                row.address,
                party.name,
                party.identification_number,
                row.units,
                selectors.amount_text(row.units, application),
            ]


# ------------------------------------------------------------------------------ documents


@registry_view
def documents(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.documents()
    exported = _export(
        request,
        "documents",
        DOCUMENT_HEADER,
        (
            (
                d.pk,
                d.application.symbol,
                d.application.organisation.legal_name,
                d.kind,
                d.number,
                d.dated_on,
                d.sha256,
                d.size,
                d.uploaded_at,
                d.superseded,  # type: ignore[attr-defined]
                d.last_check_ok,  # type: ignore[attr-defined]
                d.last_check_at,  # type: ignore[attr-defined]
            )
            for d in rows.iterator(chunk_size=exports.CHUNK)
        ),
    )
    return exported or render(
        request,
        "registry/documents.html",
        {"page": _page(request, rows), "query": _list_query(request)},
    )


@registry_view
def document(request: HttpRequest, document_id: int) -> HttpResponse:
    found = get_object_or_404(selectors.documents(), pk=document_id)
    return render(
        request,
        "registry/document.html",
        {
            "document": found,
            "current": selectors.is_current(found),
            "checks": selectors.document_checks(found)[:20],
        },
    )


@registry_view
def document_rehash(request: HttpRequest, document_id: int) -> HttpResponse:
    """Re-read the stored file now and compare it with the DB and the chain (nothing kept)."""
    found = get_object_or_404(selectors.documents(), pk=document_id)
    return _fragment_or_page(
        request,
        "registry/_rehash.html",
        "registry/rehash.html",
        {"document": found, "result": selectors.document_rehash(found, w3=get_web3())},
    )


# ------------------------------------------------------------------------------ transfers


def _transfer_rows(
    items: Iterable[TokenTransfer], tokens: dict[str, Application]
) -> Iterator[list[Any]]:
    known: dict[str, Party] = {}
    for chunk in exports.chunked(items, exports.CHUNK):
        parties = parties_for({t.sender for t in chunk} | {t.receiver for t in chunk}, known)
        times = transfers.block_times({t.block_number for t in chunk})
        for t in chunk:
            application = tokens.get(t.token_address)
            sender, receiver = parties[t.sender], parties[t.receiver]
            yield [
                t.pk,
                times.get(t.block_number),
                application.symbol if application else t.token_address,
                sender.name,
                sender.identification_number,
                t.sender,
                receiver.name,
                receiver.identification_number,
                t.receiver,
                int(t.amount),
                selectors.amount_text(t.amount, application),
                "" if t.ref is None else int(t.ref),
                t.tx_hash,
                t.block_number,
                t.log_index,
            ]


TRANSFER_HEADER = [
    "id",
    "time",
    "asset",
    "sender",
    "sender_bin_iin",
    "sender_address",
    "receiver",
    "receiver_bin_iin",
    "receiver_address",
    "units",
    "amount",
    "reference",
    "tx_hash",
    "block",
    "log_index",
]


@registry_view
def transfer_search(request: HttpRequest) -> HttpResponseBase:
    form = TransferSearchForm(request.GET)
    if not form.is_valid():
        raise _invalid(form)
    filters = form.filters()
    tokens = selectors.tokens_by_address()
    if request.GET.get("export"):
        return exports.export_response(
            exports.export_format(request.GET["export"]),
            "transfers",
            TRANSFER_HEADER,
            _transfer_rows(transfers.transfers_all(filters), tokens),
        )
    page = transfers.transfers_page(filters, before=form.cleaned_data.get("before"), limit=PAGE)
    parties = parties_for({t.sender for t in page.items} | {t.receiver for t in page.items})
    times = transfers.block_times({t.block_number for t in page.items})
    node = NodeHealth.objects.filter(chain_id=settings.CHAIN_ID).first()
    return render(
        request,
        "registry/transfers.html",
        {
            "form": form,
            "page": page,
            "rows": [
                _transfer_view(t, parties, times, tokens, node.block_number if node else None)
                for t in page.items
            ],
            "party_described": form.party_described,
            "query": _query_without(request, "before", "export"),
            "searched": any(v for k, v in request.GET.items() if k != "before"),
        },
    )


def _transfer_view(
    transfer: TokenTransfer,
    parties: dict[str, Party],
    times: dict[int, datetime.datetime],
    tokens: dict[str, Application],
    head: int | None,
) -> dict[str, Any]:
    return {
        "transfer": transfer,
        "sender": parties[transfer.sender],
        "receiver": parties[transfer.receiver],
        "time": times.get(transfer.block_number),
        "asset": tokens.get(transfer.token_address),
        "confirmations": None if head is None else max(0, head - transfer.block_number + 1),
    }


@registry_view
def transfer(request: HttpRequest, transfer_id: int) -> HttpResponse:
    found = get_object_or_404(TokenTransfer, pk=transfer_id, chain_id=settings.CHAIN_ID)
    tokens = selectors.tokens_by_address()
    parties = parties_for({found.sender, found.receiver})
    node = NodeHealth.objects.filter(chain_id=settings.CHAIN_ID).first()
    return render(
        request,
        "registry/transfer.html",
        {
            **_transfer_view(
                found,
                parties,
                transfers.block_times({found.block_number}),
                tokens,
                node.block_number if node else None,
            ),
            "record": selectors.transfer_record(found),
            "token": PlatformToken.objects.filter(
                chain_id=settings.CHAIN_ID, address=found.token_address
            ).first(),
        },
    )


@registry_view
def transfer_verify(request: HttpRequest, transfer_id: int) -> HttpResponse:
    """Fetch the transaction's receipt now and check the stored transfer against its log."""
    found = get_object_or_404(TokenTransfer, pk=transfer_id, chain_id=settings.CHAIN_ID)
    return _fragment_or_page(
        request,
        "registry/_verify.html",
        "registry/verify.html",
        {"transfer": found, "proof": selectors.transfer_proof(found, w3=get_web3())},
    )


# ------------------------------------------------------------------------------ participants


@registry_view
def holders(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.holders()
    query = request.GET.get("q", "").strip()[:100]
    if query:
        rows = (
            rows.filter(identification_number=query)
            if query.isdigit()
            else rows.filter(full_name__icontains=query)
        )
    exported = _export(
        request,
        "holders",
        ["id", "name", "kind", "iin_bin", "status", "verified_by", "verified_at", "reason"],
        (
            (
                h.pk,
                h.full_name,
                h.kind,
                h.identification_number,
                h.verification_status,
                h.verified_by.get_username() if h.verified_by else "",
                h.verified_at,
                h.status_reason,
            )
            for h in rows.iterator(chunk_size=exports.CHUNK)
        ),
    )
    items, next_before = _older_than(request, rows)
    return exported or render(
        request,
        "registry/holders.html",
        {
            "holders": items,
            "next_before": next_before,
            "query": _query_without(request, "before", "export"),
            "q": query,
        },
    )


@registry_view
def compliance(request: HttpRequest) -> HttpResponseBase:
    decisions = selectors.compliance_decisions()
    operations = selectors.compliance_operations()
    exported = _export(
        request,
        "compliance-decisions",
        ["seq", "time", "action", "actor", "object", "details"],
        (
            (e.seq, e.created_at, e.action, e.actor_repr, e.object_repr, json.dumps(e.details))
            for e in decisions.iterator(chunk_size=exports.CHUNK)
        ),
    )
    return exported or render(
        request,
        "registry/compliance.html",
        {
            "page": _page(request, decisions),
            "query": _list_query(request),
            "operations": operations[:PAGE],
        },
    )


# ------------------------------------------------------------------------------ reports


@registry_view
def reconciliation(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.reconciliation_runs()
    exported = _export(
        request,
        "reconciliation-runs",
        ["id", "started_at", "block", "token", "tokens", "holders", "references", "differences"],
        (
            (
                r.pk,
                r.started_at,
                r.block_number,
                r.token_address,
                r.tokens_checked,
                r.holders_checked,
                r.refs_checked,
                r.differences,
            )
            for r in rows.iterator(chunk_size=exports.CHUNK)
        ),
    )
    return exported or render(
        request,
        "registry/reconciliation.html",
        {"page": _page(request, rows), "query": _list_query(request)},
    )


@registry_view
def reconciliation_run(request: HttpRequest, run_id: int) -> HttpResponseBase:
    run = get_object_or_404(ReconciliationRun, pk=run_id, chain_id=settings.CHAIN_ID)
    rows = selectors.reconciliation_differences(run)
    tokens = selectors.tokens_by_address()
    exported = _export(
        request,
        f"reconciliation-{run.pk}",
        ["kind", "token", "subject", "database", "chain"],
        (
            (d.kind, d.token_address, d.subject, d.database_value, d.chain_value)
            for d in rows.iterator(chunk_size=exports.CHUNK)
        ),
    )
    return exported or render(
        request,
        "registry/reconciliation_run.html",
        {"run": run, "page": _page(request, rows), "query": _list_query(request), "tokens": tokens},
    )


@registry_view
def audit(request: HttpRequest) -> HttpResponseBase:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        raise _invalid(form)
    data = form.cleaned_data
    entries = selectors.audit_entries(
        action=data["action"], actor=data["actor"], object_type=data["object_type"]
    )
    exported = _export(
        request,
        "audit-log",
        AUDIT_HEADER,
        (
            (
                e.seq,
                e.created_at,
                e.actor_repr,
                e.action,
                e.object_type,
                e.object_id,
                e.object_repr,
                json.dumps(e.details, ensure_ascii=False),
                e.prev_hash,
                e.entry_hash,
            )
            for e in entries.iterator(chunk_size=exports.CHUNK)
        ),
    )
    if exported:
        return exported
    before = data.get("before")
    shown = list((entries.filter(seq__lt=before) if before else entries)[: PAGE + 1])
    return render(
        request,
        "registry/audit.html",
        {
            "form": form,
            "entries": shown[:PAGE],
            "next_before": shown[PAGE - 1].seq if len(shown) > PAGE else None,
            "query": _query_without(request, "before", "check"),
            "last_check": ChainCheck.objects.first(),
            "check_now": selectors.audit_check_now() if request.GET.get("check") else None,
        },
    )


@registry_view
def daily(request: HttpRequest) -> HttpResponseBase:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        raise _invalid(form)
    since, until = form.period()
    asset = form.cleaned_data.get("asset")
    token = asset.token_address if asset else ""
    rows = selectors.daily_volumes(since=since, until=until, token=token)
    tokens = selectors.tokens_by_address()
    exported = _export(
        request,
        "daily-summary",
        DAILY_HEADER,
        (
            (
                v.day,
                tokens[v.token_address].symbol if v.token_address in tokens else "",
                v.token_address,
                int(v.minted),
                int(v.burned),
                int(v.transferred),
                v.transfers,
            )
            for v in rows.iterator(chunk_size=exports.CHUNK)
        ),
    )
    if exported:
        return exported
    if asset is not None:
        # One asset: a row a day (at most one per day of the period).
        volumes = list(rows)
        chart = {
            "days": [v.day.isoformat() for v in volumes],
            "series": [
                {
                    "label": str(pgettext("volume", "Issued")),
                    "data": [_units(v.minted, asset) for v in volumes],
                },
                {"label": str(_("Redeemed")), "data": [_units(v.burned, asset) for v in volumes]},
                {
                    "label": str(_("Transferred")),
                    "data": [_units(v.transferred, asset) for v in volumes],
                },
            ],
        }
    else:
        # Every asset: its totals over the period (a row an asset, however long the period).
        volumes = list(selectors.period_totals(since=since, until=until))
        chart = _counts_chart(selectors.daily_transfer_counts(since=since, until=until))
    return render(
        request,
        "registry/daily.html",
        {
            "form": form,
            "asset": asset,
            "since": since,
            "until": until,
            # The chart shows the whole period; the table its latest days, newest first (the
            # export has them all).
            "volumes": volumes if asset is None else volumes[::-1][:TABLE_DAYS],
            "more_days": asset is not None and len(volumes) > TABLE_DAYS,
            "tokens": tokens,
            "chart": chart,
            "query": _query_without(request, "export"),
        },
    )


def _counts_chart(counts: list[tuple[str, int]]) -> dict[str, Any]:
    return {
        "days": [day for day, _count in counts],
        "series": [{"label": str(_("Transfers")), "data": [count for _day, count in counts]}],
    }


def _units(units: Any, application: Application) -> float:
    """A chart's value: the amount as a float (a picture needs no more precision)."""
    return float(int(units)) / 10**application.decimals


@registry_view
def monitoring(request: HttpRequest) -> HttpResponseBase:
    """Operations at or above a threshold, as the financial-monitoring report wants them."""
    if not request.GET:
        return render(request, "registry/monitoring.html", {"form": MonitoringForm()})
    form = MonitoringForm(request.GET)
    if not form.is_valid():
        raise _invalid(form)
    asset: Application = form.cleaned_data["asset"]
    rows = transfers.transfers_all(form.filters())
    if request.GET.get("export") == "xml":
        return exports.xml_response(
            "fm1",
            {
                "platform": "Qoima",
                "asset": asset.symbol,
                "token": asset.token_address,
                "threshold": str(form.cleaned_data["threshold"]),
                "generated": timezone.localtime().isoformat(),
            },
            _monitoring_xml_rows(rows, asset),
        )
    return exports.export_response(
        exports.export_format(request.GET.get("export", "csv")),
        f"financial-monitoring-{asset.symbol}",
        [*TRANSFER_HEADER, "amount_kzt"],
        ([*row, ""] for row in _transfer_rows(rows, {asset.token_address: asset})),
    )


def _monitoring_xml_rows(
    rows: Iterable[TokenTransfer], asset: Application
) -> Iterator[dict[str, str]]:
    for row in _transfer_rows(rows, {asset.token_address: asset}):
        values = dict(zip(TRANSFER_HEADER, row, strict=True))
        yield {
            "Date": str(values["time"] or ""),
            "Reference": str(values["reference"]),
            "TxHash": str(values["tx_hash"]),
            "PayerName": str(values["sender"]),
            "PayerIdNumber": str(values["sender_bin_iin"]),
            "PayerAddress": str(values["sender_address"]),
            "PayeeName": str(values["receiver"]),
            "PayeeIdNumber": str(values["receiver_bin_iin"]),
            "PayeeAddress": str(values["receiver_address"]),
            "Asset": asset.symbol,
            "Amount": str(values["amount"]).split(" ")[0],
            # Backed assets have no tenge price until they trade on the platform's exchange.
            "AmountKZT": "",
        }
