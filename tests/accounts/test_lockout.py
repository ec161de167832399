"""Sign-in lockouts (django-axes), read where people read them: the login page, the
administrator's lockouts page and the audit log."""

import pytest
from django.test import Client
from django.urls import reverse

from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry
from qoima.participants.models import Role
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

WRONG = "not-the-password-1"
LOCKED = "Signing in is locked after 3 failed attempts"


@pytest.fixture(autouse=True)
def _three_failures(settings):
    settings.AXES_FAILURE_LIMIT = 3


def client_from(address: str = "127.0.0.1", **extra):
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en", **extra)


def attempt(client: Client, username: str, password: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_the_right_password_after_the_limit_of_wrong_ones_is_refused_until_unlocked():
    officer = make_user(Role.COMPLIANCE_OFFICER)
    admin = make_user(Role.PLATFORM_ADMIN)
    client = client_from()
    for _ in range(2):
        page = attempt(client, officer.username, WRONG)
        assert page.status_code == 200
        assert "Please enter a correct username and password" in page.text
    locked = attempt(client, officer.username, WRONG)
    assert locked.status_code == 429
    assert LOCKED in locked.text
    assert locked["Retry-After"] == str(30 * 60)

    # The account is locked wherever the next attempt comes from, with the right password too.
    right = attempt(client_from("10.1.1.1"), officer.username, PASSWORD)
    assert right.status_code == 429
    assert LOCKED in right.text
    assert "_auth_user_id" not in right.client.session

    locked_entry = AuditEntry.objects.get(action=AuditAction.USER_LOGIN_LOCKED)
    assert locked_entry.object_id == str(officer.pk)
    assert locked_entry.details["failures"] == 3

    # The administrator sees the lock and lifts it; the audit log says who did.
    desk = client_from()
    desk.force_login(admin)
    listing = desk.get(reverse("account-lockouts"))
    assert officer.username in listing.text
    assert "127.0.0.1" in listing.text
    unlocked = desk.post(reverse("account-lockouts"), {"username": officer.username}, follow=True)
    assert "Unlocked: signing in is possible again." in unlocked.text
    assert officer.username not in unlocked.content.decode().split('data-testid="lockouts"')[1]
    entry = AuditEntry.objects.get(action=AuditAction.USER_LOGIN_UNLOCKED)
    assert entry.actor_id == admin.pk
    assert entry.object_id == str(officer.pk)

    signed_in = attempt(client_from(), officer.username, PASSWORD)
    assert signed_in.status_code == 302
    assert signed_in.client.session["_auth_user_id"] == str(officer.pk)


def test_an_address_trying_many_accounts_is_locked_out_of_all_of_them():
    users = [make_user(Role.HOLDER) for _ in range(4)]
    client = client_from("203.0.113.7")
    for user in users[:3]:
        attempt(client, user.username, WRONG)
    refused = attempt(client, users[3].username, PASSWORD)
    assert refused.status_code == 429
    assert LOCKED in refused.text
    # Another address is not locked, and the fourth account is not.
    assert attempt(client_from("203.0.113.8"), users[3].username, PASSWORD).status_code == 302
    # The administrator unlocks the address.
    desk = client_from()
    desk.force_login(make_user(Role.PLATFORM_ADMIN))
    assert "203.0.113.7" in desk.get(reverse("account-lockouts")).text
    desk.post(reverse("account-lockouts"), {"address": "203.0.113.7"})
    assert attempt(client, users[3].username, PASSWORD).status_code == 302


def test_rotating_x_forwarded_for_does_not_escape_the_lock_without_a_trusted_proxy():
    user = make_user(Role.REGULATOR)
    for n in range(3):
        attempt(client_from(), user.username, WRONG, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    again = attempt(
        client_from(),
        make_user(Role.HOLDER).username,
        PASSWORD,
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert again.status_code == 429


def test_behind_a_trusted_proxy_the_address_it_appends_counts_not_what_the_client_wrote(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    holders = [make_user(Role.HOLDER) for _ in range(4)]
    proxy = client_from("10.0.0.2")
    # The attacker writes a new address at the start of the header each time; the proxy
    # appends the one it saw.
    for n, holder in enumerate(holders[:3]):
        attempt(proxy, holder.username, WRONG, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.5")
    refused = attempt(
        proxy, holders[3].username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.77, 198.51.100.5"
    )
    assert refused.status_code == 429
    # Another client behind the same proxy is not locked out with the attacker.
    other = attempt(proxy, holders[3].username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.6")
    assert other.status_code == 302


def test_an_administrator_may_unlock_only_what_is_locked_and_others_may_not_unlock():
    admin = make_user(Role.PLATFORM_ADMIN)
    desk = client_from()
    desk.force_login(admin)
    nothing = desk.post(reverse("account-lockouts"), {"username": "nobody"})
    assert nothing.status_code == 404
    assert "Nothing is locked for this account or address." in nothing.text
    both = desk.post(reverse("account-lockouts"), {"username": "x", "address": "10.0.0.1"})
    assert both.status_code == 400
    officer = client_from()
    officer.force_login(make_user(Role.COMPLIANCE_OFFICER))
    assert officer.get(reverse("account-lockouts")).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.USER_LOGIN_UNLOCKED).exists()
