"""The audit log as people read it: labels, objects and amounts in the reader's language."""

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from qoima.audit.actions import AuditAction, admin_action
from qoima.audit.labels import action_label
from qoima.audit.models import AuditEntry
from qoima.audit.services import audit_record
from qoima.participants import services as participants
from qoima.participants.admin import AuditedAdmin
from qoima.participants.models import Role
from tests.audit.actions import recorded_actions
from tests.factories import make_user
from tests.issuance.conftest import make_world
from tests.pages import visible_text


def test_every_action_the_platform_records_is_a_catalogue_member(db):
    assert sorted(recorded_actions() - set(AuditAction.values)) == []
    with pytest.raises(TypeError), transaction.atomic():
        audit_record(actor=None, action="holder.suspended")


def test_every_member_has_a_label_that_is_not_its_code():
    with translation.override("en"):
        unlabelled = [a.value for a in AuditAction if not str(a.label) or a.label == a.value]
        assert unlabelled == []
        assert str(action_label("admin.permit.changed")) == (
            "Changed in the administration: issuance permit"
        )
        assert str(action_label("holder.suspended")) == "Holder suspended"


def test_every_model_the_administration_changes_has_its_actions():
    audited = [
        model for model, admin_ in admin.site._registry.items() if isinstance(admin_, AuditedAdmin)
    ]
    assert len(audited) >= 3
    for model in audited:
        for change in (True, False):
            assert admin_action(model, change=change).value.startswith("admin.")


def test_labels_are_translated_where_the_catalogue_has_them():
    with translation.override("ru"):
        assert str(AuditAction.HOLDER_SUSPENDED.label) == "Держатель приостановлен"
        assert all(str(member.label) for member in AuditAction)


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
            action=AuditAction.MINTED,
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


def test_every_code_the_platform_recorded_is_a_member(logged):
    recorded = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"holder.suspended", "issuance.document_uploaded"} <= recorded
    assert recorded <= set(AuditAction.values)


def test_the_registry_marks_entries_awaiting_their_seal(logged, audit_seal):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.REGULATOR))
    waiting = AuditEntry.objects.filter(seq__isnull=True).count()
    assert waiting > 0
    page = client.get(reverse("registry-audit")).content.decode()
    assert page.count('data-testid="awaiting-seal"') == waiting
    assert "awaiting seal" in visible_text(page)

    audit_seal()
    page = client.get(reverse("registry-audit")).content.decode()
    assert 'data-testid="awaiting-seal"' not in page
    assert "awaiting seal" not in visible_text(page).replace("shown as awaiting seal", "")


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", ["after", "self-trade prevention: Cancel the resting order"]),
        ("ru", ["после"]),
    ],
)
def test_a_market_opened_reads_its_settings_as_labels(db, language, shown):
    from tests.exchange.trading import make_market

    make_market(make_world(holder_count=1))
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(make_user(Role.REGULATOR))
    text = visible_text(client.get(reverse("registry-audit")).content.decode())
    assert "cancel_resting" not in text
    assert "tick_tiyn" not in text
    for expected in shown:
        assert expected in text
