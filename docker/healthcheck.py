"""Container health checks for docker/compose.yaml, standard library only (the image has no curl).

    python docker/healthcheck.py http URL      the URL answers 2xx
    python docker/healthcheck.py jsonrpc URL   an Ethereum JSON-RPC node answers eth_chainId

Exit status 0 means healthy, 1 unhealthy (what Docker expects).
"""

import http.client
import json
import os
import sys
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 5.0


def _connect(url: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"expected an http:// URL, got {url!r}")
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port or 80, timeout=TIMEOUT_SECONDS
    )
    return connection, parts.path or "/"


def _allowed_host() -> str:
    """A Host header Django accepts: the first ALLOWED_HOSTS entry, as a plain name."""
    first = os.environ.get("ALLOWED_HOSTS", "").split(",")[0].strip()
    if not first or first == "*":
        return "localhost"
    return first.lstrip(".")


def check_http(url: str) -> str:
    connection, path = _connect(url)
    # The probe comes from inside the container over plain HTTP: claiming the proxy's
    # https keeps SECURE_SSL_REDIRECT from answering it with a redirect.
    headers = {"Host": _allowed_host(), "X-Forwarded-Proto": "https"}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read(2000).decode("utf-8", "replace")
    if not 200 <= response.status < 300:
        raise RuntimeError(f"HTTP {response.status}: {body}")
    return body


def check_jsonrpc(url: str) -> str:
    connection, path = _connect(url)
    payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    connection.request("POST", path, body=payload, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = json.loads(response.read())
    if response.status != 200 or "result" not in answer:
        raise RuntimeError(f"HTTP {response.status}: {answer}")
    return f"chain id {int(answer['result'], 16)}"


CHECKS = {"http": check_http, "jsonrpc": check_jsonrpc}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in CHECKS:
        print(__doc__, file=sys.stderr)
        return 1
    try:
        print(CHECKS[argv[1]](argv[2]))
    except Exception as error:  # any failure is "unhealthy"
        print(f"unhealthy: {type(error).__name__}: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
