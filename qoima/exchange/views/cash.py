"""The member's cash page: balances, how to deposit, bank accounts, withdrawals and the
statement of every posting."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from qoima.errors import ApplicationError
from qoima.participants.access import current_user, role_required
from qoima.participants.models import Role

from ..forms import BankAccountForm, WithdrawalForm
from ..models import Member
from ..money import format_tenge
from ..selectors import cash as selectors
from ..services import treasury as services

MEMBER_ROLES = (Role.HOLDER, Role.ISSUER_STAFF)
# Rows of the statement a page shows; older ones are asked for by ``?before=<leg id>``.
STATEMENT_PAGE = 25


def _member(request: HttpRequest) -> Member:
    # The page's first job is telling the member how to deposit, which needs its payment
    # reference: the member opens (audited, once) on its first visit.
    return selectors.member_of(current_user(request)) or services.member_join(
        actor=current_user(request)
    )


def _page(
    request: HttpRequest,
    *,
    account_form: BankAccountForm | None = None,
    withdrawal_form: WithdrawalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    member = _member(request)
    accounts = list(selectors.member_bank_accounts(member))
    legs, older = selectors.legs_older_than(
        request.GET.get("before", ""), selectors.member_legs(member), STATEMENT_PAGE
    )
    context: dict[str, Any] = {
        "member": member,
        "balances": selectors.member_balances(member),
        "bank": {
            "name": settings.EXCHANGE_BANK_NAME,
            "beneficiary": settings.EXCHANGE_BANK_BENEFICIARY,
            "bin": settings.EXCHANGE_BANK_BIN,
            "iban": settings.EXCHANGE_BANK_IBAN,
            "bic": settings.EXCHANGE_BANK_BIC,
        },
        "bank_accounts": accounts,
        "withdrawals": list(selectors.member_withdrawals(member)[:50]),
        "deposits": list(selectors.member_deposits(member)[:20]),
        "legs": legs,
        "older": older,
        "account_form": account_form or BankAccountForm(),
        "withdrawal_form": withdrawal_form
        or WithdrawalForm(accounts=[(a.pk, f"{a.iban} · {a.holder_name}") for a in accounts]),
        "second_officer_above": format_tenge(settings.EXCHANGE_WITHDRAWAL_SECOND_OFFICER_TIYN),
    }
    return render(request, "exchange/cash.html", context, status=status)


@role_required(*MEMBER_ROLES)
def cash_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _form_error(form: Any, error: ApplicationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


@require_POST
@role_required(*MEMBER_ROLES)
def bank_account_add(request: HttpRequest) -> HttpResponse:
    form = BankAccountForm(request.POST)
    if not form.is_valid():
        return _page(request, account_form=form, status=400)
    try:
        account = services.bank_account_add(
            actor=current_user(request),
            iban=form.cleaned_data["iban"],
            holder_name=form.cleaned_data["holder_name"],
        )
    except ApplicationError as error:
        _form_error(form, error)
        return _page(request, account_form=form, status=error.status_code)
    messages.success(request, _("Bank account %(iban)s added.") % {"iban": account.iban})
    return redirect("cash")


@require_POST
@role_required(*MEMBER_ROLES)
def withdrawal_request(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    accounts = [(a.pk, a.iban) for a in selectors.member_bank_accounts(member)]
    form = WithdrawalForm(request.POST, accounts=accounts)
    if not form.is_valid():
        return _page(request, withdrawal_form=form, status=400)
    try:
        withdrawal, created = services.withdrawal_request(
            actor=current_user(request),
            bank_account_id=form.cleaned_data["bank_account"],
            amount=form.cleaned_data["amount"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ApplicationError as error:
        _form_error(form, error)
        return _page(request, withdrawal_form=form, status=error.status_code)
    if created:
        messages.success(
            request,
            _("Withdrawal of %(amount)s requested: the amount is held until it is paid.")
            % {"amount": format_tenge(withdrawal.amount)},
        )
    return redirect("cash")


@require_POST
@role_required(*MEMBER_ROLES)
def withdrawal_cancel(request: HttpRequest, withdrawal_id: int) -> HttpResponse:
    withdrawal = services.withdrawal_cancel(
        actor=current_user(request), withdrawal_id=withdrawal_id
    )
    messages.success(
        request,
        _("Withdrawal of %(amount)s cancelled: the amount is available again.")
        % {"amount": format_tenge(withdrawal.amount)},
    )
    return redirect("cash")
