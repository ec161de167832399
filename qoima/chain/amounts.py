"""Token amounts: what people write (``12.50``) against what the chain counts (units)."""

from decimal import Context, Decimal, InvalidOperation, localcontext

from django.utils.formats import sanitize_separators
from django.utils.translation import gettext_lazy as _

from qoima.errors import InvalidInput

from .contracts import MAX_UINT256

# Enough digits for any uint256 amount (78) at any decimal places a token may have (255).
_EXACT = Context(prec=400)


def units_from_text(
    text: str | int | Decimal, decimals: int, *, field: str = "amount", localized: bool = True
) -> int:
    """The amount in the token's smallest units; InvalidInput unless it is a positive amount
    with no more decimal places than the token has and within what the chain can count.

    The decimal separator is the reader's language's or a point; a thousands separator is
    refused rather than guessed at (``1,000`` would be one unit in Russian). A file's amounts
    (``localized=False``) take a point only, whoever uploads it.
    """
    raw = str(text).strip().replace(" ", "").replace("\xa0", "")
    if localized:
        raw = str(sanitize_separators(raw))
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(_("Enter the amount as a number, such as 12.50."), field=field) from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput(_("The amount must be above zero."), field=field)
    # Bounded before any arithmetic: an exponent of millions would not fit a context.
    if amount.adjusted() > len(str(MAX_UINT256)):
        raise InvalidInput(_("The amount is too large."), field=field)
    too_fine = InvalidInput(
        _("This asset has %(decimals)s decimal places; the amount has more.")
        % {"decimals": decimals},
        field=field,
    )
    if amount.adjusted() < -decimals:
        raise too_fine
    with localcontext(_EXACT):
        units = amount.scaleb(decimals)
        if units != units.to_integral_value():
            raise too_fine
    if int(units) > MAX_UINT256:
        raise InvalidInput(_("The amount is too large."), field=field)
    return int(units)


def units_to_amount(units: int | Decimal, decimals: int) -> Decimal:
    """Units as an amount with exactly the token's decimal places."""
    with localcontext(_EXACT):
        return Decimal(int(units)).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals))
