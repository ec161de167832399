"""A holder's external wallets: linking an address by signing the platform's message, sending
units to it, and unlinking it."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from qoima.custody import services as custody
from qoima.custody.models import WalletLink
from qoima.errors import ApplicationError, InvalidInput
from qoima.participants.access import current_user, holder_for, role_required
from qoima.participants.models import Role

from .. import services
from ..forms import LinkRequestForm, LinkSignForm, OwnWalletSendForm


@require_POST
@role_required(Role.HOLDER)
def link_request(request: HttpRequest) -> HttpResponse:
    form = LinkRequestForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(_("Give the address to link."), field="address")
        link = custody.wallet_link_request(
            actor=current_user(request),
            address=form.cleaned_data["address"],
            domain=request.get_host(),
            uri=request.build_absolute_uri("/"),
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("holder-transfers")
    return redirect("wallet-link", link_id=link.pk)


@role_required(Role.HOLDER)
def link_page(request: HttpRequest, link_id: int) -> HttpResponse:
    """The message to sign with the address's key, and where to hand in the signature."""
    holder = holder_for(current_user(request))
    link = get_object_or_404(WalletLink, pk=link_id, holder=holder)
    form = LinkSignForm(request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise InvalidInput(_("Paste the signature your wallet made."), field="signature")
            custody.wallet_link_sign(
                actor=current_user(request),
                link_id=link.pk,
                signature=form.cleaned_data["signature"].strip(),
            )
        except ApplicationError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, str(error.message))
            status = error.status_code
        else:
            messages.success(
                request, _("The signature is checked; compliance approves the link next.")
            )
            return redirect("holder-transfers")
    link.refresh_from_db()
    return render(request, "exchange/wallet_link.html", {"link": link, "form": form}, status=status)


@require_POST
@role_required(Role.HOLDER)
def own_wallet_send(request: HttpRequest, wallet_id: int) -> HttpResponse:
    form = OwnWalletSendForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(_("Choose the asset and the amount."))
        services.transfer_to_own_wallet(
            actor=current_user(request),
            wallet_id=wallet_id,
            token_address=form.cleaned_data["asset"],
            amount=form.cleaned_data["amount"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("holder-transfers")
    messages.success(request, _("The transfer to your wallet is requested."))
    return redirect("holder-transfers")


@require_POST
@role_required(Role.HOLDER)
def own_wallet_unlink(request: HttpRequest, wallet_id: int) -> HttpResponse:
    try:
        custody.wallet_unlink(actor=current_user(request), wallet_id=wallet_id)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The wallet is unlinked; it leaves the allowlist."))
    return redirect("holder-transfers")
