from django import template

from ..money import format_tenge

register = template.Library()


@register.simple_tag
def tenge(tiyn: int | None) -> str:
    """An amount in tiyn as tenge in the page's language: ``{% tenge trade.amount_tiyn %}`` →
    "1 234,50 ₸"."""
    return format_tenge(tiyn)
