from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from .models import Role, User
from .selectors import user_role

View = Callable[..., HttpResponseBase]


def current_user(request: HttpRequest | Request) -> User:
    """The logged-in user of a view already guarded by role_required."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def role_required(*roles: Role) -> Callable[[View], View]:
    """Anonymous users go to the login page; users of any other role get 403."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if user_role(request.user) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def api_role_required(*roles: Role) -> type[BasePermission]:
    """A DRF permission: authenticated users of one of these roles; everyone else gets 403."""

    class HasRole(BasePermission):
        def has_permission(self, request: Request, view: APIView) -> bool:
            return user_role(request.user) in roles

    return HasRole
