"""Each demo role logs in through the browser and sees its own dashboard, in Russian and English."""

import pytest
from django.utils import translation

from qoima.participants.demo import DEMO_LOGINS
from qoima.participants.models import Role, User
from tests.e2e.session import second_step
from tests.second_factor import recovery_code

pytestmark = pytest.mark.e2e

HEADINGS = {
    Role.ISSUER_STAFF: "Issuer dashboard",
    Role.HOLDER: "Holder dashboard",
    Role.COMPLIANCE_OFFICER: "Compliance dashboard",
    Role.REGULATOR: "Regulator dashboard",
    Role.PLATFORM_ADMIN: "Platform administration",
    Role.TREASURY_OFFICER: "Treasury dashboard",
}


def heading(role: Role, language: str) -> str:
    with translation.override(language):
        return translation.gettext(HEADINGS[role])


@pytest.fixture
def demo(committed_db):
    from qoima.participants.demo import demo_load

    demo_load()


def log_in(page, live_server, username, password):
    # Staff have a second factor (made here, as their first login's enrolment would).
    code = recovery_code(User.objects.get(username=username))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]:not(.link)")
    second_step(page, code)
    page.wait_for_url(f"{live_server.url}/dashboard/**")


@pytest.mark.parametrize("login", DEMO_LOGINS, ids=lambda login: login.username)
def test_demo_role_sees_its_dashboard_in_russian(demo, live_server, page_factory, login):
    page = page_factory("ru-RU")
    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "ru"
    log_in(page, live_server, login.username, login.password)
    expected = heading(login.role, "ru")
    assert expected != HEADINGS[login.role], "the Russian catalogue lacks this heading"
    assert page.get_by_test_id("dashboard").inner_text() == expected
    assert login.username in page.get_by_test_id("who").inner_text()


@pytest.mark.parametrize("login", DEMO_LOGINS, ids=lambda login: login.username)
def test_demo_role_sees_its_dashboard_in_english_after_switching(
    demo, live_server, page_factory, login
):
    page = page_factory("ru-RU")
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_navigation():
        page.select_option("#language", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    log_in(page, live_server, login.username, login.password)
    assert page.get_by_test_id("dashboard").inner_text() == HEADINGS[login.role]


def test_wrong_password_is_refused_with_a_message(demo, live_server, page_factory):
    page = page_factory("en-US")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "regulator")
    page.fill("input[name=password]", "wrong-password")
    page.click("form button[type=submit]:not(.link)")
    assert "/accounts/login/" in page.url
    assert "correct username and password" in page.content()
