"""Pages of issuance: parse, authorise, call one service, render."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from qoima.accounts.second_factor import reauthentication_required
from qoima.chain.amounts import units_to_amount
from qoima.custody.selectors import custodial_wallet, organisation_wallet
from qoima.errors import ApplicationError, Conflict, NotFound
from qoima.participants.access import current_user, holder_for, role_required
from qoima.participants.models import HolderProfile, Role, User
from qoima.throttling import throttle_check

from . import access, selectors, services
from .forms import (
    ApplicationForm,
    ApproveForm,
    CsvForm,
    DocumentForm,
    FulfilForm,
    NoteForm,
    ReasonForm,
    RedeemForm,
    SendForm,
)
from .models import Application, Distribution
from .storage import document_storage

ISSUER, OFFICER, HOLDER = Role.ISSUER_STAFF, Role.COMPLIANCE_OFFICER, Role.HOLDER


def _visible(request: HttpRequest, application_id: int) -> Application:
    return access.application_for(
        current_user(request),
        application_id,
        Application.objects.select_related("organisation", "permit", "approved_by", "confirmed_by"),
    )


def _error_text(form: Form, *, shown_again: bool = False) -> str:
    """What the page's alert says of a refused form: its errors, or, when the form is shown
    again with each error under its field, where to look (not the same words twice)."""
    if shown_again:
        return str(_("Nothing was done: correct the fields marked below."))
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _form_error(form: Form, error: ApplicationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


# ------------------------------------------------------------------------------ issuer


@role_required(ISSUER)
def application_list(request: HttpRequest) -> HttpResponse:
    return _with_error(request, "", 200)


def _application_data(form: ApplicationForm) -> services.ApplicationData:
    return services.ApplicationData(**form.cleaned_data)


@role_required(ISSUER)
def application_new(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                application = services.application_create(
                    actor=current_user(request), data=_application_data(form)
                )
            except ApplicationError as error:
                _form_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("The draft is saved. Upload its documents next."))
                return redirect("issuance-detail", application.pk)
    return render(request, "issuance/application_form.html", {"form": form}, status=status)


@role_required(ISSUER)
def application_edit(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _visible(request, application_id)
    if not access.can_edit(current_user(request), application):
        raise Conflict(_("A submitted application cannot be changed."))
    if request.method == "POST":
        form = ApplicationForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.application_update(
                    actor=current_user(request),
                    application_id=application.pk,
                    data=_application_data(form),
                )
            except ApplicationError as error:
                _form_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("The draft is saved."))
                return redirect("issuance-detail", application.pk)
    else:
        status = 200
        form = ApplicationForm(
            initial={
                "name": application.name,
                "symbol": application.symbol,
                "asset_class": application.asset_class,
                "description": application.description,
                "asset_identifier": application.asset_identifier,
                "decimals": application.decimals,
                "backed_amount": units_to_amount(application.backed_units, application.decimals),
                "mint_amount": units_to_amount(application.mint_units, application.decimals),
            }
        )
    return render(
        request,
        "issuance/application_form.html",
        {"form": form, "application": application},
        status=status,
    )


def _detail(
    request: HttpRequest,
    application: Application,
    *,
    error: str = "",
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    documents = list(
        application.documents.select_related("superseded_by", "uploaded_by").order_by(
            "kind", "-uploaded_at"
        )
    )
    distributions = selectors.distributions_with_progress(application)
    context = {
        "application": application,
        "documents": documents,
        "hashes_on_chain": selectors.document_hashes_on_chain(application),
        "reviews": application.reviews.select_related("actor"),
        "checklist": selectors.checklist(application),
        "reviewed": selectors.checklist_as_reviewed(application),
        "document_form": forms.get("document_form") or DocumentForm(),
        "approve_form": forms.get("approve_form") or ApproveForm(),
        "note_form": NoteForm(),
        "reason_form": ReasonForm(),
        "send_form": forms.get("send_form") or SendForm(),
        "csv_form": forms.get("csv_form") or CsvForm(),
        "distributions": distributions,
        "action_error": error,
        "wallet": organisation_wallet(application.organisation),
        "may": access.application_actions(current_user(request), application),
        **_onchain(application),
    }
    return render(request, "issuance/application_detail.html", context, status=status)


def _onchain(application: Application) -> dict[str, Any]:
    issue, mint = application.issue_operation, application.mint_operation
    in_flight = application.status == Application.Status.ISSUING
    return {
        "issue_op": issue,
        "mint_op": mint,
        "issue_tx": issue.transaction if issue else None,
        "mint_tx": mint.transaction if mint else None,
        "in_flight": in_flight,
        "chain_confirmations": settings.CHAIN_CONFIRMATIONS,
    }


@role_required(ISSUER, OFFICER)
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    return _detail(request, _visible(request, application_id))


@role_required(ISSUER, OFFICER)
def application_status(request: HttpRequest, application_id: int) -> HttpResponse:
    """The on-chain progress alone, for the page's live refresh."""
    application = _visible(request, application_id)
    response = render(
        request,
        "issuance/_onchain.html",
        {"application": application, **_onchain(application)},
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _act(
    request: HttpRequest,
    application_id: int,
    form: Form,
    action: Callable[[User, dict[str, Any]], object],
    done: str,
    *,
    form_name: str = "",
) -> HttpResponse:
    """Run one action on an application; bad input re-renders its page with a 4xx."""
    application = _visible(request, application_id)
    extra = {form_name: form} if form_name else {}
    if not form.is_valid():
        error = _error_text(form, shown_again=bool(form_name))
        return _detail(request, application, error=error, status=400, **extra)
    try:
        action(current_user(request), form.cleaned_data)
    except ApplicationError as error:
        application.refresh_from_db()
        return _detail(
            request, application, error=str(error.message), status=error.status_code, **extra
        )
    messages.success(request, done)
    return redirect("issuance-detail", application.pk)


@require_POST
@role_required(ISSUER)
def document_upload(request: HttpRequest, application_id: int) -> HttpResponse:
    return _act(
        request,
        application_id,
        DocumentForm(request.POST, request.FILES),
        lambda user, data: services.document_add(
            actor=user,
            application_id=application_id,
            data=services.DocumentData(
                kind=data["kind"],
                title=data["title"],
                number=data["number"],
                dated_on=data["dated_on"],
                signatory=data["signatory"],
            ),
            upload=data["file"],
        ),
        str(_("The document is stored.")),
        form_name="document_form",
    )


@require_POST
@role_required(ISSUER)
def application_submit(request: HttpRequest, application_id: int) -> HttpResponse:
    return _act(
        request,
        application_id,
        Form(request.POST),
        lambda user, _data: services.application_submit(actor=user, application_id=application_id),
        str(_("The application is submitted for review.")),
    )


@role_required(ISSUER, OFFICER)
def document_download(request: HttpRequest, document_id: int) -> FileResponse:
    document = access.document_for(current_user(request), document_id)
    try:
        stored = document_storage().open(document.file.name, "rb")
    except FileNotFoundError:
        # The registry's re-hash reports a lost file; here the reader learns it is gone.
        raise NotFound(_("The stored file of this document is missing.")) from None
    return FileResponse(
        stored,
        as_attachment=True,
        filename=document.original_name or document.file.name,
        content_type=document.content_type,
    )


# ------------------------------------------------------------------------------ officers


@role_required(OFFICER)
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "issuance/review_queue.html",
        {
            "queue": selectors.review_queue(),
            "recent": access.applications_visible_to(current_user(request))
            .select_related("organisation")
            .order_by("-created_at", "-pk")[:50],
        },
    )


