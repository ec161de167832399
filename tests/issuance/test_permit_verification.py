"""A permit counts only once compliance verified it against its document: the issuer's own
statement, at registration or later, blocks every step until then."""

import pytest
from django.test import Client
from django.urls import reverse

from issuance.models import Application
from qoima.participants.models import Organisation, Permit, Role
from tests.factories import make_user, pdf_upload

from .conftest import World, pdf

pytestmark = pytest.mark.django_db

REGISTRATION = {
    "kind": "legal_entity",
    "legal_name": "ТОО «Астық»",
    "identification_number": "950341000052",
    "registered_address": "Astana",
    "permit_number": "KZ-77",
    "permit_authority": "MDDIAI",
    "permit_issued_on": "2026-01-10",
    "username": "astyq",
    "email": "office@astyq.kz",
    "password": "Strong-passphrase-42",
}


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def complete_draft(world: World) -> Application:
    application = world.draft()
    world.upload(application, "issuance_decision")
    world.upload(application, "proof_of_rights")
    return application


KYB = {
    "beneficial_owners": "Асанов Ерлан; 791028302728; 60\nТОО «Астық»; 940140000385; 40",
    "signatory_name": "Асанов Ерлан",
    "signatory_position": "Директор",
}


def test_a_self_registered_issuer_submits_only_after_compliance_verified_its_permit(world):
    issuer_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    registered = issuer_client.post(
        reverse("register-issuer"), {**REGISTRATION, "permit_document": pdf_upload()}
    )
    assert registered.status_code == 302
    organisation = Organisation.objects.get(identification_number="950341000052")
    permit = organisation.permits.get()
    dashboard = issuer_client.get(reverse("dashboard-issuer")).content.decode()
    assert "Pending verification" in dashboard
    assert "Permit KZ-77 is not verified yet" in dashboard

    world.issuer = organisation.staff.get()
    application = complete_draft(world)
    refused = issuer_client.post(reverse("issuance-submit", args=[application.pk]))
    assert refused.status_code == 400
    assert (
        "The application cannot be submitted: Permit KZ-77 is not verified yet"
        in refused.content.decode()
    )
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT

    # The regulator sees the permit and that it is not valid.
    regulator = client_for(make_user(Role.REGULATOR))
    page = regulator.get(reverse("registry-permits")).content.decode()
    row = page[page.index("KZ-77") :].split("</tr>")[0]
    assert "Pending verification" in row
    assert "not verified" in row
    assert 'data-state="invalid">no</span>' in row

    officer = client_for(world.officer_a)
    queue = officer.get(reverse("dashboard-compliance")).content.decode()
    assert "KZ-77" in queue.split('data-testid="pending-permits"')[1].split("</table>")[0]
    assert permit.document_sha256 in queue
    verified = officer.post(reverse("permit-verify", args=[permit.pk]), {"document_ref": "REG-1"})
    assert verified.status_code == 302

    # The permit counts; the organisation does not yet: compliance has not verified it.
    refused = issuer_client.post(reverse("issuance-submit", args=[application.pk]))
    assert refused.status_code == 400
    assert (
        "The application cannot be submitted: compliance has not verified the organisation yet"
        in refused.content.decode()
    )
    bad_owners = issuer_client.post(
        reverse("issuer-verification-submit"),
        {
            **KYB,
            "beneficial_owners": "Асанов Ерлан; 791028302720; 60",
            "registration_document": pdf_upload("registration.pdf", b"% reg"),
            "authority_document": pdf_upload("charter.pdf", b"% charter"),
        },
    )
    assert bad_owners.status_code == 400
    assert "Line 1: write each owner as name; IIN or BIN; share in %" in bad_owners.content.decode()
    sent = issuer_client.post(
        reverse("issuer-verification-submit"),
        {
            **KYB,
            "registration_document": pdf_upload("registration.pdf", b"% reg"),
            "authority_document": pdf_upload("charter.pdf", b"% charter"),
        },
    )
    assert sent.status_code == 302
    organisation.refresh_from_db()
    queue = officer.get(reverse("dashboard-compliance")).content.decode()
    waiting = queue.split('data-testid="organisations-waiting"')[1].split("</table>")[0]
    assert "Асанов Ерлан (791028302728)" in waiting
    assert organisation.registration_sha256 in waiting
    unchecked = officer.post(
        reverse("organisation-verify", args=[organisation.pk]), {"confirmed": ["registration"]}
    )
    assert unchecked.status_code == 400
    assert "Confirm each check" in unchecked.content.decode()
    checked = officer.post(
        reverse("organisation-verify", args=[organisation.pk]),
        {"confirmed": ["registration", "owners", "signatory"]},
    )
    assert checked.status_code == 302

    submitted = issuer_client.post(reverse("issuance-submit", args=[application.pk]))
    assert submitted.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED

    page = regulator.get(reverse("registry-issuer", args=[organisation.pk])).content.decode()
    kyb = page.split('data-testid="organisation-verification"')[1].split("</dl>")[0]
    assert "Verified" in kyb
    assert world.officer_a.username in kyb
    assert organisation.authority_sha256 in kyb
    row = page[page.index("KZ-77") :].split("</tr>")[0]
    assert world.officer_a.username in row
    assert permit.document_sha256 in row
    assert 'data-state="valid">yes</span>' in row
    decisions = regulator.get(reverse("registry-compliance")).content.decode()
    row = decisions[decisions.index('data-action="permit.verified"') :].split("</tr>")[0]
    assert "Permit verified by compliance against its document" in row
    api = regulator.get(reverse("api-registry-permits")).json()
    (listed,) = [p for p in api["results"] if p["number"] == "KZ-77"]
    assert listed["status"] == "active"
    assert listed["verified_by"] == world.officer_a.username
    assert listed["verified_at"]


