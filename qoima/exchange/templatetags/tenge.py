from decimal import Decimal

from django import template

from ..money import format_tenge

register = template.Library()


@register.simple_tag
def tenge(tiyn: int | Decimal | None) -> str:
    """``{% tenge order.held_tiyn %}`` → ``1 234,50 ₸`` in the reader's language."""
    return "" if tiyn is None else format_tenge(tiyn)
