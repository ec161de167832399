"""The exchange's models, by concern; every model is importable from here."""

from .cash import CashAccount, Leg, Member, Posting
from .markets import Market, MarketEvent, Order, OrderChange, Trade
from .matching import MatcherHeartbeat
from .transfers import Transfer

__all__ = [
    "CashAccount",
    "Leg",
    "Market",
    "MarketEvent",
    "MatcherHeartbeat",
    "Member",
    "Order",
    "OrderChange",
    "Posting",
    "Trade",
    "Transfer",
]