def test_the_api_registration_yields_a_pending_permit_the_registry_shows_not_valid():
    response = Client().post(
        reverse("api-issuer-register"), {**REGISTRATION, "permit_document": pdf_upload()}
    )
    assert response.status_code == 201
    regulator = client_for(make_user(Role.REGULATOR))
    (listed,) = regulator.get(reverse("api-registry-permits")).json()["results"]
    assert listed["status"] == "pending"
    assert listed["verified_by"] is None
    assert listed["verified_at"] is None
    missing = Client().post(reverse("api-issuer-register"), {**REGISTRATION, "username": "b"})
    assert missing.status_code == 400
    assert Organisation.objects.count() == 1


def test_after_revocation_a_new_permit_needs_verification_again(world):
    officer = client_for(world.officer_a)
    revoked = officer.post(
        reverse("permit-status", args=[world.permit.pk]),
        {"status": "revoked", "reason": "Order of the authority", "document_ref": "No. 5"},
    )
    assert revoked.status_code == 302
    issuer = client_for(world.issuer)
    recorded = issuer.post(
        reverse("issuer-permit-add"),
        {"number": "NEW-1", "authority": "MDDIAI", "issued_on": "2026-06-01", "document": pdf()},
    )
    assert recorded.status_code == 302
    application = complete_draft(world)
    refused = issuer.post(reverse("issuance-submit", args=[application.pk]))
    assert refused.status_code == 400
    assert "Permit NEW-1 is not verified yet" in refused.content.decode()

    new = Permit.objects.get(number="NEW-1")
    assert new.status == Permit.Status.PENDING
    assert (
        officer.post(reverse("permit-verify", args=[new.pk]), {"document_ref": "R"}).status_code
        == 302
    )
    assert issuer.post(reverse("issuance-submit", args=[application.pk])).status_code == 302


def test_approval_and_mint_wait_for_the_renewed_permit_to_be_verified(world):
    submitted, approved = world.submitted(), world.approved()
    Permit.objects.filter(pk=world.permit.pk).update(status=Permit.Status.REVOKED)
    client_for(world.issuer).post(
        reverse("issuer-permit-add"),
        {"number": "NEW-2", "authority": "MDDIAI", "issued_on": "2026-06-01", "document": pdf()},
    )
    approve = client_for(world.officer_a).post(
        reverse("issuance-approve", args=[submitted.pk]), {"items": range(1, 8)}
    )
    assert approve.status_code == 400
    assert (
        "The application cannot be approved: Permit NEW-2 is not verified yet"
        in approve.content.decode()
    )
    mint = client_for(world.officer_b).post(reverse("issuance-confirm", args=[approved.pk]))
    assert mint.status_code == 400
    assert "The asset cannot be minted: Permit NEW-2 is not verified yet" in mint.content.decode()
    assert Application.objects.get(pk=approved.pk).status == Application.Status.APPROVED
