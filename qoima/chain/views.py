from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from qoima.health import health_rows, platform_health
from qoima.participants.access import role_required
from qoima.participants.models import Role

from . import selectors


@role_required(Role.PLATFORM_ADMIN, Role.COMPLIANCE_OFFICER)
def operations(request: HttpRequest) -> HttpResponse:
    """The chain's queues, keys, indexer and last reconciliation, read-only, for staff."""
    # The page polls itself; a poll gets only its section, so it neither re-renders the
    # layout nor consumes flash messages meant for the next full page.
    polled = request.headers.get("HX-Request") == "true"
    response = render(
        request,
        "chain/_operations.html" if polled else "chain/operations.html",
        {
            "overview": selectors.operations_overview(),
            "tokens": selectors.platform_tokens(),
            "health": health_rows(platform_health()),
        },
    )
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response
