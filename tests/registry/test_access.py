"""Who may see the registry: regulators read every page and endpoint and change nothing; other
roles are refused; anonymous visitors are sent to log in."""

import pytest
from django.test import Client
from django.urls import reverse

from issuance.models import Document
from qoima.chain.models import ReconciliationRun
from qoima.participants.models import Role
from tests.factories import make_user

from .conftest import client_for

pytestmark = pytest.mark.django_db


def registry_urls(ledger) -> tuple[list[str], list[str]]:
    """Every registry page and every registry API endpoint, with real ids."""
    app = ledger.application.pk
    transfer = ledger.transfers[1].pk
    document = Document.objects.filter(application=ledger.application).values_list("pk", flat=True)[
        0
    ]
    organisation = ledger.application.organisation_id
    run = ReconciliationRun.objects.create(chain_id=31337, block_number=1).pk
    pages = [
        reverse("registry-home"),
        reverse("registry-issuers"),
        reverse("registry-issuer", args=[organisation]),
        reverse("registry-permits"),
        reverse("registry-assets"),
        reverse("registry-asset", args=[app]),
        reverse("registry-asset-onchain", args=[app]),
        reverse("registry-cap-table", args=[app]),
        reverse("registry-documents"),
        reverse("registry-document", args=[document]),
        reverse("registry-document-rehash", args=[document]),
        reverse("registry-transfers"),
        reverse("registry-transfer", args=[transfer]),
        reverse("registry-transfer-verify", args=[transfer]),
        reverse("registry-holders"),
        reverse("registry-compliance"),
        reverse("registry-reconciliation"),
        reverse("registry-reconciliation-run", args=[run]),
        reverse("registry-audit"),
        reverse("registry-daily"),
        reverse("registry-monitoring"),
        reverse("registry-exchange-orders"),
        reverse("registry-exchange-trades"),
        reverse("registry-exchange-journal"),
        reverse("registry-exchange-book"),
        reverse("registry-exchange-daily"),
    ]
    apis = [
        reverse("api-registry-issuers"),
        reverse("api-registry-permits"),
        reverse("api-registry-assets"),
        reverse("api-registry-asset", args=[app]),
        reverse("api-registry-cap-table", args=[app]),
        reverse("api-registry-documents"),
        reverse("api-registry-document-rehash", args=[document]),
        reverse("api-registry-transfers"),
        reverse("api-registry-transfer", args=[transfer]),
        reverse("api-registry-transfer-verify", args=[transfer]),
        reverse("api-registry-holders"),
        reverse("api-registry-compliance"),
        reverse("api-registry-compliance-operations"),
        reverse("api-registry-compliance-acts"),
        reverse("api-registry-reconciliation"),
        reverse("api-registry-reconciliation-differences", args=[run]),
        reverse("api-registry-audit"),
        reverse("api-registry-daily"),
    ]
    return pages, apis


def test_every_registry_url_is_registered_here(ledger):
    """A new registry URL must join the matrix below (its list is built from the URLconf)."""
    from registry.urls import api_urlpatterns, urlpatterns

    pages, apis = registry_urls(ledger)
    assert len(pages) == len(urlpatterns)
    assert len(apis) == len(api_urlpatterns)


def test_the_regulator_reads_every_page_and_endpoint(
    ledger, regulator_client, anvil_node, settings
):
    # A node that answers, so the live checks render their answers rather than "no answer".
    settings.CHAIN_RPC_URL = anvil_node.url
    pages, apis = registry_urls(ledger)
    for url in pages + apis:
        response = regulator_client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    # Exports of a list answer too.
    for url in [reverse("registry-transfers"), reverse("registry-issuers")]:
        assert regulator_client.get(url, {"export": "csv"}).status_code == 200


def test_the_regulator_changes_nothing(ledger, regulator_client):
    pages, apis = registry_urls(ledger)
    for url in pages + apis:
        for method in ("post", "put", "patch", "delete"):
            response = getattr(regulator_client, method)(url)
            assert response.status_code in (403, 405), (method, url, response.status_code)


def test_the_regulators_api_token_reads_the_api(ledger, regulator):
    from qoima.accounts.models import ApiToken

    _instance, token = ApiToken.objects.create(user=regulator, name="Registry tool")
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="en")
    _pages, apis = registry_urls(ledger)
    assert client.get(apis[0]).status_code == 200
    # A regulator's tool gets a read-only token: anything but reading is refused as such.
    written = client.post(apis[0])
    assert written.status_code == 403
    assert written.json()["detail"] == "This API token is read-only: it cannot change anything."
    refused = Client(HTTP_AUTHORIZATION="Token wrong", HTTP_ACCEPT_LANGUAGE="en").get(apis[0])
    assert refused.status_code in (401, 403)
    assert "token" in refused.json()["detail"].lower()


@pytest.mark.parametrize(
    "role", [Role.ISSUER_STAFF, Role.HOLDER, Role.COMPLIANCE_OFFICER, Role.PLATFORM_ADMIN]
)
def test_other_roles_cannot_see_the_registry(ledger, role):
    pages, apis = registry_urls(ledger)
    client = client_for(make_user(role))
    for url in pages + apis:
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in(ledger):
    pages, apis = registry_urls(ledger)
    client = client_for(None)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    for url in apis:
        assert client.get(url).status_code in (401, 403), url
