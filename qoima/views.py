from django.db import connection
from django.http import HttpRequest, JsonResponse

from qoima.chain.client import ChainUnavailable, chain_head


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
