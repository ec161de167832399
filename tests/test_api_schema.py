"""The OpenAPI schema describes every API endpoint, validly and without warnings."""

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse


def test_the_schema_is_valid_and_lists_every_endpoint(tmp_path):
    out = tmp_path / "schema.yml"
    # --fail-on-warn: an endpoint drf-spectacular cannot describe is left out with a warning.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    for expected in (
        "/api/v1/applications/",
        "/api/v1/applications/{application_id}/distributions/",
        "/api/v1/redemptions/{redemption_id}/fulfil/",
        "/api/v1/transfers/",
        "/api/v1/markets/",
        "/api/v1/markets/{market_id}/candles/",
        "/api/v1/registry/transfers/",
        "/api/v1/registry/assets/{application_id}/holders/",
        "/api/v1/registry/documents/{document_id}/rehash/",
    ):
        assert expected in paths, expected
    registry = {path: ops for path, ops in paths.items() if path.startswith("/api/v1/registry/")}
    # The regulator's API only reads.
    assert {method for ops in registry.values() for method in ops} == {"get"}


@pytest.mark.django_db
def test_the_schema_is_served_to_a_logged_in_user(client):
    from qoima.participants.models import Role
    from tests.factories import make_user

    client.force_login(make_user(Role.REGULATOR))
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    assert b"/api/v1/registry/transfers/" in response.content
