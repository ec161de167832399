"""Pages, admin and API: roles, bad input (4xx, message, nothing changed) and CSRF."""

import pytest
from django.test import Client
from django.urls import reverse

from qoima.audit.models import AuditEntry
from qoima.participants.models import HolderProfile, Organisation, Role
from tests.factories import HolderProfileFactory, make_user, pdf_upload

pytestmark = pytest.mark.django_db

DASHBOARDS = {
    Role.ISSUER_STAFF: "dashboard-issuer",
    Role.HOLDER: "dashboard-holder",
    Role.COMPLIANCE_OFFICER: "dashboard-compliance",
    Role.REGULATOR: "dashboard-regulator",
    Role.PLATFORM_ADMIN: "dashboard-admin",
    Role.TREASURY_OFFICER: "dashboard-treasury",
}


def client_for(role: Role) -> Client:
    client = Client()
    client.force_login(make_user(role))
    return client


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_dashboard_and_only_there(role):
    client = client_for(role)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse(DASHBOARDS[role])
    assert client.get(reverse(DASHBOARDS[role])).status_code == 200
    for other, name in DASHBOARDS.items():
        if other != role:
            assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", list(DASHBOARDS.values()))
def test_anonymous_users_are_sent_to_log_in(name):
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_logs_in_and_redirects_to_dashboard():
    user = make_user(Role.REGULATOR)
    response = Client().post(
        reverse("login"), {"username": user.username, "password": "correct-horse-battery-9"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


ISSUER_FORM = {
    "kind": "legal_entity",
    "legal_name": "ТОО «Астық»",
    "identification_number": "940140000385",
    "registered_address": "Astana",
    "permit_number": "KZ-1",
    "permit_authority": "MDDIAI",
    "permit_issued_on": "2026-01-10",
    "username": "astyq",
    "email": "office@astyq.kz",
    "password": "Strong-passphrase-42",
}


def issuer_form(**changes: object) -> dict[str, object]:
    """The registration form's fields with a fresh permit document (an upload is read once)."""
    return {**ISSUER_FORM, "permit_document": pdf_upload(), **changes}


def test_issuer_registration_form_registers_and_logs_in():
    client = Client()
    response = client.post(reverse("register-issuer"), issuer_form())
    assert response.status_code == 302
    assert Organisation.objects.get().permits.count() == 1
    assert client.get(reverse("dashboard-issuer")).status_code == 200


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("940140000386", "check digit"),
        ("94014000038", "12 digits"),
        ("94014000038X", "digits only"),
        ("940170000380", "5th digit"),
        ("941340000380", "month"),
        ("791028302728", "5th digit"),
    ],
)
def test_issuer_registration_form_says_which_rule_failed(number, message):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("register-issuer"), issuer_form(identification_number=number)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Organisation.objects.exists()


def test_registration_form_messages_are_translated():
    response = Client(HTTP_ACCEPT_LANGUAGE="ru").post(
        reverse("register-issuer"), issuer_form(identification_number="94014000038X")
    )
    assert response.status_code == 400
    assert "только из цифр" in response.content.decode()


