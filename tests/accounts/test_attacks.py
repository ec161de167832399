"""The attacks that were tried by hand against accounts and access, each run here and each
refused: brute force, rotation of X-Forwarded-For, token theft outliving a password reset,
oversized bodies, and privilege escalation through the admin and the staff pages."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qoima.audit.models import AuditEntry
from qoima.participants.models import Role, User
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def attempt(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_two_hundred_wrong_passwords_then_the_right_one_is_refused(throttle_rate):
    """The case that started this: an officer's password guessed 200 times, then found."""
    throttle_rate("10000/minute", scope="login")
    officer = make_user(Role.COMPLIANCE_OFFICER)
    attacker = Client(HTTP_ACCEPT_LANGUAGE="en")
    answers = [
        attempt(attacker, officer.username, f"guess-{n:04d}").status_code for n in range(200)
    ]
    assert answers[:4] == [200] * 4
    assert set(answers[4:]) == {429}
    found = attempt(attacker, officer.username, PASSWORD)
    assert found.status_code == 429
    assert "_auth_user_id" not in attacker.session
    # From elsewhere too: it is the account that is locked.
    assert attempt(Client(REMOTE_ADDR="192.0.2.50"), officer.username, PASSWORD).status_code == 429


def test_rotating_x_forwarded_for_neither_resets_the_lockout_nor_the_rate(throttle_rate):
    throttle_rate("10/minute", scope="login")
    victims = [make_user(Role.HOLDER) for _ in range(12)]
    attacker = Client(HTTP_ACCEPT_LANGUAGE="en")
    answers = [
        attempt(
            attacker, victim.username, "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        ).status_code
        for n, victim in enumerate(victims)
    ]
    # The fifth failure locks the address, whatever the header claims; the rate and the lock
    # refuse the rest.
    assert answers[:4] == [200] * 4
    assert set(answers[4:]) == {429}
    assert (
        attempt(
            attacker, victims[0].username, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9"
        ).status_code
        == 429
    )


def test_a_stolen_token_and_session_stop_working_when_the_owner_resets_the_password(mailoutbox):
    holder = make_user(Role.HOLDER, email="owner@example.kz")
    thief = Client()
    thief.force_login(holder)
    token = thief.post(
        reverse("api-token"), {"name": "Script", "scope": "read", "days": 30}
    ).context["key"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").status_code == 200

    owner = Client(HTTP_ACCEPT_LANGUAGE="en")
    owner.post(reverse("password-reset"), {"email": "owner@example.kz"})
    link = next(
        line for line in mailoutbox[0].body.splitlines() if "/accounts/password/reset/" in line
    )
    form = owner.get(link.split("://", 1)[1].split("/", 1)[1].join(["/", ""]), follow=True)
    new = "another long passphrase 7"
    owner.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})

    assert api.get("/api/v1/me/").status_code == 401
    assert thief.get(reverse("account-security")).status_code == 302
    # The thief's old password no longer opens anything either.
    assert attempt(Client(), holder.username, PASSWORD).status_code == 200


def test_oversized_bodies_are_refused_before_they_are_read():
    big = b"x" * (2 * 1024 * 1024)
    page = Client().post(reverse("login"), big, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 413
    api = Client().post(
        "/api/v1/identification-numbers/check/", big, content_type="application/json"
    )
    assert api.status_code == 413
    assert api.json()["code"] == "request_too_large"
    reset = Client().post(
        reverse("password-reset"), big, content_type="application/x-www-form-urlencoded"
    )
    assert reset.status_code == 413


def test_an_administrator_cannot_raise_anyones_privileges_through_the_admin():
    # Even a superuser: the admin grants nothing and bypasses no workflow.
    admin = make_user(Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)
    holder = make_user(Role.HOLDER)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    change = reverse("admin:participants_user_change", args=[holder.pk])
    compliance = Group.objects.get(name=Role.COMPLIANCE_OFFICER.value)
    assert client.get(change).status_code == 200
    client.post(
        change,
        {
            "username": "renamed",
            "email": holder.email,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [compliance.pk],
            "role": Role.COMPLIANCE_OFFICER.value,
            "preferred_language": "",
        },
    )
    holder.refresh_from_db()
    assert (holder.username, holder.is_staff, holder.is_superuser) == (
        holder.username,
        False,
        False,
    )
    assert list(holder.groups.values_list("name", flat=True)) == [Role.HOLDER.value]
    assert (
        client.get(
            reverse("admin:auth_user_password_change", args=[holder.pk])
            if False
            else f"/admin/participants/user/{holder.pk}/password/"
        ).status_code
        == 403
    )
    entries = AuditEntry.objects.count()
    assert client.post(
        f"/admin/audit/auditentry/{AuditEntry.objects.first().pk if entries else 0}/delete/"
    ).status_code in (403, 404, 302)
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("role", [Role.HOLDER, Role.ISSUER_STAFF, Role.COMPLIANCE_OFFICER])
def test_no_one_but_the_administrator_unlocks_or_resets_second_factors(role):
    client = Client()
    client.force_login(make_user(role))
    target = make_user(Role.TREASURY_OFFICER)
    assert client.get(reverse("account-lockouts")).status_code == 403
    assert (
        client.post(reverse("account-lockouts"), {"username": target.username}).status_code == 403
    )
    reset = client.post(
        reverse("account-second-factors-reset"), {"username": target.username, "reason": "x"}
    )
    assert reset.status_code == 403
    assert client.get("/admin/").status_code == 302
    assert User.objects.get(pk=target.pk).is_active
