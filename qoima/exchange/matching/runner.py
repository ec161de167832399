"""The matcher's loop (``manage.py runmatcher``): step every market that has work, wait for
more, say it is alive, and outlast the database going away.

On PostgreSQL it waits on ``LISTEN qoima_matching`` (order placement notifies after commit)
for at most MATCHER_WAIT_SECONDS, so orders past their date still expire and a lost notice
costs at most that; elsewhere it looks every MATCHER_POLL_SECONDS. Several matchers may run:
the market's row lock makes them take turns on a market, and each keeps its book only while
the market's journal is where it left it.
"""

import contextlib
import logging
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from qoima.events import event

from ..services.matching import matcher_heartbeat_record
from . import CHANNEL
from .matcher import book_drop, market_step, markets_with_work

logger = logging.getLogger(__name__)

LOST = (OperationalError, InterfaceError)


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
        # Markets whose last step failed for another reason than the database: each waits a
        # little longer before it is tried again, and the others carry on meanwhile.
        self.failing: dict[int, tuple[float, float]] = {}

    def run(self) -> None:
        event("matcher %s started", self.name)
        pause = 0.5
        while not self.stop.is_set():
            try:
                busy = self.round()
                self.beat()
                if not busy:
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

    def round(self) -> bool:
        """Step each market with work until it has none left; whether any step did work."""
        busy = False
        now = time.monotonic()
        for market_id in markets_with_work():
            retry_at, _pause = self.failing.get(market_id, (0.0, 0.0))
            if retry_at > now:
                continue
            while not self.stop.is_set():
                try:
                    result = market_step(market_id=market_id, limit=self.limit)
                except LOST:
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
        if connection.vendor != "postgresql":
            self.stop.wait(settings.MATCHER_POLL_SECONDS)
            return
        import psycopg

        try:
            if self.listener is None:
                self.listener = self._listen()
            for _notice in self.listener.notifies(
                timeout=settings.MATCHER_WAIT_SECONDS, stop_after=1
            ):
                pass
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            # The listener is psycopg's own connection, outside Django's error wrapping.
            raise OperationalError(str(error)) from error

    def _listen(self) -> Any:
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        listener = psycopg.Connection.connect(**params, autocommit=True)
        listener.execute(f"LISTEN {CHANNEL}")
        return listener

    def disconnect(self) -> None:
        """Drop both connections and every book: all are opened and rebuilt afresh."""
        book_drop()
        with contextlib.suppress(OperationalError, InterfaceError):
            connection.close()
        if self.listener is not None:
            try:
                self.listener.close()
            except Exception:  # already gone with the database
                logger.debug("matcher: the listener was already closed", exc_info=True)
            self.listener = None
