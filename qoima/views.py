from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from qoima.chain.client import ChainUnavailable, chain_head
from qoima.health import platform_health


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the web process and the two services a request needs."""
    checks: dict[str, object] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {type(error).__name__}"
    try:
        head = chain_head()
        checks["chain"] = {"chain_id": head.chain_id, "block": head.block_number}
    except ChainUnavailable:
        checks["chain"] = "unavailable"
    healthy = checks["database"] == "ok"
    return JsonResponse({"ok": healthy, **checks}, status=200 if healthy else 503)


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: 200 when the platform works and its work moves, 503
    with the failing checks' reasons otherwise. Anonymous; counts and ages only."""
    result = platform_health()
    return JsonResponse(result.as_json(), status=200 if result.ok else 503)
