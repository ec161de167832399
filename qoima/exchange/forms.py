import datetime
import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Order, StatementImport
from .models.markets import SelfTradePrevention


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


class LinkRequestForm(forms.Form):
    address = forms.CharField(
        label=_("Address of your wallet"),
        max_length=64,
        help_text=_("An address whose key you hold, in your own wallet software."),
    )


class LinkSignForm(forms.Form):
    signature = forms.CharField(
        label=_("Signature"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What your wallet shows after signing the message above (0x…)."),
    )


class OwnWalletSendForm(forms.Form):
    asset = forms.CharField(label=_("Asset"), max_length=64)
    amount = forms.CharField(label=_("Amount"), max_length=100)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class OrderForm(forms.Form):
    """An order as a member types it: the price in tenge, the quantity in the asset's units."""

    side = forms.ChoiceField(label=_("Side"), choices=Order.Side.choices, initial="buy")
    type = forms.ChoiceField(label=_("Order type"), choices=Order.Type.choices, initial="limit")
    time_in_force = forms.ChoiceField(
        label=_("Time in force"), choices=Order.TimeInForce.choices, initial="gtc"
    )
    post_only = forms.BooleanField(
        label=_("Post only"),
        required=False,
        help_text=_("Only rest in the book: cancelled rather than trade at once."),
    )
    price = forms.CharField(
        label=_("Price per token, ₸"),
        max_length=40,
        required=False,
        help_text=_("Not needed for a market order: it trades within the price band."),
    )
    quantity = forms.CharField(label=_("Quantity"), max_length=100)
    expires_on = forms.DateField(
        label=_("Good till"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For an order good till a date: it expires at the end of that day."),
    )
    # Made when the form is shown: submitting the same form twice places one order.
    client_order_id = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: object, sides: list[str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if sides is not None:
            self.fields["side"].choices = [  # type: ignore[attr-defined]
                (value, label) for value, label in Order.Side.choices if value in sides
            ]
            self.fields["side"].initial = sides[0]
        if not self.is_bound:
            self.initial["client_order_id"] = uuid.uuid4().hex

    def expires_at(self) -> datetime.datetime | None:
        """The end of the chosen day, in the platform's time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        end = datetime.datetime.combine(day, datetime.time.max)
        return timezone.make_aware(end, timezone.get_default_timezone())


class AmendForm(forms.Form):
    price = forms.CharField(label=_("New price per token, ₸"), max_length=40, required=False)
    quantity = forms.CharField(label=_("New quantity"), max_length=100, required=False)


class MarketForm(forms.Form):
    """A market's settings as the administrator types them: tenge and the asset's units."""

    token = forms.TypedChoiceField(label=_("Asset"), coerce=int, choices=[])
    tick = forms.CharField(label=_("Tick size, ₸"), max_length=40)
    lot = forms.CharField(label=_("Lot size"), max_length=100)
    min_quantity = forms.CharField(label=_("Smallest order"), max_length=100)
    max_quantity = forms.CharField(label=_("Largest order"), max_length=100)
    band_bps = forms.IntegerField(
        label=_("Price band, basis points"),
        min_value=1,
        max_value=9999,
        help_text=_("Orders are taken within this distance of the reference price."),
    )
    maker_fee_bps = forms.IntegerField(
        label=_("Maker fee, basis points"), min_value=0, max_value=1000
    )
    taker_fee_bps = forms.IntegerField(
        label=_("Taker fee, basis points"), min_value=0, max_value=1000
    )
    self_trade_prevention = forms.ChoiceField(
        label=_("Self-trade prevention"), choices=SelfTradePrevention.choices
    )
    reference_price = forms.CharField(
        label=_("Reference price, ₸"),
        max_length=40,
        help_text=_("The issuer's offering price, until the first trade."),
    )

    def __init__(
        self, *args: object, tokens: list[tuple[int, str]] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if tokens is None:
            del self.fields["token"]
        else:
            self.fields["token"].choices = tokens  # type: ignore[attr-defined]


class HaltForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=[])

    def __init__(self, *args: object, reasons: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reason"].choices = reasons  # type: ignore[attr-defined]


# The member's cash page and the treasury's pages: amounts and IBANs are read by their
# services (``tiyn_from_text``, the IBAN check), so these forms only carry the text.


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