@require_POST
@role_required(OFFICER)
def application_approve(request: HttpRequest, application_id: int) -> HttpResponse:
    return _act(
        request,
        application_id,
        ApproveForm(request.POST),
        lambda user, data: services.application_approve(
            officer=user,
            application_id=application_id,
            confirmed_items=data["items"],
            note=data["note"],
        ),
        str(_("Approved. A second officer must confirm the approval.")),
        form_name="approve_form",
    )


@require_POST
@role_required(OFFICER)
@reauthentication_required
def application_confirm(request: HttpRequest, application_id: int) -> HttpResponse:
    return _act(
        request,
        application_id,
        NoteForm(request.POST),
        lambda user, data: services.application_confirm(
            officer=user, application_id=application_id, note=data["note"]
        ),
        str(_("Confirmed. The token is being issued and minted.")),
    )


@require_POST
@role_required(OFFICER)
def application_reject(request: HttpRequest, application_id: int) -> HttpResponse:
    return _act(
        request,
        application_id,
        ReasonForm(request.POST),
        lambda user, data: services.application_reject(
            officer=user, application_id=application_id, reason=data["reason"]
        ),
        str(_("The application is rejected.")),
    )


@require_POST
@role_required(OFFICER)
def application_request_changes(request: HttpRequest, application_id: int) -> HttpResponse:
    return _act(
        request,
        application_id,
        ReasonForm(request.POST),
        lambda user, data: services.application_request_changes(
            officer=user, application_id=application_id, reason=data["reason"]
        ),
        str(_("Changes are requested from the issuer.")),
    )


# ------------------------------------------------------------------------------ distribution


@require_POST
@role_required(ISSUER)
def distribution_send(request: HttpRequest, application_id: int) -> HttpResponse:
    def send(user: User, data: dict[str, Any]) -> object:
        throttle_check(request, "recipient")
        return services.distribution_send(
            actor=user,
            application_id=application_id,
            receiver=data["receiver"],
            amount=data["amount"],
            idempotency_key=data["idempotency_key"],
        )

    return _act(
        request,
        application_id,
        SendForm(request.POST),
        send,
        str(_("The transfer is requested; it is recorded on-chain shortly.")),
        form_name="send_form",
    )


