"""The design system's tags: how a state, an empty list or a form looks on every page."""

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from qoima.ui.states import state_colour

register = template.Library()


@register.simple_tag
def badge(state: object, label: object) -> str:
    """A state as a badge: its label in the reader's language, its colour from the state's code.

    ``{% badge application.status application.get_status_display %}``
    """
    colour = state_colour(state)
    return format_html(
        '<span class="badge bg-{} text-{}-fg" data-state="{}">{}</span>',
        colour,
        colour,
        state,
        label,
    )


@register.filter
def colour(state: object) -> str:
    """The colour name of a state, for what a badge cannot carry (a row's or a card's accent)."""
    return state_colour(state)


EXPLORER_PATHS = {"tx": "tx", "address": "address", "block": "block", "token": "token"}


@register.inclusion_tag("ui/_chain_id.html")
def chain_id(value: object, kind: str = "tx", full: bool = False) -> dict[str, object]:
    """A transaction hash or an address as people read one: shortened to its first and last
    characters (the whole value on hover and for screen readers), a button that copies the
    whole value, and a link to the block explorer when ``CHAIN_EXPLORER_URL`` is set.

    ``{% chain_id operation.tx_hash "tx" %}``, ``{% chain_id wallet.address "address" %}``
    """
    text = "" if value is None else str(value)
    short = text if full or len(text) <= 14 else f"{text[:6]}…{text[-4:]}"
    base = settings.CHAIN_EXPLORER_URL.rstrip("/")
    link = f"{base}/{EXPLORER_PATHS[kind]}/{text}" if base and text else ""
    return {"value": text, "short": short, "link": link, "kind": kind}


@register.simple_tag
def time_zone_note() -> str:
    """Where times matter (a transfer's time, a deadline), the zone they are shown in."""
    now = timezone.localtime()
    offset = now.strftime("%z")
    return format_html(
        '<span class="text-secondary small" data-testid="time-zone">{}</span>',
        _("Times are in %(zone)s (UTC%(offset)s).")
        % {"zone": _("Almaty"), "offset": f"{offset[:3]}:{offset[3:]}"},
    )
