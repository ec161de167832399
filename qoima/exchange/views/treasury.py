"""The treasury officer's pages: statement import, receipts awaiting allocation, withdrawals
to approve and pay, and the ledger's overview."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from qoima.accounts.second_factor import reauthentication_required
from qoima.errors import ApplicationError, InvalidInput
from qoima.participants.access import current_user, role_required
from qoima.participants.models import Role

from ..forms import AllocateForm, PayForm, RefuseForm, ReturnForm, StatementImportForm
from ..models import StatementImport
from ..money import format_tenge
from ..selectors import cash as selectors
from ..services import treasury as services

SHOWN = 100


def _form_error(form: Form, error: ApplicationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


@role_required(Role.TREASURY_OFFICER)
def statements(request: HttpRequest) -> HttpResponse:
    """Upload a bank statement; the imports so far, each with what it did."""
    form = StatementImportForm(request.POST or None, request.FILES or None)
    imported: StatementImport | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > settings.EXCHANGE_STATEMENT_MAX_BYTES:
                    raise InvalidInput(_("The file is too large."), field="file")
                imported = services.statement_import(
                    actor=current_user(request),
                    file_name=upload.name or "",
                    content=upload.read(),
                    file_format=form.cleaned_data["format"],
                )
            except ApplicationError as error:
                _form_error(form, error)
                status = error.status_code
            else:
                form = StatementImportForm()
        else:
            status = 400
    return render(
        request,
        "exchange/treasury_statements.html",
        {
            "form": form,
            "imported": imported,
            "imports": list(selectors.statement_imports()[:SHOWN]),
        },
        status=status,
    )


def _receipts_page(
    request: HttpRequest, *, forms: dict[int, dict[str, Form]] | None = None, status: int = 200
) -> HttpResponse:
    lines = list(selectors.unallocated_lines()[:SHOWN])
    forms = forms or {}
    rows = [
        {
            "line": line,
            "allocate": forms.get(line.pk, {}).get("allocate")
            or AllocateForm(prefix=f"a{line.pk}"),
            "return": forms.get(line.pk, {}).get("return") or ReturnForm(prefix=f"r{line.pk}"),
        }
        for line in lines
    ]
    return render(
        request,
        "exchange/treasury_receipts.html",
        {"rows": rows, "queue": selectors.treasury_queues()["unallocated"]},
        status=status,
    )


@role_required(Role.TREASURY_OFFICER)
def receipts(request: HttpRequest) -> HttpResponse:
    return _receipts_page(request)


@require_POST
@role_required(Role.TREASURY_OFFICER)
def receipt_allocate(request: HttpRequest, line_id: int) -> HttpResponse:
    form = AllocateForm(request.POST, prefix=f"a{line_id}")
    try:
        if not form.is_valid():
            return _receipts_page(request, forms={line_id: {"allocate": form}}, status=400)
        line = services.receipt_allocate(
            actor=current_user(request),
            line_id=line_id,
            payment_reference=form.cleaned_data["payment_reference"],
            note=form.cleaned_data["note"],
        )
    except ApplicationError as error:
        _form_error(form, error)
        return _receipts_page(
            request, forms={line_id: {"allocate": form}}, status=error.status_code
        )
    messages.success(
        request,
        _("%(amount)s allocated to %(reference)s.")
        % {
            "amount": format_tenge(line.amount),
            "reference": form.cleaned_data["payment_reference"],
        },
    )
    return redirect("treasury-receipts")


@require_POST
@role_required(Role.TREASURY_OFFICER)
def receipt_return(request: HttpRequest, line_id: int) -> HttpResponse:
    form = ReturnForm(request.POST, prefix=f"r{line_id}")
    try:
        if not form.is_valid():
            return _receipts_page(request, forms={line_id: {"return": form}}, status=400)
        line = services.receipt_return(
            actor=current_user(request),
            line_id=line_id,
            return_reference=form.cleaned_data["return_reference"],
            note=form.cleaned_data["note"],
        )
    except ApplicationError as error:
        _form_error(form, error)
        return _receipts_page(request, forms={line_id: {"return": form}}, status=error.status_code)
    messages.success(
        request,
        _("%(amount)s recorded as returned to its sender.") % {"amount": format_tenge(line.amount)},
    )
    return redirect("treasury-receipts")


def _withdrawals_page(
    request: HttpRequest, *, forms: dict[int, dict[str, Form]] | None = None, status: int = 200
) -> HttpResponse:
    forms = forms or {}
    user = current_user(request)
    rows: list[dict[str, Any]] = [
        {
            "withdrawal": withdrawal,
            "pay": forms.get(withdrawal.pk, {}).get("pay") or PayForm(prefix=f"p{withdrawal.pk}"),
            "refuse": forms.get(withdrawal.pk, {}).get("refuse")
            or RefuseForm(prefix=f"x{withdrawal.pk}"),
            # The officer who approved waits for another to pay.
            "may_pay": withdrawal.state in ("requested", "approved")
            and withdrawal.approved_by_id != user.pk,
        }
        for withdrawal in selectors.open_withdrawals()[:SHOWN]
    ]
    return render(
        request,
        "exchange/treasury_withdrawals.html",
        {
            "rows": rows,
            "queues": selectors.treasury_queues(),
            "threshold": format_tenge(settings.EXCHANGE_WITHDRAWAL_SECOND_OFFICER_TIYN),
        },
        status=status,
    )


@role_required(Role.TREASURY_OFFICER)
def withdrawals(request: HttpRequest) -> HttpResponse:
    return _withdrawals_page(request)


@require_POST
@role_required(Role.TREASURY_OFFICER)
@reauthentication_required
def withdrawal_approve(request: HttpRequest, withdrawal_id: int) -> HttpResponse:
    withdrawal = services.withdrawal_approve(
        actor=current_user(request), withdrawal_id=withdrawal_id
    )
    messages.success(
        request,
        _("Withdrawal of %(amount)s approved; another treasury officer pays it.")
        % {"amount": format_tenge(withdrawal.amount)},
    )
    return redirect("treasury-withdrawals")


@require_POST
@role_required(Role.TREASURY_OFFICER)
def withdrawal_pay(request: HttpRequest, withdrawal_id: int) -> HttpResponse:
    form = PayForm(request.POST, prefix=f"p{withdrawal_id}")
    try:
        if not form.is_valid():
            return _withdrawals_page(request, forms={withdrawal_id: {"pay": form}}, status=400)
        withdrawal = services.withdrawal_pay(
            actor=current_user(request),
            withdrawal_id=withdrawal_id,
            bank_reference=form.cleaned_data["bank_reference"],
        )
    except ApplicationError as error:
        _form_error(form, error)
        return _withdrawals_page(
            request, forms={withdrawal_id: {"pay": form}}, status=error.status_code
        )
    messages.success(
        request,
        _("Withdrawal of %(amount)s recorded as paid.")
        % {"amount": format_tenge(withdrawal.amount)},
    )
    return redirect("treasury-withdrawals")


@require_POST
@role_required(Role.TREASURY_OFFICER)
def withdrawal_refuse(request: HttpRequest, withdrawal_id: int) -> HttpResponse:
    form = RefuseForm(request.POST, prefix=f"x{withdrawal_id}")
    try:
        if not form.is_valid():
            return _withdrawals_page(request, forms={withdrawal_id: {"refuse": form}}, status=400)
        withdrawal = services.withdrawal_refuse(
            actor=current_user(request),
            withdrawal_id=withdrawal_id,
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as error:
        _form_error(form, error)
        return _withdrawals_page(
            request, forms={withdrawal_id: {"refuse": form}}, status=error.status_code
        )
    messages.success(
        request,
        _("Withdrawal of %(amount)s refused: the amount is available to the member again.")
        % {"amount": format_tenge(withdrawal.amount)},
    )
    return redirect("treasury-withdrawals")


@role_required(Role.TREASURY_OFFICER, Role.REGULATOR)
def ledger(request: HttpRequest) -> HttpResponse:
    """The platform's accounts, the members' in total, and the sum of every balance."""
    return render(
        request, "exchange/treasury_ledger.html", {"overview": selectors.ledger_overview()}
    )
