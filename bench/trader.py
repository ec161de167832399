"""One client of the exchange, as one member's trading program would be: ``python -m bench.trader``.

The exchange bench starts several of these so orders arrive concurrently. Each sets itself up and
says ``ready``; for each run the bench writes a line of JSON on its standard input (the markets,
how many orders, the mode, a label), and it places its orders one after the other for its member —
through ``order_place`` (mode ``service``, as an API process calls it) or the order API over HTTP
with a token (mode ``http``) — and says ``done`` with its elapsed time. A line ``end`` ends it: it
stays up between runs, so they measure trading, not Django starting. With ``wait`` it waits, after
each acknowledgement, until the matcher has processed the order (reading the order's row each time
the matcher says a step has committed), and reports the time from acknowledgement to that for every
order that traded: the latency from "accepted" to its fills persisted.
"""

import argparse
import json
import os
import random
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoima.settings.test")

import django

django.setup()

import requests  # noqa: E402
from django.db import connection  # noqa: E402

from qoima.exchange.matching import MATCHED, listen  # noqa: E402
from qoima.exchange.models import Order  # noqa: E402
from qoima.exchange.services.orders import order_place  # noqa: E402
from qoima.memory import started_objects_frozen  # noqa: E402
from qoima.participants.models import User  # noqa: E402

# Ticks either side of the reference price the orders are spread over: most of them cross.
SPREAD = 5
# A waiting client wakes on the matcher's notice that a step committed; this is the longest
# it waits without one (a notice is lost only with the connection).
WAIT_POLL = 0.1


def orders(
    seed: int, count: int, markets: list[int], reference: int, tick: int, lot: int
) -> list[tuple[int, str, int, int]]:
    """(market, side, price in tiyn, quantity in units) for each order, reproducibly."""
    rng = random.Random(seed)
    out: list[tuple[int, str, int, int]] = []
    for _ in range(count):
        side = rng.choice((Order.Side.BUY, Order.Side.SELL))
        price = reference + rng.randint(-SPREAD, SPREAD) * tick
        out.append((rng.choice(markets), side, price, rng.randint(1, 10) * lot))
    return out


def processed(order_id: int) -> tuple[bool, int]:
    """Whether the matcher has processed the order, and what it filled then."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, filled FROM exchange_order WHERE id = %s", [order_id])
        state, filled = cursor.fetchone()
    return state != Order.State.RECEIVED, int(filled)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--user", type=int, required=True)
    parser.add_argument("--reference", type=int, required=True)
    parser.add_argument("--tick", type=int, required=True)
    parser.add_argument("--lot", type=int, required=True)
    parser.add_argument("--decimals", type=int, required=True)
    args = parser.parse_args()
    actor = User.objects.get(pk=args.user)
    # As a web worker does once started (qoima.gunicorn_conf): the service path runs in one.
    started_objects_frozen()
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "end":
            return 0
        run = json.loads(line)
        elapsed, latencies = trade(args, actor, run)
        print(f"done {elapsed:.3f} {json.dumps(latencies)}", flush=True)
    return 1


def trade(args: argparse.Namespace, actor: User, run: dict) -> tuple[float, list[float]]:
    """Place one run's orders; the elapsed time and, when waiting, the latencies."""
    plan = orders(run["seed"], run["count"], run["markets"], args.reference, args.tick, args.lot)
    session = requests.Session()
    session.headers["Authorization"] = f"Token {run.get('token', '')}"
    url = f"{run.get('url', '')}/api/v1/orders/"
    label, mode, wait = run["label"], run["mode"], run.get("wait", False)

    def place(i: int, market: int, side: str, price: int, quantity: int) -> int:
        client_order_id = f"{label}-{args.user}-{i}"
        if mode == "service":
            order, _created = order_place(
                actor=actor,
                market_id=market,
                client_order_id=client_order_id,
                side=side,
                type=Order.Type.LIMIT,
                time_in_force=Order.TimeInForce.GTC,
                price=price,
                quantity=quantity,
            )
            return order.pk
        response = session.post(
            url,
            json={
                "market": market,
                "client_order_id": client_order_id,
                "side": side,
                "type": Order.Type.LIMIT,
                "time_in_force": Order.TimeInForce.GTC,
                "price": f"{price // 100}.{price % 100:02d}",
                "quantity": str(quantity / 10**args.decimals),
            },
            timeout=60,
        )
        if response.status_code != 201:
            raise RuntimeError(f"{response.status_code} {response.text[:300]}")
        return int(response.json()["id"])

    latencies = []
    listener = listen(MATCHED) if wait else None
    started = time.perf_counter()
    for i, (market, side, price, quantity) in enumerate(plan):
        order_id = place(i, market, side, price, quantity)
        if listener is not None:
            acknowledged = time.perf_counter()
            while True:
                done, filled = processed(order_id)
                if done:
                    break
                # Until the next step of any market commits (its notice), or a poll's time.
                for _notice in listener.notifies(timeout=WAIT_POLL, stop_after=1):
                    pass
            if filled:
                latencies.append(time.perf_counter() - acknowledged)
    if listener is not None:
        listener.close()
    return time.perf_counter() - started, latencies


if __name__ == "__main__":
    sys.exit(main())
