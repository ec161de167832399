from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _

from qoima.custody.selectors import custodial_wallet
from qoima.errors import ApplicationError, NotFound
from qoima.http import recipient_lookup_check
from qoima.participants.access import current_user, role_required
from qoima.participants.models import HolderProfile, Role

from . import selectors, services
from .forms import TransferForm

SHOWN = 50


def _holder(request: HttpRequest) -> HolderProfile:
    holder = selectors.holder_of(current_user(request))
    if holder is None:
        raise NotFound(_("No holder profile is linked to this account."))
    return holder


def _history(holder: HolderProfile) -> dict[str, object]:
    transfers = list(selectors.holder_transfers(holder)[:SHOWN])
    return {
        "holder": holder,
        "transfers": transfers,
        "tokens": selectors.transfer_tokens(transfers),
        # The list polls itself while anything is still on its way to the chain.
        "in_flight": any(t.operation.state in ("pending", "submitted") for t in transfers),
    }


def _page(
    request: HttpRequest, holder: HolderProfile, form: TransferForm | None = None, status: int = 200
) -> HttpResponse:
    wallet = custodial_wallet(holder)
    holdings = selectors.wallet_holdings(wallet) if wallet else []
    assets = [(h.token.address, f"{h.token.symbol} · {h.token.name}") for h in holdings]
    context = {
        "wallet": wallet,
        "holdings": holdings,
        "form": form or TransferForm(assets=assets),
        **_history(holder),
    }
    return render(request, "exchange/transfers.html", context, status=status)


@role_required(Role.HOLDER)
def transfers_page(request: HttpRequest) -> HttpResponse:
    """The holder's wallet, a transfer to another verified holder, and the transfers so far."""
    holder = _holder(request)
    if request.method != "POST":
        return _page(request, holder)
    wallet = custodial_wallet(holder)
    assets = [
        (h.token.address, h.token.symbol)
        for h in (selectors.wallet_holdings(wallet) if wallet else [])
    ]
    form = TransferForm(request.POST, assets=assets)
    if not form.is_valid():
        return _page(request, holder, form, status=400)
    try:
        recipient_lookup_check(request)
        _transfer, created = services.transfer_request(
            actor=current_user(request),
            token_address=form.cleaned_data["asset"],
            receiver_number=form.cleaned_data["to"],
            amount=form.cleaned_data["amount"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ApplicationError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error.message))
        return _page(request, holder, form, status=error.status_code)
    if created:
        messages.success(request, _("The transfer is requested; it is recorded on-chain shortly."))
    return redirect("holder-transfers")


@role_required(Role.HOLDER)
def transfers_list(request: HttpRequest) -> HttpResponse:
    """The history alone, for the page's live refresh."""
    response = render(request, "exchange/_transfers.html", _history(_holder(request)))
    patch_vary_headers(response, ["HX-Request"])
    return response
