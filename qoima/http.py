"""Request bodies are bounded before they are read, and every error under /api/ answers JSON.

A body larger than its view accepts is refused with 413 from its Content-Length alone, before a
byte of it is read or spooled to disk: most views take small forms or JSON
(``REQUEST_BODY_MAX_BYTES``); the views named in ``REQUEST_BODY_UPLOAD_LIMITS`` take a file of
at most the named setting plus ``REQUEST_BODY_MULTIPART_OVERHEAD``. A body without a
Content-Length (chunked) is counted as it arrives and cut off at the limit.
"""

import io
import ipaddress
import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

API_PREFIX = "/api/"

TOO_LARGE = _("The request is too large: at most %(limit)s MB are accepted here.")
LENGTH_REQUIRED = _("The request must state the length of its body.")


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIX)


def body_limit(path: str) -> int:
    """The most bytes a request body to ``path`` may have."""
    try:
        name = resolve(path).url_name
    except Resolver404:
        name = None
    upload_setting = settings.REQUEST_BODY_UPLOAD_LIMITS.get(name or "")
    if upload_setting:
        return int(getattr(settings, upload_setting)) + settings.REQUEST_BODY_MULTIPART_OVERHEAD
    return int(settings.REQUEST_BODY_MAX_BYTES)


def _megabytes(limit: int) -> int:
    return max(1, limit // (1024 * 1024))


def _refusal(
    request: HttpRequest, *, status: int, message: str | Promise, code: str
) -> HttpResponse:
    """A translated refusal: JSON ``{detail, code}`` under /api/, a plain page elsewhere.

    Runs before the session, locale and user middleware: the reader's language comes from
    the request itself, and the page stands alone (the site's layout needs the user).
    """
    language = translation.get_language_from_request(request)
    with translation.override(language):
        if is_api(request.path_info):
            response: HttpResponse = JsonResponse(
                {"detail": str(message), "code": code}, status=status
            )
        else:
            response = HttpResponse(
                format_html(
                    '<!doctype html><html lang="{}"><meta charset="utf-8"><title>{}</title>'
                    '<h1>{}</h1><p role="alert">{}</p></html>',
                    language,
                    _("Request refused"),
                    _("Request refused"),
                    message,
                ),
                status=status,
            )
    return response


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    return _refusal(
        request,
        status=413,
        message=TOO_LARGE % {"limit": _megabytes(limit)},
        code="request_too_large",
    )


class _CappedStream:
    """A body stream that refuses to give more than ``limit`` bytes."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream, self.limit, self.read_so_far = stream, limit, 0

    def _count(self, data: bytes) -> bytes:
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise RequestBodyTooLarge(self.limit)
        return data

    def read(self, size: int = -1) -> bytes:
        return self._count(self.stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._count(self.stream.readline(size))


class RequestBodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class RequestBodyLimitMiddleware:
    """First in the chain: 413 for a declared length over the view's limit, unread."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit(request.path_info)
        declared = request.META.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if declared.strip():
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                return _refusal(
                    request, status=400, message=LENGTH_REQUIRED, code="bad_content_length"
                )
            if length > limit:
                return _too_large(request, limit)
        elif chunked and "wsgi.input" in request.META:
            # Django reads a WSGI body only as far as its Content-Length, so a chunked body
            # would silently count as empty; it is read here instead, up to the limit.
            stream = _CappedStream(request.META["wsgi.input"], limit)
            try:
                body = stream.read(limit + 1)
            except RequestBodyTooLarge:
                return _too_large(request, limit)
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = io.BytesIO(body)
        return self.get_response(request)


class JSONObjectParser(JSONParser):
    """JSON bodies of the API are objects: ``null``, ``0``, ``true``, ``[]`` are refused (400),
    and a body that is not JSON at all is said to be so in the reader's language.

    Views can then read ``request.data`` as a mapping, whatever a client sends.
    """

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except ParseError:
            # DRF's message carries Python's own English account of where the JSON broke.
            raise ParseError(_("The request body is not valid JSON.")) from None
        if not isinstance(data, dict):
            raise ParseError(_("The request body must be a JSON object."))
        return data


def _networks(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks(settings.TRUSTED_PROXIES))


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent the request, as the platform's own proxies saw it.

    X-Forwarded-For is written by whoever sends the request: only the entries appended by a
    proxy in TRUSTED_PROXIES count. From the connection's peer, the addresses are read right to
    left while each belongs to a trusted proxy; the first one that does not is the client. Without
    a trusted peer the header is ignored, so rotating it changes nothing. (Libraries such as
    ipware match the trusted list against addresses in the header itself, which the client can
    write.)
    """
    address = str(request.META.get("REMOTE_ADDR") or "")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        # A server on a unix socket gives none; nothing else is an address to store.
        return ""
    if not _trusted(address):
        return address
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            # A hop no proxy of ours would write: what lies left of it is the client's word.
            return address
        address = hop
        if not _trusted(hop):
            return hop
    return address


# ---------------------------------------------------------------------------------- ASGI

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Django's handler and servers type the ASGI callables each their own way.
ASGIApp = Any


class BodyLimitASGIMiddleware:
    """The same limits under ASGI, where Django reads the whole body before any middleware.

    The body is counted message by message and refused at the limit, so an oversized upload
    is never spooled; what passes is handed on to Django unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = body_limit(path)
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        language = _asgi_language(headers.get(b"accept-language", b"").decode("latin-1"))
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > limit:
            await _asgi_too_large(send, path, limit, language)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await _asgi_too_large(send, path, limit, language)
                return
            if not message.get("more_body", False):
                break
        pending = iter(messages)

        async def replay() -> Message:
            for message in pending:
                return message
            return await receive()

        await self.app(scope, replay, send)


def _asgi_language(accept: str) -> str:
    from django.utils.translation.trans_real import (
        get_supported_language_variant,
        parse_accept_lang_header,
    )

    for code, _quality in parse_accept_lang_header(accept):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


async def _asgi_too_large(send: Send, path: str, limit: int, language: str) -> None:
    with translation.override(language):
        message = str(TOO_LARGE % {"limit": _megabytes(limit)})
    if is_api(path):
        body = json.dumps({"detail": message, "code": "request_too_large"}).encode()
        content_type = b"application/json"
    else:
        body = message.encode()
        content_type = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# ------------------------------------------------------- error handlers (qoima/urls.py)


def _api_error(status: int, code: str, message: str | Promise) -> JsonResponse:
    return JsonResponse({"detail": str(message), "code": code}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request.path_info):
        return _api_error(400, "bad_request", _("The request could not be read."))
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request.path_info):
        return _api_error(403, "permission_denied", _("You are not allowed to do this."))
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request.path_info):
        return _api_error(404, "not_found", _("Not found."))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request.path_info):
        return _api_error(
            500, "server_error", _("Something went wrong on our side. Please try again later.")
        )
    return defaults.server_error(request)
