"""Exports that stream: rows are written as they are read, a chunk at a time, so a million rows
take the memory of one chunk. CSV (with a byte-order mark, so spreadsheet programs read the
Cyrillic right), JSON (one array) and, for financial monitoring, XML.

An export never ends early looking complete. The first chunk is read before the response
starts, so whatever fails on reading (a query, a bad filter) fails with its own status and
message. A failure after the first byte is logged, written at the end of the file as a marker
no reader can take for data (CSV: a last line saying the export failed; JSON and XML: an error
element after a document left unclosed, so no parser accepts it), and the connection is then
aborted, so the download itself is reported as failed.
"""

import csv
import io
import itertools
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from xml.sax.saxutils import XMLGenerator, escape
from xml.sax.xmlreader import AttributesImpl

import orjson
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qoima.errors import InvalidInput

FORMATS = ("csv", "json")
CHUNK = 2000
logger = logging.getLogger(__name__)
FAILED = _("EXPORT FAILED: the file is incomplete; download it again.")


class _Line:
    """A file-like object that hands back what is written to it, for csv.writer."""

    def write(self, value: str) -> str:
        return value


# Text a spreadsheet program would run as a formula when the file is opened (OWASP's "CSV
# injection"): such a cell is written with a leading apostrophe, which shows it as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    writer = csv.writer(_Line())
    yield "\ufeff".encode()
    yield writer.writerow(header).encode()
    for chunk in chunked(rows, CHUNK):
        yield "".join(writer.writerow([_cell(v) for v in row]) for row in chunk).encode()


def _json(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    yield b"["
    first = True
    for chunk in chunked(rows, CHUNK):
        parts = [orjson.dumps(dict(zip(header, row, strict=True)), default=str) for row in chunk]
        yield (b"" if first else b",") + b",".join(parts)
        first = False
    yield b"]"


# The failure markers are made when the response is (in the reader's language), not when the
# body fails, long after the view returned.


def _csv_failed() -> bytes:
    return csv.writer(_Line()).writerow([f"### {FAILED} ###"]).encode()


def _json_failed() -> bytes:
    # After an array left open: invalid JSON for every parser, and the reason for a person.
    return b"\n" + orjson.dumps({"error": "export_failed", "detail": str(FAILED)}) + b"\n"


def _xml_failed() -> bytes:
    # Inside a root element left open: not a well-formed document.
    return f"\n<ExportFailed>{escape(str(FAILED))}</ExportFailed>\n".encode()


class ExportAborted(Exception):
    """An export failed after its first byte; raised to abort the connection."""


def _guarded(name: str, body: Iterator[bytes], marker: bytes) -> Iterator[bytes]:
    """The body, or as much of it as was written and then the failure marker."""
    try:
        yield from body
    except Exception as error:
        logger.exception("The export %s failed after its first byte", name)
        yield marker
        raise ExportAborted(name) from error


def primed(rows: Iterable[Any]) -> Iterator[Any]:
    """The rows, the first chunk of them read now: a failure to read them is the view's, before
    the response starts, not a file cut short."""
    iterator = iter(rows)
    first = list(itertools.islice(iterator, CHUNK))
    return itertools.chain(first, iterator)


def chunked(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def tenge_plain(tiyn: Any) -> str:
    """Tenge for programs reading an export: a plain decimal with two places and no grouping
    (``1234.50``); blank when there is no amount."""
    if tiyn is None or tiyn == "":
        return ""
    sign, value = ("-" if int(tiyn) < 0 else ""), abs(int(tiyn))
    return f"{sign}{value // 100}.{value % 100:02d}"


def export_format(requested: str) -> str:
    if requested not in FORMATS:
        raise InvalidInput(_("Choose an export format: csv or json."), field="export")
    return requested


def export_response(
    fmt: str, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A download of the rows in ``fmt``, streamed; ``name`` is the file name's stem."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    rows = primed(rows)
    if fmt == "json":
        body = _guarded(name, _json(header, rows), _json_failed())
        response = StreamingHttpResponse(body, content_type="application/json")
    else:
        body = _guarded(name, _csv(header, rows), _csv_failed())
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="qoima-{name}-{stamp}.{fmt}"'
    return response


def _xml(report: dict[str, str], rows: Iterable[dict[str, str]]) -> Iterator[bytes]:
    sink = io.BytesIO()

    def flush() -> bytes:
        written = sink.getvalue()
        sink.seek(0)
        sink.truncate()
        return written

    xml = XMLGenerator(sink, encoding="utf-8", short_empty_elements=True)
    none: AttributesImpl[str] = AttributesImpl({})
    xml.startDocument()
    xml.startElement("FM1Report", AttributesImpl(report))
    for chunk in chunked(rows, CHUNK):
        for row in chunk:
            xml.startElement("Operation", none)
            for key, value in row.items():
                xml.startElement(key, none)
                xml.characters(value)
                xml.endElement(key)
            xml.endElement("Operation")
        yield flush()
    xml.endElement("FM1Report")
    xml.endDocument()
    yield flush()


def xml_response(
    name: str, report: dict[str, str], rows: Iterable[dict[str, str]]
) -> StreamingHttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    body = _guarded(name, _xml(report, primed(rows)), _xml_failed())
    response = StreamingHttpResponse(body, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="qoima-{name}-{stamp}.xml"'
    return response
