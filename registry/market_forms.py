"""The regulator's exchange filters: what is typed, checked; bad input is a 400 with the
field's message, never a 500."""

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qoima.exchange.models import Market, MarketEvent, Order, Trade

from .forms import MAX_PAGE_ID, DayField

MOMENT_FORMATS = ["%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
# The longest daily report one request reads (the export included).
MAX_REPORT_DAYS = 366


class MarketChoiceField(forms.ModelChoiceField[Market]):
    def label_from_instance(self, obj: Market) -> str:
        return f"{obj.token.symbol} · {obj.token.name}"


def _markets() -> Any:
    return Market.objects.select_related("token").order_by("token__symbol", "pk")


def _blank(choices: Any) -> list[tuple[str, str]]:
    return [("", _("Any")), *choices]


class ExchangeSearchForm(forms.Form):
    market = MarketChoiceField(label=_("Market"), queryset=_markets(), required=False)
    member = forms.CharField(
        label=_("Member IIN / BIN"), required=False, max_length=12, min_length=12
    )
    date_from = DayField(label=pgettext_lazy("date range", "From"))
    date_to = DayField(label=pgettext_lazy("date range", "To"))
    before = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_ID)

    def clean_member(self) -> str:
        number = self.cleaned_data.get("member", "").strip()
        if number and not (number.isascii() and number.isdigit()):
            raise forms.ValidationError(_("An IIN / BIN is 12 digits."))
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("date_from"), data.get("date_to")
        if since and until and since > until:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class OrderSearchForm(ExchangeSearchForm):
    state = forms.ChoiceField(label=_("State"), required=False, choices=_blank(Order.State.choices))


class TradeSearchForm(ExchangeSearchForm):
    state = forms.ChoiceField(label=_("State"), required=False, choices=_blank(Trade.State.choices))


class JournalSearchForm(ExchangeSearchForm):
    kind = forms.ChoiceField(
        label=_("Entry"), required=False, choices=_blank(MarketEvent.Kind.choices)
    )


class BookAtForm(forms.Form):
    market = MarketChoiceField(label=_("Market"), queryset=_markets())
    moment = forms.DateTimeField(
        label=_("At"),
        input_formats=MOMENT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "0.001"}),
        help_text=_("Almaty time, to the millisecond."),
    )

    def clean_moment(self) -> datetime.datetime:
        moment: datetime.datetime = self.cleaned_data["moment"]
        if moment.year < 1970 or moment.year > 9998:
            raise forms.ValidationError(_("Choose a moment between 1970 and 9998."))
        return moment


class MarketReportForm(forms.Form):
    date_from = DayField(label=pgettext_lazy("date range", "From"))
    date_to = DayField(label=pgettext_lazy("date range", "To"))
    market = MarketChoiceField(label=_("Market"), queryset=_markets(), required=False)

    def period(self) -> tuple[datetime.date, datetime.date]:
        """The days asked for; without a start, the 30 days to the end (today at the latest)."""
        today = timezone.localdate()
        until = min(self.cleaned_data.get("date_to") or today, today)
        since = self.cleaned_data.get("date_from") or until - datetime.timedelta(days=30)
        return since, until

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("date_from"), data.get("date_to")
        if since and until and since > until:
            self.add_error("date_to", _("The end date is before the start date."))
        elif since and until and (until - since).days >= MAX_REPORT_DAYS:
            self.add_error("date_from", _("Choose a period of at most 366 days."))
        return data
