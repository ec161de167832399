"""The registry does not take the platform's word: tampering behind its back is reported.

A document file altered on disk, a balance altered in the database, asset data that differs
from the token's and a stored transfer that differs from its log are each shown as such, on a
real chain (anvil) with a ledger made by the platform's own services.
"""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from issuance.models import AssetClass, Document, DocumentCheck
from issuance.storage import document_storage
from issuance.tasks import issuance_documents_recheck
from qoima.chain.models import DailyVolume, EventBlock, TokenBalance, TokenTransfer
from qoima.chain.reconciliation import reconcile
from qoima.chain.volumes import daily_volumes_refresh
from tests.pages import visible_text

from .conftest import client_for, issued_on_chain


@pytest.fixture(autouse=True)
def _committed(committed_db):
    """Writes commit (the chain work settles in its own transactions); the audit log is
    emptied past its triggers at the end, as committed_db does."""


def overwrite(document: Document, content: bytes) -> None:
    path = document_storage().path(document.file.name)
    import os

    os.chmod(path, 0o644)
    with open(path, "wb") as stored:
        stored.write(content)


def test_a_document_altered_on_disk_is_reported_now_and_by_the_scheduled_check(
    chain, regulator_client
):
    _world, application = issued_on_chain(chain)
    document = application.documents.get(kind=Document.Kind.PROOF_OF_RIGHTS)
    url = reverse("registry-document-rehash", args=[document.pk])
    intact = regulator_client.get(url)
    assert intact.context["result"].ok
    assert intact.context["result"].chain_sha256 == document.sha256
    assert "The stored file is intact." in intact.content.decode()

    assert "issuance-documents-recheck" in settings.CELERY_BEAT_SCHEDULE
    issuance_documents_recheck()
    assert DocumentCheck.objects.filter(ok=True).count() == application.documents.count()

    overwrite(document, b"%PDF-1.4\n% a different proof\n%%EOF\n")
    altered = regulator_client.get(url)
    result = altered.context["result"]
    assert not result.ok
    assert not result.file_matches
    assert result.chain_matches
    assert "no longer has the SHA-256 recorded at upload" in altered.content.decode()

    issuance_documents_recheck()
    check = DocumentCheck.objects.filter(document=document).order_by("-pk").first()
    assert check is not None
    assert not check.ok
    assert check.file_sha256 != document.sha256
    page = regulator_client.get(reverse("registry-document", args=[document.pk])).content.decode()
    assert "altered" in page
    home = regulator_client.get(reverse("registry-home")).content.decode()
    assert reverse("registry-document", args=[document.pk]) in home
    # The API says the same.
    api = regulator_client.get(reverse("api-registry-document-rehash", args=[document.pk]))
    assert api.json()["ok"] is False
    assert api.json()["file_matches"] is False


def test_a_deleted_document_file_is_reported(chain, regulator_client):
    _world, application = issued_on_chain(chain)
    document = application.documents.get(kind=Document.Kind.ISSUANCE_DECISION)
    document_storage().delete(document.file.name)
    response = regulator_client.get(reverse("registry-document-rehash", args=[document.pk]))
    assert response.status_code == 200
    assert "The stored file is missing or cannot be read." in response.content.decode()


def test_a_balance_altered_in_the_database_is_reported_by_reconciliation(chain, regulator_client):
    _world, application = issued_on_chain(chain)
    clean = reconcile(w3=chain)
    assert clean.differences == 0
    balance = TokenBalance.objects.filter(
        token_address=application.token_address, amount__gt=0
    ).order_by("amount")[0]
    TokenBalance.objects.filter(pk=balance.pk).update(amount=balance.amount + 500)
    run = reconcile(w3=chain)
    assert run.differences >= 1
    listing = regulator_client.get(reverse("registry-reconciliation")).content.decode()
    assert reverse("registry-reconciliation-run", args=[run.pk]) in listing
    page = regulator_client.get(reverse("registry-reconciliation-run", args=[run.pk]))
    rows = list(page.context["page"])
    assert any(
        d.kind == "balance"
        and d.subject == balance.holder
        and d.database_value == str(int(balance.amount) + 500)
        and d.chain_value == str(int(balance.amount))
        for d in rows
    )
    assert application.symbol in page.content.decode()
    home = regulator_client.get(reverse("registry-home"))
    assert home.context["last_run"].pk == run.pk


