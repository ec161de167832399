"""Issuers, their permits, holders, and the compliance decisions about them."""

import json

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from qoima.audit.labels import action_label, audit_shown
from qoima.enforcement import selectors as enforcement

from .. import selectors
from ..forms import HolderSearchForm
from .common import (
    PAGE,
    Column,
    columns,
    exported_list,
    list_query,
    older_than,
    page_of,
    query_without,
    refused,
    registry_view,
    username,
)

ISSUER_COLUMNS = columns(
    id="pk",
    legal_name="legal_name",
    kind="kind",
    bin_iin="identification_number",
    address="registered_address",
    permits="permit_count",
    issued_assets="asset_count",
)
HOLDER_COLUMNS = columns(
    id="pk",
    name="full_name",
    kind="kind",
    iin_bin="identification_number",
    status="verification_status",
    verified_by=lambda h: username(h.verified_by),
    verified_at="verified_at",
    reason="status_reason",
)
DECISION_COLUMNS = columns(
    seq="seq",
    time="created_at",
    action="action",
    # The code for machines, and beside it what people read, in the reader's language.
    action_label=lambda e: str(action_label(e.action)),
    actor="actor_repr",
    object="object_repr",
    details=lambda e: json.dumps(e.details, ensure_ascii=False),
)


def permit_columns() -> list[Column]:
    today = timezone.localdate()
    return columns(
        number="number",
        authority="authority",
        issuer="organisation.legal_name",
        bin_iin="organisation.identification_number",
        issued_on="issued_on",
        expires_on="expires_on",
        status="status",
        verified_by=lambda p: username(p.verified_by),
        verified_at="verified_at",
        document_sha256="document_sha256",
        valid_today=lambda p: p.is_valid_on(today),
        status_reason="status_reason",
        document_ref="status_document_ref",
    )


@registry_view
def issuers(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.issuers()
    return exported_list(request, "issuers", ISSUER_COLUMNS, rows) or render(
        request,
        "registry/issuers.html",
        {"page": page_of(request, rows), "query": list_query(request)},
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
            "history": audit_shown(selectors.permits_history(permits)),
            "assets": selectors.assets().filter(organisation=organisation),
            "wallets": organisation.wallets.all(),
        },
    )


@registry_view
def permits(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.permits()
    today = timezone.localdate()
    download = exported_list(request, "permits", permit_columns(), rows)
    if download:
        return download
    page = page_of(request, rows)
    return render(
        request,
        "registry/permits.html",
        {
            "page": page,
            "rows": [(p, p.is_valid_on(today)) for p in page],
            "query": list_query(request),
        },
    )


@registry_view
def holders(request: HttpRequest) -> HttpResponseBase:
    form = HolderSearchForm(request.GET)
    if not form.is_valid():
        typed = request.GET.get("q", "").replace("\x00", "")[:100]
        return refused(request, "registry/holders.html", form, q=typed)
    query = form.cleaned_data["q"]
    rows = selectors.holders_matching(query)
    download = exported_list(request, "holders", HOLDER_COLUMNS, rows)
    if download:
        return download
    items, next_before = older_than(request, rows)
    return render(
        request,
        "registry/holders.html",
        {
            "holders": items,
            "next_before": next_before,
            "query": query_without(request, "before", "export"),
            "q": query,
        },
    )


@registry_view
def compliance(request: HttpRequest) -> HttpResponseBase:
    decisions = selectors.compliance_decisions()
    download = exported_list(request, "compliance-decisions", DECISION_COLUMNS, decisions)
    if download:
        return download
    page = page_of(request, decisions)
    page.object_list = audit_shown(page.object_list)
    return render(
        request,
        "registry/compliance.html",
        {
            "page": page,
            "query": list_query(request),
            "in_effect": enforcement.in_effect(),
            "acts": enforcement.with_proof(
                enforcement.with_tokens(list(enforcement.acts_for_officers()[:PAGE]))
            ),
        },
    )
