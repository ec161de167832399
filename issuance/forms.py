import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AssetClass, Document
from .selectors import ART5_ITEMS


class ApplicationForm(forms.Form):
    name = forms.CharField(label=_("Asset name"), max_length=100)
    symbol = forms.CharField(
        label=_("Symbol"), max_length=11, help_text=_("2 to 11 Latin capital letters or digits.")
    )
    # Every class is offered: one that cannot be backed is refused with the Art. 5 item it
    # breaks, which says more than a missing choice would.
    asset_class = forms.ChoiceField(label=_("Asset class"), choices=AssetClass.choices)
    description = forms.CharField(
        label=_("Description of the underlying asset"), widget=forms.Textarea(attrs={"rows": 4})
    )
    asset_identifier = forms.CharField(
        label=_("Registry identifier"),
        max_length=128,
        help_text=_("Cadastral number, patent number, trademark certificate number or similar."),
    )
    decimals = forms.IntegerField(label=_("Decimals"), min_value=0, max_value=18, initial=0)
    backed_amount = forms.CharField(
        label=_("Backed units"),
        max_length=100,
        help_text=_("How many units the underlying asset backs: the token's cap."),
    )
    mint_amount = forms.CharField(
        label=_("Units to mint"),
        max_length=100,
        help_text=_("Minted to your wallet at issue; at most the backed units."),
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Document.Kind.choices)
    file = forms.FileField(label=_("File (PDF, PNG or JPEG)"))
    number = forms.CharField(label=_("Document number"), max_length=64, required=False)
    dated_on = forms.DateField(
        label=_("Dated"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    signatory = forms.CharField(label=_("Signatory"), max_length=200, required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)


class ApproveForm(forms.Form):
    items = forms.TypedMultipleChoiceField(
        label=_("Art. 5 checklist"),
        choices=[(number, text) for number, text in ART5_ITEMS.items()],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class _Idempotent(forms.Form):
    # Made when the form is shown: submitting the same form twice acts once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex


class SendForm(_Idempotent):
    receiver = forms.CharField(label=_("Holder's IIN / BIN or id"), max_length=32)
    amount = forms.CharField(label=_("Amount"), max_length=100)


class CsvForm(_Idempotent):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("One row per holder: IIN / BIN or holder id, amount (a point for decimals)."),
    )


class RedeemForm(forms.Form):
    amount = forms.CharField(label=_("Amount to redeem"), max_length=100)


class FulfilForm(forms.Form):
    reference = forms.CharField(label=_("Delivery reference"), max_length=255)
