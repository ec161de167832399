"""The act as an officer fills it in: what it does, to whom, and the legal document it rests on.

Which fields an act needs depends on the act; the service says what is missing."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EnforcementAct, LegalBasis


class ActForm(forms.Form):
    kind = forms.ChoiceField(label=_("Act"), choices=EnforcementAct.Kind.choices)
    subject = forms.CharField(
        label=_("Participant's IIN / BIN"),
        max_length=32,
        required=False,
        help_text=_("The holder or issuer the act is about (not needed for a pause)."),
    )
    address = forms.CharField(
        label=_("Wallet address"),
        max_length=64,
        required=False,
        help_text=_("Only for a participant with several wallets; else their custodial wallet."),
    )
    token_address = forms.ChoiceField(label=_("Asset"), required=False)
    amount = forms.CharField(
        label=_("Units"),
        max_length=100,
        required=False,
        help_text=_("For a freeze or release of units and a forced transfer."),
    )
    receiver = forms.CharField(
        label=_("Receiver's IIN / BIN"),
        max_length=32,
        required=False,
        help_text=_("For a forced transfer: who receives the units under the order."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("As the legal document states it; the holder reads it."),
    )
    basis_kind = forms.ChoiceField(label=_("Legal document"), choices=LegalBasis.Kind.choices)
    basis_number = forms.CharField(label=_("Document number"), max_length=64)
    basis_issued_on = forms.DateField(
        label=_("Dated"), widget=forms.DateInput(attrs={"type": "date"})
    )
    basis_authority = forms.CharField(label=_("Issued by"), max_length=255)
    basis_document = forms.FileField(
        label=_("The document (PDF, PNG or JPEG)"),
        required=False,
        help_text=_("Its SHA-256 goes on-chain with the act."),
    )

    def __init__(self, *args: object, assets: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["token_address"].choices = [  # type: ignore[attr-defined]
            ("", _("— none (a wallet's freeze, the platform's pause) —")),
            *assets,
        ]


class RejectForm(forms.Form):
    rejection_reason = forms.CharField(
        label=_("Why the act is turned down"), widget=forms.Textarea(attrs={"rows": 2})
    )
