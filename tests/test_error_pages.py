"""The error pages a person may land on: each says what happened and offers a way back."""

import re

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from qoima.http import server_error
from qoima.participants.models import Role
from tests.factories import make_user
from tests.pages import visible_text


def way_back(html: str) -> str:
    """Where the page's own way back (not the navigation bar) leads."""
    link = re.search(r'<a [^>]*data-testid="way-back"[^>]*>', html)
    assert link is not None, "the page offers no way back"
    href = re.search(r'href="([^"]*)"', link.group(0))
    assert href is not None
    return href.group(1)


def test_the_server_error_page_stands_alone_in_the_readers_language():
    # No database marker: the page is rendered while the database may be what is broken.
    with translation.override("ru"):
        response = server_error(RequestFactory().get("/dashboard/"))
    text = visible_text(response.content.decode())
    assert response.status_code == 500
    assert "На нашей стороне произошла ошибка. Повторите попытку позже." in text
    assert way_back(response.content.decode()) == reverse("home")


@pytest.mark.django_db
def test_a_missing_page_leads_back_to_the_dashboard():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.HOLDER))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "There is no such page." in visible_text(response.content.decode())
    assert way_back(response.content.decode()) == reverse("dashboard")


@pytest.mark.django_db
def test_a_visitor_on_a_missing_page_is_led_to_log_in():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/no-such-page/")
    assert response.status_code == 404
    assert way_back(response.content.decode()) == reverse("login")


@pytest.mark.django_db
def test_a_page_of_another_role_says_so_and_leads_back():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.HOLDER))
    response = client.get(reverse("operations"))
    assert response.status_code == 403
    assert "Your role does not give access to this page." in visible_text(response.content.decode())
    assert way_back(response.content.decode()) == reverse("dashboard")
