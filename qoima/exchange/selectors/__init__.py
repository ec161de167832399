"""Every read of the exchange, by concern."""

from .transfers import (
    holder_addresses,
    holder_history,
    holder_of,
    holder_transfers,
    transfer_tokens,
    wallet_holdings,
)

__all__ = [
    "holder_addresses",
    "holder_history",
    "holder_of",
    "holder_transfers",
    "transfer_tokens",
    "wallet_holdings",
]
