"""The regulator's pages: read only (GET and HEAD; anything else is 405), regulators only.

Each list pages through its rows and exports all of them (``?export=csv`` or ``json``) with
the same filters, streamed.
"""

from .assets import asset, asset_onchain, assets, cap_table, document, document_rehash, documents
from .participants import compliance, holders, issuer, issuers, permits
from .reports import audit, daily, home, reconciliation, reconciliation_run
from .transfers import monitoring, transfer, transfer_search, transfer_verify

__all__ = [
    "asset",
    "asset_onchain",
    "assets",
    "audit",
    "cap_table",
    "compliance",
    "daily",
    "document",
    "document_rehash",
    "documents",
    "holders",
    "home",
    "issuer",
    "issuers",
    "monitoring",
    "permits",
    "reconciliation",
    "reconciliation_run",
    "transfer",
    "transfer_search",
    "transfer_verify",
]
