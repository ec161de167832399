"""The registry's search forms: what a regulator types, checked and turned into filters.

Every form reads GET parameters; bad input gets a translated message and a 400, never a 500.
"""

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from issuance.models import Application
from qoima.chain.amounts import units_from_text
from qoima.errors import ApplicationError

from .parties import party_addresses
from .transfers import TransferFilters, block_at_end_of

MAX_PAGE_ID = 2**63 - 1
MAX_BLOCK = 2**63 - 1
# The browser's date picker sends and shows ISO dates, whatever the page's language.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The days a date filter can mean. No block is older than the Unix epoch and none is dated
# in the last year of the calendar, so a date beyond either end finds what the end finds; and
# the end's day boundaries, a day either side and a period of days before it are all dates
# and times every database and Python can hold (0001-01-01 and 9999-12-31 are not).
FIRST_DAY = datetime.date(1970, 1, 1)
LAST_DAY = datetime.date(9998, 12, 31)


class DayField(forms.DateField):
    """A date filter: any valid date, read as the nearer of FIRST_DAY and LAST_DAY when it
    lies beyond them."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", DATE)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime.date | None:
        day = super().to_python(value)
        return None if day is None else min(max(day, FIRST_DAY), LAST_DAY)


class AssetChoiceField(forms.ModelChoiceField[Application]):
    def label_from_instance(self, obj: Application) -> str:
        return f"{obj.symbol} · {obj.name}"


def _issued() -> Any:
    return Application.objects.exclude(token_address="").order_by("symbol", "pk")


class TransferSearchForm(forms.Form):
    asset = AssetChoiceField(label=_("Asset"), queryset=_issued(), required=False)
    party = forms.CharField(
        label=_("Party"),
        required=False,
        max_length=100,
        help_text=_("IIN / BIN, address, or part of a name."),
    )
    date_from = DayField(label=pgettext_lazy("date range", "From"))
    date_to = DayField(label=pgettext_lazy("date range", "To"))
    min_amount = forms.CharField(label=_("Amount from"), required=False, max_length=100)
    max_amount = forms.CharField(label=_("Amount to"), required=False, max_length=100)
    reference = forms.IntegerField(
        label=_("Reference"), required=False, min_value=0, max_value=2**256 - 1
    )
    before = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_ID)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.party_described = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end date is before the start date."))
        asset: Application | None = data.get("asset")
        for name in ("min_amount", "max_amount"):
            text = (data.get(name) or "").strip()
            data[name] = None
            if not text:
                continue
            if asset is None:
                self.add_error(name, _("Choose the asset the amount is in."))
                continue
            try:
                data[name] = units_from_text(text, asset.decimals, field=name)
            except ApplicationError as error:
                self.add_error(name, str(error.message))
        return data

    def filters(self) -> TransferFilters:
        """The filters of a valid form (a party that matches nobody finds nothing)."""
        data = self.cleaned_data
        addresses = None
        if data.get("party", "").strip():
            match = party_addresses(data["party"])
            addresses = match.addresses
            self.party_described = match.described
        asset = data.get("asset")
        return TransferFilters(
            token=asset.token_address if asset else "",
            addresses=addresses,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            min_units=data.get("min_amount"),
            max_units=data.get("max_amount"),
            ref=data.get("reference"),
        )


class AsOfForm(forms.Form):
    """A cap table as of a block or the end of a day; neither means now. A valid form's
    ``block`` is the block asked for, or the last one of the day asked for."""

    block = forms.IntegerField(
        label=_("As of block"), required=False, min_value=0, max_value=MAX_BLOCK
    )
    date = DayField(label=_("As of the end of"))
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("block") is not None and data.get("date") is not None:
            raise forms.ValidationError(_("Give a block or a date, not both."))
        day = data.get("date")
        if day is not None and day > timezone.localdate():
            self.add_error("date", _("The date is in the future."))
        elif day is not None:
            data["block"] = block_at_end_of(day)
            if data["block"] is None:
                self.add_error("date", _("No movement of any asset was recorded by that date."))
        return data


class HolderSearchForm(forms.Form):
    q = forms.CharField(label=_("IIN / BIN or name"), required=False, max_length=100)


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False, max_length=100)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=100)
    before = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_ID)


class PeriodForm(forms.Form):
    date_from = DayField(label=pgettext_lazy("date range", "From"))
    date_to = DayField(label=pgettext_lazy("date range", "To"))
    asset = AssetChoiceField(label=_("Asset"), queryset=_issued(), required=False)

    def period(self) -> tuple[datetime.date, datetime.date]:
        """The days asked for; without a start, the 30 days to the end. Nothing is recorded
        after today, so an end beyond it is today: "to 9999-12-31" is the last 30 days."""
        today = timezone.localdate()
        until = min(self.cleaned_data.get("date_to") or today, today)
        since = self.cleaned_data.get("date_from") or until - datetime.timedelta(days=30)
        return since, until

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("date_from"), data.get("date_to")
        if since and until and since > until:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class MonitoringForm(forms.Form):
    """Operations at or above a threshold, for the financial-monitoring report."""

    asset = AssetChoiceField(label=_("Asset"), queryset=_issued())
    threshold = forms.CharField(label=_("Threshold (asset units)"), max_length=100)
    date_from = DayField(label=pgettext_lazy("date range", "From"))
    date_to = DayField(label=pgettext_lazy("date range", "To"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        asset = data.get("asset")
        if asset is not None and data.get("threshold"):
            try:
                data["threshold_units"] = units_from_text(
                    data["threshold"], asset.decimals, field="threshold"
                )
            except ApplicationError as error:
                self.add_error("threshold", str(error.message))
        since, until = data.get("date_from"), data.get("date_to")
        if since and until and since > until:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> TransferFilters:
        data = self.cleaned_data
        return TransferFilters(
            token=data["asset"].token_address,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            min_units=data["threshold_units"],
        )
