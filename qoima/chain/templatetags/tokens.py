from decimal import Decimal

from django import template
from django.utils.formats import number_format

from qoima.chain.amounts import units_to_amount

register = template.Library()


@register.filter
def token_units(units: int | Decimal, decimals: int | str) -> str:
    """Units as an amount in the page's language, with the asset's decimal places (none when
    the asset is not known, as for a moment after a reorg takes its issue away)."""
    places = decimals if isinstance(decimals, int) else 0
    return number_format(
        units_to_amount(units, places), decimal_pos=places, use_l10n=True, force_grouping=True
    )


@register.filter
def token_amount(amount: Decimal, decimals: int) -> str:
    return number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=True)


@register.filter
def get_token(tokens: dict[str, object], address: str) -> object:
    return tokens.get(address)
