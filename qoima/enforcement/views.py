"""Compliance's pages for acts of enforcement: the list, a new act, an act as it goes to the
chain (live), the second officer's decision, and the legal document."""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from issuance.storage import document_storage
from qoima.accounts.second_factor import reauthentication_required
from qoima.chain.models import PlatformToken
from qoima.errors import ApplicationError, InvalidInput, NotFound
from qoima.participants.access import current_user, role_required
from qoima.participants.models import Role

from . import selectors, services
from .forms import ActForm, RejectForm
from .models import EnforcementAct, LegalBasis

SHOWN = 100


def _assets() -> list[tuple[str, str]]:
    return [
        (token.address, f"{token.symbol} · {token.name}")
        for token in PlatformToken.objects.filter(chain_id=settings.CHAIN_ID).order_by("symbol")
    ]


@role_required(Role.COMPLIANCE_OFFICER)
def acts_page(request: HttpRequest) -> HttpResponse:
    """Every act, those waiting for a second officer on top, and the form for a new one."""
    acts = selectors.with_tokens(list(selectors.acts_for_officers()[:SHOWN]))
    return render(
        request,
        "enforcement/acts.html",
        {
            "awaiting": [a for a in acts if a.state == EnforcementAct.State.AWAITING_CONFIRMATION],
            "acts": acts,
            "platform_paused": selectors.paused(),
        },
    )


@role_required(Role.COMPLIANCE_OFFICER)
def act_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        initial = {key: request.GET[key] for key in ("kind", "subject") if key in request.GET}
        form = ActForm(assets=_assets(), initial=initial)
        return render(request, "enforcement/act_new.html", {"form": form})
    form = ActForm(request.POST, request.FILES, assets=_assets())
    if not form.is_valid():
        return render(request, "enforcement/act_new.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        act = services.act_request(
            officer=current_user(request),
            data=services.ActData(
                kind=data["kind"],
                reason=data["reason"],
                subject=data["subject"],
                address=data["address"],
                token_address=data["token_address"],
                amount=data["amount"],
                receiver=data["receiver"],
            ),
            basis=services.BasisData(
                kind=data["basis_kind"],
                number=data["basis_number"],
                issued_on=data["basis_issued_on"],
                authority=data["basis_authority"],
                document=data["basis_document"],
            ),
        )
    except ApplicationError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error.message))
        return render(request, "enforcement/act_new.html", {"form": form}, status=error.status_code)
    if act.state == EnforcementAct.State.AWAITING_CONFIRMATION:
        messages.success(request, _("The act is recorded; a second officer must confirm it."))
    else:
        messages.success(request, _("The act is decided and on its way to the chain."))
    return redirect("enforcement-act", act_id=act.pk)


def _act_context(act_id: int) -> dict[str, object]:
    act = get_object_or_404(selectors.acts_for_officers(), pk=act_id)
    selectors.with_tokens([act])
    on_chain = selectors.act_on_chain(act)
    return {
        "act": act,
        "on_chain": on_chain,
        # The page follows the act until the chain has decided it.
        "in_flight": act.state == EnforcementAct.State.PENDING,
    }


@role_required(Role.COMPLIANCE_OFFICER)
def act_page(request: HttpRequest, act_id: int) -> HttpResponse:
    context = _act_context(act_id) | {"reject_form": RejectForm()}
    return render(request, "enforcement/act.html", context)


@role_required(Role.COMPLIANCE_OFFICER)
def act_status(request: HttpRequest, act_id: int) -> HttpResponse:
    """The act's state and on-chain proof, for the page's live refresh."""
    response = render(request, "enforcement/_act_status.html", _act_context(act_id))
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@role_required(Role.COMPLIANCE_OFFICER)
@reauthentication_required
def act_confirm(request: HttpRequest, act_id: int) -> HttpResponse:
    try:
        services.act_confirm(officer=current_user(request), act_id=act_id)
    except ApplicationError as error:
        context = _act_context(act_id) | {
            "reject_form": RejectForm(),
            "action_error": error.message,
        }
        return render(request, "enforcement/act.html", context, status=error.status_code)
    messages.success(request, _("Confirmed: the act is on its way to the chain."))
    return redirect("enforcement-act", act_id=act_id)


@require_POST
@role_required(Role.COMPLIANCE_OFFICER)
def act_reject(request: HttpRequest, act_id: int) -> HttpResponse:
    form = RejectForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(_("Give the reason for turning the act down."))
        services.act_reject(
            officer=current_user(request),
            act_id=act_id,
            reason=form.cleaned_data["rejection_reason"],
        )
    except ApplicationError as error:
        context = _act_context(act_id) | {"reject_form": form, "action_error": error.message}
        return render(request, "enforcement/act.html", context, status=error.status_code)
    messages.success(request, _("The act is turned down; nothing was carried out."))
    return redirect("enforcement-act", act_id=act_id)


@role_required(Role.COMPLIANCE_OFFICER, Role.REGULATOR)
def basis_document(request: HttpRequest, basis_id: int) -> FileResponse:
    """The stored legal document, to compliance and the regulator."""
    basis = get_object_or_404(LegalBasis, pk=basis_id)
    try:
        stored = document_storage().open(basis.document.name, "rb")
    except FileNotFoundError:
        raise NotFound(_("The stored file of this document is missing.")) from None
    return FileResponse(
        stored,
        as_attachment=True,
        filename=basis.document_original_name or basis.document.name.rsplit("/", 1)[-1],
        content_type=basis.document_content_type,
    )
