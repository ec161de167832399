"""Who may see and do what with one application, document, distribution or redemption, as
each role meets it: a page, an API answer, a button shown or left out (issuance/access.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from issuance import services
from issuance.models import Application
from qoima.participants.models import Role, User
from tests.factories import OrganisationFactory, PermitFactory, make_user

from .conftest import World, holder_with_units, issued_without_chain


def client_for(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def other_issuer() -> User:
    user = make_user(
        Role.ISSUER_STAFF, organisation=OrganisationFactory(identification_number="950341000052")
    )
    PermitFactory(organisation=user.organisation)
    return user


def page(user: User, name: str, *args: int) -> str:
    response = client_for(user).get(reverse(name, args=args))
    assert response.status_code == 200, (name, response.status_code)
    return response.content.decode()


def listed(user: User) -> set[int]:
    response = client_for(user).get(reverse("api-applications"))
    assert response.status_code == 200
    return {row["id"] for row in response.json()}


# ------------------------------------------------------------------------------ visible


@pytest.mark.django_db
def test_a_draft_is_its_issuers_alone(world: World):
    draft = world.draft()
    stranger = other_issuer()
    assert "edit-link" in page(world.issuer, "issuance-detail", draft.pk)
    assert listed(world.issuer) == {draft.pk}
    for user in (stranger, world.officer_a):
        client = client_for(user)
        assert client.get(reverse("issuance-detail", args=[draft.pk])).status_code == 404
        assert client.get(reverse("api-application", args=[draft.pk])).status_code == 404
        assert draft.pk not in listed(user)


@pytest.mark.django_db
def test_a_submitted_application_is_seen_by_officers_and_not_by_other_issuers(world: World):
    application = world.submitted()
    stranger = other_issuer()
    assert application.pk in listed(world.officer_a)
    assert application.name in page(world.officer_a, "issuance-detail", application.pk)
    recent = page(world.officer_a, "issuance-review")
    assert reverse("issuance-detail", args=[application.pk]) in recent
    assert application.pk not in listed(stranger)
    answer = client_for(stranger).get(reverse("api-application", args=[application.pk]))
    assert answer.status_code == 404
    for user in (make_user(Role.HOLDER), make_user(Role.REGULATOR)):
        client = client_for(user)
        assert client.get(reverse("issuance-detail", args=[application.pk])).status_code == 403
        assert client.get(reverse("api-application", args=[application.pk])).status_code == 403


@pytest.mark.django_db
def test_a_document_is_downloaded_only_by_who_sees_its_application(world: World):
    draft = world.draft()
    document = world.upload(draft, "issuance_decision")
    url = reverse("issuance-download", args=[document.pk])
    assert client_for(world.issuer).get(url).status_code == 200
    assert client_for(other_issuer()).get(url).status_code == 404
    assert client_for(world.officer_a).get(url).status_code == 404
    world.upload(draft, "proof_of_rights")
    services.application_submit(actor=world.issuer, application_id=draft.pk)
    assert client_for(world.officer_a).get(url).status_code == 200


# ------------------------------------------------------------------------------ can_edit


@pytest.mark.django_db
def test_the_edit_controls_show_while_the_issuer_may_edit(world: World):
    draft = world.draft()
    shown = page(world.issuer, "issuance-detail", draft.pk)
    for control in ("edit-link", "submit-form", "document-form"):
        assert f'data-testid="{control}"' in shown
    world.upload(draft, "issuance_decision")
    world.upload(draft, "proof_of_rights")
    services.application_submit(actor=world.issuer, application_id=draft.pk)
    for user in (world.issuer, world.officer_a):
        shown = page(user, "issuance-detail", draft.pk)
        for control in ("edit-link", "submit-form", "document-form"):
            assert f'data-testid="{control}"' not in shown, (user, control)
    edit = client_for(world.issuer).get(reverse("issuance-edit", args=[draft.pk]))
    assert edit.status_code == 409
    assert "A submitted application cannot be changed." in edit.content.decode()
    put = client_for(world.issuer).put(
        reverse("api-application", args=[draft.pk]), {}, content_type="application/json"
    )
    assert put.status_code == 400


@pytest.mark.django_db
def test_changes_requested_give_the_issuer_the_edit_controls_back(world: World):
    application = world.submitted()
    services.application_request_changes(
        officer=world.officer_a, application_id=application.pk, reason="Scan is unreadable"
    )
    shown = page(world.issuer, "issuance-detail", application.pk)
    assert 'data-testid="edit-link"' in shown
    assert "Scan is unreadable" in shown
    assert 'data-testid="edit-link"' not in page(world.officer_a, "issuance-detail", application.pk)


# ------------------------------------------------------------------------------ review


@pytest.mark.django_db
def test_a_submitted_application_offers_officers_approval_and_refusal_only(world: World):
    application = world.submitted()
    officer = page(world.officer_a, "issuance-detail", application.pk)
    assert 'data-testid="approve-form"' in officer
    assert 'data-testid="changes-form"' in officer
    assert 'data-testid="confirm-form"' not in officer
    issuer = page(world.issuer, "issuance-detail", application.pk)
    for control in ("approve-form", "changes-form", "confirm-form"):
        assert f'data-testid="{control}"' not in issuer


@pytest.mark.django_db
def test_only_a_second_officer_is_offered_the_confirmation(world: World):
    application = world.approved()
    maker = page(world.officer_a, "issuance-detail", application.pk)
    assert 'data-testid="confirm-form"' not in maker
    assert 'data-testid="approve-form"' not in maker
    assert "A different officer must confirm the approval" in maker
    checker = page(world.officer_b, "issuance-detail", application.pk)
    assert 'data-testid="confirm-form"' in checker
    assert 'data-testid="changes-form"' in checker
    refused = client_for(world.officer_a).post(
        reverse("api-application-confirm", args=[application.pk]),
        {},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert "a different officer must confirm it" in refused.json()["detail"]


@pytest.mark.django_db
def test_a_rejected_application_offers_no_review_action(world: World):
    application = world.submitted()
    services.application_reject(
        officer=world.officer_a, application_id=application.pk, reason="Not an asset"
    )
    shown = page(world.officer_b, "issuance-detail", application.pk)
    for control in ("approve-form", "confirm-form", "changes-form", "reject-button"):
        assert f'data-testid="{control}"' not in shown
    again = client_for(world.officer_b).post(
        reverse("issuance-reject", args=[application.pk]), {"reason": "again"}
    )
    assert again.status_code == 409


# ------------------------------------------------------------------------------ distribution


@pytest.mark.django_db
def test_distribution_is_offered_to_the_issuer_of_an_issued_asset_only(world: World):
    application = issued_without_chain(world)
    assert 'data-testid="distribution"' in page(world.issuer, "issuance-detail", application.pk)
    assert 'data-testid="distribution"' not in page(
        world.officer_a, "issuance-detail", application.pk
    )
    draft = world.draft(symbol="WHT4")
    assert 'data-testid="distribution"' not in page(world.issuer, "issuance-detail", draft.pk)
    refused = client_for(world.issuer).post(
        reverse("api-distributions", args=[draft.pk]),
        {"receiver": str(world.holders[0].pk), "amount": "1"},
        content_type="application/json",
    )
    assert refused.status_code == 409


@pytest.mark.django_db
def test_a_distribution_is_its_issuers_alone(world: World):
    application = issued_without_chain(world)
    distribution = services.distribution_send(
        actor=world.issuer,
        application_id=application.pk,
        receiver=str(world.holders[1].pk),
        amount="1",
        idempotency_key="access",
    )
    stranger = client_for(other_issuer())
    own = client_for(world.issuer)
    for name in ("issuance-distribution", "api-distribution"):
        url = reverse(name, args=[distribution.pk])
        assert own.get(url).status_code == 200
        assert stranger.get(url).status_code == 404
        assert client_for(world.officer_a).get(url).status_code == 403


# ------------------------------------------------------------------------------ redemption


@pytest.mark.django_db
def test_an_open_redemption_is_answered_by_its_issuer_alone(world: World):
    application = issued_without_chain(world)
    holder = holder_with_units(world, application, 1000)
    redemption = services.redemption_request(
        actor=holder.user, application_id=application.pk, amount="4"
    )
    row = f'data-testid="redemption-{redemption.pk}"'
    issuer_list = page(world.issuer, "issuance-list")
    assert row in issuer_list
    assert 'data-testid="fulfil-form"' in issuer_list
    stranger = other_issuer()
    assert row not in page(stranger, "issuance-list")
    refused = client_for(stranger).post(
        reverse("api-redemption-refuse", args=[redemption.pk]),
        {"reason": "not ours"},
        content_type="application/json",
    )
    assert refused.status_code == 404
    # The holder sees their own request; another holder does not.
    mine = f'data-testid="my-redemption-{redemption.pk}"'
    assert mine in page(holder.user, "issuance-assets")
    assert mine not in page(world.holders[1].user, "issuance-assets")

    services.redemption_refuse(actor=world.issuer, redemption_id=redemption.pk, reason="Closed")
    answered = page(world.issuer, "issuance-list")
    assert row in answered
    assert 'data-testid="fulfil-form"' not in answered
    again = client_for(world.issuer).post(
        reverse("api-redemption-fulfil", args=[redemption.pk]),
        {"reference": "Act 1"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert Application.objects.get(pk=application.pk).status == Application.Status.ISSUED
