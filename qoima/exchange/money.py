"""Tenge: what people write (``1 234,50``) against what the ledger counts (tiyn, 1/100 ₸).

Every amount of tenge shown to a person goes through ``format_tenge`` (pages through the
``{% tenge %}`` tag, messages raised in services, the audit log's texts), and every amount a
person writes through ``tiyn_from_text``. Machines (JSON fields, exports) get tiyn as integers.

The form is the reader's language's number format, always with two decimals, the sign after
the number and no-break spaces so an amount never wraps: ``1 234,50 ₸`` in Russian and Kazakh,
``1,234.50 ₸`` in English (the sign after the number in every language, as Kazakh banks print
it, so that a column of amounts lines up the same whatever the language).
"""

import re
from contextlib import nullcontext
from decimal import Decimal

from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from qoima.errors import InvalidInput

TENGE_SIGN = "₸"
# The most one amount may be: ten trillion tenge, far above any payment and far below what a
# 64-bit balance holds, so that no sum of amounts overflows.
MAX_TIYN = 10**15

# Spaces a person may group thousands with: a plain one, the no-break space pages print (so an
# amount copied from a page reads back) and the narrow and thin ones of typesetting.
_GROUP_SPACES = " \xa0\u202f\u2009"
# ASCII digits; the whole part plain or in groups of three split by spaces; one decimal mark,
# a comma or a point whatever the language; the sign of tenge may follow.
_AMOUNT = re.compile(
    rf"(?P<whole>[0-9]+|[0-9]{{1,3}}(?:[{_GROUP_SPACES}][0-9]{{3}})+)"
    rf"(?:(?P<mark>[.,])(?P<fraction>[0-9]+))?(?:[{_GROUP_SPACES}]?{TENGE_SIGN})?"
)


def format_tenge(tiyn: int | None, *, language: str | None = None) -> str:
    """``1 234,50 ₸`` (ru, kk) or ``1,234.50 ₸`` (en) for 123450 tiyn, in ``language`` (the
    active one when None); a dash when there is no amount (no trade yet)."""
    if tiyn is None:
        return "—"
    with translation.override(language) if language else nullcontext():
        number = number_format(Decimal(tiyn).scaleb(-2), decimal_pos=2, force_grouping=True)
    return f"{number}\xa0{TENGE_SIGN}"


def tiyn_from_text(text: str, *, field: str = "amount") -> int:
    """The amount in tiyn; InvalidInput unless it is a positive amount of at most two decimals
    (written, so ``1,000`` is refused rather than read as one tenge or as a thousand) and at
    most ``MAX_TIYN``."""
    raw = str(text).strip()
    if raw.startswith("-"):
        raise InvalidInput(
            _("The amount must be above zero."), field=field, code="amount_not_positive"
        )
    found = _AMOUNT.fullmatch(raw)
    if found is None:
        raise InvalidInput(
            _("Enter the amount in tenge as a number, such as 1 234,50."),
            field=field,
            code="amount_not_a_number",
        )
    fraction = found["fraction"] or ""
    if len(fraction) > 2:
        raise InvalidInput(
            _("An amount in tenge has at most two decimal places (tiyn)."),
            field=field,
            code="amount_too_precise",
        )
    whole = "".join(ch for ch in found["whole"] if ch.isdigit())
    if len(whole) > len(str(MAX_TIYN)):
        raise _too_large(field)
    tiyn = int(whole) * 100 + int(fraction.ljust(2, "0"))
    if tiyn == 0:
        raise InvalidInput(
            _("The amount must be above zero."), field=field, code="amount_not_positive"
        )
    if tiyn > MAX_TIYN:
        raise _too_large(field)
    return tiyn


def _too_large(field: str) -> InvalidInput:
    return InvalidInput(
        _("The amount is too large: at most %(most)s.") % {"most": format_tenge(MAX_TIYN)},
        field=field,
        code="amount_too_large",
    )