def test_asset_data_that_differs_from_the_token_is_flagged(chain, regulator_client):
    _world, application = issued_on_chain(chain)
    url = reverse("registry-asset-onchain", args=[application.pk])
    agreeing = regulator_client.get(url)
    comparison = agreeing.context["comparison"]
    assert comparison.facts
    assert not comparison.mismatches
    labels = {str(f.label) for f in comparison.facts}
    assert {"Issuer", "BIN / IIN", "Permit number", "Cap (backed units)", "Total supply"} <= labels
    assert "The token's data matches the platform's." in agreeing.content.decode()

    organisation = application.organisation
    type(organisation).objects.filter(pk=organisation.pk).update(legal_name="ТОО «Другое»")
    TokenBalance.objects.filter(token_address=application.token_address).update(amount=1)
    flagged = regulator_client.get(url)
    mismatched = {str(f.label) for f in flagged.context["comparison"].mismatches}
    assert mismatched == {"Issuer", "Total supply"}
    assert 'data-testid="mismatch"' in flagged.content.decode()
    detail = regulator_client.get(reverse("api-registry-asset", args=[application.pk])).json()
    assert {f["label"] for f in detail["onchain"]["facts"] if not f["matches"]} == mismatched


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_the_tokens_codes_read_as_labels(chain, regulator, language):
    """The token stores the asset class and its documents' names as codes; a person reads
    their labels, in their language."""
    _world, application = issued_on_chain(chain)
    client = client_for(regulator, language)
    page = client.get(reverse("registry-asset-onchain", args=[application.pk]))
    text = visible_text(page.content.decode())
    for code in ("tangible_asset", "issuance_decision", "proof_of_rights"):
        assert code not in text
    with translation.override(language):
        assert str(AssetClass.TANGIBLE_ASSET.label) in text
        assert str(Document.Kind.PROOF_OF_RIGHTS.label) in text
    assert not page.context["comparison"].mismatches


def test_a_transfer_is_verified_on_chain_and_a_tampered_one_is_not(chain, regulator_client):
    issued_on_chain(chain)
    transfer = TokenTransfer.objects.filter(ref__isnull=False).order_by("-pk").first()
    assert transfer is not None
    url = reverse("registry-transfer-verify", args=[transfer.pk])
    proof = regulator_client.get(url).context["proof"]
    assert proof.ok
    assert proof.confirmations >= 1
    TokenTransfer.objects.filter(pk=transfer.pk).update(amount=transfer.amount + 1)
    tampered = regulator_client.get(url)
    assert not tampered.context["proof"].ok
    assert set(tampered.context["proof"].mismatches) == {"amount"}
    assert "differs from the platform" in tampered.content.decode()
    api = regulator_client.get(reverse("api-registry-transfer-verify", args=[transfer.pk])).json()
    assert api["ok"] is False
    assert set(api["mismatches"]) == {"amount"}


def test_the_indexer_records_block_times_and_daily_volumes_follow(chain, regulator_client):
    _world, application = issued_on_chain(chain)
    blocks = set(TokenTransfer.objects.values_list("block_number", flat=True))
    assert blocks <= set(EventBlock.objects.values_list("number", flat=True))
    assert daily_volumes_refresh() >= 1
    volume = DailyVolume.objects.get(token_address=application.token_address)
    assert int(volume.minted) == int(application.mint_units)
    assert int(volume.transferred) == 3 * 1250
    assert volume.transfers == 3
    # Running again changes nothing.
    daily_volumes_refresh()
    assert DailyVolume.objects.count() == 1
    page = regulator_client.get(reverse("registry-daily"), {"asset": application.pk})
    assert page.status_code == 200
    assert page.context["chart_data"]["series"][0]["data"] == [float(application.mint_units) / 100]
