import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _

from qoima.custody import selectors as custody_selectors
from qoima.custody.selectors import custodial_wallet
from qoima.enforcement import selectors as enforcement
from qoima.errors import ApplicationError
from qoima.participants.access import current_user, holder_for, role_required
from qoima.participants.models import HolderProfile, Role
from qoima.throttling import throttle_check

from .. import services
from ..forms import LinkRequestForm, TransferForm
from ..selectors import transfers as selectors

SHOWN = 50


def _holder(request: HttpRequest) -> HolderProfile:
    return holder_for(current_user(request))


def _live(holder: HolderProfile) -> dict[str, object]:
    """The wallet's balances and its history: what the page refreshes together."""
    wallet = custodial_wallet(holder)
    history = selectors.holder_history(holder, limit=SHOWN)
    return {
        "holder": holder,
        "wallet": wallet,
        "holdings": selectors.wallet_holdings(wallet) if wallet else [],
        "history": history,
        "acts": enforcement.with_tokens(list(enforcement.acts_of_owner(holder=holder)[:SHOWN])),
        # Balances per wallet: each linked external wallet with what it holds.
        "external": [
            (own, selectors.wallet_holdings(own))
            for own in custody_selectors.external_wallets(holder)
        ],
        "links": custody_selectors.open_links(holder),
        # The page polls itself while anything is still on its way to the chain.
        "in_flight": any(movement.in_flight for movement in history),
    }


def _page(
    request: HttpRequest, holder: HolderProfile, form: TransferForm | None = None, status: int = 200
) -> HttpResponse:
    context = _live(holder)
    holdings: list[selectors.Holding] = context["holdings"]  # type: ignore[assignment]
    assets = [(h.token.address, f"{h.token.symbol} · {h.token.name}") for h in holdings]
    context["form"] = form or TransferForm(assets=assets)
    context["link_form"] = LinkRequestForm()
    context["own_key"] = uuid.uuid4().hex
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
        throttle_check(request, "transfer")
        throttle_check(request, "recipient")
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
    """The history with the balances above it (swapped out of band), for the live refresh."""
    context = {**_live(_holder(request)), "refresh": True}
    response = render(request, "exchange/_transfers.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
