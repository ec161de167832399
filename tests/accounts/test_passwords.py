"""The password policy, the owner's change of it, and a reset by e-mail that ends every
session and revokes every API token."""

import io
import re
import sys

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qoima.accounts.models import ApiToken
from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry
from qoima.participants.models import Role, User
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NEW = "a river of quiet lanterns"


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert (
        client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code
        == 302
    )
    return client


@pytest.mark.parametrize(
    ("role", "password", "refusal"),
    [
        (Role.COMPLIANCE_OFFICER, "eleven-char", "at least 12 characters"),
        (Role.PLATFORM_ADMIN, "password1234", "This password is too common."),
        (Role.TREASURY_OFFICER, "202612062026", "This password is entirely numeric."),
    ],
)
def test_staff_passwords_are_long_and_not_common(role, password, refusal, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    with pytest.raises(CommandError) as error:
        call_command(
            "createstaff",
            "--username=officer-x",
            "--email=x@qoima.kz",
            f"--role={role.value}",
            "--password-stdin",
        )
    assert refusal in str(error.value)
    assert not User.objects.filter(username="officer-x").exists()


def test_a_participant_needs_ten_characters_and_a_staff_member_twelve():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.post(
        reverse("register-holder"),
        {
            "kind": "individual",
            "full_name": "Holder",
            "identification_number": "791028302728",
            "username": "short-pass",
            "email": "h@example.kz",
            "password": "nine-char",
        },
    )
    assert page.status_code == 400
    assert "at least 10 characters" in page.text


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one():
    holder = make_user(Role.HOLDER)
    here, elsewhere = signed_in(holder), signed_in(holder)
    form = here.get(reverse("password-change"))
    assert "Your other sessions end when the password changes" in form.text
    done = here.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert "Your password is changed; your other sessions have ended." in done.text
    assert here.get(reverse("account-security")).status_code == 200
    assert elsewhere.get(reverse("account-security")).status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.USER_PASSWORD_CHANGED)
    assert entry.details == {"sessions_ended": 1}


def test_a_reset_by_email_signs_out_every_session_and_revokes_every_token():
    holder = make_user(Role.HOLDER, email="aliya@example.kz")
    session = signed_in(holder)
    token = session.post(
        reverse("api-token"), {"name": "Script", "scope": "read", "days": 30}
    ).context["key"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").status_code == 200

    stranger = Client(HTTP_ACCEPT_LANGUAGE="en")
    sent = stranger.post(reverse("password-reset"), {"email": "aliya@example.kz"}, follow=True)
    assert "If the address belongs to an account, a link to set a new password" in sent.text
    # The same answer for an address nobody has: the page does not tell who is registered.
    unknown = stranger.post(reverse("password-reset"), {"email": "nobody@example.kz"}, follow=True)
    assert "If the address belongs to an account" in unknown.text
    assert len(mail.outbox) == 1
    letter = mail.outbox[0]
    assert letter.to == ["aliya@example.kz"]
    assert "revokes its API tokens" in letter.body
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", letter.body).group(1)

    form = stranger.get(link, follow=True)
    assert "Every session of the account is signed out" in form.text
    weak = stranger.post(
        form.redirect_chain[-1][0], {"new_password1": "short", "new_password2": "short"}
    )
    assert "at least 10 characters" in weak.text
    done = stranger.post(
        form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True
    )
    assert (
        "Every session of the account has been signed out and its API tokens revoked." in done.text
    )

    assert session.get(reverse("account-security")).status_code == 302
    answer = api.get("/api/v1/me/")
    assert answer.status_code == 401
    assert not ApiToken.objects.filter(user=holder).exists()
    entry = AuditEntry.objects.get(action=AuditAction.USER_PASSWORD_RESET)
    assert entry.details == {"sessions_ended": 1, "tokens_revoked": 1}

    # The link works once.
    again = stranger.get(link, follow=True)
    assert "This link is not valid" in again.text
    assert (
        Client().post(reverse("login"), {"username": holder.username, "password": NEW}).status_code
        == 302
    )
