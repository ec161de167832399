"""Forms of the member's cash page and of the treasury's pages. Amounts and IBANs are read by
their services (``tiyn_from_text``, the IBAN check), so a form only carries the text."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import StatementImport


class BankAccountForm(forms.Form):
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=42,
        help_text=_("Your account at a bank in Kazakhstan: KZ and 18 characters."),
    )
    holder_name = forms.CharField(label=_("Account holder"), max_length=200)


class WithdrawalForm(forms.Form):
    bank_account = forms.TypedChoiceField(label=_("To the bank account"), coerce=int)
    amount = forms.CharField(
        label=_("Amount, ₸"), max_length=40, help_text=_("For example 1 234,50.")
    )
    # Made when the form is shown: submitting the same form twice holds the cash once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: object, accounts: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["bank_account"].choices = accounts  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex


class StatementImportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=StatementImport.Format.choices)
    file = forms.FileField(label=_("Statement file"))


class AllocateForm(forms.Form):
    payment_reference = forms.CharField(label=_("Member's payment reference"), max_length=16)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ReturnForm(forms.Form):
    return_reference = forms.CharField(label=_("Bank reference of the return"), max_length=64)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class PayForm(forms.Form):
    bank_reference = forms.CharField(label=_("Bank reference of the payment"), max_length=64)


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
