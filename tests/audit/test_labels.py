"""The audit log as people read it: labels, objects and amounts in the reader's language."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from qoima.audit.labels import ACTIONS, action_label
from qoima.audit.services import audit_record
from qoima.participants import services as participants
from qoima.participants.models import Role
from tests.audit.actions import recorded_actions
from tests.factories import make_user
from tests.issuance.conftest import make_world
from tests.pages import visible_text


def test_every_action_the_platform_records_has_a_label():
    actions = recorded_actions()
    assert "holder.suspended" in actions
    assert "exchange.transfer_requested" in actions
    unlabelled = sorted(code for code in actions if action_label(code) == code)
    assert unlabelled == []
    with translation.override("en"):
        assert str(action_label("admin.permit.changed")) == (
            "Changed in the administration: issuance permit"
        )


def test_labels_are_translated_where_the_catalogue_has_them():
    with translation.override("ru"):
        assert all(str(label) for label in ACTIONS.values())


@pytest.fixture
def logged(db):
    """A suspension, a document uploaded in English and a mint of 100,000.00 units."""
    world = make_world(holder_count=1)
    application = world.draft()
    with translation.override("en"):
        world.upload(application, "proof_of_rights")
    participants.holder_suspend(
        officer=world.officer_a, holder_id=world.holders[0].pk, reason="Court order 12"
    )
    with transaction.atomic():
        audit_record(
            actor=None,
            action="issuance.minted",
            obj=application,
            details={"operation": 1, "units": 10_000_000},
        )
    return world


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [
        (
            "en",
            [
                "Holder suspended",
                "Document uploaded",
                "Units minted",
                "100,000.00",
                "Proof of rights",
            ],
            [],
        ),
        ("ru", ["100\xa0000,00", "Материальный актив"], ["Proof of rights"]),
        ("kk", ["100\xa0000,00"], ["Proof of rights"]),
    ],
)
def test_the_registry_audit_log_reads_in_the_readers_language(logged, language, shown, not_shown):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(make_user(Role.REGULATOR))
    text = visible_text(client.get(reverse("registry-audit")).content.decode())
    for code in (
        "holder.suspended",
        "issuance.document_uploaded",
        "proof_of_rights",
        "tangible_asset",
        "asset_class",
        "10000000",
    ):
        assert code not in text
    for expected in shown:
        assert expected in text
    for english in not_shown:
        assert english not in text


def test_the_compliance_decisions_read_as_labels(logged):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.REGULATOR))
    text = visible_text(client.get(reverse("registry-compliance")).content.decode())
    assert "holder.suspended" not in text
    assert "Holder suspended" in text
    assert "Court order 12" in text


def test_the_registry_api_gives_each_actions_label_beside_its_code(logged):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(make_user(Role.REGULATOR))
    body = client.get(reverse("api-registry-audit")).json()
    entries = body["results"] if isinstance(body, dict) else body
    suspended = next(e for e in entries if e["action"] == "holder.suspended")
    assert suspended["action_label"] == "Holder suspended"
