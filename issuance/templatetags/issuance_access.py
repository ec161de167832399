"""What a user may do with an object, asked from a template of a list (a page about one
object gets its ``may`` flags from the view)."""

from django import template

from issuance import access
from issuance.models import Redemption

register = template.Library()


@register.filter
def may_answer(user: access.AnyUser, redemption: Redemption) -> bool:
    """Whether the user may fulfil or refuse the redemption."""
    return access.can_answer(user, redemption)
