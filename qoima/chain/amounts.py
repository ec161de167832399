"""Token amounts: what people write (``12.50``) against what the chain counts (units)."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from qoima.errors import InvalidInput

MAX_UINT256 = 2**256 - 1


def units_from_text(text: str | int | Decimal, decimals: int, *, field: str = "amount") -> int:
    """The amount in the token's smallest units; InvalidInput unless it is a positive amount
    with no more decimal places than the token has and within what the chain can count."""
    try:
        amount = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(_("Enter the amount as a number, such as 12.50."), field=field) from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput(_("The amount must be above zero."), field=field)
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimals:
        raise InvalidInput(
            _("This asset has %(decimals)s decimal places; the amount has more.")
            % {"decimals": decimals},
            field=field,
        )
    units = int(amount.scaleb(decimals))
    if units > MAX_UINT256:
        raise InvalidInput(_("The amount is too large."), field=field)
    return units


def units_to_amount(units: int | Decimal, decimals: int) -> Decimal:
    """Units as an amount with exactly the token's decimal places."""
    return (Decimal(int(units)).scaleb(-decimals)).quantize(Decimal(1).scaleb(-decimals))
