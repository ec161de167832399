"""API tokens: named, scoped and with a term; shown once and stored as a digest; listed with
their last use and revoked by their owner; a read-only token changes nothing."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qoima.accounts.models import ApiToken
from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry
from qoima.participants.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def issue(client: Client, name: str, scope: str = "read", days: int = 30):
    page = client.post(reverse("api-token"), {"name": name, "scope": scope, "days": days})
    match = re.search(r'data-testid="api-token-key">([^<]+)<', page.text)
    return page, match.group(1) if match else None


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def api(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")


def test_a_token_is_shown_once_and_only_its_digest_is_stored():
    holder = make_user(Role.HOLDER)
    client = signed_in(holder)
    _page, key = issue(client, "Portfolio sync", "write")
    assert len(key) == 64
    listing = client.get(reverse("api-token")).text
    assert key not in listing
    assert "Portfolio sync" in listing
    me = api(key).get(reverse("api-me"))
    assert me.status_code == 200
    assert me.json()["username"] == holder.username
    stored = ApiToken.objects.get(user=holder)
    assert key not in (stored.digest, stored.token_key)
    for leaked in (stored.digest, stored.token_key, stored.digest[:64]):
        assert api(leaked).get(reverse("api-me")).status_code == 401, leaked
    entry = AuditEntry.objects.get(action=AuditAction.USER_API_TOKEN_ISSUED)
    assert entry.details["name"] == "Portfolio sync"
    assert entry.details["scope"] == "write"


def test_several_tokens_each_revoked_on_its_own_and_the_list_shows_their_use():
    holder = make_user(Role.HOLDER)
    client = signed_in(holder)
    _page, first = issue(client, "Accounting export")
    _page, second = issue(client, "Phone app", "write", 7)
    assert api(first).get(reverse("api-me")).status_code == 200
    listing = client.get(reverse("api-token")).text.split('data-testid="api-tokens"')[1]
    assert "Accounting export" in listing
    assert "Phone app" in listing
    assert "read only" in listing
    assert "read and write" in listing
    used = ApiToken.objects.get(name="Accounting export")
    assert used.last_used_at is not None
    assert ApiToken.objects.get(name="Phone app").last_used_at is None
    assert ApiToken.objects.get(name="Phone app").expiry - timezone.now() < datetime.timedelta(
        days=8
    )

    done = client.post(reverse("api-token"), {"revoke": used.token_key}, follow=True)
    assert "The token is revoked: it no longer works." in done.text
    assert api(first).get(reverse("api-me")).status_code == 401
    assert api(second).get(reverse("api-me")).status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.USER_API_TOKEN_REVOKED).count() == 1
    # Another person's token cannot be named.
    stranger = signed_in(make_user(Role.HOLDER))
    refused = stranger.post(
        reverse("api-token"),
        {"revoke": ApiToken.objects.get(name="Phone app").token_key},
        follow=True,
    )
    assert "This token has already been revoked or has expired." in refused.text
    assert api(second).get(reverse("api-me")).status_code == 200


def test_a_read_only_token_reads_and_changes_nothing():
    holder = make_user(Role.HOLDER)
    _page, key = issue(signed_in(holder), "Reporting")
    assert api(key).get(reverse("api-me")).status_code == 200
    refused = api(key).post(
        "/api/v1/transfers/",
        {"asset": "0x" + "1" * 40, "to": "791028302728", "amount": "1"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This API token is read-only: it cannot change anything."


def test_an_expired_token_answers_401_and_the_list_says_so():
    holder = make_user(Role.HOLDER)
    client = signed_in(holder)
    _page, key = issue(client, "Old script")
    ApiToken.objects.update(expiry=timezone.now() - datetime.timedelta(days=1))
    listing = client.get(reverse("api-token")).text
    assert "expired on" in listing
    expired = api(key).get(reverse("api-me"))
    assert expired.status_code == 401
    assert expired["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": " ", "scope": "read", "days": 30}, "This field is required."),
        ({"name": "x", "scope": "admin", "days": 30}, "Select a valid choice."),
        ({"name": "x", "scope": "read", "days": 3650}, "Select a valid choice."),
    ],
)
def test_a_token_needs_a_name_a_known_scope_and_an_allowed_term(data, message):
    client = signed_in(make_user(Role.REGULATOR))
    page = client.post(reverse("api-token"), data)
    assert page.status_code == 400
    assert message in page.text
    assert not ApiToken.objects.exists()
