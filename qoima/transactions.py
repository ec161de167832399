"""The two kinds of service function, as far as transactions go.

A use case (``<entity>_<verb>``) is an entry point: ``transaction.atomic(durable=True)``, so no
caller can fold it into a transaction of its own by accident, and it has committed when it
returns. A step that several use cases share (``<entity>_<verb>_in_transaction``) writes as part
of its caller's transaction and refuses to run outside one, where nothing would undo its writes
when the rest of the use case fails.
"""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")


def in_transaction(function: Callable[P, R]) -> Callable[P, R]:
    """A step of a use case: refuses to run outside the transaction of one."""

    @wraps(function)
    def step(*args: P.args, **kwargs: P.kwargs) -> R:
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError(f"{function.__name__} must run inside the transaction of a service")
        return function(*args, **kwargs)

    return step


def in_own_transactions(function: Callable[P, R]) -> Callable[P, R]:
    """A use case that commits in several transactions of its own (a batch at a time, so a
    crash loses one batch): like a durable one, it refuses to run inside a caller's
    transaction, which would hold every batch uncommitted until the caller ends."""

    @wraps(function)
    def use_case(*args: P.args, **kwargs: P.kwargs) -> R:
        connection = transaction.get_connection()
        # A test case's own transaction does not count, as for ``atomic(durable=True)``.
        if connection.atomic_blocks and not connection.atomic_blocks[-1]._from_testcase:
            raise RuntimeError(
                f"{function.__name__} commits in durable steps of its own: "
                "it cannot run inside another transaction"
            )
        return function(*args, **kwargs)

    return use_case


def use_case(function: Callable[P, R]) -> Callable[P, R]:
    """A use case that needs no transaction opened around it — one statement, or transactions
    it opens itself (a retry, a fallback to another path) — yet, like every use case, refuses
    to run inside a caller's transaction: what it does has committed when it returns."""

    @wraps(function)
    def entry(*args: P.args, **kwargs: P.kwargs) -> R:
        # An empty durable block is Django's own check (it knows a test case's transaction
        # from a caller's) and costs no round trip, as nothing runs in it.
        with transaction.atomic(durable=True):
            pass
        return function(*args, **kwargs)

    return entry
