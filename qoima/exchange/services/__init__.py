"""Every state change of the exchange, one function a use case, by concern."""

from .markets import market_halt, market_open, market_resume, market_update
from .orders import (
    order_amend,
    order_cancel,
    order_place,
    orders_cancel_for_holder_in_transaction,
    orders_cancel_for_market_in_transaction,
)
from .transfers import transfer_request, transfer_to_own_wallet

__all__ = [
    "market_halt",
    "market_open",
    "market_resume",
    "market_update",
    "order_amend",
    "order_cancel",
    "order_place",
    "orders_cancel_for_holder_in_transaction",
    "orders_cancel_for_market_in_transaction",
    "transfer_request",
    "transfer_to_own_wallet",
]
