"""Token amounts: what people write (``12.50``) against what the chain counts (units).

Everything that reads an amount from a person goes through ``units_from_text``, and everything
that shows one to a person through ``format_units``: pages, messages raised in services, API
error details and the audit log's texts. Machines (JSON fields, CSV exports) get the exact
amount with a point and no grouping, ``str(units_to_amount(...))``.
"""

import re
from contextlib import nullcontext
from decimal import Context, Decimal, localcontext

from django.utils import translation
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext_lazy as _

from qoima.errors import InvalidInput

from .contracts import MAX_UINT256

# Enough digits for any uint256 amount (78) at any decimal places a token may have (255).
_EXACT = Context(prec=400)
# The spaces a person may group thousands with: a plain one, the no-break space pages print
# (so an amount copied from a page reads back) and the narrow and thin ones of typesetting.
_GROUP_SPACES = " \xa0\u202f\u2009"
# ASCII digits only (``\d`` would take Arabic-Indic and full-width ones); the whole part in
# groups of three when spaces group it; one decimal mark; nothing else (no sign, exponent or
# underscore, each of which Python's Decimal would take).
_AMOUNT = re.compile(
    rf"(?P<whole>[0-9]+|[0-9]{{1,3}}(?:[{_GROUP_SPACES}][0-9]{{3}})+)"
    r"(?:(?P<mark>[.,])(?P<fraction>[0-9]+))?"
)


def _not_a_number(field: str, *, localized: bool) -> InvalidInput:
    message = (
        _("Enter the amount as a number, such as 12.50.")
        if localized
        # The example is a parameter so that no translation turns its point into a comma.
        else _(
            "Write the amount with the digits 0-9 and a point for decimals, such as %(example)s."
        )
        % {"example": "12.50"}
    )
    return InvalidInput(message, field=field, code="amount_not_a_number")


def units_from_text(
    text: str | int | Decimal, decimals: int, *, field: str = "amount", localized: bool = True
) -> int:
    """The amount in the token's smallest units; InvalidInput unless it is a positive amount
    with no more decimal places than the token has and within what the chain can count.

    The decimal mark is the reader's language's or a point; thousands may be grouped with
    spaces, and any other separator is refused rather than guessed at (``1,000`` would be one
    unit in Russian). A file's amounts (``localized=False``) take a point only, whoever
    uploads it.
    """
    raw = str(text).strip()
    negative = raw.startswith("-")
    found = _AMOUNT.fullmatch(raw[1:] if negative else raw)
    marks = {"."} | ({str(get_format("DECIMAL_SEPARATOR"))} if localized else set())
    if found is None or (found["mark"] and found["mark"] not in marks):
        raise _not_a_number(field, localized=localized)
    whole = "".join(ch for ch in found["whole"] if ch.isdigit())
    amount = Decimal(f"{whole}.{found['fraction'] or 0}")
    if negative or amount == 0:
        raise InvalidInput(
            _("The amount must be above zero."), field=field, code="amount_not_positive"
        )
    if amount.adjusted() >= len(str(MAX_UINT256)):
        raise _too_large(field)
    if len((found["fraction"] or "").rstrip("0")) > decimals:
        raise InvalidInput(
            _("This asset has %(decimals)s decimal places; the amount has more.")
            % {"decimals": decimals},
            field=field,
            code="amount_too_precise",
        )
    with localcontext(_EXACT):
        units = int(amount.scaleb(decimals))
    if units > MAX_UINT256:
        raise _too_large(field)
    return units


def _too_large(field: str) -> InvalidInput:
    return InvalidInput(_("The amount is too large."), field=field, code="amount_too_large")


def units_to_amount(units: int | Decimal, decimals: int) -> Decimal:
    """Units as an amount with exactly the token's decimal places."""
    with localcontext(_EXACT):
        return Decimal(int(units)).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals))


def format_amount(amount: Decimal, decimals: int, *, language: str | None = None) -> str:
    """An amount as a person reads it: ``decimals`` places, the decimal mark and the grouping
    of ``language`` (the active one when None): ``1,998.00`` in English, ``1 998,00`` in
    Russian and Kazakh (with a no-break space)."""
    with translation.override(language) if language else nullcontext():
        return number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def format_units(
    units: int | Decimal, decimals: int, *, language: str | None = None, symbol: str = ""
) -> str:
    """Units of a token as a person reads them, in the asset's units (see ``format_amount``),
    followed by the symbol when one is given: ``1 998,00 WHT3``."""
    text = format_amount(units_to_amount(units, decimals), decimals, language=language)
    return f"{text} {symbol}" if symbol else text
