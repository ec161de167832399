"""What compliance is offered for each holder and permit, as its dashboard shows it, and what
the same request is answered when the rule says no (qoima/participants/access.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from qoima.participants.models import HolderProfile, Permit, Role
from qoima.participants.services import holder_suspend, holder_verify
from tests.factories import HolderProfileFactory, PermitFactory, make_user, valid_iins

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def dashboard(user) -> str:
    response = client_for(user).get(reverse("dashboard-compliance"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_holder_is_offered_verification_until_verified_and_suspension_after():
    officer = make_user(Role.COMPLIANCE_OFFICER)
    waiting, verified, suspended = (
        HolderProfileFactory(identification_number=number) for number in valid_iins(3)
    )
    holder_verify(officer=officer, holder_id=verified.pk, document_ref="KYC-1")
    holder_verify(officer=officer, holder_id=suspended.pk, document_ref="KYC-2")
    holder_suspend(officer=officer, holder_id=suspended.pk, reason="Court order")
    shown = dashboard(officer)
    assert f'data-testid="verify-{waiting.pk}"' in shown
    assert f'data-testid="suspend-{waiting.pk}"' not in shown
    assert f'data-testid="suspend-{verified.pk}"' in shown
    assert f'data-testid="verify-{verified.pk}"' not in shown
    assert f'data-testid="verify-{suspended.pk}"' in shown
    assert f'data-testid="suspend-{suspended.pk}"' not in shown
    again = client_for(officer).post(
        reverse("holder-verify", args=[verified.pk]), {"document_ref": "KYC-3"}
    )
    assert again.status_code == 409
    assert "already verified" in again.content.decode()
    waiting.refresh_from_db()
    assert waiting.verification_status == HolderProfile.Status.UNVERIFIED


def test_a_permit_offers_review_while_pending_and_only_the_allowed_status_changes():
    officer = make_user(Role.COMPLIANCE_OFFICER)
    pending = PermitFactory(status=Permit.Status.PENDING, verified_by=None, verified_at=None)
    active = PermitFactory(organisation=pending.organisation)
    revoked = PermitFactory(organisation=pending.organisation, status=Permit.Status.REVOKED)
    shown = dashboard(officer)
    assert f'data-testid="permit-verify-{pending.pk}"' in shown
    assert f'data-testid="permit-status-{pending.pk}"' not in shown
    assert f'data-testid="permit-status-{revoked.pk}"' not in shown
    form = shown.split(f'data-testid="permit-status-{active.pk}"')[1].split("</form>")[0]
    assert 'value="suspended"' in form
    assert 'value="revoked"' in form
    assert 'value="active"' not in form
    assert 'value="pending"' not in form
    refused = client_for(officer).post(
        reverse("permit-status", args=[revoked.pk]),
        {"status": "active", "reason": "Renewed", "document_ref": "MDDIAI-1"},
    )
    assert refused.status_code == 409
    assert "cannot become" in refused.content.decode()
    revoked.refresh_from_db()
    assert revoked.status == Permit.Status.REVOKED
