from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from issuance import access as issuance_access
from issuance import selectors as issuance_selectors
from issuance.storage import document_storage
from qoima.audit.models import ChainCheck
from qoima.chain import selectors as chain_selectors
from qoima.chain.models import NodeHealth, PlatformDeployment
from qoima.custody import selectors as custody_selectors
from qoima.custody import services as custody
from qoima.custody.selectors import custodial_wallet
from qoima.errors import ApplicationError, NotFound, TooManyRequests
from qoima.exchange import selectors as exchange_selectors
from qoima.exchange.selectors import cash as exchange_cash
from qoima.health import health_rows, platform_health
from qoima.throttling import throttle_check

from . import selectors, services
from .access import current_user, permits_visible_to, role_required
from .forms import (
    HolderRegistrationForm,
    HolderSuspendForm,
    HolderVerifyForm,
    IssuerRegistrationForm,
    OrganisationVerificationForm,
    OrganisationVerifyForm,
    PermitAddForm,
    PermitRefuseForm,
    PermitStatusForm,
    PermitVerifyForm,
)
from .models import HolderProfile, Organisation, Permit, Role, User

DASHBOARDS = {
    Role.ISSUER_STAFF: "dashboard-issuer",
    Role.HOLDER: "dashboard-holder",
    Role.COMPLIANCE_OFFICER: "dashboard-compliance",
    Role.REGULATOR: "dashboard-regulator",
    Role.PLATFORM_ADMIN: "dashboard-admin",
    Role.TREASURY_OFFICER: "dashboard-treasury",
}


def home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard" if request.user.is_authenticated else "login")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    role = selectors.user_role(request.user)
    if role is None:
        raise PermissionDenied
    return redirect(DASHBOARDS[role])


