"""Assets with their review and their token read live, cap tables, and documents."""

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render

from issuance.models import Application
from qoima.chain.client import get_web3

from .. import exports, holdings, selectors
from ..forms import AsOfForm
from ..parties import parties_for
from .common import (
    PAGE,
    columns,
    exported_list,
    fragment_or_page,
    list_query,
    page_of,
    query_without,
    refused,
    registry_view,
    username,
)

ASSET_COLUMNS = columns(
    id="pk",
    name="name",
    symbol="symbol",
    asset_class="asset_class",
    identifier="asset_identifier",
    issuer="organisation.legal_name",
    bin_iin="organisation.identification_number",
    status="status",
    backed_units=lambda a: int(a.backed_units),
    decimals="decimals",
    token_address="token_address",  # noqa: S106 - a column, not a secret
    approved_by=lambda a: username(a.approved_by),
    confirmed_by=lambda a: username(a.confirmed_by),
)
DOCUMENT_COLUMNS = columns(
    id="pk",
    asset="application.symbol",
    issuer="application.organisation.legal_name",
    kind="kind",
    number="number",
    dated_on="dated_on",
    sha256="sha256",
    size="size",
    uploaded_at="uploaded_at",
    superseded="superseded",
    last_check_ok="last_check_ok",
    last_check_at="last_check_at",
)
HOLDING_HEADER = ("address", "holder", "bin_iin", "units", "amount")


@registry_view
def assets(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.assets()
    return exported_list(request, "assets", ASSET_COLUMNS, rows) or render(
        request,
        "registry/assets.html",
        {"page": page_of(request, rows), "query": list_query(request)},
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
    return fragment_or_page(
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
        return refused(request, "registry/cap_table.html", form, application=application)
    block = form.cleaned_data.get("block")
    day = form.cleaned_data.get("date")
    if request.GET.get("export"):
        whole = holdings.cap_table(application.token_address, block=block, limit=None)
        return exports.export_response(
            exports.export_format(request.GET["export"]),
            f"holders-{application.symbol}",
            HOLDING_HEADER,
            _holding_rows(whole.rows, application),
        )
    number = form.cleaned_data.get("page") or 1
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
            "rows": [
                (row, parties[row.address], selectors.share_of(row.units, table.total_units))
                for row in table.rows
            ],
            "page_number": number,
            "has_next": number * PAGE < table.holders,
            "query": query_without(request, "page", "export"),
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


@registry_view
def documents(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.documents()
    return exported_list(request, "documents", DOCUMENT_COLUMNS, rows) or render(
        request,
        "registry/documents.html",
        {"page": page_of(request, rows), "query": list_query(request)},
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
    return fragment_or_page(
        request,
        "registry/_rehash.html",
        "registry/rehash.html",
        {"document": found, "result": selectors.document_rehash(found, w3=get_web3())},
    )
