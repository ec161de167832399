"""Sessions: their lifetime by role, one's list of them, and signing one out."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from qoima.accounts.models import AccountSession
from qoima.accounts.sessions import SEEN, STARTED
from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry
from qoima.participants.models import Role
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def signed_in(user, *, address: str = "127.0.0.1", agent: str = "Test browser") -> Client:
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en", HTTP_USER_AGENT=agent)
    answer = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def aged(client: Client, *, idle: float = 0, since_login: float = 0) -> None:
    """Moves the session's stamps back, as if that much time had passed."""
    session = client.session
    session[SEEN] = session[SEEN] - idle
    session[STARTED] = session[STARTED] - since_login
    session.save()


@pytest.mark.parametrize(
    ("role", "minutes"),
    [(Role.COMPLIANCE_OFFICER, 15), (Role.TREASURY_OFFICER, 15), (Role.HOLDER, 30)],
)
def test_an_idle_session_ends_after_its_roles_limit_and_the_login_page_says_why(role, minutes):
    user = make_user(role)
    client = signed_in(user)
    aged(client, idle=minutes * 60 - 30)
    assert client.get(reverse("dashboard"), follow=True).redirect_chain[-1][0] != reverse("login")
    aged(client, idle=minutes * 60 + 1)
    page = client.get(reverse("dashboard"), follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("login"))
    assert (
        f"Your session ended after {minutes} minutes without activity. Please log in again."
        in page.text
    )
    assert not AccountSession.objects.filter(user=user).exists()


def test_a_busy_session_still_ends_at_its_absolute_lifetime():
    officer = make_user(Role.REGULATOR)
    client = signed_in(officer)
    aged(client, since_login=10 * 3600 + 1)
    page = client.get(reverse("dashboard"), follow=True)
    assert "Your session ended 10 hours after you logged in." in page.text


def test_live_updates_of_an_open_page_do_not_keep_a_session_alive():
    officer = make_user(Role.COMPLIANCE_OFFICER)
    client = signed_in(officer)
    aged(client, idle=14 * 60)
    client.get(reverse("dashboard"), HTTP_HX_REQUEST="true")
    aged(client, idle=2 * 60)
    page = client.get(reverse("dashboard"), follow=True)
    assert "without activity" in page.text


def test_the_list_of_sessions_shows_each_and_signs_another_out():
    holder = make_user(Role.HOLDER)
    laptop = signed_in(holder, address="192.0.2.10", agent=WINDOWS_CHROME)
    phone = signed_in(holder, address="192.0.2.20", agent=IPHONE_SAFARI)
    page = laptop.get(reverse("account-security"))
    listing = page.text.split('data-testid="sessions"')[1]
    for shown in ("192.0.2.10", "192.0.2.20", "Chrome 131 · Windows", "Mobile Safari 17 · iOS"):
        assert shown in listing
    assert "This session" in listing

    key = phone.session.session_key
    done = laptop.post(reverse("account-session-end"), {"session": key}, follow=True)
    assert "That session is signed out." in done.text
    assert "Mobile Safari" not in done.text.split('data-testid="sessions"')[1]
    assert phone.get(reverse("dashboard")).status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.USER_SESSION_ENDED).count() == 1

    # Another person's session cannot be named.
    stranger = signed_in(make_user(Role.HOLDER))
    refused = stranger.post(
        reverse("account-session-end"), {"session": laptop.session.session_key}, follow=True
    )
    assert "This session has already ended." in refused.text
    assert laptop.get(reverse("account-security")).status_code == 200


def test_signing_out_every_other_session():
    holder = make_user(Role.HOLDER)
    clients = [signed_in(holder, agent=f"Browser {n}") for n in range(3)]
    done = clients[0].post(reverse("account-session-end"), {"all_others": "1"}, follow=True)
    assert "Signed out of 2 other sessions." in done.text
    assert [c.get(reverse("account-security")).status_code for c in clients] == [200, 302, 302]


def test_a_session_stamped_long_ago_by_an_older_release_is_stamped_anew():
    holder = make_user(Role.HOLDER)
    client = Client()
    client.force_login(holder)
    assert client.get(reverse("account-security")).status_code == 200
    stamps = client.session
    assert abs(stamps[STARTED] - time.time()) < 60


@pytest.mark.parametrize("peer", ["", "/run/qoima/web.sock"])
def test_a_connection_without_an_address_signs_in_and_lists_its_session_without_one(peer):
    """A server on a unix socket names no client address: nothing else is stored as one."""
    holder = make_user(Role.HOLDER)
    client = Client(REMOTE_ADDR=peer, HTTP_ACCEPT_LANGUAGE="en")
    answer = client.post(reverse("login"), {"username": holder.username, "password": PASSWORD})
    assert answer.status_code == 302
    assert client.get(reverse("account-security")).status_code == 200
    assert AccountSession.objects.get(user=holder).address is None
