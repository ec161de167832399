"""What every registry page shares: who may open it, how long lists page, how lists export."""

from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from qoima.errors import InvalidInput
from qoima.participants.access import role_required
from qoima.participants.models import Role

from .. import exports

PAGE = 50
View = Callable[..., HttpResponseBase]
# An export column: its machine-readable name (the files are read by programs) and how a row
# gives its value.
Column = tuple[str, Callable[[Any], Any]]


def registry_view(view: View) -> View:
    """Regulators only (others 403, anonymous users to the login page), and only reads."""
    return role_required(Role.REGULATOR)(require_safe(view))


def columns(**spec: str | Callable[[Any], Any]) -> list[Column]:
    """Export columns by name, each an attribute path ("organisation.legal_name") or a
    function of the row, in the order given."""
    return [
        (label, attrgetter(how) if isinstance(how, str) else how) for label, how in spec.items()
    ]


def _whole(text: str, below: int) -> int | None:
    """A whole number from 1 up to ``below`` written in ASCII digits, else None (``str.isdigit``
    also takes "²" and thousands of digits, which ``int`` refuses)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(below)):
        return None
    number = int(text)
    return number if 0 < number < below else None


def page_of(request: HttpRequest, rows: QuerySet[Any] | Sequence[Any]) -> Page[Any]:
    """A numbered page, for lists that stay short (issuers, assets, documents, runs); a page
    past the last shows the last."""
    number = _whole(request.GET.get("page", "1"), 2**63)
    if number is None:
        raise InvalidInput(_("The page number must be a positive whole number."), field="page")
    return Paginator(rows, PAGE).get_page(number)


def older_than(request: HttpRequest, rows: QuerySet[Any]) -> tuple[list[Any], int | None]:
    """A page of a long list, newest first, keyed by id rather than numbered: the thousandth
    page costs what the first does. Returns the rows and the id to ask the next page with."""
    text = request.GET.get("before", "")
    before = _whole(text, 2**63) if text else None
    if text and before is None:
        raise InvalidInput(_("The page position must be a positive whole number."), field="before")
    if before is not None:
        rows = rows.filter(pk__lt=before)
    found = list(rows.order_by("-pk")[: PAGE + 1])
    return found[:PAGE], (found[PAGE - 1].pk if len(found) > PAGE else None)


def refused(request: HttpRequest, template: str, form: Any, **context: Any) -> HttpResponse:
    """The search page again, as a 400: what was typed, each field's error beside it, and no
    results (nor a download) until it is corrected."""
    return render(request, template, {"form": form, "refused": True, **context}, status=400)


def exported(
    request: HttpRequest, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponseBase | None:
    """The rows as a download when the request asks for ``?export=csv`` or ``json``."""
    requested = request.GET.get("export")
    if not requested:
        return None
    return exports.export_response(exports.export_format(requested), name, header, rows)


def exported_list(
    request: HttpRequest, name: str, spec: list[Column], rows: QuerySet[Any]
) -> HttpResponseBase | None:
    """A whole list as a download, read a chunk at a time."""
    return exported(
        request,
        name,
        [label for label, _get in spec],
        ([get(row) for _label, get in spec] for row in rows.iterator(chunk_size=exports.CHUNK)),
    )


def query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def list_query(request: HttpRequest) -> str:
    """The list's filters, for its page and export links."""
    return query_without(request, "page", "before", "export")


def fragment_or_page(
    request: HttpRequest, fragment: str, page: str, context: dict[str, Any]
) -> HttpResponse:
    """A live check answers an htmx request with its section, anything else with a page."""
    polled = request.headers.get("HX-Request") == "true"
    response = render(request, fragment if polled else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def username(user: Any) -> str:
    return user.get_username() if user is not None else ""
