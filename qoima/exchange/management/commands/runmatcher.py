"""``manage.py runmatcher``: the exchange's matcher, the single writer of each market's book."""

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand

from qoima.exchange.matching.runner import Matcher
from qoima.memory import started_objects_frozen


class Command(BaseCommand):
    help = "Match the exchange's received orders and changes, market by market, until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", default="", help="The name its heartbeat is shown under.")
        parser.add_argument("--limit", type=int, default=None, help="Work items per step.")

    def handle(self, *args: Any, name: str, limit: int | None, **options: Any) -> None:
        stop = threading.Event()

        def stopping(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGINT, stopping)
        signal.signal(signal.SIGTERM, stopping)
        started_objects_frozen()
        Matcher(name=name, limit=limit, stop=stop).run()
