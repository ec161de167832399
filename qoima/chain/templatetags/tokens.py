from decimal import Decimal

from django import template

from qoima.chain import reasons
from qoima.chain.amounts import format_amount, format_units
from qoima.chain.models import Operation

register = template.Library()


@register.filter
def token_units(units: int | Decimal, decimals: int | str) -> str:
    """Units as an amount in the page's language, with the asset's decimal places (none when
    the asset is not known, as for a moment after a reorg takes its issue away)."""
    return format_units(units, decimals if isinstance(decimals, int) else 0)


@register.filter
def token_amount(amount: Decimal, decimals: int) -> str:
    return format_amount(amount, decimals)


@register.filter
def get_token(tokens: dict[str, object], address: str) -> object:
    return tokens.get(address)


@register.filter
def failure_text(operation: Operation) -> str:
    """Why an operation failed, in the page's language, naming parties and amounts as people
    know them."""
    return reasons.failure_text(operation)
