"""``runmatcher``'s loop: woken by order placement, it matches, says it is alive in /health/,
and carries on after its database connections are cut."""

import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client

from qoima.exchange.matching import MATCHED, listen, wake
from qoima.exchange.matching.runner import Matcher
from qoima.exchange.models import MatcherHeartbeat, Order, Trade

from .matching_world import exchange

pytestmark = pytest.mark.django_db(transaction=True)


def waited(condition, errors, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not errors:
        if condition():
            return True
        time.sleep(0.05)
    raise AssertionError(f"the matcher did not do it in time: {errors}")


def cut_other_connections() -> int:
    """What a database restart does to every connection but this one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's")
def test_the_loop_matches_what_it_is_woken_for_and_outlasts_lost_connections(settings):
    settings.MATCHER_HEARTBEAT_SECONDS = 0.1
    ex = exchange()
    alice, bob, _ = ex.traders
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            Matcher(name="matcher@test", stop=stop).run()
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        waited(lambda: MatcherHeartbeat.objects.filter(name="matcher@test").exists(), errors)
        status = Client().get("/health/").json()["checks"]["matcher"]
        assert status["ok"] is True
        assert status["markets"] is True

        listener = listen(MATCHED)
        ex.sell(alice, 100)
        ex.buy(bob, 100)
        wake(ex.market.pk)
        waited(lambda: Trade.objects.count() == 1, errors)
        # Whatever waits on the book hears of each step once it has committed, up to which
        # journal entry.
        ex.market.refresh_from_db()
        heard = [notice.payload for notice in listener.notifies(timeout=5, stop_after=1)]
        heard += [notice.payload for notice in listener.notifies(timeout=0.5)]
        listener.close()
        assert heard
        assert heard[-1] == f"{ex.market.pk}:{ex.market.last_seq}", heard

        assert cut_other_connections() >= 1
        ex.sell(alice, 200)
        ex.buy(bob, 200)
        wake(ex.market.pk)
        waited(lambda: Trade.objects.count() == 2, errors)
        assert not Order.objects.filter(state=Order.State.RECEIVED).exists()
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert MatcherHeartbeat.objects.get(name="matcher@test").steps >= 2
