"""One family of application errors, mapped to HTTP 4xx in one place.

Services raise these with a translated message; views and the API never decide status codes
for business failures themselves.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.response import Response


class ApplicationError(Exception):
    status_code = 400
    default_message: str | Promise = _("The request could not be carried out.")

    def __init__(
        self, message: str | Promise | None = None, *, field: str | None = None, code: str = ""
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.field = field
        self.code = code or type(self).__name__
        super().__init__(str(self.message))


class InvalidInput(ApplicationError):
    status_code = 400


class NotAllowed(ApplicationError):
    status_code = 403
    default_message = _("You are not allowed to do this.")


class NotFound(ApplicationError):
    status_code = 404
    default_message = _("Not found.")


class TooManyRequests(ApplicationError):
    status_code = 429
    default_message = _("Too many requests; please try again in a minute.")

    def __init__(
        self, message: str | Promise | None = None, *, retry_after: int | None = None
    ) -> None:
        super().__init__(message, code="throttled")
        # Seconds until the rate allows another request (Retry-After).
        self.retry_after = retry_after


class Conflict(ApplicationError):
    """The object is not in a state that allows the action (e.g. already verified)."""

    status_code = 409


def _error_payload(exc: ApplicationError) -> dict[str, Any]:
    payload: dict[str, Any] = {"detail": str(exc.message), "code": exc.code}
    if exc.field:
        payload["field"] = exc.field
    return payload


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Imported here: DRF's views read the throttle classes (qoima.throttling) on import, and
    # those raise this module's errors.
    from rest_framework.views import exception_handler

    if isinstance(exc, ApplicationError):
        return Response(_error_payload(exc), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)


class ApplicationErrorMiddleware:
    """Renders an ApplicationError raised by a page view as a translated error page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ApplicationError):
            return render(
                request, "error.html", {"message": exception.message}, status=exception.status_code
            )
        return None


# --- The error answers in the OpenAPI schema --------------------------------------------------

_ERROR_ANSWERS = {
    "400": "Bad input: nothing was changed.",
    "401": "No valid credentials (see WWW-Authenticate).",
    "403": "The caller's role may not do this.",
    "404": "No such object, or not one the caller may see.",
    "405": "The method is not allowed here.",
    "409": "The object is not in a state that allows this.",
    "413": "The request body is larger than this endpoint accepts.",
    "415": "The request body's media type is not accepted here.",
    "429": "Too many requests: try again later (see Retry-After).",
}

# ``{detail, code, field?}`` (ApplicationError, middleware and handlers); DRF's own validation
# answers give the messages per field, its other errors ``{detail}``.
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": "What went wrong, in the reader's language.",
        },
        "code": {"type": "string", "description": "A stable code for programs."},
        "field": {"type": "string", "description": "The input field at fault, if one is."},
    },
    "additionalProperties": True,
}


def document_error_responses(result: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """drf-spectacular hook: every operation documents the platform's error answers."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in _ERROR_ANSWERS.items():
                responses.setdefault(code, {"description": description, "content": error})
    return result