@require_POST
@role_required(ISSUER)
def distribution_upload(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _visible(request, application_id)
    form = CsvForm(request.POST, request.FILES)
    if not form.is_valid():
        error = _error_text(form, shown_again=True)
        return _detail(request, application, error=error, status=400, csv_form=form)
    try:
        distribution = services.distribution_upload(
            actor=current_user(request),
            application_id=application.pk,
            upload=form.cleaned_data["file"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ApplicationError as error:
        return _detail(
            request, application, error=str(error.message), status=error.status_code, csv_form=form
        )
    return redirect("issuance-distribution", distribution.pk)


def _own_distribution(request: HttpRequest, distribution_id: int) -> Distribution:
    return access.distribution_for(current_user(request), distribution_id)


def _distribution_context(distribution: Distribution) -> dict[str, Any]:
    progress = selectors.distribution_progress(distribution)
    return {
        "distribution": distribution,
        "progress": progress,
        "errors": selectors.distribution_errors(distribution, limit=1000),
        "error_count": len(distribution.errors),
        "running": distribution.status
        in (Distribution.Status.VALIDATING, Distribution.Status.SENDING),
    }


@role_required(ISSUER)
def distribution_detail(request: HttpRequest, distribution_id: int) -> HttpResponse:
    distribution = _own_distribution(request, distribution_id)
    return render(request, "issuance/distribution.html", _distribution_context(distribution))


@role_required(ISSUER)
def distribution_progress(request: HttpRequest, distribution_id: int) -> HttpResponse:
    distribution = _own_distribution(request, distribution_id)
    response = render(
        request, "issuance/_distribution_progress.html", _distribution_context(distribution)
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


# ------------------------------------------------------------------------------ redemption


def _holder(request: HttpRequest) -> HolderProfile:
    return holder_for(current_user(request))


def _assets_page(
    request: HttpRequest, *, form: RedeemForm | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    holder = _holder(request)
    wallet = custodial_wallet(holder)
    issued = list(selectors.issued_assets())
    balances = selectors.balances_of(
        token_addresses=[application.token_address for application in issued],
        holder=wallet.address if wallet else "",
    )
    assets = [
        (
            application,
            units_to_amount(balances[application.token_address][0], application.decimals),
            units_to_amount(balances[application.token_address][1], application.decimals),
        )
        for application in issued
    ]
    return render(
        request,
        "issuance/assets.html",
        {
            "assets": assets,
            "redemptions": selectors.redemptions_listed(
                access.redemptions_visible_to(current_user(request))
            )[:50],
            "redeem_form": form or RedeemForm(),
            "action_error": error,
        },
        status=status,
    )


@role_required(HOLDER)
def holder_assets(request: HttpRequest) -> HttpResponse:
    return _assets_page(request)


@require_POST
@role_required(HOLDER)
def redemption_request(request: HttpRequest, application_id: int) -> HttpResponse:
    form = RedeemForm(request.POST)
    if not form.is_valid():
        return _assets_page(request, form=form, error=_error_text(form), status=400)
    try:
        services.redemption_request(
            actor=current_user(request),
            application_id=application_id,
            amount=form.cleaned_data["amount"],
        )
    except ApplicationError as error:
        return _assets_page(request, form=form, error=str(error.message), status=error.status_code)
    messages.success(request, _("The redemption is requested; the issuer will answer."))
    return redirect("issuance-assets")


def _redemption_act(
    request: HttpRequest, form: Form, action: Callable[[User, dict[str, Any]], object], done: str
) -> HttpResponse:
    if not form.is_valid():
        return _with_error(request, _error_text(form), 400)
    try:
        action(current_user(request), form.cleaned_data)
    except ApplicationError as error:
        return _with_error(request, str(error.message), error.status_code)
    messages.success(request, done)
    return redirect("issuance-list")


def _with_error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """The issuer's applications and redemptions, with the message of a refused action."""
    user = current_user(request)
    return render(
        request,
        "issuance/application_list.html",
        {
            "applications": access.applications_visible_to(user).order_by("-created_at", "-pk"),
            "redemptions": selectors.redemptions_listed(access.redemptions_visible_to(user))[:50],
            "fulfil_form": FulfilForm(),
            "refuse_form": ReasonForm(),
            "action_error": message,
        },
        status=status,
    )


@require_POST
@role_required(ISSUER)
def redemption_fulfil(request: HttpRequest, redemption_id: int) -> HttpResponse:
    return _redemption_act(
        request,
        FulfilForm(request.POST),
        lambda user, data: services.redemption_fulfil(
            actor=user, redemption_id=redemption_id, reference=data["reference"]
        ),
        str(_("The redemption is fulfilled; the units are burned on-chain.")),
    )


@require_POST
@role_required(ISSUER)
def redemption_refuse(request: HttpRequest, redemption_id: int) -> HttpResponse:
    return _redemption_act(
        request,
        ReasonForm(request.POST),
        lambda user, data: services.redemption_refuse(
            actor=user, redemption_id=redemption_id, reason=data["reason"]
        ),
        str(_("The redemption is refused.")),
    )
