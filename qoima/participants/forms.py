from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .identifiers import parse_identification_number, validate_issuer_identification
from .models import HolderProfile, Organisation, Permit


class _AccountFields(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=8)


class IssuerRegistrationForm(_AccountFields):
    kind = forms.ChoiceField(label=_("Kind of issuer"), choices=Organisation.Kind.choices)
    legal_name = forms.CharField(label=_("Legal name"), max_length=255)
    identification_number = forms.CharField(label=_("BIN / IIN"), max_length=32)
    registered_address = forms.CharField(label=_("Registered address"), max_length=500)
    permit_number = forms.CharField(label=_("Permit number"), max_length=64)
    permit_authority = forms.CharField(label=_("Issuing authority"), max_length=255)
    permit_issued_on = forms.DateField(
        label=_("Permit issued on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    permit_expires_on = forms.DateField(
        label=_("Permit expires on"),
        required=False,
        help_text=_("Leave empty for the standard term of three years."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    permit_document = forms.FileField(
        label=_("Permit document"),
        help_text=_(
            "The permit as a PDF, PNG or JPEG. Compliance verifies the permit against it; "
            "until then the organisation cannot submit applications."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, number = data.get("kind"), data.get("identification_number")
        if kind and number:
            try:
                validate_issuer_identification(kind, number.strip())
            except ValidationError as error:
                self.add_error("identification_number", error)
        return data


class HolderRegistrationForm(_AccountFields):
    kind = forms.ChoiceField(label=_("I am"), choices=HolderProfile.Kind.choices)
    full_name = forms.CharField(label=_("Full or legal name"), max_length=255)
    identification_number = forms.CharField(label=_("IIN / BIN"), max_length=32)

    def clean_identification_number(self) -> str:
        number: str = self.cleaned_data["identification_number"].strip()
        parse_identification_number(number)
        return number


class HolderVerifyForm(forms.Form):
    document_ref = forms.CharField(
        label=_("Identity check reference"),
        max_length=255,
        help_text=_("The reference of the documents you checked."),
    )


class HolderSuspendForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class PermitStatusForm(forms.Form):
    # The authority's decisions on a verified permit; verification has its own forms.
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[
            (status.value, status.label)
            for status in (Permit.Status.ACTIVE, Permit.Status.SUSPENDED, Permit.Status.REVOKED)
        ],
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    document_ref = forms.CharField(label=_("Authority's document reference"), max_length=255)


class PermitAddForm(forms.Form):
    number = forms.CharField(label=_("Permit number"), max_length=64)
    authority = forms.CharField(label=_("Issuing authority"), max_length=255)
    issued_on = forms.DateField(
        label=_("Issued on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        help_text=_("Leave empty for the standard term of three years."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    document = forms.FileField(
        label=_("Permit document"),
        help_text=_("The permit as a PDF, PNG or JPEG. Compliance verifies the permit against it."),
    )


class PermitVerifyForm(forms.Form):
    document_ref = forms.CharField(
        label=_("Check reference"),
        max_length=255,
        help_text=_("The reference of the check against the authority's register."),
    )
    document = forms.FileField(
        label=_("Permit document"),
        required=False,
        help_text=_("Only for a permit recorded without its document."),
    )


class PermitRefuseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class OrganisationVerificationForm(forms.Form):
    """What the issuer's staff hand in for compliance to verify the organisation."""

    registration_document = forms.FileField(
        label=_("Certificate of state registration (PDF, PNG or JPEG)"), required=False
    )
    beneficial_owners = forms.CharField(
        label=_("Beneficial owners"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line: name; IIN or BIN; share in %."),
    )
    signatory_name = forms.CharField(label=_("Signatory"), max_length=255)
    signatory_position = forms.CharField(label=_("Signatory's position"), max_length=255)
    authority_document = forms.FileField(
        label=_("Document of the signatory's authority (charter, power of attorney)"),
        required=False,
    )


class OrganisationVerifyForm(forms.Form):
    confirmed = forms.MultipleChoiceField(
        label=_("Checked"),
        choices=[
            ("registration", _("The state registration matches the BIN / IIN and the name")),
            ("owners", _("The beneficial owners are as declared")),
            ("signatory", _("The signatory may sign for the organisation")),
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
