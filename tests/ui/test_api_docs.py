"""The API reference: Swagger UI from the platform's own static files, no CDN, no inline script."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from qoima.participants.models import Role
from tests.factories import make_user


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []
        self.urls: list[str] = []
        self.schema_url: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts.append(values.get("src"))
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append(values[name] or "")
        if values.get("id") == "swagger-ui":
            self.schema_url = values.get("data-schema-url")


def resources(html: str) -> _Resources:
    parser = _Resources()
    parser.feed(html)
    return parser


@pytest.mark.django_db
@pytest.mark.parametrize("logged_in", [False, True])
def test_the_reference_loads_swagger_ui_from_the_platform_only(logged_in):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if logged_in:
        client.force_login(make_user(Role.REGULATOR))

    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    found = resources(html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in found.scripts
    assert "/static/ui/api-docs.js" in found.scripts
    assert "/static/vendor/swagger-ui/swagger-ui.css" in found.urls
    assert None not in found.scripts, "an inline script"
    assert re.findall(r"(?:https?:)?//[\w.-]+", html) == []
    assert found.schema_url == "/api/schema/"


@pytest.mark.django_db
def test_what_the_reference_loads_is_served():
    client = Client()
    html = client.get("/api/docs/").content.decode()
    found = resources(html)
    static = [url for url in found.urls if url.startswith("/static/")]
    assert len(static) >= 4

    for url in static:
        response = client.get(url)
        assert response.status_code == 200, url
        b"".join(response.streaming_content)
    bundle = client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in b"".join(bundle.streaming_content)
    schema = client.get(found.schema_url or "")
    assert schema.status_code == 200
    assert b"openapi:" in schema.content
