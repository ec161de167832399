"""The Art. 5 checklist as the approving officer confirmed it, read where people read it: the
regulator's asset page and API, and the compliance officer's page of the issued application.
The application goes through the real review services (submit, approve, confirm)."""

import html
import re

import pytest
from django.urls import reverse

from issuance.models import Document, Review
from tests.issuance.conftest import issued_without_chain, make_world

from .conftest import client_for

pytestmark = pytest.mark.django_db


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _rows(page: str) -> dict[int, str]:
    """Each checklist row's text, tags stripped, by item number."""
    found = re.findall(r'data-testid="checklist-item-(\d)">(.*?)</tr>', page, re.S)
    return {int(number): _text(row) for number, row in found}


def _confirmed(page: str) -> dict[int, str]:
    """Each checklist row's "Confirmed" cell (the third), by item number."""
    found = re.findall(r'data-testid="checklist-item-(\d)">(.*?)</tr>', page, re.S)
    return {int(number): _text(row.split("</td>")[2]) for number, row in found}


@pytest.fixture
def issued():
    world = make_world(holder_count=1)
    application = issued_without_chain(world)
    decision = Document.objects.get(application=application, kind="issuance_decision")
    proof = Document.objects.get(application=application, kind="proof_of_rights")
    return world, application, decision, proof


def test_the_registry_page_shows_every_item_confirmed_with_its_evidence(issued, regulator):
    world, application, decision, proof = issued
    page = client_for(regulator).get(reverse("registry-asset", args=[application.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    rows = _rows(text)
    assert sorted(rows) == [1, 2, 3, 4, 5, 6, 7]
    assert set(_confirmed(text).values()) == {"yes"}
    assert "Asset class: Tangible asset" in rows[1]
    assert "Registry identifier: 12:345:678:901" in rows[1]
    assert "Number: R-17" in rows[2]
    assert f"SHA-256: {decision.sha256}" in rows[2]
    assert "Signatory: А. Директоров" in rows[2]
    assert "Currency-like: no" in rows[3]
    assert "Asset class eligible: yes" in rows[4]
    assert f"BIN / IIN: {application.organisation.identification_number}" in rows[5]
    assert f"Permit: {world.permit.number}" in rows[5]
    assert f"SHA-256: {proof.sha256}" in rows[6]
    assert f"Confirmed by {world.officer_a.get_username()}" in text


def test_the_registry_page_renders_the_evidence_in_the_readers_language(issued, regulator):
    _world, application, _decision, _proof = issued
    page = client_for(regulator, "ru").get(reverse("registry-asset", args=[application.pk]))
    rows = _rows(page.content.decode())
    assert "Номер: R-17" in rows[2]
    assert "Класс актива:" in rows[1]
    assert "Tangible asset" not in rows[1]


def test_the_registry_api_shows_every_item_confirmed_with_its_evidence(issued, regulator):
    world, application, decision, proof = issued
    answer = client_for(regulator).get(reverse("api-registry-asset", args=[application.pk]))
    assert answer.status_code == 200
    checklist = answer.json()["checklist"]
    assert [item["item"] for item in checklist] == [1, 2, 3, 4, 5, 6, 7]
    assert all(item["confirmed"] is True for item in checklist)
    evidence = {
        item["item"]: {e["label"]: e["value"] for e in item["evidence"]} for item in checklist
    }
    assert evidence[1]["Asset class"] == "Tangible asset"
    assert evidence[2]["Number"] == "R-17"
    assert evidence[2]["SHA-256"] == decision.sha256
    assert evidence[5]["BIN / IIN"] == application.organisation.identification_number
    assert evidence[5]["Permit"] == world.permit.number
    assert evidence[6]["SHA-256"] == proof.sha256
    assert checklist[1]["evidence"][0]["code"] == "number"


def test_the_compliance_officer_sees_the_review_of_an_issued_application(issued):
    world, application, decision, _proof = issued
    page = client_for(world.officer_b).get(reverse("issuance-detail", args=[application.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    review = text[text.index('data-testid="review"') :]
    rows = _rows(review)
    assert sorted(rows) == [1, 2, 3, 4, 5, 6, 7]
    assert set(_confirmed(review).values()) == {"yes"}
    assert f"SHA-256: {decision.sha256}" in rows[2]
    assert f"Confirmed by {world.officer_a.get_username()}" in review


def test_an_unreviewed_application_shows_nothing_confirmed(regulator):
    world = make_world(holder_count=1)
    application = world.submitted()
    page = client_for(regulator).get(reverse("registry-asset", args=[application.pk]))
    assert _confirmed(page.content.decode()) == dict.fromkeys(range(1, 8), "no")
    assert "No officer has approved this application yet." in page.content.decode()


def test_an_approval_keeps_the_evidence_as_it_stood(issued, regulator):
    """A later change of the organisation does not rewrite what the officer confirmed."""
    _world, application, _decision, _proof = issued
    identification = application.organisation.identification_number
    approval = Review.objects.get(application=application, action=Review.Action.APPROVE)
    assert approval.checklist["items"] == [1, 2, 3, 4, 5, 6, 7]
    type(application.organisation).objects.filter(pk=application.organisation_id).update(
        legal_name="Renamed LLP"
    )
    answer = client_for(regulator).get(reverse("api-registry-asset", args=[application.pk]))
    issuer = {e["code"]: e["value"] for e in answer.json()["checklist"][4]["evidence"]}
    assert issuer["id_number"] == identification
    assert issuer["issuer"] != "Renamed LLP"


def test_an_approval_made_on_the_officers_page_is_what_the_regulator_reads(regulator):
    world = make_world(holder_count=1)
    application = world.submitted()
    officer = client_for(world.officer_a)
    approved = officer.post(
        reverse("issuance-approve", args=[application.pk]),
        {"items": ["1", "2", "3", "4", "5", "6", "7"], "note": "All checked."},
    )
    assert approved.status_code in (200, 302)
    client_for(world.officer_b).post(reverse("issuance-confirm", args=[application.pk]))
    answer = client_for(regulator).get(reverse("api-registry-asset", args=[application.pk]))
    checklist = answer.json()["checklist"]
    assert [item["confirmed"] for item in checklist] == [True] * 7
    decision = Document.objects.get(application=application, kind="issuance_decision")
    assert {"code": "sha256", "label": "SHA-256", "value": decision.sha256} in checklist[1][
        "evidence"
    ]
    page = officer.get(reverse("issuance-detail", args=[application.pk])).content.decode()
    review = page[page.index('data-testid="review"') :]
    assert set(_confirmed(review).values()) == {"yes"}


def test_an_approval_stored_before_evidence_had_codes_still_reads(issued, regulator):
    """Approvals made before keep their evidence by the label the officer saw."""
    _world, application, _decision, _proof = issued
    Review.objects.filter(application=application, action=Review.Action.APPROVE).update(
        checklist={
            "items": [1, 2, 3, 4, 5, 6, 7],
            "evidence": {"2": {"Номер": "R-17", "Подписант": "А. Директоров"}},
        }
    )
    page = client_for(regulator).get(reverse("registry-asset", args=[application.pk]))
    text = page.content.decode()
    assert set(_confirmed(text).values()) == {"yes"}
    assert "Номер: R-17" in _rows(text)[2]
