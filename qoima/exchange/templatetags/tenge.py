"""``{% tenge tiyn %}``: an amount of tenge as the reader's language writes it (see
``qoima/exchange/money.py``)."""

from django import template

from ..money import format_tenge

register = template.Library()


@register.simple_tag
def tenge(tiyn: int | None) -> str:
    return format_tenge(None if tiyn is None else int(tiyn))
