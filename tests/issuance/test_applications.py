"""Drafting, documents, submission and the maker-checker review, through the services."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from issuance import services
from issuance.documents import stored_sha256
from issuance.models import Application, Document, Review
from qoima.audit.models import AuditEntry
from qoima.chain.models import Operation
from qoima.errors import ApplicationError, Conflict, NotAllowed, NotFound
from qoima.participants.models import Permit, Role
from tests.factories import OrganisationFactory, PermitFactory, make_user

from .conftest import PDF, pdf

TODAY = datetime.date.today()
ALL_ITEMS = [1, 2, 3, 4, 5, 6, 7]


def refused(call, *args, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_a_draft_keeps_units_in_the_smallest_denomination(world):
    application = world.draft(backed_amount="1000.50", mint_amount="1000")
    assert application.status == Application.Status.DRAFT
    assert (application.backed_units, application.mint_units) == (100050, 100000)
    assert application.symbol == "WHT3"


@pytest.mark.parametrize(
    ("asset_class", "item"),
    [
        ("money", "item 1"),
        ("securities", "item 1"),
        ("financial_instrument", "item 4"),
        ("derivative", "item 4"),
        ("crypto", "item 1"),
    ],
)
def test_an_ineligible_asset_class_is_refused_with_its_art5_item(world, asset_class, item):
    error = refused(world.draft, asset_class=asset_class)
    assert error.field == "asset_class"
    assert item in str(error.message)
    assert not Application.objects.exists()


def test_minting_above_the_backed_units_is_refused(world):
    error = refused(world.draft, backed_amount="100", mint_amount="100.01")
    assert error.code == "mint_above_backed"
    assert "more than the backed units" in str(error.message)


def test_documents_are_stored_by_content_hash_and_superseded_not_replaced(world):
    application = world.draft()
    first = world.upload(application, "issuance_decision")
    second = world.upload(application, "issuance_decision", upload=pdf("v2.pdf", b"v2"))
    first.refresh_from_db()
    assert second.supersedes == first
    assert first.superseded_by == second
    assert first.sha256 != second.sha256
    # The first version's file is still there, unchanged.
    assert stored_sha256(first.file.name) == first.sha256
    assert second.file.name == f"{second.sha256[:2]}/{second.sha256}.pdf"
    assert Document.objects.filter(application=application).count() == 2


def test_a_disguised_upload_is_refused_by_its_content(world):
    application = world.draft()
    html = SimpleUploadedFile("decision.pdf", b"<html><script>alert(1)</script></html>")
    error = refused(world.upload, application, "issuance_decision", upload=html)
    assert error.code == "disguised_upload"
    assert "not a PDF, PNG or JPEG" in str(error.message)
    assert not Document.objects.exists()


def test_an_oversized_upload_is_refused(world, settings):
    settings.ISSUANCE_DOCUMENT_MAX_BYTES = len(PDF) + 10
    application = world.draft()
    error = refused(world.upload, application, "proof_of_rights", upload=pdf(extra=b"x" * 100))
    assert error.code == "upload_too_large"
    assert not Document.objects.exists()


def test_a_decision_needs_number_date_and_signatory(world):
    application = world.draft()
    error = refused(world.upload, application, "issuance_decision", signatory="")
    assert "number, date and signatory" in str(error.message)


def test_submit_needs_the_decision_and_the_proof(world):
    application = world.draft()
    error = refused(services.application_submit, actor=world.issuer, application_id=application.pk)
    assert error.code == "decision_missing"
    world.upload(application, "issuance_decision")
    error = refused(services.application_submit, actor=world.issuer, application_id=application.pk)
    assert error.code == "proof_missing"
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


def test_a_submitted_application_cannot_be_edited_or_given_documents(world):
    application = world.submitted()
    assert application.status == Application.Status.SUBMITTED
    data = services.ApplicationData(
        name="Other", symbol="OTH", asset_class="tangible_asset", description="d",
        asset_identifier="x", decimals=0, backed_amount="1", mint_amount="1",
    )  # fmt: skip
    with pytest.raises(Conflict):
        services.application_update(actor=world.issuer, application_id=application.pk, data=data)
    with pytest.raises(Conflict):
        world.upload(application, "other")
    application.refresh_from_db()
    assert application.name.startswith("Wheat")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {
                "expires_on": TODAY - datetime.timedelta(days=1),
                "issued_on": TODAY - datetime.timedelta(days=400),
            },
            "expired",
        ),
        ({"status": Permit.Status.SUSPENDED}, "suspended"),
        ({"status": Permit.Status.REVOKED}, "revoked"),
    ],
)
@pytest.mark.parametrize("step", ["submit", "approval", "mint"])
def test_an_invalid_permit_blocks_each_of_the_three_steps(world, change, words, step):
    if step == "submit":
        application = world.draft()
        world.upload(application, "issuance_decision")
        world.upload(application, "proof_of_rights")
    elif step == "approval":
        application = world.submitted()
    else:
        application = world.approved()
    Permit.objects.filter(pk=world.permit.pk).update(**change)
    calls = {
        "submit": lambda: services.application_submit(
            actor=world.issuer, application_id=application.pk
        ),
        "approval": lambda: services.application_approve(
            officer=world.officer_a, application_id=application.pk, confirmed_items=ALL_ITEMS
        ),
        "mint": lambda: services.application_confirm(
            officer=world.officer_b, application_id=application.pk
        ),
    }
    before = application.status
    error = refused(calls[step])
    assert error.code == "permit_invalid"
    assert words in str(error.message)
    assert {"submit": "submitted", "approval": "approved", "mint": "minted"}[step] in str(
        error.message
    )
    application.refresh_from_db()
    assert application.status == before
    assert not Operation.objects.exists()


def test_approval_needs_every_checklist_item(world):
    application = world.submitted()
    error = refused(
        services.application_approve,
        officer=world.officer_a,
        application_id=application.pk,
        confirmed_items=[1, 2, 3, 5, 6, 7],
    )
    assert error.code == "checklist_incomplete"
    assert "4" in str(error.message)


def test_a_proof_dated_after_the_approval_is_refused(world):
    application = world.submitted()
    Document.objects.filter(kind="proof_of_rights").update(
        dated_on=TODAY + datetime.timedelta(days=1)
    )
    error = refused(
        services.application_approve,
        officer=world.officer_a,
        application_id=application.pk,
        confirmed_items=ALL_ITEMS,
    )
    assert error.code == "proof_after_approval"
    assert "after the approval" in str(error.message)


def test_a_document_cannot_be_dated_in_the_future(world):
    application = world.draft()
    error = refused(
        world.upload, application, "proof_of_rights", dated_on=TODAY + datetime.timedelta(days=1)
    )
    assert "future" in str(error.message)


def test_one_officer_cannot_both_approve_and_confirm(world):
    application = world.approved()
    with pytest.raises(NotAllowed) as caught:
        services.application_confirm(officer=world.officer_a, application_id=application.pk)
    assert "different officer" in str(caught.value.message)
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    # The database refuses it too, whoever writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(confirmed_by=world.officer_a)


def test_the_second_officer_confirms_and_the_issue_is_requested(
    world, django_capture_on_commit_callbacks
):
    application = world.approved()
    # Mail goes out in each reader's language; this reader reads English.
    type(world.issuer).objects.filter(pk=world.issuer.pk).update(preferred_language="en")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_confirm(officer=world.officer_b, application_id=application.pk)
    application.refresh_from_db()
    assert application.status == Application.Status.ISSUING
    issue = application.issue_operation
    assert issue.kind == "issue_asset"
    assert issue.state == "pending"
    asset = issue.payload["asset"]
    assert asset["issuer_id_number"] == application.organisation.identification_number
    assert asset["permit_number"] == world.permit.number
    assert asset["cap"] == 10_000_000
    hashes = {d["name"]: d["sha256"] for d in issue.payload["documents"]}
    current = {d.kind: "0x" + d.sha256 for d in application.documents.all()}
    assert hashes == current
    # The issuer's wallet goes on the allowlist with it; the mint waits for both.
    assert Operation.objects.filter(kind="allowlist", purpose="issuance.wallet").count() == 1
    assert application.mint_operation is None
    assert [r.action for r in application.reviews.all()] == ["submit", "approve", "confirm"]
    assert any("Approved" in m.subject for m in mail.outbox)


def test_request_changes_then_resubmit_keeps_the_history(world):
    application = world.submitted()
    services.application_request_changes(
        officer=world.officer_a, application_id=application.pk, reason="Proof is unsigned."
    )
    application.refresh_from_db()
    assert application.status == Application.Status.CHANGES_REQUESTED
    assert application.status_reason == "Proof is unsigned."
    world.upload(application, "proof_of_rights", upload=pdf("signed.pdf", b"signed"))
    services.application_submit(actor=world.issuer, application_id=application.pk)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert application.revision == 2
    steps = [(r.action, r.revision) for r in Review.objects.filter(application=application)]
    assert steps == [("submit", 1), ("request_changes", 1), ("submit", 2)]


def test_a_rejection_needs_a_reason_and_is_final(world):
    application = world.submitted()
    error = refused(
        services.application_reject,
        officer=world.officer_a,
        application_id=application.pk,
        reason=" ",
    )
    assert error.field == "reason"
    services.application_reject(
        officer=world.officer_a, application_id=application.pk, reason="Not a backed asset."
    )
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    with pytest.raises(Conflict):
        services.application_submit(actor=world.issuer, application_id=application.pk)


def test_every_step_is_in_the_audit_log(world):
    application = world.approved()
    services.application_confirm(officer=world.officer_b, application_id=application.pk)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "issuance.application_drafted",
        "issuance.document_uploaded",
        "issuance.application_submitted",
        "issuance.application_approved",
        "issuance.application_confirmed",
    } <= actions


def test_another_issuers_application_is_not_found(world):
    application = world.draft()
    other = make_user(
        Role.ISSUER_STAFF, organisation=OrganisationFactory(identification_number="950341000052")
    )
    PermitFactory(organisation=other.organisation)
    with pytest.raises(NotFound):
        services.application_submit(actor=other, application_id=application.pk)
