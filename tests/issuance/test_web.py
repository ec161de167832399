"""The pages and the API as each role uses them: what a refusal says, and who may do what."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from issuance import services
from issuance.models import Application, Distribution
from issuance.tasks import issuance_distributions_sweep
from qoima.chain.models import ChainTransaction, Operation
from qoima.participants.models import Permit, Role
from tests.brokers import nothing_listening, publishing_to
from tests.factories import make_user

from .conftest import issued_without_chain, pdf

FORM = {
    "name": "Wheat, class 3",
    "symbol": "WHT3",
    "asset_class": "tangible_asset",
    "description": "Grain at the elevator.",
    "asset_identifier": "12:345:678:901",
    "decimals": "2",
    "backed_amount": "1000",
    "mint_amount": "1000",
}


def client_for(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"asset_class": "money"}, "Money cannot be a backed digital asset: Art. 5, item 1"),
        ({"asset_class": "securities"}, "Securities cannot be a backed digital asset"),
        ({"asset_class": "derivative"}, "Art. 5, item 4"),
        ({"name": "Цифровой тенге"}, "looks like money"),
        ({"symbol": "KZT"}, "looks like money"),
        ({"symbol": "USDT"}, "looks like money"),
        ({"mint_amount": "1000.01"}, "You cannot mint more than the backed units"),
        ({"backed_amount": "-5"}, "above zero"),
        ({"name": "<script>alert(1)</script> Dollar"}, "looks like money"),
    ],
)
def test_a_refused_draft_says_why_and_saves_nothing(world, change, message):
    response = client_for(world.issuer).post(reverse("issuance-new"), {**FORM, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "<script>alert" not in response.content.decode()
    assert not Application.objects.exists()


def test_a_draft_is_saved_and_shown(world):
    response = client_for(world.issuer).post(reverse("issuance-new"), FORM)
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("issuance-detail", args=[application.pk])
    page = client_for(world.issuer).get(response["Location"]).content.decode()
    assert "Wheat, class 3 (WHT3)" in page
    assert "1,000.00" in page


def upload_form(kind="issuance_decision", file=None, **extra):
    values = {
        "kind": kind,
        "number": "R-1",
        "dated_on": (datetime.date.today() - datetime.timedelta(days=1)).isoformat(),
        "signatory": "А. Директоров",
        "file": file or pdf(),
    }
    values.update(extra)
    return values


def test_a_disguised_upload_is_refused_on_the_page(world):
    application = world.draft()
    html = SimpleUploadedFile("decision.pdf", b"<!doctype html><html><body>hi</body></html>")
    response = client_for(world.issuer).post(
        reverse("issuance-document", args=[application.pk]), upload_form(file=html)
    )
    assert response.status_code == 400
    assert "is not a PDF, PNG or JPEG file (checked by its content" in response.content.decode()
    assert not application.documents.exists()


def test_an_oversized_upload_is_refused_on_the_page(world, settings):
    settings.ISSUANCE_DOCUMENT_MAX_BYTES = 100
    application = world.draft()
    response = client_for(world.issuer).post(
        reverse("issuance-document", args=[application.pk]),
        upload_form(file=pdf(extra=b"x" * 200)),
    )
    assert response.status_code == 400
    assert "The file is larger than 100" in response.content.decode()
    assert not application.documents.exists()


def test_submit_without_the_proof_says_so(world):
    application = world.draft()
    world.upload(application, "issuance_decision")
    response = client_for(world.issuer).post(reverse("issuance-submit", args=[application.pk]))
    assert response.status_code == 400
    assert "The proof of rights is missing (Art. 5, item 6)." in response.content.decode()


def test_submit_without_the_decision_says_so(world):
    application = world.draft()
    response = client_for(world.issuer).post(reverse("issuance-submit", args=[application.pk]))
    assert response.status_code == 400
    assert "The issuance decision is missing (Art. 5, item 2)." in response.content.decode()


@pytest.mark.parametrize(
    ("status", "word"),
    [
        (Permit.Status.SUSPENDED, "suspended"),
        (Permit.Status.REVOKED, "revoked"),
        (Permit.Status.PENDING, "is not verified yet"),
        (Permit.Status.REFUSED, "refused by compliance"),
        (None, "expired"),
    ],
)
def test_an_invalid_permit_is_shown_at_each_step(world, status, word):
    def spoil():
        if status is None:
            Permit.objects.filter(pk=world.permit.pk).update(
                issued_on=datetime.date(2020, 1, 1), expires_on=datetime.date(2023, 1, 1)
            )
        else:
            Permit.objects.filter(pk=world.permit.pk).update(status=status)

    def restore():
        Permit.objects.filter(pk=world.permit.pk).update(
            status="active",
            issued_on=world.permit.issued_on,
            expires_on=world.permit.expires_on,
        )

    drafted = world.draft()
    world.upload(drafted, "issuance_decision")
    world.upload(drafted, "proof_of_rights")
    submitted, approved = world.submitted(), world.approved()
    spoil()
    steps = [
        (world.issuer, "issuance-submit", drafted, {}, "cannot be submitted"),
        (
            world.officer_a,
            "issuance-approve",
            submitted,
            {"items": range(1, 8)},
            "cannot be approved",
        ),
        (world.officer_b, "issuance-confirm", approved, {}, "cannot be minted"),
    ]
    for user, name, application, data, says in steps:
        response = client_for(user).post(reverse(name, args=[application.pk]), data)
        assert response.status_code == 400, name
        text = response.content.decode()
        assert says in text
        assert word in text
    restore()
    assert not Operation.objects.filter(kind="issue_asset").exists()


def test_a_proof_dated_after_approval_is_refused_on_the_page(world):
    application = world.submitted()
    application.documents.filter(kind="proof_of_rights").update(
        dated_on=datetime.date.today() + datetime.timedelta(days=2)
    )
    response = client_for(world.officer_a).post(
        reverse("issuance-approve", args=[application.pk]), {"items": range(1, 8)}
    )
    assert response.status_code == 400
    assert "after the approval" in response.content.decode()


def test_the_approving_officer_cannot_confirm_on_the_page(world):
    application = world.approved()
    response = client_for(world.officer_a).post(reverse("issuance-confirm", args=[application.pk]))
    assert response.status_code == 403
    assert "a different officer must confirm it" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "approved"


def test_a_csv_with_bad_rows_is_shown_line_by_line(world):
    application = issued_without_chain(world)
    a = world.holders[0]
    csv_file = SimpleUploadedFile(
        # No holder has the id 99999999 (ids are far lower in a test database).
        "rows.csv",
        f"{a.identification_number},1\n99999999,1\n{a.pk},zero\n".encode(),
    )
    client = client_for(world.issuer)
    response = client.post(
        reverse("issuance-csv", args=[application.pk]), {"file": csv_file, "idempotency_key": "a"}
    )
    distribution = Distribution.objects.get()
    assert response.status_code == 302
    services.distribution_process(distribution_id=distribution.pk)
    page = client.get(reverse("issuance-distribution", args=[distribution.pk])).content.decode()
    assert "2 errors: nothing was sent." in page
    assert "No holder has this IIN / BIN or id." in page
    assert "Write the amount with the digits 0-9 and a point for decimals" in page
    assert not Operation.objects.filter(kind="transfer").exists()


def test_a_refused_files_errors_read_in_each_readers_language(world):
    """Uploaded in English, read in Russian: the reasons are Russian, and the file's decimal
    mark is still a point."""
    application = issued_without_chain(world)
    a = world.holders[0]
    csv_file = SimpleUploadedFile("rows.csv", f'99999999,1\n{a.pk},"12,50"\n'.encode())
    uploader = client_for(world.issuer, language="en")
    uploader.post(
        reverse("issuance-csv", args=[application.pk]), {"file": csv_file, "idempotency_key": "a"}
    )
    distribution = Distribution.objects.get()
    with translation.override("en"):
        services.distribution_process(distribution_id=distribution.pk)
    url = reverse("issuance-distribution", args=[distribution.pk])
    russian = client_for(world.issuer, language="ru").get(url).content.decode()
    with translation.override("ru"):
        assert translation.gettext("No holder has this IIN / BIN or id.") in russian
    assert "No holder has this IIN / BIN or id." not in russian
    api = APIClient(HTTP_ACCEPT_LANGUAGE="ru")
    api.force_authenticate(world.issuer)
    body = api.get(reverse("api-distribution", args=[distribution.pk])).json()
    assert [error["codes"] for error in body["errors"]] == [["unknown_holder"], ["amount"]]
    assert "No holder" not in body["errors"][0]["reason"]
    # A file takes a point whatever the reader's language: the example says so in Russian too.
    assert "12.50" in body["errors"][1]["reason"]
    assert "12,50" not in body["errors"][1]["reason"]


def test_a_redemption_above_the_balance_is_refused_on_the_page(world):
    application = issued_without_chain(world)
    holder = world.holders[0]
    response = client_for(holder.user).post(
        reverse("issuance-redeem", args=[application.pk]), {"amount": "1"}
    )
    assert response.status_code == 400
    assert "You can redeem at most 0.00 WHT3." in response.content.decode()


def test_the_api_drafts_and_refuses_with_the_same_rules(world):
    client = client_for(world.issuer)
    created = client.post(reverse("api-applications"), FORM, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["backed_amount"] == "1000.00"
    refused = client.post(
        reverse("api-applications"),
        {**FORM, "asset_class": "money"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "asset_class"
    assert "Art. 5, item 1" in refused.json()["detail"]


# ------------------------------------------------------------------------------ roles


def role_users(world):
    return {
        "issuer": world.issuer,
        "officer": world.officer_a,
        "holder": world.holders[0].user,
        "regulator": make_user(Role.REGULATOR),
        "admin": make_user(Role.PLATFORM_ADMIN),
    }


def test_every_issuance_page_and_endpoint_answers_each_role_as_it_should(world):
    application = issued_without_chain(world)
    document = application.documents.first()
    distribution = services.distribution_send(
        actor=world.issuer,
        application_id=application.pk,
        receiver=str(world.holders[1].pk),
        amount="1",
        idempotency_key="matrix",
    )
    users = role_users(world)
    app, doc, dist = application.pk, document.pk, distribution.pk
    # (method, url, roles that may): every other role gets 403, anonymous users the login page.
    pages = [
        ("get", reverse("issuance-list"), {"issuer"}),
        ("get", reverse("issuance-new"), {"issuer"}),
        ("get", reverse("issuance-review"), {"officer"}),
        ("get", reverse("issuance-assets"), {"holder"}),
        ("get", reverse("issuance-detail", args=[app]), {"issuer", "officer"}),
        ("get", reverse("issuance-status", args=[app]), {"issuer", "officer"}),
        ("get", reverse("issuance-download", args=[doc]), {"issuer", "officer"}),
        ("get", reverse("issuance-distribution", args=[dist]), {"issuer"}),
        ("get", reverse("issuance-distribution-progress", args=[dist]), {"issuer"}),
        ("post", reverse("issuance-edit", args=[app]), {"issuer"}),
        ("post", reverse("issuance-document", args=[app]), {"issuer"}),
        ("post", reverse("issuance-submit", args=[app]), {"issuer"}),
        ("post", reverse("issuance-approve", args=[app]), {"officer"}),
        ("post", reverse("issuance-confirm", args=[app]), {"officer"}),
        ("post", reverse("issuance-reject", args=[app]), {"officer"}),
        ("post", reverse("issuance-request-changes", args=[app]), {"officer"}),
        ("post", reverse("issuance-send", args=[app]), {"issuer"}),
        ("post", reverse("issuance-csv", args=[app]), {"issuer"}),
        ("post", reverse("issuance-redeem", args=[app]), {"holder"}),
        ("post", reverse("issuance-fulfil", args=[1]), {"issuer"}),
        ("post", reverse("issuance-refuse", args=[1]), {"issuer"}),
    ]
    apis = [
        ("get", reverse("api-applications"), {"issuer", "officer"}),
        ("post", reverse("api-applications"), {"issuer"}),
        ("get", reverse("api-application", args=[app]), {"issuer", "officer"}),
        ("put", reverse("api-application", args=[app]), {"issuer"}),
        ("post", reverse("api-application-documents", args=[app]), {"issuer"}),
        ("post", reverse("api-application-submit", args=[app]), {"issuer"}),
        ("post", reverse("api-application-approve", args=[app]), {"officer"}),
        ("post", reverse("api-application-confirm", args=[app]), {"officer"}),
        ("post", reverse("api-application-reject", args=[app]), {"officer"}),
        ("post", reverse("api-application-request-changes", args=[app]), {"officer"}),
        ("post", reverse("api-distributions", args=[app]), {"issuer"}),
        ("get", reverse("api-distribution", args=[dist]), {"issuer"}),
        ("post", reverse("api-redemptions", args=[app]), {"holder"}),
        ("post", reverse("api-redemption-fulfil", args=[1]), {"issuer"}),
        ("post", reverse("api-redemption-refuse", args=[1]), {"issuer"}),
    ]
    for method, url, allowed in pages + apis:
        anonymous = getattr(Client(), method)(url)
        if url.startswith("/api/"):
            assert anonymous.status_code in (401, 403), url
        else:
            assert anonymous.status_code == 302, url
            assert anonymous["Location"].startswith(reverse("login")), url
        for name, user in users.items():
            response = (
                getattr(client_for(user), method)(url, content_type="application/json")
                if method == "put"
                else getattr(client_for(user), method)(url)
            )
            if name in allowed:
                # Allowed: the page, a redirect, or a refusal of the (empty) input; never 403.
                assert response.status_code in (200, 201, 202, 302, 400, 404, 409), (url, name)
                assert response.status_code != 403, (url, name)
            else:
                assert response.status_code == 403, (url, name, response.status_code)
    # GET pages each role may open render for it.
    for method, url, allowed in pages:
        if method == "get":
            for name in allowed:
                assert client_for(users[name]).get(url).status_code == 200, (url, name)


def test_another_issuer_cannot_see_an_application(world):
    from tests.factories import OrganisationFactory, PermitFactory

    application = world.draft()
    other = make_user(
        Role.ISSUER_STAFF, organisation=OrganisationFactory(identification_number="950341000052")
    )
    PermitFactory(organisation=other.organisation)
    client = client_for(other)
    assert client.get(reverse("issuance-detail", args=[application.pk])).status_code == 404
    assert client.get(reverse("api-application", args=[application.pk])).status_code == 404
    # An officer does not see a draft either: it is the issuer's until submitted.
    officer = client_for(world.officer_a)
    assert officer.get(reverse("issuance-detail", args=[application.pk])).status_code == 404


def test_a_distribution_file_that_is_not_an_upload_is_refused(world):
    application = issued_without_chain(world)
    client = client_for(world.issuer)
    response = client.post(
        reverse("api-distributions", args=[application.pk]),
        {"file": "holder,amount\n1,1\n"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="not-a-file",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "file"
    assert "not a file" in response.json()["detail"]
    assert not Distribution.objects.exists()


def test_a_document_whose_stored_file_is_gone_answers_404(world):
    from issuance.storage import document_storage

    application = world.submitted()
    document = application.documents.first()
    document_storage().delete(document.file.name)
    response = client_for(world.issuer).get(reverse("issuance-download", args=[document.pk]))
    assert response.status_code == 404
    assert "The stored file of this document is missing." in response.content.decode()


def test_an_upload_while_the_broker_is_down_is_taken_and_the_sweep_checks_it(
    world, django_capture_on_commit_callbacks, settings
):
    application = issued_without_chain(world)
    a, b = world.holders
    text = f"holder,amount\n{a.identification_number},10.50\n{b.pk},5\n"
    with publishing_to(nothing_listening()), django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.issuer).post(
            reverse("api-distributions", args=[application.pk]),
            {"file": SimpleUploadedFile("rows.csv", text.encode())},
            HTTP_IDEMPOTENCY_KEY="broker-down",
        )
    assert response.status_code == 202, response.content
    distribution = Distribution.objects.get()
    assert response.json()["status"] == Distribution.Status.VALIDATING
    # No message reached a worker; beat's sweep finds the file all the same.
    schedule = settings.CELERY_BEAT_SCHEDULE["issuance-distributions-sweep"]
    assert schedule["task"] == issuance_distributions_sweep.name
    issuance_distributions_sweep()
    distribution.refresh_from_db()
    assert distribution.status == Distribution.Status.SENDING
    assert Operation.objects.filter(kind="transfer").count() == 2


def _documents_table(page: str) -> str:
    start = page.index('data-testid="documents"')
    return page[start : page.index("</table>", start)]


def test_each_document_says_whether_the_token_records_it(world, settings):
    application = world.draft()
    world.upload(application, "issuance_decision", number="R-1", upload=pdf(extra=b"first"))
    # R-2 supersedes R-1: only R-2 goes on-chain.
    world.upload(application, "issuance_decision", number="R-2", upload=pdf(extra=b"second"))
    world.upload(application, "proof_of_rights")
    url = reverse("issuance-detail", args=[application.pk])
    before = _documents_table(client_for(world.issuer).get(url).content.decode())
    assert before.count("Recorded at issue") == 3
    services.application_submit(actor=world.issuer, application_id=application.pk)
    services.application_approve(
        officer=world.officer_a, application_id=application.pk, confirmed_items=range(1, 8)
    )
    services.application_confirm(officer=world.officer_b, application_id=application.pk)
    sent = _documents_table(client_for(world.issuer).get(url).content.decode())
    assert sent.count("Being recorded") == 2
    assert sent.count("Not recorded") == 1  # R-1, superseded before the issue
    application.refresh_from_db()
    tx = ChainTransaction.objects.create(
        chain_id=settings.CHAIN_ID,
        from_address="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        to_address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        data="0x",
        function="issueAsset",
    )
    Operation.objects.filter(pk=application.issue_operation_id).update(
        state=Operation.State.CONFIRMED, transaction=tx
    )
    recorded = _documents_table(client_for(world.issuer).get(url).content.decode())
    assert recorded.count("Recorded in the token") == 2
    for document in application.documents.all():
        assert document.sha256 in recorded


def test_a_refused_upload_shows_its_error_once_under_its_field(world):
    application = world.draft()
    values = upload_form()
    del values["file"]
    response = client_for(world.issuer).post(
        reverse("issuance-document", args=[application.pk]), values
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was done: correct the fields marked below." in page
    assert page.count("This field is required.") == 1
    form = page[page.index('data-testid="document-form"') :]
    assert "This field is required." in form[: form.index("</form>")]
