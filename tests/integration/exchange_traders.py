"""A member placing orders from a process of its own, as a trading client would: started by
the exchange's fault tests with ``multiprocessing`` against the test database.

Nothing here imports Django at module level: a spawned process sets up Django itself, from
the database URL the test hands it (``tests.processes.database_url``); a forked one (what the
tests use: eight processes importing the platform afresh would take longer than the test)
inherits the test's settings and opens a connection of its own.
"""

import os
import random
from typing import Any


def orders_placed(
    *,
    database_url: str,
    queue: str,
    username: str,
    market_id: int,
    side: str,
    count: int,
    seed: int,
    barrier: Any,
    results: Any,
) -> None:
    """Place ``count`` limit orders at prices around 100.00 ₸ once every trader is ready;
    put (username, the ids of the orders acknowledged, how many were refused) on ``results``."""
    from django.apps import apps

    if not apps.ready:
        os.environ["DJANGO_SETTINGS_MODULE"] = "qoima.settings.test"
        os.environ["DATABASE_URL"] = database_url
        # Whatever placement enqueues goes to the test's own queue.
        os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
        import django

        django.setup()
    from django.db import connection

    from qoima.errors import InvalidInput
    from qoima.exchange.models import Order
    from qoima.exchange.services.orders import order_place
    from qoima.participants.models import User

    user = User.objects.get(username=username)
    rng = random.Random(seed)
    acknowledged: list[int] = []
    refused = 0
    barrier.wait(timeout=120)
    for i in range(count):
        try:
            order, _created = order_place(
                actor=user,
                market_id=market_id,
                client_order_id=f"{username}-{i}",
                side=side,
                type=Order.Type.LIMIT,
                time_in_force=Order.TimeInForce.GTC,
                price=rng.randrange(9_800, 10_201, 50),
                quantity=rng.randint(1, 12),
            )
        except InvalidInput:
            # Not enough cash or units left: refused, nothing held.
            refused += 1
            continue
        acknowledged.append(order.pk)
    connection.close()
    results.put((username, acknowledged, refused))
