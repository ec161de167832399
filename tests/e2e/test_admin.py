"""The admin site in a browser: the platform's name, colours and way back, in Kazakh."""

import pytest

from qoima.participants.models import Role
from tests.e2e.session import second_step
from tests.factories import PASSWORD, make_user
from tests.second_factor import recovery_code

pytestmark = pytest.mark.e2e


def test_the_admin_shows_the_platforms_name_and_colours_in_kazakh(
    committed_db, live_server, page_factory
):
    admin = make_user(Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)
    code = recovery_code(admin)
    page = page_factory(locale="kk-KZ")
    page.goto(f"{live_server.url}/admin/login/")
    assert page.locator("#site-name").inner_text() == "Qoima · Әкімшілік"
    page.fill("input[name=username]", admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    # The admin too opens only after the second factor.
    second_step(page, code)
    page.wait_for_url(f"{live_server.url}/admin/")
    assert page.locator("h1").inner_text() == "Платформаны әкімшілендіру"
    header = page.locator("#header")
    # Tabler's dark header and primary blue, through the admin's own variables.
    assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(24, 36, 51)"
    link = page.locator("#content-main .module th a").first
    assert link.evaluate("el => getComputedStyle(el).color") == "rgb(6, 111, 209)"
    page.click("text=Басқару панелі")
    page.wait_for_url(f"{live_server.url}/dashboard/**")
    assert "Платформаны әкімшілендіру" in page.locator("h1").inner_text()
