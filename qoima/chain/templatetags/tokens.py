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


@register.simple_tag
def units_of(units: int | Decimal | None, asset: object) -> str:
    """An amount of base units with its asset's symbol, in the page's language:
    ``{% units_of transfer.amount asset %}`` → "1 250,5 WHTK3". Anything with ``decimals``
    and ``symbol`` (an application, a token) names the asset."""
    if units is None:
        return "—"
    decimals = getattr(asset, "decimals", 0)
    symbol = getattr(asset, "symbol", "")
    text = format_units(units, decimals if isinstance(decimals, int) else 0)
    return f"{text}\xa0{symbol}" if symbol else text


@register.simple_tag
def amount_of(amount: Decimal | None, asset: object) -> str:
    """An amount already in units (a balance) with its asset's symbol."""
    if amount is None:
        return "—"
    decimals = getattr(asset, "decimals", 0)
    symbol = getattr(asset, "symbol", "")
    text = format_amount(amount, decimals if isinstance(decimals, int) else 0)
    return f"{text}\xa0{symbol}" if symbol else text