def test_html_in_text_fields_is_escaped():
    client = Client()
    client.post(reverse("register-issuer"), issuer_form(legal_name="<script>x()</script>"))
    page = client.get(reverse("dashboard-issuer")).content.decode()
    assert "<script>x()</script>" not in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("number", "message"), [("940140000386", "check digit"), ("050150001232", "non-resident")]
)
def test_admin_refuses_a_bad_issuer_number_with_the_rule(number, message):
    admin = make_user(Role.PLATFORM_ADMIN, is_superuser=True, is_staff=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    response = client.post(
        reverse("admin:participants_organisation_add"),
        {
            "kind": "legal_entity",
            "legal_name": "X",
            "identification_number": number,
            "registered_address": "",
            "permits-TOTAL_FORMS": "0",
            "permits-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Organisation.objects.exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"number": "940140000386", "kind": "bin"}, "check digit"),
        ({"number": "9401400003", "kind": "bin"}, "12 digits"),
        ({"number": "ABC140000385", "kind": "any"}, "digits only"),
        ({"number": "940170000380", "kind": "bin"}, "5th digit"),
        ({"number": "791328302728", "kind": "iin"}, "date of birth"),
    ],
)
def test_api_number_check_says_which_rule_failed(payload, message):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("api-identification-check"), payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert message in " ".join(response.json()["number"])


def test_api_number_check_reads_a_valid_iin():
    response = Client().post(
        reverse("api-identification-check"),
        {"number": "791028302728"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "number": "791028302728",
        "kind": "iin",
        "date": "1979-10-28",
        "bin_type": None,
    }


def test_api_issuer_registration_validates_like_the_form():
    url = reverse("api-issuer-register")
    bad = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        url, issuer_form(identification_number="940140000386")
    )
    assert bad.status_code == 400
    assert "check digit" in bad.json()["detail"]
    assert bad.json()["field"] == "identification_number"
    assert not Organisation.objects.exists()
    good = Client().post(url, issuer_form())
    assert good.status_code == 201
    assert good.json()["identification_number"] == "940140000385"


def test_api_me_needs_authentication_and_tells_the_role():
    anonymous = Client().get(reverse("api-me"))
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    response = client_for(Role.REGULATOR).get(reverse("api-me"))
    assert response.json()["role"] == "regulator"


def test_compliance_verifies_a_holder_from_the_dashboard():
    holder = HolderProfileFactory()
    client = client_for(Role.COMPLIANCE_OFFICER)
    response = client.post(reverse("holder-verify", args=[holder.pk]), {"document_ref": "KYC-9"})
    assert response.status_code == 302
    holder.refresh_from_db()
    assert holder.verification_status == HolderProfile.Status.VERIFIED


def test_compliance_action_with_bad_input_answers_4xx_and_changes_nothing():
    holder = HolderProfileFactory()
    client = client_for(Role.COMPLIANCE_OFFICER)
    response = client.post(reverse("holder-verify", args=[holder.pk]), {"document_ref": ""})
    assert response.status_code == 400
    response = client.post(reverse("holder-suspend", args=[holder.pk]), {"reason": "x"})
    assert response.status_code == 409
    response = client.post(reverse("holder-verify", args=[424242]), {"document_ref": "K"})
    assert response.status_code == 404
    holder.refresh_from_db()
    assert holder.verification_status == HolderProfile.Status.UNVERIFIED
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("role", [Role.HOLDER, Role.ISSUER_STAFF, Role.REGULATOR])
def test_other_roles_cannot_use_compliance_actions(role):
    holder = HolderProfileFactory()
    response = client_for(role).post(
        reverse("holder-verify", args=[holder.pk]), {"document_ref": "K"}
    )
    assert response.status_code == 403
    holder.refresh_from_db()
    assert holder.verification_status == HolderProfile.Status.UNVERIFIED


def test_forged_csrf_is_refused():
    holder = HolderProfileFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.COMPLIANCE_OFFICER))
    response = client.post(reverse("holder-verify", args=[holder.pk]), {"document_ref": "K"})
    assert response.status_code == 403
    holder.refresh_from_db()
    assert holder.verification_status == HolderProfile.Status.UNVERIFIED


def test_language_switcher_changes_the_language():
    client = Client()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert "Log in" in client.get(reverse("login")).content.decode()
    client.post(reverse("set_language"), {"language": "ru", "next": "/accounts/login/"})
    assert "Войти" in client.get(reverse("login")).content.decode()


def test_holder_registration_form_registers_an_unverified_holder():
    client = Client()
    response = client.post(
        reverse("register-holder"),
        {
            "kind": "individual",
            "full_name": "Әлия Нұрланова",
            "identification_number": "791028302728",
            "username": "aliya",
            "email": "aliya@example.kz",
            "password": "Strong-passphrase-42",
        },
    )
    assert response.status_code == 302
    holder = HolderProfile.objects.get()
    assert holder.verification_status == HolderProfile.Status.UNVERIFIED
    page = client.get(reverse("dashboard-holder"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Unverified" in page


def test_holder_registration_refuses_a_bin_for_an_individual():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("register-holder"),
        {
            "kind": "individual",
            "full_name": "X",
            "identification_number": "940140000385",
            "username": "x",
            "email": "x@example.kz",
            "password": "Strong-passphrase-42",
        },
    )
    assert response.status_code == 400
    assert "identified by an IIN" in response.content.decode()
    assert not HolderProfile.objects.exists()


def test_issuer_records_a_renewed_permit_and_bad_dates_change_nothing():
    issuer = make_user(Role.ISSUER_STAFF)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(issuer)
    url = reverse("issuer-permit-add")
    bad = client.post(
        url,
        {
            "number": "R-1",
            "authority": "A",
            "issued_on": "2026-05-01",
            "expires_on": "2026-04-01",
            "document": pdf_upload(),
        },
    )
    assert bad.status_code == 400
    assert "must expire after" in bad.content.decode()
    assert not issuer.organisation.permits.exists()
    good = client.post(
        url,
        {"number": "R-1", "authority": "A", "issued_on": "2026-05-01", "document": pdf_upload()},
    )
    assert good.status_code == 302
    assert str(issuer.organisation.permits.get().expires_on) == "2029-05-01"
    assert client.get(reverse("dashboard-issuer")).status_code == 200


def test_the_language_a_user_signs_in_with_is_the_language_of_their_mail():
    user = make_user(Role.ISSUER_STAFF)
    client = Client()
    client.post(reverse("set_language"), {"language": "kk", "next": "/accounts/login/"})
    client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-battery-9"}
    )
    user.refresh_from_db()
    assert user.preferred_language == "kk"
    entry = AuditEntry.objects.filter(action="user.language_changed").get()
    assert entry.details == {"from": "", "to": "kk"}
    # The same language again changes nothing and logs nothing.
    client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-battery-9"}
    )
    assert AuditEntry.objects.filter(action="user.language_changed").count() == 1
