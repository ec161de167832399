"""The indexer: every movement of a platform token lands in the database, reorgs included.

It reads the registry's and the tokens' logs in block ranges and keeps the hashes of recent
blocks. When the chain's hash of the last block it read differs from the one it kept, it rolls
back to the common ancestor and reads again (as Ponder does); logs whose block hash is not the
hash of their block as read in the same step (the chain moved while it read) are not stored,
and the range is read again. Balances change only from Transfer events that are
``CHAIN_CONFIRMATIONS`` deep; a reorg deeper than that reverses them. Transfers made from a
holder's own wallet are read like the platform's own.

A backfill reads hundreds of thousands of logs, so the hot path avoids per-row work: logs come
as the node's plain JSON, rows are written with PostgreSQL's COPY, balances in a few upserts.
"""

import datetime
import gc
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from .client import rpc_batch, rpc_call
from .contracts import ASSET_ISSUED_TOPIC, encode_call
from .ledger import movements_apply
from .models import (
    EventBlock,
    IndexedBlock,
    IndexerCursor,
    PlatformDeployment,
    PlatformToken,
    TokenTransfer,
)

# Blocks whose hashes are kept: a reorg deeper than this is read again from the window's start.
REORG_WINDOW = 128


def _topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


TRANSFER = _topic("Transfer(address,address,uint256)")
# Events whose reference belongs to the Transfer logged right before them.
SINGLE_REF_TOPICS = {
    _topic("TransferRecorded(uint256,address,address,uint256)"): 1,
    _topic("Minted(address,uint256,uint256,bytes32)"): 2,
    _topic("Redeemed(address,uint256,uint256)"): 2,
    _topic("ForcedTransfer(uint256,address,address,uint256,bytes32)"): 1,
}
BATCH_REFS = _topic("TransfersRecorded(uint256[])")


@lru_cache(maxsize=65536)
def _checksum(address: str) -> str:
    # Holders recur across a range; a checksum costs a keccak each time it is computed.
    return to_checksum_address(address)


def _address_from_topic(topic: str) -> str:
    return _checksum("0x" + topic[-40:])


@dataclass
class StepResult:
    read_to: int
    applied_to: int
    transfers: int
    rolled_back_to: int | None = None


@dataclass(slots=True)
class Movement:
    """A Transfer log of a platform token, with the platform reference the token logged."""

    token: str
    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    sender: str
    receiver: str
    amount: int
    ref: int | None = None


def _cursor(chain_id: int) -> IndexerCursor:
    deployment = PlatformDeployment.objects.filter(chain_id=chain_id).first()
    start = deployment.block_number - 1 if deployment else -1
    cursor, _ = IndexerCursor.objects.get_or_create(
        chain_id=chain_id, defaults={"block_number": start, "applied_block": start}
    )
    return IndexerCursor.objects.select_for_update().get(pk=cursor.pk)


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a step.

    A step of a backfill allocates millions of short-lived, acyclic objects (the decoded logs),
    which reference counting frees; the cycle collector would otherwise walk them hundreds of
    times, about a fifth of the step.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class _Read:
    """A range's logs, and what a step makes of them: its movements and its blocks."""

    logs: list[dict[str, Any]]
    movements: list[Movement]
    blocks: dict[int, tuple[str, int]]


def _read(w3: Web3, addresses: list[str], start: int, end: int) -> _Read:
    logs = _logs(w3, addresses, start, end)
    return _Read(logs, logs_movements(logs), _event_blocks(w3, logs))


class _LogReader:
    """eth_getLogs for a step, and, given a thread, for the next range while this one is stored.

    The node takes about as long to produce a busy range's logs as the platform takes to store
    them; a backfill overlaps the two, and decodes the next range's movements in the same
    thread while the database writes this one's. A prefetched answer is used only for exactly
    the range and addresses it was asked for, and only once.
    """

    def __init__(self, w3: Web3, pool: ThreadPoolExecutor | None = None) -> None:
        self.w3 = w3
        self.pool = pool
        self.ahead: tuple[tuple[tuple[str, ...], int, int], Future[_Read]] | None = None

    def read(self, addresses: list[str], start: int, end: int) -> _Read:
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead[0] == (tuple(addresses), start, end):
            return ahead[1].result()
        return _read(self.w3, addresses, start, end)

    def prefetch(self, addresses: list[str], start: int, end: int) -> None:
        if self.pool is not None and start <= end:
            future = self.pool.submit(_read, self.w3, addresses, start, end)
            self.ahead = ((tuple(addresses), start, end), future)


