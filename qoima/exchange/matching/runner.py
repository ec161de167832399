"""The matcher's loop (``manage.py runmatcher``): step every market that has work, wait for
more, say it is alive, and outlast the database going away.

On PostgreSQL it waits on ``LISTEN qoima_matching`` (order placement notifies after commit,
the market's id as the payload) and steps the markets it is told of at once, without looking
for work first: a lone order is matched as soon as it is acknowledged, and orders that arrive
while a step runs wait for it and go together into the next (the busier the market, the larger
its steps). Every MATCHER_WAIT_SECONDS it also looks at every market (``markets_with_work``),
so orders past their date still expire and a lost notice costs at most that; elsewhere it looks
every MATCHER_POLL_SECONDS. Several matchers may run: the market's row lock makes them take
turns on a market, and each keeps its book only while the market's journal is where it left
it.
"""

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from qoima.events import event

from ..services.matching import matcher_heartbeat_record
from . import CHANNEL, listen
from .matcher import book_drop, market_step, markets_with_work

logger = logging.getLogger(__name__)

LOST = (OperationalError, InterfaceError)


@contextlib.contextmanager
def _listener_errors() -> Iterator[None]:
    """The listener is psycopg's own connection, outside Django's error wrapping: its losses
    are the database's."""
    import psycopg

    try:
        yield
    except (psycopg.OperationalError, psycopg.InterfaceError) as error:
        raise OperationalError(str(error)) from error


class Matcher:
    def __init__(
        self,
        *,
        name: str = "",
        limit: int | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.name = name or f"matcher@{socket.gethostname()}"
        self.limit = limit or settings.MATCHER_STEP_LIMIT
        self.stop = stop or threading.Event()
        self.steps = 0
        self.beaten_at = 0.0
        self.listener: Any = None
        # Markets a notice named since they were last stepped, and when to look at them all.
        self.woken: set[int] = set()
        self.sweep_at = 0.0
        # Markets whose last step failed for another reason than the database: each waits a
        # little longer before it is tried again, and the others carry on meanwhile.
        self.failing: dict[int, tuple[float, float]] = {}

    def run(self) -> None:
        event("matcher %s started", self.name)
        pause = 0.5
        while not self.stop.is_set():
            try:
                busy = self.round(self.due())
                self.beat()
                if not busy or self.listening:
                    # Listening, the notices of what came in meanwhile end the wait at once.
                    self.wait()
                pause = 0.5
            except LOST as error:
                event(
                    "matcher: the database does not answer (%s); trying again in %g s", error, pause
                )
                self.disconnect()
                self.stop.wait(pause)
                pause = min(pause * 2, 10.0)
        self.disconnect()
        event("matcher %s stopped", self.name)

    @property
    def listening(self) -> bool:
        return connection.vendor == "postgresql"

    def due(self) -> list[int]:
        """The markets to step now: those notices named, and every market with work when it
        is time to look (always when polling)."""
        if self.listening and self.listener is None:
            # Listening before looking: what is placed meanwhile is not missed.
            with _listener_errors():
                self.listener = self._listen()
            self.sweep_at = 0.0
        woken, self.woken = self.woken, set()
        now = time.monotonic()
        if not self.listening or now >= self.sweep_at:
            self.sweep_at = now + settings.MATCHER_WAIT_SECONDS
            woken.update(markets_with_work())
        return sorted(woken)

    def round(self, markets: list[int]) -> bool:
        """Step each market until it has no work left; whether any step did work."""
        busy = False
        now = time.monotonic()
        for market_id in markets:
            retry_at, _pause = self.failing.get(market_id, (0.0, 0.0))
            if retry_at > now:
                continue
            while not self.stop.is_set():
                try:
                    result = market_step(market_id=market_id, limit=self.limit)
                except LOST:
                    # Not stepped: the next look (after reconnecting) finds its work again.
                    raise
                except Exception:
                    _at, pause = self.failing.get(market_id, (0.0, 0.5))
                    self.failing[market_id] = (time.monotonic() + pause, min(pause * 2, 60.0))
                    logger.exception("matcher: a step of market %s failed", market_id)
                    break
                self.failing.pop(market_id, None)
                self.steps += 1
                busy = busy or result.work > 0
                if result.work < self.limit:
                    break
        return busy

    def beat(self) -> None:
        if time.monotonic() - self.beaten_at >= settings.MATCHER_HEARTBEAT_SECONDS:
            matcher_heartbeat_record(name=self.name, steps=self.steps)
            self.beaten_at = time.monotonic()

    def wait(self) -> None:
        """Until a notice names a market, or it is time to look at every market."""
        if not self.listening:
            self.stop.wait(settings.MATCHER_POLL_SECONDS)
            return
        with _listener_errors():
            if self.listener is None:
                self.listener = self._listen()
            timeout = max(self.sweep_at - time.monotonic(), 0.0)
            # One read takes every notice already there (a burst's come together).
            for notice in self.listener.notifies(timeout=timeout, stop_after=1):
                try:
                    self.woken.add(int(notice.payload))
                except ValueError:
                    # Not a market's id: look at them all.
                    self.sweep_at = 0.0

    def _listen(self) -> Any:
        return listen(CHANNEL)

    def disconnect(self) -> None:
        """Drop both connections and every book: all are opened and rebuilt afresh, and every
        market is looked at again (notices sent meanwhile were lost with the listener)."""
        book_drop()
        self.sweep_at = 0.0
        with contextlib.suppress(OperationalError, InterfaceError):
            connection.close()
        if self.listener is not None:
            try:
                self.listener.close()
            except Exception:  # already gone with the database
                logger.debug("matcher: the listener was already closed", exc_info=True)
            self.listener = None
