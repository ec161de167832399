"""Confirming a mint needs the officer to have proved both factors in the last few minutes:
an open session alone does not move property, and an API token never does."""

from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from issuance.models import Application
from qoima.accounts.models import ApiToken
from tests.factories import PASSWORD
from tests.second_factor import app_code, app_of, proved_minutes_ago

pytestmark = pytest.mark.django_db


def left_open(user, minutes: int) -> Client:
    """An officer's browser whose last proof of both factors was ``minutes`` ago."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    proved_minutes_ago(client, minutes)
    return client


def test_a_mint_is_confirmed_only_by_an_officer_who_proved_both_factors_just_now(world):
    application = world.approved()
    detail = reverse("issuance-detail", args=[application.pk])
    confirm = reverse("issuance-confirm", args=[application.pk])
    officer = left_open(world.officer_b, minutes=6)

    asked = officer.post(confirm, {"note": ""}, HTTP_REFERER=f"http://testserver{detail}")
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("two-factor-confirm"))
    assert unquote(asked["Location"]).endswith(f"next=http://testserver{detail}")
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED

    page = officer.get(asked["Location"])
    assert "This act needs you to confirm it is you" in page.text
    wrong = officer.post(asked["Location"], {"password": "not-mine-at-all", "code": "123456"})
    assert wrong.status_code == 400
    assert "This is not your password." in wrong.text
    no_code = officer.post(asked["Location"], {"password": PASSWORD, "code": ""})
    assert no_code.status_code == 400
    code = app_code(app_of(world.officer_b))
    back = officer.post(asked["Location"], {"password": PASSWORD, "code": code})
    assert back.status_code == 302
    assert back["Location"] == f"http://testserver{detail}"

    done = officer.post(confirm, {"note": ""}, follow=True)
    assert "Confirmed. The token is being issued and minted." in done.text
    application.refresh_from_db()
    assert application.status != Application.Status.APPROVED


def test_an_api_token_cannot_confirm_a_mint_and_a_fresh_session_can(world):
    application = world.approved()
    url = reverse("api-application-confirm", args=[application.pk])
    _token, key = ApiToken.objects.create(
        user=world.officer_b, name="Review tool", scope=ApiToken.Scope.WRITE
    )
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    refused = api.post(url, {}, format="json")
    assert refused.status_code == 403
    assert "an API token cannot carry it out" in refused.json()["detail"]
    stale = left_open(world.officer_b, minutes=6).post(url, {}, content_type="application/json")
    assert stale.status_code == 403
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    fresh = left_open(world.officer_b, minutes=0).post(url, {}, content_type="application/json")
    assert fresh.status_code == 200
