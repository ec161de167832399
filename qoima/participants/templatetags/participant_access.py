"""What a user may do with a permit or a holder, asked from the templates of lists."""

from django import template
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from qoima.participants import access
from qoima.participants.models import HolderProfile, Permit

register = template.Library()
AnyUser = AbstractBaseUser | AnonymousUser


@register.filter
def may_verify_holder(user: AnyUser, holder: HolderProfile) -> bool:
    return access.can_verify_holder(user, holder)


@register.filter
def may_suspend_holder(user: AnyUser, holder: HolderProfile) -> bool:
    return access.can_suspend_holder(user, holder)


@register.filter
def may_review_permit(user: AnyUser, permit: Permit) -> bool:
    return access.can_review_permit(user, permit)


@register.filter
def permit_status_choices(user: AnyUser, permit: Permit) -> list[tuple[str, str]]:
    return access.permit_status_choices(user, permit)
