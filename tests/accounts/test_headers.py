"""The security headers every page carries."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/docs/", "/help/"])
def test_pages_allow_no_inline_script_and_no_other_origin(path):
    answer = Client().get(path)
    policy = directives(answer["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert answer["X-Frame-Options"] == "DENY"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Referrer-Policy"] == "same-origin"


def test_no_page_may_use_the_camera_or_location_and_passkeys_are_the_sites_own():
    header = Client().get(reverse("login"))["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in header
    assert "publickey-credentials-get=(self)" in header


def test_the_session_and_csrf_cookies_are_out_of_scripts_reach(client, django_user_model):
    answer = Client().get(reverse("login"))
    cookie = answer.cookies["csrftoken"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
