"""Work started in several threads at once, for the tests of paths that lock the same rows."""

import threading
from collections.abc import Callable

from django.db import connection


def together(count: int, work: Callable[[int], object]) -> list[object]:
    """``work(i)`` in ``count`` threads started together; returns what each returned or
    raised (the test reads what each thread met). Each thread closes its connection."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[i] = work(i)
        except Exception as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
