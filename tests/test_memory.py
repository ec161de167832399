"""Every long-running process puts what it loaded to start out of the cycle collector's reach
(``qoima.memory``): a web worker, a Celery worker (solo or each prefork child) and the matcher."""

import gc
import signal as signals

import pytest
from celery.signals import worker_process_init, worker_ready
from django.core.management import call_command

from qoima import gunicorn_conf
from qoima.exchange.matching.runner import Matcher
from qoima.memory import started_objects_frozen


@pytest.fixture(autouse=True)
def thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_what_is_alive_when_started_is_frozen():
    assert gc.get_freeze_count() == 0
    started_objects_frozen()
    frozen = gc.get_freeze_count()
    # This process's modules, at the least: tens of thousands of objects.
    assert frozen > 10_000
    # A full collection afterwards leaves them frozen (reference counting may still free one).
    gc.collect()
    assert gc.get_freeze_count() > 10_000


def test_a_web_worker_freezes_once_the_application_is_loaded():
    gunicorn_conf.post_worker_init(worker=None)
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize("signal", [worker_ready, worker_process_init], ids=["solo", "prefork"])
def test_a_celery_worker_freezes_when_it_is_ready_to_take_tasks(signal):
    signal.send(sender=None)
    assert gc.get_freeze_count() > 0


def test_the_matcher_freezes_before_its_first_step(monkeypatch):
    seen: list[int] = []
    monkeypatch.setattr(Matcher, "run", lambda self: seen.append(gc.get_freeze_count()))
    # The command's handlers for SIGINT and SIGTERM are not this test process's to keep.
    monkeypatch.setattr(signals, "signal", lambda *args: None)
    call_command("runmatcher", name="memory")
    assert seen
    assert seen[0] > 0
