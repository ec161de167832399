"""How the outcome of an operation reaches the part of the platform that asked for it.

A caller names a ``purpose`` when it requests an operation and registers, once, the service
that settles its own rows for that purpose (an issuance marking its token issued, a trade
unwinding when its transfer failed). The manager calls it in the same database transaction
that makes the operations confirmed or failed, so the caller's rows can never disagree with
the operations. The handler may be called again for the same operations (a reorg can take a
confirmation back and give it again): it must be safe to run twice.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable

from ..models import Operation

logger = logging.getLogger(__name__)

Handler = Callable[[list[Operation]], None]
_handlers: dict[str, Handler] = {}


def settlement_handler(purpose: str) -> Callable[[Handler], Handler]:
    """Register the service that settles operations of ``purpose`` once they are final."""

    def register(handler: Handler) -> Handler:
        known = _handlers.get(purpose)
        if known is not None and known is not handler:
            raise ValueError(f"a settlement handler for {purpose!r} is already registered")
        _handlers[purpose] = handler
        return handler

    return register


def has_settlement_handler(purpose: str) -> bool:
    return purpose in _handlers


def operations_settled(operations: Iterable[Operation]) -> None:
    """Hand final operations to the handler of their purpose."""
    by_purpose: dict[str, list[Operation]] = defaultdict(list)
    for operation in operations:
        if operation.purpose:
            by_purpose[operation.purpose].append(operation)
    _hand_over(by_purpose)


def _hand_over(by_purpose: dict[str, list[Operation]]) -> None:
    for purpose, settled in by_purpose.items():
        handler = _handlers.get(purpose)
        if handler is None:
            # Requests are refused without a handler, so this process lacks the app that
            # registers it. The operations' state stands; blocking the manager would not help.
            logger.error("no settlement handler for %r in this process", purpose)
            continue
        handler(settled)
