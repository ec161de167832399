"""Accounts in the browser: a staff member's first login enrols a passkey (Chromium's virtual
authenticator, through the DevTools protocol) before any other page, and the next login
proves it; a holder's lockout and its unlock; an idle session that ends."""

import pytest

from qoima.accounts.models import AccountSession
from qoima.accounts.sessions import SEEN
from qoima.participants.models import Role
from tests.e2e.session import LANGUAGES, login, second_step
from tests.factories import PASSWORD, make_user
from tests.second_factor import recovery_code

pytestmark = pytest.mark.e2e

SHOWN = {
    "ru": {
        "required": "Для вашей роли требуется второй фактор",
        "locked": "Вход заблокирован: число неудачных попыток достигло 3",
        "idle": "Ваш сеанс завершён после 30 мин бездействия",
    },
    "en": {
        "required": "Your role needs a second factor",
        "locked": "Signing in is locked after 3 failed attempts",
        "idle": "Your session ended after 30 minutes without activity",
    },
}


def virtual_authenticator(page):
    """A platform authenticator that says yes at once, as a fingerprint reader would."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    added = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return devtools, added["authenticatorId"]


def password_step(page, base, username, password=PASSWORD):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]:not(.link)")
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_an_officer_enrols_a_passkey_before_any_page_and_logs_in_with_it(
    language, committed_db, live_server, page_factory
):
    base = live_server.url
    officer = make_user(Role.COMPLIANCE_OFFICER)
    page = page_factory(LANGUAGES[language])
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    devtools, authenticator = virtual_authenticator(page)

    password_step(page, base, officer.username)
    assert "/accounts/two-factor/setup/" in page.url
    assert SHOWN[language]["required"] in page.inner_text("main")
    for path in ("/issuance/review/", "/compliance/enforcement/", "/accounts/api-token/"):
        page.goto(f"{base}{path}")
        assert "/accounts/two-factor/setup/" in page.url, path

    page.click("[data-testid=passkey-register]")
    page.wait_for_selector("[data-testid=recovery-codes]")
    assert page.locator("[data-testid=recovery-codes] li").count() == 10
    page.click("[data-testid=recovery-codes-done]")
    page.wait_for_url(f"{base}/accounts/api-token/")
    stored = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1

    # Logged out, the password alone reaches nothing; the passkey then lets the officer in.
    page.locator("header form[action$='/accounts/logout/'] button").click()
    password_step(page, base, officer.username)
    assert "/accounts/two-factor/" in page.url
    page.goto(f"{base}/dashboard/compliance/")
    assert "/accounts/two-factor/" in page.url
    page.click("[data-testid=passkey-verify]")
    page.wait_for_url(f"{base}/dashboard/compliance/")
    page.goto(f"{base}/accounts/security/")
    assert "«" in page.inner_text("[data-testid=second-factors]")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_locked_account_is_refused_and_unlocked_by_the_administrator(
    language, committed_db, live_server, page_factory, settings
):
    # Behind the platform's proxy (here: the test's own address), each browser is known by the
    # address the proxy appends: the attacker's and the administrator's differ.
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    base = live_server.url
    holder = make_user(Role.HOLDER)
    page = page_factory(LANGUAGES[language])
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page.context.set_extra_http_headers({"X-Forwarded-For": "203.0.113.9"})
    for _ in range(3):
        password_step(page, base, holder.username, "not-the-password")
    assert SHOWN[language]["locked"] in page.inner_text("[data-testid=login-refused]")
    password_step(page, base, holder.username)
    assert SHOWN[language]["locked"] in page.inner_text("[data-testid=login-refused]")

    admin_user = make_user(Role.PLATFORM_ADMIN)
    admin = page_factory(LANGUAGES[language])
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    admin.context.set_extra_http_headers({"X-Forwarded-For": "192.0.2.1"})
    code = recovery_code(admin_user)
    password_step(admin, base, admin_user.username)
    second_step(admin, code)
    admin.wait_for_url(f"{base}/dashboard/**")
    admin.goto(f"{base}/dashboard/admin/lockouts/")
    listing = admin.inner_text("[data-testid=lockouts]")
    assert holder.username in listing
    assert "203.0.113.9" in listing
    row = admin.locator("[data-testid=lockouts] tr", has_text=holder.username)
    row.locator("button").click()
    admin.wait_for_load_state()
    assert holder.username not in admin.inner_text("[data-testid=lockouts]")

    password_step(page, base, holder.username)
    assert "/dashboard/" in page.url, page.inner_text("main")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_an_idle_session_ends_and_the_login_page_says_why(
    language, committed_db, live_server, page_factory
):
    holder = make_user(Role.HOLDER)
    page = login(page_factory, live_server, holder, language)
    session = AccountSession.objects.get(user=holder)
    store = session.get_session_store_class()(session.session_key)
    store[SEEN] = store[SEEN] - 31 * 60
    store.save()
    page.goto(f"{live_server.url}/wallet/")
    assert "/accounts/login/" in page.url
    assert SHOWN[language]["idle"] in page.inner_text("main")
