"""Second factors through the pages and the API: staff reach nothing before enrolling; an
app's code and a recovery code each log in once; every enrolment, reset and use is audited."""

import base64
import re
import time
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP

from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry
from qoima.participants.models import Role
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    "/dashboard/",
    "/dashboard/compliance/",
    "/issuance/review/",
    "/compliance/enforcement/",
    "/operations/",
    "/registry/",
    "/exchange/treasury/withdrawals/",
    "/accounts/security/",
    "/accounts/api-token/",
    "/admin/",
]


def password_only(user) -> Client:
    """A browser that has given the password and nothing else yet."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    answer = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def code_from(page_text, *, at=None):
    key = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', page_text).group(1)
    totp = TOTP(base64.b32decode(key.replace(" ", "")))
    totp.time = at or time.time()
    return f"{totp.token():06d}"


def enrol_app(client: Client) -> tuple[str, list[str]]:
    """Adds an authenticator app through the pages: the key it shows, and the recovery codes."""
    page = client.get(reverse("two-factor-totp"))
    assert 'data-testid="totp-qr"' in page.text
    key_page = page.text
    done = client.post(reverse("two-factor-totp"), {"code": code_from(key_page)})
    assert done.status_code == 200, done.text
    codes = re.findall(r'<li class="col-6">([a-z2-7]+)</li>', done.text)
    assert len(codes) == 10
    return key_page, codes


@pytest.mark.parametrize(
    "role", [Role.COMPLIANCE_OFFICER, Role.TREASURY_OFFICER, Role.REGULATOR, Role.PLATFORM_ADMIN]
)
def test_staff_reach_no_page_and_no_api_before_enrolling(role):
    client = password_only(make_user(role))
    for path in STAFF_PAGES:
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer["Location"].startswith(reverse("two-factor-setup")), path
    setup = client.get(reverse("two-factor-setup"))
    assert "Your role needs a second factor" in setup.text
    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert api.json()["code"] == "second_factor_required"


def test_an_officer_enrols_an_app_and_then_each_code_logs_in_once():
    officer = make_user(Role.COMPLIANCE_OFFICER)
    client = password_only(officer)
    key_page, codes = enrol_app(client)
    assert client.get(reverse("dashboard-compliance")).status_code == 200
    actions = list(
        AuditEntry.objects.filter(object_id=str(officer.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == [
        AuditAction.USER_SECOND_FACTOR_ADDED,
        AuditAction.USER_RECOVERY_CODES_ISSUED,
    ]

    # The next login asks for the app's code; the code works once.
    client.post(reverse("logout"))
    again = password_only(officer)
    assert again.get(reverse("dashboard-compliance"))["Location"].startswith(
        reverse("two-factor-verify")
    )
    code = code_from(key_page, at=time.time() + 30)
    passed = again.post(reverse("two-factor-verify"), {"code": code, "next": "/dashboard/"})
    assert passed.status_code == 302
    assert again.get(reverse("dashboard-compliance")).status_code == 200
    replay = password_only(officer)
    refused = replay.post(reverse("two-factor-verify"), {"code": code})
    assert refused.status_code == 400
    assert "This code is not valid." in refused.text
    assert replay.get(reverse("dashboard-compliance")).status_code == 302

    # A recovery code logs in once too, and says how many are left.
    rescue = password_only(officer)
    used = rescue.post(reverse("two-factor-verify"), {"code": codes[0]}, follow=True)
    assert "You logged in with a recovery code; 9 are left." in used.text
    entry = AuditEntry.objects.get(action=AuditAction.USER_RECOVERY_CODE_USED)
    assert entry.details == {"count": 9}
    second = password_only(officer)
    assert second.post(reverse("two-factor-verify"), {"code": codes[0]}).status_code == 400
    assert second.get(reverse("dashboard-compliance")).status_code == 302


def test_wrong_codes_make_the_next_try_wait():
    officer = make_user(Role.REGULATOR)
    client = password_only(officer)
    enrol_app(client)
    client.post(reverse("logout"))
    guesser = password_only(officer)
    answers = [
        guesser.post(reverse("two-factor-verify"), {"code": f"{n:06d}"}).status_code
        for n in range(4)
    ]
    assert 429 in answers
    waited = guesser.post(reverse("two-factor-verify"), {"code": "000000"})
    assert waited.status_code == 429
    assert "Too many wrong codes: wait" in waited.text


def test_a_holder_logs_in_with_a_password_until_adding_a_second_factor():
    holder = make_user(Role.HOLDER)
    client = password_only(holder)
    security = client.get(reverse("account-security"))
    assert "You log in with your password alone." in security.text
    enrol_app(client)
    assert "10 recovery codes left." in client.get(reverse("account-security")).text
    later = password_only(holder)
    assert later.get(reverse("dashboard-holder"))["Location"].startswith(
        reverse("two-factor-verify")
    )


def test_staff_keep_a_second_factor_and_an_administrator_resets_a_lost_one():
    officer = make_user(Role.TREASURY_OFFICER)
    client = password_only(officer)
    enrol_app(client)
    app = officer.totpdevice_set.get()
    kept = client.post(reverse("two-factor-remove"), {"kind": "totp", "pk": app.pk}, follow=True)
    assert "Your role needs a second factor: add another before removing this one." in kept.text
    assert officer.totpdevice_set.exists()

    admin = make_user(Role.PLATFORM_ADMIN)
    desk = Client(HTTP_ACCEPT_LANGUAGE="en")
    desk.force_login(admin)
    no_reason = desk.post(
        reverse("account-second-factors-reset"),
        {"username": officer.username, "reason": " "},
        follow=True,
    )
    assert "Give the username and how the person's identity was checked." in unescape(
        no_reason.text
    )
    done = desk.post(
        reverse("account-second-factors-reset"),
        {"username": officer.username, "reason": "Came to the office with an ID card"},
        follow=True,
    )
    assert f"The second factors of {officer.username} are reset" in done.text
    assert client.get(reverse("dashboard-treasury")).status_code == 302  # signed out
    assert not officer.totpdevice_set.exists()
    entry = AuditEntry.objects.get(action=AuditAction.USER_SECOND_FACTORS_RESET)
    assert entry.actor_id == admin.pk
    assert entry.details["reason"] == "Came to the office with an ID card"
    fresh = password_only(officer)
    assert fresh.get(reverse("dashboard-treasury"))["Location"].startswith(
        reverse("two-factor-setup")
    )
    itself = desk.post(
        reverse("account-second-factors-reset"),
        {"username": admin.username, "reason": "mine"},
        follow=True,
    )
    assert "Another administrator resets your own second factors." in itself.text
