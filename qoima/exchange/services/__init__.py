"""Every state change of the exchange, one function a use case, by concern."""

from .transfers import transfer_request

__all__ = ["transfer_request"]
