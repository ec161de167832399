"""Signing in and waiting in the browser tests: shared by the tests of several pages."""

import time

from tests.factories import PASSWORD
from tests.second_factor import recovery_code

LANGUAGES = {"ru": "ru-RU", "en": "en-US"}


def login(page_factory, live_server, user, language):
    page = page_factory(LANGUAGES[language])
    # Every button that asks first (data-confirm) is answered yes.
    page.on("dialog", lambda dialog: dialog.accept())
    code = recovery_code(user)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]:not(.link)")
    second_step(page, code)
    page.wait_for_url(f"{live_server.url}/dashboard/**")
    return page


def second_step(page, code):
    """The login's second step, for whoever has a second factor (staff always have one here:
    ``recovery_code`` made it, and the code to give, before the password was sent)."""
    page.wait_for_load_state()
    if "/accounts/two-factor/" in page.url:
        page.fill("input[name=code]", code)
        page.press("input[name=code]", "Enter")


def shown(page, locator, text, *, nudge=None, reload=False, timeout=90.0):
    """Until the page shows ``text`` there, asking the worker (as beat does) meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if nudge:
            nudge()
        if text in locator.inner_text():
            return
        page.wait_for_timeout(500)
        if reload:
            page.reload()
    raise AssertionError(f"the page never showed {text!r}: {locator.inner_text()}")