_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _status(form: Form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _apply_form_errors(form: Form, error: ApplicationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


def register_issuer(request: HttpRequest) -> HttpResponse:
    form = IssuerRegistrationForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        # "Already registered" tells whether a BIN / IIN is known (an IIN encodes a birth
        # date): tries are counted per address, as for holders.
        try:
            throttle_check(request, "registration")
        except TooManyRequests as error:
            form.add_error(None, str(error.message))
            context = {"form": form, "issuer": True}
            return render(request, "participants/register.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation = services.organisation_register(
                kind=data["kind"],
                legal_name=data["legal_name"],
                identification_number=data["identification_number"].strip(),
                registered_address=data["registered_address"],
                permit_number=data["permit_number"],
                permit_authority=data["permit_authority"],
                permit_issued_on=data["permit_issued_on"],
                permit_expires_on=data["permit_expires_on"],
                permit_document=data["permit_document"],
                username=data["username"],
                email=data["email"],
                password=data["password"],
            )
        except ApplicationError as error:
            _apply_form_errors(form, error)
        else:
            login(request, organisation.staff.get(), backend=_BACKEND)
            messages.success(
                request,
                _(
                    "Your organisation is registered. Compliance will verify your permit "
                    "against its document; until then you cannot submit applications."
                ),
            )
            return redirect("dashboard")
    return render(
        request, "participants/register.html", {"form": form, "issuer": True}, status=_status(form)
    )


def register_holder(request: HttpRequest) -> HttpResponse:
    form = HolderRegistrationForm(request.POST or None)
    if request.method == "POST":
        try:
            throttle_check(request, "registration")
        except TooManyRequests as error:
            form.add_error(None, str(error.message))
            context = {"form": form, "issuer": False}
            return render(request, "participants/register.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            holder = services.holder_register(
                username=data["username"],
                email=data["email"],
                password=data["password"],
                kind=data["kind"],
                full_name=data["full_name"],
                identification_number=data["identification_number"],
            )
        except ApplicationError as error:
            _apply_form_errors(form, error)
        else:
            login(request, holder.user, backend=_BACKEND)
            messages.success(request, _("You are registered. Compliance will verify you."))
            return redirect("dashboard")
    return render(
        request, "participants/register.html", {"form": form, "issuer": False}, status=_status(form)
    )


# How many rows of a dashboard's queue or history it lists; the counts cover them all.
DASHBOARD_ROWS = 10


def _issuer_page(
    request: HttpRequest,
    *,
    form: PermitAddForm | None = None,
    verification_form: OrganisationVerificationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = current_user(request)
    organisation = user.organisation
    if organisation is None:  # issuer staff without an organisation is a broken account
        raise PermissionDenied
    permits = [
        (permit, selectors.permit_validity(permit))
        for permit in selectors.organisation_permits(organisation)
    ]
    redemptions = issuance_selectors.redemptions_waiting(
        issuance_access.redemptions_visible_to(user)
    )
    distributions = issuance_selectors.distributions_under_way(
        issuance_access.distributions_visible_to(user)
    )
    return render(
        request,
        "participants/dashboard_issuer.html",
        {
            "organisation": organisation,
            "permits": permits,
            "permit_form": form or PermitAddForm(),
            "verification_form": verification_form or OrganisationVerificationForm(),
            "assets": issuance_selectors.issuer_assets(organisation),
            "open_applications": issuance_selectors.open_application_counts(organisation),
            "redemptions": list(redemptions[:DASHBOARD_ROWS]),
            "redemption_queue": issuance_selectors.waiting_in(redemptions, "requested_at"),
            "distributions": list(distributions[:DASHBOARD_ROWS]),
            "distribution_queue": issuance_selectors.waiting_in(distributions, "created_at"),
        },
        status=status,
    )


@role_required(Role.ISSUER_STAFF)
def dashboard_issuer(request: HttpRequest) -> HttpResponse:
    return _issuer_page(request)


@require_POST
@role_required(Role.ISSUER_STAFF)
def issuer_verification_submit(request: HttpRequest) -> HttpResponse:
    """The issuer's staff send the organisation's documents for compliance to verify."""
    form = OrganisationVerificationForm(request.POST, request.FILES)
    if not form.is_valid():
        return _issuer_page(request, verification_form=form, status=400)
    try:
        services.organisation_verification_submit(actor=current_user(request), **form.cleaned_data)
    except ApplicationError as error:
        _apply_form_errors(form, error)
        return _issuer_page(request, verification_form=form, status=error.status_code)
    messages.success(request, _("The documents are sent; compliance verifies the organisation."))
    return redirect("dashboard-issuer")


@require_POST
@role_required(Role.COMPLIANCE_OFFICER)
def organisation_verify(request: HttpRequest, organisation_id: int) -> HttpResponse:
    return _compliance_action(
        request,
        OrganisationVerifyForm(request.POST),
        lambda officer, data: services.organisation_verify(
            officer=officer,
            organisation_id=organisation_id,
            confirmed=data["confirmed"],
            note=data["note"],
        ),
        str(_("The organisation is verified.")),
    )


@require_POST
@role_required(Role.COMPLIANCE_OFFICER)
def organisation_refuse(request: HttpRequest, organisation_id: int) -> HttpResponse:
    return _compliance_action(
        request,
        HolderSuspendForm(request.POST),
        lambda officer, data: services.organisation_refuse(
            officer=officer, organisation_id=organisation_id, reason=data["reason"]
        ),
        str(_("The organisation is refused.")),
    )


@role_required(Role.COMPLIANCE_OFFICER, Role.REGULATOR, Role.ISSUER_STAFF)
def organisation_document(request: HttpRequest, organisation_id: int, which: str) -> FileResponse:
    """An organisation's registration or authority document, to compliance, the regulator and
    the organisation's own staff."""
    user = current_user(request)
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    if selectors.user_role(user) == Role.ISSUER_STAFF and user.organisation_id != organisation.pk:
        raise Http404
    field = {"registration": "registration_document", "authority": "authority_document"}.get(which)
    name = getattr(organisation, field).name if field else ""
    if not name:
        raise Http404
    try:
        stored = document_storage().open(name, "rb")
    except FileNotFoundError:
        raise NotFound(_("The stored file of this document is missing.")) from None
    return FileResponse(stored, as_attachment=True, filename=name.rsplit("/", 1)[-1])


@require_POST
@role_required(Role.ISSUER_STAFF)
def issuer_permit_add(request: HttpRequest) -> HttpResponse:
    """The issuer records a renewed or additional permit of its own organisation."""
    form = PermitAddForm(request.POST, request.FILES)
    if not form.is_valid():
        return _issuer_page(request, form=form, status=400)
    user = current_user(request)
    try:
        services.permit_add(
            actor=user,
            organisation=user.organisation,  # type: ignore[arg-type]
            number=form.cleaned_data["number"],
            authority=form.cleaned_data["authority"],
            issued_on=form.cleaned_data["issued_on"],
            expires_on=form.cleaned_data["expires_on"],
            document=form.cleaned_data["document"],
        )
    except ApplicationError as error:
        _apply_form_errors(form, error)
        return _issuer_page(request, form=form, status=error.status_code)
    messages.success(
        request, _("The permit is recorded. It counts once compliance has verified it.")
    )
    return redirect("dashboard-issuer")


@role_required(Role.HOLDER)
def dashboard_holder(request: HttpRequest) -> HttpResponse:
    profile = HolderProfile.objects.filter(user=current_user(request)).first()
    wallet = custodial_wallet(profile) if profile else None
    return render(
        request,
        "participants/dashboard_holder.html",
        {
            "profile": profile,
            "wallet": wallet,
            "holdings": exchange_selectors.wallet_holdings(wallet) if wallet else [],
            "history": (
                exchange_selectors.holder_history(profile, limit=DASHBOARD_ROWS) if profile else []
            ),
        },
    )


def _compliance_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    organisations = [
        (organisation, [(p, selectors.permit_validity(p)) for p in organisation.permits.all()])
        for organisation in selectors.organisation_list()
    ]
    applications, confirmations = issuance_selectors.review_waiting()
    return render(
        request,
        "participants/dashboard_compliance.html",
        {
            "queues": {
                "applications": applications,
                "confirmations": confirmations,
                "holders": selectors.holders_waiting(),
                "permits": selectors.permits_waiting(),
            },
            "wallet_links": custody_selectors.links_to_decide(),
            "organisations_waiting": selectors.organisations_waiting(),
            "organisation_form": OrganisationVerifyForm(),
            "holders": selectors.holder_list(),
            "pending_permits": selectors.permits_pending(),
            "organisations": organisations,
            "verify_form": HolderVerifyForm(),
            "suspend_form": HolderSuspendForm(),
            "permit_form": PermitStatusForm(),
            "action_error": error,
        },
        status=status,
    )


@role_required(Role.COMPLIANCE_OFFICER)
def dashboard_compliance(request: HttpRequest) -> HttpResponse:
    return _compliance_page(request)


def _compliance_action(
    request: HttpRequest, form: Form, action: Callable[[User, dict[str, Any]], object], done: str
) -> HttpResponse:
    """Run one compliance action; bad input re-renders the page with its message and a 4xx."""
    if not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _compliance_page(request, error=message, status=400)
    try:
        action(current_user(request), form.cleaned_data)
    except ApplicationError as error:
        return _compliance_page(request, error=str(error.message), status=error.status_code)
    messages.success(request, done)
    return redirect("dashboard-compliance")


@require_POST
@role_required(Role.COMPLIANCE_OFFICER)
def holder_verify(request: HttpRequest, holder_id: int) -> HttpResponse:
    return _compliance_action(
        request,
        HolderVerifyForm(request.POST),
        lambda officer, data: services.holder_verify(
            officer=officer, holder_id=holder_id, document_ref=data["document_ref"]
        ),
        str(_("The holder is verified.")),
    )


@require_POST
@role_required(Role.COMPLIANCE_OFFICER)
def holder_suspend(request: HttpRequest, holder_id: int) -> HttpResponse:
    return _compliance_action(
        request,
        HolderSuspendForm(request.POST),
        lambda officer, data: services.holder_suspend(
            officer=officer, holder_id=holder_id, reason=data["reason"]
        ),
        str(_("The holder is suspended.")),
    )


@require_POST
@role_required(Role.COMPLIANCE_OFFICER)
def wallet_link_approve(request: HttpRequest, link_id: int) -> HttpResponse:
    return _compliance_action(
        request,
        Form(request.POST),
        lambda officer, _data: custody.wallet_link_decide(
            officer=officer, link_id=link_id, approve=True
        ),
        str(_("The wallet is linked; it joins the allowlist on-chain.")),
    )


@require_POST
@role_required(Role.COMPLIANCE_OFFICER)
def wallet_link_refuse(request: HttpRequest, link_id: int) -> HttpResponse:
    return _compliance_action(
        request,
        HolderSuspendForm(request.POST),
        lambda officer, data: custody.wallet_link_decide(
            officer=officer, link_id=link_id, approve=False, reason=data["reason"]
        ),
        str(_("The link is refused.")),
    )


@require_POST
@role_required(Role.COMPLIANCE_OFFICER)
def permit_status(request: HttpRequest, permit_id: int) -> HttpResponse:
    return _compliance_action(
        request,
        PermitStatusForm(request.POST),
        lambda officer, data: services.permit_set_status(
            actor=officer,
            permit_id=permit_id,
            status=data["status"],
            reason=data["reason"],
            document_ref=data["document_ref"],
        ),
        str(_("The permit status is changed.")),
    )


@require_POST
@role_required(Role.COMPLIANCE_OFFICER)
def permit_verify(request: HttpRequest, permit_id: int) -> HttpResponse:
    return _compliance_action(
        request,
        PermitVerifyForm(request.POST, request.FILES),
        lambda officer, data: services.permit_verify(
            officer=officer,
            permit_id=permit_id,
            document_ref=data["document_ref"],
            document=data["document"],
        ),
        str(_("The permit is verified.")),
    )


@require_POST
@role_required(Role.COMPLIANCE_OFFICER)
def permit_refuse(request: HttpRequest, permit_id: int) -> HttpResponse:
    return _compliance_action(
        request,
        PermitRefuseForm(request.POST),
        lambda officer, data: services.permit_refuse(
            officer=officer, permit_id=permit_id, reason=data["reason"]
        ),
        str(_("The permit is refused.")),
    )


@role_required(Role.COMPLIANCE_OFFICER, Role.REGULATOR, Role.ISSUER_STAFF)
def permit_document(request: HttpRequest, permit_id: int) -> FileResponse:
    """The stored permit document, to compliance, the regulator and the issuer's own staff."""
    permit = get_object_or_404(permits_visible_to(current_user(request)), pk=permit_id)
    if not permit.document:
        raise Http404
    try:
        stored = document_storage().open(permit.document.name, "rb")
    except FileNotFoundError:
        raise NotFound(_("The stored file of this document is missing.")) from None
    return FileResponse(
        stored,
        as_attachment=True,
        filename=permit.document_original_name or permit.document.name.rsplit("/", 1)[-1],
        content_type=permit.document_content_type,
    )


@role_required(Role.REGULATOR)
def dashboard_regulator(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "participants/dashboard_regulator.html",
        {
            "organisation_count": Organisation.objects.count(),
            "permit_count": Permit.objects.count(),
            "holder_counts": {
                status.label: HolderProfile.objects.filter(verification_status=status).count()
                for status in HolderProfile.Status
            },
            "last_check": ChainCheck.objects.first(),
        },
    )


@role_required(Role.PLATFORM_ADMIN)
def dashboard_admin(request: HttpRequest) -> HttpResponse:
    health = platform_health()
    return render(
        request,
        "participants/dashboard_admin.html",
        {
            "health": health_rows(health),
            "failing": health.failing,
            "queues": chain_selectors.platform_queues(),
            "last_check": ChainCheck.objects.first(),
            "nodes": NodeHealth.objects.all(),
            "deployments": PlatformDeployment.objects.all(),
        },
    )


@role_required(Role.TREASURY_OFFICER)
def dashboard_treasury(request: HttpRequest) -> HttpResponse:
    """What waits for the treasury, each queue with its count and its oldest item's age."""
    return render(
        request,
        "participants/dashboard_treasury.html",
        {
            "queues": exchange_cash.treasury_queues(),
            "overview": exchange_cash.ledger_overview(),
            "imports": list(exchange_cash.statement_imports()[:5]),
        },
    )
