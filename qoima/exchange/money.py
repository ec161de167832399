"""Tenge as a person reads it: one formatter for every page, export and message.

Amounts are kept in tiyn (integers, 100 to the tenge) and only turned into text here.
"""

from decimal import Decimal

from qoima.chain.amounts import format_amount

TIYN_PER_TENGE = 100


def format_tenge(tiyn: int | None, *, language: str | None = None) -> str:
    """``123450`` → ``1 234,50 ₸`` in Russian and Kazakh, ``1,234.50 ₸`` in English (the
    grouping and decimal mark of ``language``, the active one when None)."""
    if tiyn is None:
        return "—"
    text = format_amount(Decimal(int(tiyn)) / TIYN_PER_TENGE, 2, language=language)
    return f"{text}\xa0₸"