def index_step(*, w3: Web3, max_range: int = 2000, reader: _LogReader | None = None) -> StepResult:
    """Read the next range of blocks; safe to run again at any point and from any process."""
    reader = reader or _LogReader(w3)
    with _cycle_collection_paused(), transaction.atomic():
        chain_id = settings.CHAIN_ID
        cursor = _cursor(chain_id)
        head = w3.eth.block_number
        rolled_back = _handle_reorg(w3, cursor, head)
        start = cursor.block_number + 1
        end = min(head, start + max_range - 1)
        movements: list[Movement] = []
        blocks: dict[int, tuple[str, int]] = {}
        if start <= end:
            read = _read_range(reader, chain_id, (start, end), head, max_range)
            if read is not None:
                movements, blocks = read
                cursor.block_number = end
        confirmed_to = min(cursor.block_number, head - settings.CHAIN_CONFIRMATIONS + 1)
        _store(chain_id, movements, applied_to=confirmed_to)
        _store_blocks(chain_id, blocks)
        _apply_confirmed(cursor, confirmed_to, movements)
        cursor.save()
        return StepResult(cursor.block_number, cursor.applied_block, len(movements), rolled_back)


def index_until_head(*, w3: Web3, max_range: int = 2000) -> StepResult:
    """Index step after step up to the node's head (a backfill), reading one range ahead."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="logs") as pool:
        reader = _LogReader(w3, pool)
        while True:
            result = index_step(w3=w3, max_range=max_range, reader=reader)
            if result.read_to >= w3.eth.block_number:
                return result


# ------------------------------------------------------------------------------ reorgs


def _handle_reorg(w3: Web3, cursor: IndexerCursor, head: int) -> int | None:
    """Roll back to the common ancestor when the chain no longer extends the last block read.

    The check is the parent-hash link: the next block's parent must be the block kept for the
    last one read (or, at the head, the block itself must still be there).
    """
    last = IndexedBlock.objects.filter(chain_id=cursor.chain_id, number=cursor.block_number).first()
    if last is None:
        return None
    if head > last.number:
        following = rpc_call(w3, "eth_getBlockByNumber", [hex(last.number + 1), False])
        if following is not None and following["parentHash"] == last.block_hash:
            return None
    elif head == last.number and _hash_at(w3, last.number) == last.block_hash:
        return None
    ancestor = _common_ancestor(w3, cursor.chain_id, min(head, last.number))
    _rollback(cursor, ancestor)
    return ancestor


def _hash_at(w3: Web3, number: int) -> str | None:
    block = rpc_call(w3, "eth_getBlockByNumber", [hex(number), False])
    return None if block is None else str(block["hash"])


def _common_ancestor(w3: Web3, chain_id: int, below: int) -> int:
    kept = IndexedBlock.objects.filter(chain_id=chain_id, number__lte=below).order_by("-number")
    oldest = None
    for block in kept:
        oldest = block.number
        if _hash_at(w3, block.number) == block.block_hash:
            return block.number
    # Deeper than the kept window: read everything from before its oldest block again.
    return (oldest or 0) - 1


def _rollback(cursor: IndexerCursor, ancestor: int) -> None:
    chain_id = cursor.chain_id
    undone = TokenTransfer.objects.filter(chain_id=chain_id, block_number__gt=ancestor)
    movements_apply(
        chain_id=chain_id,
        movements=undone.filter(applied=True).values_list(
            "token_address", "sender", "receiver", "amount", "ref"
        ),
        sign=-1,
    )
    undone.delete()
    IndexedBlock.objects.filter(chain_id=chain_id, number__gt=ancestor).delete()
    EventBlock.objects.filter(chain_id=chain_id, number__gt=ancestor).delete()
    PlatformToken.objects.filter(chain_id=chain_id, block_number__gt=ancestor).delete()
    cursor.block_number = ancestor
    cursor.applied_block = min(cursor.applied_block, ancestor)


# ------------------------------------------------------------------------------ reading


def _read_range(
    reader: _LogReader, chain_id: int, blocks: tuple[int, int], head: int, max_range: int
) -> tuple[list[Movement], dict[int, tuple[str, int]]] | None:
    """The range's movements and the blocks they are in (hash, time), or None when the chain
    changed under the reading."""
    w3, (start, end) = reader.w3, blocks
    deployment = PlatformDeployment.objects.get(chain_id=chain_id)
    registry = _checksum(deployment.registry_address)
    tokens = sorted(
        PlatformToken.objects.filter(chain_id=chain_id).values_list("address", flat=True)
    )
    read = reader.read([registry, *tokens], start, end)
    logs = read.logs
    issued = [
        log
        for log in logs
        if log["topics"][0] == ASSET_ISSUED_TOPIC and _checksum(log["address"]) == registry
    ]
    born = sorted({_address_from_topic(log["topics"][2]) for log in issued} - set(tokens))
    # The next step asks for the same addresses in the same (sorted) order.
    reader.prefetch([registry, *sorted({*tokens, *born})], end + 1, min(head, end + max_range))
    if born:
        # Tokens born in this range log in it too; read their logs for the same blocks.
        logs = logs + _logs(w3, born, start, end)
        logs.sort(key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16)))
        read = _Read(logs, logs_movements(logs), _event_blocks(w3, logs))
    hashes = _block_hashes(w3, max(start, head - REORG_WINDOW + 1), end)
    # Keyed by the number as the node writes it in logs, so no log's number is parsed.
    window = {hex(number): block for number, (block, _parent) in hashes.items()}
    if any(window.get(log["blockNumber"], log["blockHash"]) != log["blockHash"] for log in logs):
        return None
    for log in issued:
        address = _address_from_topic(log["topics"][2])
        block = int(log["blockNumber"], 16)
        PlatformToken.objects.get_or_create(
            chain_id=chain_id,
            address=address,
            defaults={"asset_id": log["topics"][1], "block_number": block}
            | _token_metadata(w3, address),
        )
    _keep_hashes(chain_id, hashes, end)
    return read.movements, read.blocks


def _token_metadata(w3: Web3, address: str) -> dict[str, Any]:
    """A new token's name, symbol and decimals, in one batch of calls. They are fixed at issue,
    so the latest state tells, and a node without archive state can answer."""
    fields = (("name", "string"), ("symbol", "string"), ("decimals", "uint8"))
    answers = rpc_batch(
        w3,
        [
            (
                "eth_call",
                [{"to": address, "data": encode_call("BackedAssetToken", name, [])}, "latest"],
            )
            for name, _type in fields
        ],
    )
    return {
        name: abi_decode([abi_type], bytes.fromhex(answer[2:]))[0]
        for (name, abi_type), answer in zip(fields, answers, strict=True)
    }


def _logs(w3: Web3, addresses: list[str], start: int, end: int) -> list[dict[str, Any]]:
    if not addresses:
        return []
    # The node's plain JSON: web3's result formatters cost more than the rest of a step.
    found = rpc_call(
        w3,
        "eth_getLogs",
        [{"address": addresses, "fromBlock": hex(start), "toBlock": hex(end)}],
    )
    return [log for log in found if not log.get("removed")]


def logs_movements(logs: list[dict[str, Any]]) -> list[Movement]:
    """The Transfer logs with their refs; the hot loop of a backfill, so kept to plain work."""
    movements: list[Movement] = []
    # Transfers of one token in one transaction still waiting for the event naming their ref.
    waiting: dict[tuple[str, str], list[Movement]] = defaultdict(list)
    for log in logs:
        topics = log["topics"]
        topic = topics[0]
        key = (log["transactionHash"], log["address"])
        if topic == TRANSFER:
            movement = Movement(
                _checksum(log["address"]),
                int(log["blockNumber"], 16),
                log["blockHash"],
                int(log["logIndex"], 16),
                log["transactionHash"],
                _address_from_topic(topics[1]),
                _address_from_topic(topics[2]),
                int(log["data"], 16),
            )
            movements.append(movement)
            waiting[key].append(movement)
        elif topic in SINGLE_REF_TOPICS and waiting[key]:
            waiting[key].pop().ref = int(topics[SINGLE_REF_TOPICS[topic]], 16)
        elif topic == BATCH_REFS:
            refs = _uint256_array(log["data"])
            batch = waiting[key][-len(refs) :]
            del waiting[key][-len(refs) :]
            for movement, ref in zip(batch, refs, strict=True):
                movement.ref = ref
    return movements


def _event_blocks(w3: Web3, logs: list[dict[str, Any]]) -> dict[int, tuple[str, int]]:
    """Each block the logs are in, with its hash and time. Nodes that follow the current
    JSON-RPC spec put the block's time in every log; for others the headers are fetched."""
    seen: dict[str, tuple[str, str | None]] = {}
    for log in logs:
        if log["blockNumber"] not in seen:
            seen[log["blockNumber"]] = (log["blockHash"], log.get("blockTimestamp"))
    missing = [number for number, (_hash, time) in seen.items() if time is None]
    fetched = dict(
        zip(
            missing,
            (
                block["timestamp"]
                for block in rpc_batch(
                    w3, [("eth_getBlockByNumber", [number, False]) for number in missing]
                )
            ),
            strict=True,
        )
    )
    return {
        int(number, 16): (block_hash, int(time or fetched[number], 16))
        for number, (block_hash, time) in seen.items()
    }


def _store_blocks(chain_id: int, blocks: dict[int, tuple[str, int]]) -> None:
    """Keep each block's hash and time; a block read again (a re-index from scratch) takes
    what the chain says now."""
    EventBlock.objects.bulk_create(
        [
            EventBlock(
                chain_id=chain_id,
                number=number,
                block_hash=block_hash,
                timestamp=datetime.datetime.fromtimestamp(time, datetime.UTC),
            )
            for number, (block_hash, time) in blocks.items()
        ],
        update_conflicts=True,
        unique_fields=["chain_id", "number"],
        update_fields=["block_hash", "timestamp"],
    )


def _uint256_array(data: str) -> list[int]:
    """The one uint256[] a TransfersRecorded log carries, read from its hex ABI encoding.

    Read word by word rather than through eth-abi, which takes ~3 us a word: a backfill reads
    one word per recorded transfer. The layout is the ABI's: an offset, then at that offset
    the length, then the words.
    """
    words = data[2:]
    start = int(words[0:64], 16) * 2
    count = int(words[start : start + 64], 16)
    first = start + 64
    return [int(words[first + 64 * i : first + 64 * (i + 1)], 16) for i in range(count)]


COLUMNS = (
    "chain_id",
    "token_address",
    "block_number",
    "block_hash",
    "log_index",
    "tx_hash",
    "sender",
    "receiver",
    "amount",
    "ref",
    "applied",
)


def _store(chain_id: int, movements: list[Movement], *, applied_to: int) -> None:
    """Write the movements; those already deep enough are written as applied.

    No conflict is expected: steps are serialised by the cursor's lock and a rollback deletes
    what it undoes, so a duplicate log fails the step instead of being skipped.
    """
    if not movements:
        return
    if connection.vendor == "postgresql":
        _copy(chain_id, movements, applied_to)
        return
    rows = (
        (
            chain_id,
            m.token,
            m.block_number,
            m.block_hash,
            m.log_index,
            m.tx_hash,
            m.sender,
            m.receiver,
            m.amount,
            m.ref,
            m.block_number <= applied_to,
        )
        for m in movements
    )
    TokenTransfer.objects.bulk_create(
        (TokenTransfer(**dict(zip(COLUMNS, row, strict=True))) for row in rows), batch_size=2000
    )


def _copy(chain_id: int, movements: list[Movement], applied_to: int) -> None:
    """COPY the rows as one block of text. Every value is a number or a hex string, which
    COPY's text format takes as they are, so the rows are written without psycopg's per-value
    adaptation (a third of a backfill's storing time)."""
    table = connection.ops.quote_name(TokenTransfer._meta.db_table)
    null = "\\N"
    text = "".join(
        f"{chain_id}\t{m.token}\t{m.block_number}\t{m.block_hash}\t{m.log_index}\t"
        f"{m.tx_hash}\t{m.sender}\t{m.receiver}\t{m.amount}\t{null if m.ref is None else m.ref}\t"
        f"{'t' if m.block_number <= applied_to else 'f'}\n"
        for m in movements
    )
    copy_text(table, COLUMNS, text)


def copy_text(table: str, columns: Sequence[str], text: str) -> None:
    """PostgreSQL's COPY of rows given in its text format (tab-separated, one per line)."""
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        copy.write(text)


def _block_hashes(w3: Web3, first: int, last: int) -> dict[int, tuple[str, str]]:
    """Each block's hash and parent hash, in one JSON-RPC batch."""
    numbers = list(range(first, last + 1))
    blocks = rpc_batch(w3, [("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
    return {
        n: (block["hash"], block["parentHash"]) for n, block in zip(numbers, blocks, strict=True)
    }


def _keep_hashes(chain_id: int, hashes: dict[int, tuple[str, str]], last: int) -> None:
    IndexedBlock.objects.filter(chain_id=chain_id, number__in=list(hashes)).delete()
    IndexedBlock.objects.bulk_create(
        IndexedBlock(chain_id=chain_id, number=number, block_hash=block, parent_hash=parent)
        for number, (block, parent) in hashes.items()
    )
    IndexedBlock.objects.filter(chain_id=chain_id, number__lt=last - REORG_WINDOW).delete()


# ------------------------------------------------------------------------------ balances


def _apply_confirmed(cursor: IndexerCursor, confirmed_to: int, fresh: list[Movement]) -> None:
    """Apply to balances everything up to ``confirmed_to`` not applied yet.

    Movements read in this step come from memory (``_store`` wrote them as applied); those read
    in earlier steps, while they were too young, from the database.
    """
    if confirmed_to <= cursor.applied_block:
        return
    # Unapplied rows all lie above the last block applied: the range keeps the scan short.
    older = TokenTransfer.objects.filter(
        chain_id=cursor.chain_id,
        applied=False,
        block_number__gt=cursor.applied_block,
        block_number__lte=confirmed_to,
    )
    ready = [
        *older.values_list("token_address", "sender", "receiver", "amount", "ref"),
        *(
            (m.token, m.sender, m.receiver, m.amount, m.ref)
            for m in fresh
            if m.block_number <= confirmed_to
        ),
    ]
    older.update(applied=True)
    movements_apply(chain_id=cursor.chain_id, movements=ready, sign=1)
    cursor.applied_block = confirmed_to
