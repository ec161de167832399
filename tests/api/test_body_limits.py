"""A request body over its view's limit is refused with 413 before it is read."""

import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.test import Client
from django.urls import reverse

from qoima.participants.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

GIB = 1024**3


class Unreadable:
    """A request body that must never be read."""

    read_calls = 0

    def read(self, *args):
        self.read_calls += 1
        raise AssertionError("the body was read")

    readline = read


class Chunks:
    """A body as a chunked upload delivers it: no Content-Length, ``total`` bytes in all."""

    def __init__(self, total: int, piece: bytes = b"x" * 65536) -> None:
        self.left, self.piece, self.given = total, piece, 0

    def read(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = (self.piece * (size // len(self.piece) + 1))[:size]
        self.left -= len(data)
        self.given += len(data)
        return data

    def readline(self, size=-1):
        return self.read(size)


def huge(client, url, body=b"", **extra):
    stream = Unreadable()
    response = client.generic(
        "POST",
        url,
        body,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(GIB),
        **{"wsgi.input": stream},
        **extra,
    )
    assert stream.read_calls == 0
    return response


def test_an_anonymous_login_post_of_a_gibibyte_is_refused_unread():
    response = huge(Client(), reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert "The request is too large: at most 1 MB are accepted here." in response.text


def test_a_gibibyte_document_upload_is_refused_unread_with_the_document_limit(settings, world):
    application = world.draft()
    client = Client()
    client.force_login(world.issuer)
    for url in (
        reverse("api-application-documents", args=[application.pk]),
        reverse("issuance-document", args=[application.pk]),
    ):
        response = huge(client, url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 413, url
        # 20 MB per document and 1 MB for the rest of the form.
        assert "at most 21 MB" in response.text
    assert (
        json.loads(
            huge(client, reverse("api-application-documents", args=[application.pk])).content
        )["code"]
        == "request_too_large"
    )
    assert not application.documents.exists()


def test_a_document_within_its_limit_is_not_refused_by_the_general_one(world):
    from tests.issuance.conftest import pdf

    application = world.draft()
    client = Client()
    client.force_login(world.issuer)
    response = client.post(
        reverse("api-application-documents", args=[application.pk]),
        {
            "kind": "other",
            "title": "Elevator licence",
            "file": pdf(extra=b"%" + b"0" * (2 * 1024 * 1024)),
        },
    )
    assert response.status_code == 201, response.content


def test_a_chunked_body_over_the_limit_is_cut_off_at_the_limit():
    body = Chunks(64 * 1024 * 1024)
    response = Client().generic(
        "POST",
        reverse("api-identification-check"),
        b"",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        HTTP_ACCEPT_LANGUAGE="en",
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert body.given <= 1024 * 1024 + 1


def test_a_chunked_body_within_the_limit_is_read():
    payload = json.dumps({"number": "940140000385"}).encode()

    class Small(Chunks):
        def read(self, size=-1):
            data, self.rest = self.rest[: size if size >= 0 else None], b""
            return data

    small = Small(0)
    small.rest = payload
    response = Client().generic(
        "POST",
        reverse("api-identification-check"),
        b"",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": small},
    )
    assert response.status_code == 200, response.content
    assert response.json()["number"] == "940140000385"


def _asgi(path: str, messages: list[dict], headers: list) -> list[dict]:
    from qoima.asgi import application

    async def run() -> list[dict]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("testserver", 80),
        }
        communicator = ApplicationCommunicator(application, scope)
        for message in messages:
            await communicator.send_input(message)
        start = await communicator.receive_output(5)
        body = await communicator.receive_output(5)
        await communicator.wait(5)
        return [start, body]

    return async_to_sync(run)()


def test_under_asgi_a_streamed_body_over_the_limit_is_refused_before_its_end():
    piece = b"x" * (512 * 1024)
    # Three chunks reach the limit; the fourth, and the end of the body, never have to come.
    messages = [{"type": "http.request", "body": piece, "more_body": True}] * 3
    start, body = _asgi(
        "/api/v1/identification-numbers/check/",
        messages,
        [(b"content-type", b"application/json"), (b"accept-language", b"en")],
    )
    assert start["status"] == 413
    assert json.loads(body["body"]) == {
        "detail": "The request is too large: at most 1 MB are accepted here.",
        "code": "request_too_large",
    }


def test_under_asgi_a_declared_length_over_the_limit_is_refused_unread():
    start, _body = _asgi(
        "/accounts/login/",
        [],
        [(b"content-type", b"multipart/form-data; boundary=x"), (b"content-length", b"%d" % GIB)],
    )
    assert start["status"] == 413


def test_the_api_token_view_and_other_forms_take_a_small_body(settings):
    client = Client()
    client.force_login(make_user(Role.HOLDER))
    response = client.post(
        reverse("api-token"), {"x": "y" * (2 * 1024 * 1024)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 413
