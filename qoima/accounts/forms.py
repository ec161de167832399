from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiToken


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=64,
        help_text=_(
            "The 6 digits your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class ResetForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    reason = forms.CharField(
        label=_("How the person's identity was checked"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=64,
        required=False,
        help_text=_(
            "The 6 digits your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("The tool that will use it, so that you know which token to revoke."),
    )
    scope = forms.ChoiceField(
        label=_("It may"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
    )
    days = forms.TypedChoiceField(label=_("Works for"), coerce=int, initial=30)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        terms = sorted({7, 30, settings.API_TOKEN_MAX_DAYS} - {0})
        self.fields["days"].choices = [  # type: ignore[attr-defined]
            (days, ngettext("%(days)s day", "%(days)s days", days) % {"days": days})
            for days in terms
            if days <= settings.API_TOKEN_MAX_DAYS
        ]
