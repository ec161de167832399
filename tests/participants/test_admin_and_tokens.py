"""Who may do what: the admin site grants nothing and records everything; API tokens are
stored as digests only and expire."""

import io
import sys

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from qoima.audit.admin import ReadOnlyAdmin
from qoima.audit.models import AuditEntry
from qoima.participants.admin import AuditedAdmin
from qoima.participants.models import Permit, Role, User
from qoima.participants.selectors import user_role
from tests.factories import PermitFactory, make_user

pytestmark = pytest.mark.django_db


def admin_client(*, superuser: bool) -> tuple[Client, User]:
    # The platform admin as user_create makes it (staff), and one that is already a superuser:
    # neither may grant anything through the admin.
    user = make_user(Role.PLATFORM_ADMIN, is_staff=True, is_superuser=superuser)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client, user


@pytest.mark.parametrize("superuser", [False, True])
def test_the_admin_cannot_grant_itself_superuser_staff_roles_or_a_password(superuser):
    client, user = admin_client(superuser=superuser)
    url = reverse("admin:participants_user_change", args=[user.pk])
    form = client.get(url)
    assert form.status_code == 200
    page = form.content.decode()
    for field in ("is_superuser", "is_staff", "groups", "user_permissions", "password"):
        assert f'name="{field}"' not in page, field
    password_hash = user.password
    compliance = Group.objects.get(name=Role.COMPLIANCE_OFFICER.value)
    response = client.post(
        url,
        {
            "first_name": "Renamed",
            "last_name": "",
            "email": user.email,
            "preferred_language": "",
            "is_active": "on",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [compliance.pk],
            "user_permissions": [],
            "password": "pbkdf2_sha256$1$x$y",
            "username": "root",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.first_name == "Renamed"
    assert user.is_superuser is superuser
    assert user.username != "root"
    assert user.password == password_hash
    assert user_role(User.objects.get(pk=user.pk)) == Role.PLATFORM_ADMIN
    entry = AuditEntry.objects.get(action="admin.user.changed")
    assert entry.details == {"fields": ["first_name"], "values": {"first_name": "Renamed"}}


@pytest.mark.parametrize("superuser", [False, True])
def test_the_admin_sets_no_password_and_creates_no_account(superuser):
    client, _user = admin_client(superuser=superuser)
    victim = make_user(Role.HOLDER)
    password_hash = victim.password
    url = reverse("admin:auth_user_password_change", args=[victim.pk])
    assert url == f"/admin/participants/user/{victim.pk}/password/"
    assert client.get(url).status_code == 403
    posted = client.post(url, {"password1": "New-passphrase-77", "password2": "New-passphrase-77"})
    assert posted.status_code == 403
    victim.refresh_from_db()
    assert victim.password == password_hash

    add = reverse("admin:participants_user_add")
    assert client.get(add).status_code == 403
    users = User.objects.count()
    created = client.post(
        add,
        {
            "username": "officer3",
            "password1": "New-passphrase-77",
            "password2": "New-passphrase-77",
            "groups": [Group.objects.get(name=Role.COMPLIANCE_OFFICER.value).pk],
        },
    )
    assert created.status_code == 403
    assert User.objects.count() == users
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("superuser", [False, True])
def test_roles_tokens_and_permits_are_not_edited_in_the_admin(superuser):
    client, _user = admin_client(superuser=superuser)
    assert client.get("/admin/auth/group/").status_code == 404
    assert client.get("/admin/knox/authtoken/").status_code == 404
    permit = PermitFactory()
    url = reverse("admin:participants_permit_change", args=[permit.pk])
    response = client.post(url, {"number": "FORGED", "status": "active"})
    assert response.status_code == 403
    assert Permit.objects.get(pk=permit.pk).number == permit.number
    assert client.get(reverse("admin:participants_permit_add")).status_code == 403


def test_every_admin_screen_is_read_only_or_records_its_changes_in_the_audit_log():
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, ReadOnlyAdmin | AuditedAdmin), model


def test_the_audit_log_shows_a_change_made_in_the_admin():
    client, user = admin_client(superuser=False)
    target = make_user(Role.HOLDER)
    response = client.post(
        reverse("admin:participants_user_change", args=[target.pk]),
        {"first_name": "", "last_name": "", "email": "new@example.kz", "preferred_language": ""},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.email == "new@example.kz"
    assert not target.is_active
    regulator = Client(HTTP_ACCEPT_LANGUAGE="en")
    regulator.force_login(make_user(Role.REGULATOR))
    page = regulator.get(reverse("registry-audit")).content.decode()
    row = next(tr for tr in page.split("<tr ") if 'data-action="admin.user.changed"' in tr)
    assert f"<td>{user.username}</td>" in row
    # The object is shown as its kind, id and current name, in the reader's language.
    assert target.username in row.split("</td>")[4]
    export = regulator.get(reverse("registry-audit"), {"export": "csv"})
    text = b"".join(export.streaming_content).decode()
    line = next(line for line in text.splitlines() if "admin.user.changed" in line)
    assert "new@example.kz" in line
    assert "is_active" in line
    entry = AuditEntry.objects.get(action="admin.user.changed")
    assert entry.actor == user
    assert entry.object_id == str(target.pk)


def test_staff_accounts_and_passwords_come_from_audited_commands(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Officer-passphrase-31\n"))
    out = io.StringIO()
    call_command(
        "createstaff",
        "--username=officer9",
        "--email=officer9@qoima.kz",
        "--role=compliance_officer",
        "--password-stdin",
        stdout=out,
    )
    assert "Created officer9 (compliance_officer)." in out.getvalue()
    officer = User.objects.get(username="officer9")
    assert user_role(officer) == Role.COMPLIANCE_OFFICER
    assert officer.check_password("Officer-passphrase-31")
    monkeypatch.setattr(sys, "stdin", io.StringIO("Another-passphrase-32\n"))
    call_command("setpassword", "officer9", "--password-stdin", stdout=out)
    officer.refresh_from_db()
    assert officer.check_password("Another-passphrase-32")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "object_repr"))
    assert actions == [("user.created", "officer9"), ("user.password_set", "officer9")]


def test_a_token_that_is_not_utf_8_answers_401():
    answer = Client(HTTP_AUTHORIZATION="Token \xff\xfe").get(reverse("api-me"))
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Token"
