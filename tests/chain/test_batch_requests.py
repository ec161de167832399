"""A process's requests for a batch run are coalesced: at most one every
CHAIN_BATCH_REQUEST_SECONDS, each due no sooner than the commits it stands for, so every commit
is read by a run that starts after it."""

import threading

import pytest
from django.db import transaction

from qoima.chain import tasks
from qoima.chain.manager import enqueue_batch

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sent(monkeypatch, settings):
    """The requests sent, as (countdown, due); the broker takes them unless told otherwise."""
    settings.CHAIN_BATCH_REQUEST_SECONDS = 0.1
    clock = Clock()
    monkeypatch.setattr(tasks.time, "time", clock)
    monkeypatch.setattr(tasks, "_batch_requests", tasks._BatchRequests())
    requests: list[tuple[float, float]] = []
    broker = {"up": True}

    def enqueue(task, *, countdown: float, due: float) -> bool:
        assert task is tasks.chain_batch
        if broker["up"]:
            requests.append((round(countdown, 6), round(due, 6)))
        return broker["up"]

    monkeypatch.setattr(tasks, "enqueue", enqueue)
    return requests, clock, broker


def commit(django_capture_on_commit_callbacks, countdown: float = 0) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_batch(countdown=countdown)


def test_commits_close_together_share_one_request_due_after_the_last(
    sent, django_capture_on_commit_callbacks
):
    requests, clock, _broker = sent
    commit(django_capture_on_commit_callbacks)
    assert requests == [(0.0, 1_000.0)]
    clock.now += 0.01
    commit(django_capture_on_commit_callbacks)
    # Due at the interval's end: after this commit, so its run reads it.
    assert requests[1:] == [(0.09, 1_000.1)]
    clock.now += 0.02
    commit(django_capture_on_commit_callbacks)
    commit(django_capture_on_commit_callbacks)
    assert len(requests) == 2
    clock.now += 0.5
    commit(django_capture_on_commit_callbacks)
    assert requests[2:] == [(0.0, 1_000.53)]


def test_nothing_is_asked_before_the_commit_and_nothing_for_a_rollback(
    sent, django_capture_on_commit_callbacks
):
    requests, _clock, _broker = sent
    seen_inside: list[int] = []

    def rolled_back() -> None:
        with transaction.atomic():
            enqueue_batch()
            seen_inside.append(len(requests))
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        rolled_back()
    assert seen_inside == [0]
    assert requests == []


def test_a_request_for_later_covers_the_commits_before_it_is_due(
    sent, django_capture_on_commit_callbacks
):
    """A batch waiting to fill asks for a run in a second; commits meanwhile wait for it."""
    requests, clock, _broker = sent
    commit(django_capture_on_commit_callbacks, countdown=1.0)
    clock.now += 0.3
    commit(django_capture_on_commit_callbacks)
    assert requests == [(1.0, 1_001.0)]


def test_a_request_the_broker_did_not_take_is_asked_again_by_the_next_commit(
    sent, django_capture_on_commit_callbacks
):
    requests, clock, broker = sent
    broker["up"] = False
    commit(django_capture_on_commit_callbacks)
    broker["up"] = True
    clock.now += 0.01
    commit(django_capture_on_commit_callbacks)
    assert requests == [(0.0, 1_000.01)]


def test_without_an_interval_every_commit_asks(settings, monkeypatch):
    settings.CHAIN_BATCH_REQUEST_SECONDS = 0.0
    asked: list[float] = []
    monkeypatch.setattr(
        tasks, "enqueue_on_commit", lambda task, countdown, stamp_due: asked.append(countdown)
    )
    enqueue_batch()
    enqueue_batch()
    assert asked == [0, 0]


def test_threads_committing_at_once_send_one_request_that_covers_them_all(sent):
    """A web worker's threads: eight commits at the same moment need one request."""
    requests, _clock, _broker = sent
    start = threading.Barrier(8)

    def committed() -> None:
        start.wait()
        tasks._batch_requests.request(0)

    threads = [threading.Thread(target=committed) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert requests == [(0.0, 1_000.0)]
