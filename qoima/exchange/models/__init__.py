"""The exchange's models, by concern; every model is importable from here."""

from .cash import CashAccount, Leg, Member, Posting
from .markets import Market, MarketEvent, Order, OrderChange, Trade
from .matching import MatcherHeartbeat
from .transfers import Transfer
from .treasury import BankAccount, StatementImport, StatementLine, Withdrawal

__all__ = [
    "BankAccount",
    "CashAccount",
    "Leg",
    "Market",
    "MarketEvent",
    "MatcherHeartbeat",
    "Member",
    "Order",
    "OrderChange",
    "Posting",
    "StatementImport",
    "StatementLine",
    "Trade",
    "Transfer",
    "Withdrawal",
]
