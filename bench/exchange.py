"""The exchange: how fast orders are matched, persisted and settled.

The matching function alone is its ceiling: commands per second through
``qoima.exchange.matching.engine.match`` in this process, with nothing written anywhere.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from qoima.exchange.matching.engine import (
    BUY,
    CANCEL_RESTING,
    GTC,
    IOC,
    SELL,
    Book,
    Fill,
    Incoming,
    match,
)

from .table import print_table

ENGINE_ORDERS = 200_000


def _orders(count: int, *, seed: int = 7) -> list[Incoming]:
    """A stream that keeps a book of a few hundred levels around one price: most orders rest
    near the touch, about a third cross it."""
    rng = random.Random(seed)
    orders = []
    for i in range(1, count + 1):
        side = BUY if rng.random() < 0.5 else SELL
        offset = rng.randint(-20, 60)
        price = 10_000 - offset if side == BUY else 10_000 + offset
        tif = IOC if rng.random() < 0.1 else GTC
        orders.append(
            Incoming(i, rng.randint(1, 500), side, price, rng.randint(1, 50), tif, False, i)
        )
    return orders


def engine_ceiling(count: int = ENGINE_ORDERS) -> tuple[float, int, int]:
    """Orders per second through the engine, the fills made, and the orders left resting."""
    orders = _orders(count)
    book = Book()
    fills = 0
    started = time.perf_counter()
    for order in orders:
        fills += sum(isinstance(event, Fill) for event in match(book, order, CANCEL_RESTING).events)
    elapsed = time.perf_counter() - started
    return count / elapsed, fills, len(book)


HEADER = ["path", "clients", "markets", "orders/s", "notes"]


def measure() -> list[Sequence[str]]:
    rate, fills, resting = engine_ceiling()
    return [
        [
            "matching function alone (in process)",
            "1",
            "1",
            f"{rate:,.0f}",
            f"{ENGINE_ORDERS:,} orders, {fills:,} fills, {resting:,} left resting",
        ]
    ]


def print_report(rows: list[Sequence[str]]) -> None:
    print_table("Exchange", HEADER, rows, right={1, 2, 3})
