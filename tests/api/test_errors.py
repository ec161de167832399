"""Every error under /api/ answers JSON with a translated message; bad bodies are 4xx."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qoima.participants.models import Role
from tests.factories import make_user
from tests.issuance.conftest import issued_without_chain

pytestmark = pytest.mark.django_db

NOT_OBJECTS = ["null", "0", "1", "true", "false", "[]", '"file"', "[1, 2]"]


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_a_distribution_body_that_is_not_a_json_object_is_refused(world, body):
    application = issued_without_chain(world)
    response = api_for(world.issuer).post(
        reverse("api-distributions", args=[application.pk]),
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="d-1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == "The request body must be a JSON object."
    assert not application.distributions.exists()


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.HOLDER, reverse("api-transfers")),
        (Role.ISSUER_STAFF, reverse("api-applications")),
        (None, reverse("api-identification-check")),
    ],
)
@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_no_api_endpoint_takes_a_json_body_that_is_not_an_object(role, url, body):
    client = api_for(make_user(role)) if role else APIClient()
    response = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 400, response.content
    assert "detail" in response.json()


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_the_issuer_registration_takes_a_form_with_its_permit_document_not_json(body):
    # Registration carries the permit's document, so it is multipart only: JSON of any shape
    # is refused as a media type, with a JSON message, before anything is read from it.
    response = APIClient().post(
        reverse("api-issuer-register"), body, content_type="application/json"
    )
    assert response.status_code == 415, response.content
    assert "detail" in response.json()


def test_an_anonymous_api_call_is_401_with_the_token_challenge_in_the_readers_language():
    response = Client().get(reverse("api-transfers"), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Учетные данные не были предоставлены."}
    kazakh = Client().post(
        reverse("api-applications"),
        {},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="kk",
    )
    assert kazakh.status_code == 401
    assert kazakh.json()["detail"] == "Аутентификация деректері берілмеген."


def test_a_bad_token_is_401_too():
    response = Client().get(reverse("api-me"), HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_an_unknown_api_path_answers_json_404_and_pages_keep_html():
    response = Client().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
    page = Client().get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_a_request_django_refuses_before_the_api_answers_json_400():
    # More form fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: Django refuses it outside DRF.
    body = "&".join(f"f{i}=1" for i in range(1500))
    response = Client().post(
        reverse("api-identification-check"),
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "bad_request"


def test_a_server_error_under_api_answers_json(monkeypatch):
    from qoima.participants import api

    def broken(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(api.MeApi, "get", broken)
    client = Client(raise_request_exception=False)
    client.force_login(make_user(Role.REGULATOR))
    response = client.get(reverse("api-me"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Something went wrong on our side. Please try again later.",
        "code": "server_error",
    }


def test_a_3_mb_json_body_answers_json_413_under_the_api():
    body = json.dumps({"number": "x" * (3 * 1024 * 1024)})
    response = Client().post(
        reverse("api-identification-check"),
        body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request is too large: at most 1 MB are accepted here.",
        "code": "request_too_large",
    }


@pytest.mark.parametrize(("language", "message"), [("en", "not valid JSON"), ("ru", "JSON")])
def test_a_body_that_is_not_json_is_refused_in_the_readers_language(language, message):
    client = api_for(make_user(Role.HOLDER))
    response = client.post(
        reverse("api-transfers"),
        "{not json",
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert message in detail
    # Python's own English account of where the JSON broke is not passed on.
    assert "Expecting" not in detail
    assert "line 1" not in detail
