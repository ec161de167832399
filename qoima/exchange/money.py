"""Tenge as people read and write it: the one formatter and the one parser of cash amounts.

The ledger keeps tiyn (1 ₸ = 100 tiyn) as integers; a person sees tenge with two decimals in the
grouping of their language and the sign after the number, as Kazakh banks print it:
``1 234,50 ₸`` in Russian and Kazakh, ``1,234.50 ₸`` in English.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from qoima.chain.amounts import format_amount, units_from_text, units_to_amount
from qoima.errors import InvalidInput

TIYN_DECIMALS = 2
SIGN = "₸"
# What a BIGINT column holds: no cash amount of the platform can be larger.
MAX_TIYN = 2**63 - 1


def format_tenge(tiyn: int | Decimal, *, language: str | None = None, sign: bool = True) -> str:
    amount = format_amount(units_to_amount(tiyn, TIYN_DECIMALS), TIYN_DECIMALS, language=language)
    return f"{amount}\xa0{SIGN}" if sign else amount


def tiyn_from_text(text: str | int | Decimal, *, field: str = "amount") -> int:
    """Tiyn from an amount of tenge a person typed (``1 234,50`` or ``1234.50``); InvalidInput
    unless it is above zero, has at most two decimals and fits the ledger."""
    tiyn = units_from_text(text, TIYN_DECIMALS, field=field)
    if tiyn > MAX_TIYN:
        raise InvalidInput(_("The amount is too large."), field=field, code="amount_too_large")
    return tiyn
