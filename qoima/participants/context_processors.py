from django.http import HttpRequest

from .selectors import user_role


def role(request: HttpRequest) -> dict[str, object]:
    return {"role": user_role(request.user)}
