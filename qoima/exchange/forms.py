import uuid

from django import forms
from django.utils.translation import gettext_lazy as _


class TransferForm(forms.Form):
    asset = forms.ChoiceField(label=_("Asset"))
    to = forms.CharField(
        label=_("Receiver's IIN / BIN"),
        max_length=32,
        help_text=_("The receiver must be a verified holder of the platform."),
    )
    amount = forms.CharField(label=_("Amount"), max_length=100)
    # Made when the form is shown: submitting the same form twice moves the units once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: object, assets: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["asset"].choices = assets  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex
