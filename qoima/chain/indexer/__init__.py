"""The indexer: every movement of a platform token lands in the database, reorgs included.

It reads the registry's and the tokens' logs in block ranges and keeps the hashes of recent
blocks. When the chain's hash of the last block it read differs from the one it kept, it rolls
back to the common ancestor and reads again (as Ponder does); logs whose block hash is not the
hash of their block as read just before them (the chain moved while it read) are not stored,
and the range is read again. Balances change only from Transfer events that are
``CHAIN_CONFIRMATIONS`` deep; a reorg deeper than that reverses them. Transfers made from a
holder's own wallet are read like the platform's own.

A backfill reads hundreds of thousands of logs, so the hot path avoids per-row work: logs come
as the node's plain JSON, rows are written with PostgreSQL's COPY, balances in a few upserts.
And it keeps both cores busy: a thread reads and decodes a range's logs call by call while the
database stores the calls before, and reads the next range while the step commits.

``steps`` runs a step; ``reader`` reads logs in its threads; ``decoding`` turns logs into
movements; ``writer`` stores them (COPY); ``reorgs`` keeps recent hashes and rolls back.
"""

from .decoding import TRANSFER, Movement, logs_movements
from .reader import CHUNK_LOGS
from .reorgs import REORG_WINDOW
from .steps import StepResult, index_step, index_until_head
from .writer import COLUMNS, copy_text

__all__ = [
    "CHUNK_LOGS",
    "COLUMNS",
    "REORG_WINDOW",
    "TRANSFER",
    "Movement",
    "StepResult",
    "copy_text",
    "index_step",
    "index_until_head",
    "logs_movements",
]
