"""Rates of requests, counted in the shared cache (Redis in production) so that every web
process counts together; a request over its rate is refused with 429 and ``Retry-After``.

Each scope's rate is in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``: DRF's throttles count the
API, ``throttle_check`` counts pages with the same keys, so a form and its API share a count.
A signed-in caller is counted per account, anyone else per client address
(``qoima.http.client_address``, which believes X-Forwarded-For only from trusted proxies).
"""

import functools
import math
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from qoima.errors import TooManyRequests
from qoima.http import client_address, is_api

# Paths a load balancer or a monitor asks without signing in, as often as it likes.
UNCOUNTED = ("/health/", "/healthz", "/static/")


class Throttle(SimpleRateThrottle):
    """A rate of one scope, per account when signed in, per client address otherwise."""

    scope: str

    def get_rate(self) -> str | None:
        # Read per request, not at import, so the rate follows the settings in force.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return str(rate) if rate else None

    def get_ident(self, request: Any) -> str:
        return client_address(request)

    def get_cache_key(self, request: Any, view: Any) -> str:
        user = getattr(request, "user", None)
        ident = f"user-{user.pk}" if user is not None and user.is_authenticated else None
        return self.cache_format % {"scope": self.scope, "ident": ident or self.get_ident(request)}


class AnonymousThrottle(Throttle):
    """The API's default: callers not signed in (no valid token), per client address."""

    scope = "anon"

    def get_cache_key(self, request: Any, view: Any) -> str:
        if request.user is not None and request.user.is_authenticated:
            # DRF's convention: no key, no count.
            return None  # type: ignore[return-value]
        return super().get_cache_key(request, view)


@functools.cache
def throttle(scope: str) -> type[Throttle]:
    """The throttle class of ``scope``, for an API view's ``throttle_classes``."""
    return type(f"Throttle_{scope}", (Throttle,), {"scope": scope})


def throttle_check(request: HttpRequest, scope: str) -> None:
    """Count a page's request of ``scope``; raise ``TooManyRequests`` (429, Retry-After) over
    the rate."""
    counter = throttle(scope)()
    if not counter.allow_request(request, None):  # type: ignore[arg-type]
        wait = counter.wait()
        retry_after = max(1, math.ceil(wait)) if wait else 1
        # Whichever way the page shows the refusal, ThrottleMiddleware adds the header.
        request.retry_after = retry_after  # type: ignore[attr-defined]
        raise TooManyRequests(retry_after=retry_after)


class ThrottleMiddleware:
    """Every page request of someone not signed in counts against the address's "anon" rate:
    the login, registration and reset pages and document checks alike (the API counts its own,
    after reading a token: ``AnonymousThrottle``). A page refused over any rate gets its
    Retry-After here, however its view showed the refusal."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        anonymous = user is None or not user.is_authenticated
        if anonymous and not is_api(request.path) and not request.path.startswith(UNCOUNTED):
            try:
                throttle_check(request, "anon")
            except TooManyRequests as error:
                return too_many(request, error)
        response = self.get_response(request)
        retry_after = getattr(request, "retry_after", None)
        if response.status_code == 429 and retry_after and not response.has_header("Retry-After"):
            response["Retry-After"] = str(retry_after)
        return response


def too_many(request: HttpRequest, error: TooManyRequests) -> HttpResponse:
    response = render(request, "error.html", {"message": error.message}, status=429)
    response["Retry-After"] = str(error.retry_after or 1)
    return response
