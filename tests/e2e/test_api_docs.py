"""The API reference in the browser: reached from the help page, drawn by Swagger UI from the
platform's own files with nothing fetched from elsewhere, and its calls made as the person
logged in, writes included (Django's CSRF check passes)."""

import json

import pytest

from qoima.participants.models import Role
from tests.e2e.session import second_step
from tests.factories import PASSWORD, make_user
from tests.second_factor import recovery_code

pytestmark = pytest.mark.e2e


def run(page, operation_id: str, body: dict[str, str] | None = None) -> tuple[str, str]:
    """Opens one operation, tries it out and returns the status and body it answered with."""
    operation = page.locator(f"#operations-v1-{operation_id}")
    operation.locator(".opblock-summary-control").click()
    operation.locator(".try-out__btn").click()
    if body is not None:
        operation.locator("textarea.body-param__text").fill(json.dumps(body))
    operation.locator(".execute").click()
    answer = operation.locator(".live-responses-table .response")
    answer.wait_for()
    status = answer.locator(".response-col_status").inner_text().strip()
    return status, answer.locator(".response-col_description").inner_text()


def test_the_reference_calls_the_api_as_the_person_logged_in(
    committed_db, live_server, page_factory
):
    user = make_user(Role.REGULATOR)
    page = page_factory("en-US")
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live_server.url, "data:"))
            else elsewhere.append(request.url)
        ),
    )
    code = recovery_code(user)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]:not(.link)")
    second_step(page, code)
    page.wait_for_url(f"{live_server.url}/dashboard/**")

    page.get_by_test_id("nav-help").click()
    page.get_by_test_id("help-api-docs").click()
    page.wait_for_url(f"{live_server.url}/api/docs/")
    page.locator(".opblock").first.wait_for()

    status, body = run(page, "v1_me_retrieve")
    assert status == "200"
    assert user.username in body
    status, body = run(
        page, "v1_identification_numbers_check_create", {"number": "940140000385", "kind": "any"}
    )
    assert status == "200", body
    assert "940140000385" in body
    assert elsewhere == []
