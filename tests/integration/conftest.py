"""Fixtures of the worker-process tests."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.brokers import RedisServer


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: this test stops and starts its own Redis")
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()
