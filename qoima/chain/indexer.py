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
"""

import datetime
import gc
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from qoima import locks

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
    return locks.lock_indexer_cursor(cursor.pk)


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


class _ChainMoved(Exception):
    """The chain changed while a range was read: nothing of it is stored; it is read again."""


@dataclass(frozen=True, slots=True)
class _Born:
    """A token the registry issued in a range, with its name, symbol and decimals."""

    address: str
    asset_id: str
    block_number: int
    metadata: dict[str, Any]


@dataclass(slots=True)
class _Chunk:
    """One eth_getLogs answer of a range, decoded: its movements, the blocks they are in (hash,
    time) and the tokens born in it."""

    movements: list[Movement]
    blocks: dict[int, tuple[str, int]]
    born: list[_Born]


_DONE = object()


class _RangeRead:
    """A range's logs, read call by call in the reader's thread and handed over chunk by chunk,
    so that the database stores one chunk while the node and the decoder produce the next."""

    def __init__(
        self, start: int, end: int, window_from: int, addresses: tuple[str, ...] | None
    ) -> None:
        self.start, self.end, self.window_from = start, end, window_from
        # None: the addresses the range before ended with (tokens born in it included).
        self.addresses = addresses
        self.began_with: tuple[str, ...] = ()
        self.started = threading.Event()
        self.chunks: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.cancelled = False
        # The window's block hashes and parents, read before its logs.
        self.hashes: dict[int, tuple[str, str]] = {}

    def reads(self, start: int, end: int, addresses: tuple[str, ...]) -> bool:
        """Whether this is the reading of exactly that range and those addresses."""
        if (self.start, self.end) != (start, end):
            return False
        self.started.wait()
        return self.began_with == addresses

    def __iter__(self) -> Iterator[_Chunk]:
        while (item := self.chunks.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item


class _LogReader:
    """Reads ranges of logs in its own thread, one range ahead of the step that stores them.

    Each range is read in calls of about ``CHUNK_LOGS`` logs, sized by the density of the call
    before, each made in a thread of its own while the reader decodes the call before. A range
    read ahead is used only for exactly the range and addresses the next step asks for. Neither
    thread touches the database.
    """

    def __init__(self, w3: Web3, pool: ThreadPoolExecutor, calls: ThreadPoolExecutor) -> None:
        self.w3 = w3
        self.pool = pool
        self.calls = calls
        self.addresses: tuple[str, ...] = ()
        self.blocks_per_call = 1
        self.current: _RangeRead | None = None
        self.ahead: _RangeRead | None = None

    @classmethod
    @contextmanager
    def threaded(cls, w3: Web3) -> Iterator["_LogReader"]:
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="logs") as pool,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="logs-calls") as calls,
        ):
            reader = cls(w3, pool, calls)
            try:
                yield reader
            finally:
                reader.cancel()

    def read(
        self, addresses: tuple[str, ...], start: int, end: int, head: int, following: int
    ) -> _RangeRead:
        """The range's logs, and the next range (up to ``following``) set to be read after."""
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead.reads(start, end, addresses):
            current = ahead
        else:
            if ahead is not None:
                ahead.cancelled = True
            current = self._submit(start, end, head, addresses)
        if following > end:
            self.ahead = self._submit(end + 1, following, head, None)
        self.current = current
        return current

    def cancel(self) -> None:
        """Stop reading: what is being read and what was set to be read after it."""
        for job in (self.current, self.ahead):
            if job is not None:
                job.cancelled = True
        self.current = self.ahead = None

    def _submit(
        self, start: int, end: int, head: int, addresses: tuple[str, ...] | None
    ) -> _RangeRead:
        job = _RangeRead(start, end, max(start, head - REORG_WINDOW + 1), addresses)
        self.pool.submit(self._run, job)
        return job

    def _run(self, job: _RangeRead) -> None:
        try:
            addresses = list(self.addresses if job.addresses is None else job.addresses)
            job.began_with = tuple(addresses)
            job.started.set()
            if job.cancelled:
                return
            # Read before the logs: a reorg after this read changes the last block's hash, which
            # the next step's parent-hash check then finds; logs of blocks replaced between this
            # read and theirs carry other hashes than these, and the range is read again.
            job.hashes = _block_hashes(self.w3, job.window_from, job.end)
            window = {number: block for number, (block, _parent) in job.hashes.items()}
            call = self._call(addresses, job.start, job.end)
            while call is not None:
                (start, end), logs = call.result()
                if job.cancelled:
                    return
                logs, born = self._with_born(addresses, logs, start, end)
                self.blocks_per_call = _blocks_per_call(end - start + 1, len(logs))
                # The node prepares the next call's answer while this one is decoded.
                call = self._call(addresses, end + 1, job.end)
                job.chunks.put(self._decoded(logs, born, window))
            self.addresses = tuple(addresses)
            job.chunks.put(_DONE)
        except BaseException as error:  # handed to the step, which raises it
            job.started.set()
            job.chunks.put(error)

    def _call(
        self, addresses: list[str], start: int, last: int
    ) -> Future[tuple[tuple[int, int], list[dict[str, Any]]]] | None:
        """The next eth_getLogs call of a range, made in the calls' own thread."""
        if start > last:
            return None
        end = min(last, start + self.blocks_per_call - 1)
        asked = list(addresses)
        return self.calls.submit(lambda: ((start, end), _logs(self.w3, asked, start, end)))

    def _with_born(
        self, addresses: list[str], logs: list[dict[str, Any]], start: int, end: int
    ) -> tuple[list[dict[str, Any]], list[_Born]]:
        """The logs with those of tokens the registry issued in them; such tokens join
        ``addresses`` for the calls after."""
        w3, registry = self.w3, addresses[0]
        born = [
            _Born(address, log["topics"][1], int(log["blockNumber"], 16), {})
            for log in logs
            if log["topics"][0] == ASSET_ISSUED_TOPIC
            and _checksum(log["address"]) == registry
            and (address := _address_from_topic(log["topics"][2])) not in addresses
        ]
        if not born:
            return logs, []
        new = sorted({token.address for token in born})
        # Tokens born in this range log in it too; read their logs for the same blocks.
        logs = logs + _logs(w3, new, start, end)
        logs.sort(key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16)))
        addresses[1:] = sorted({*addresses[1:], *new})
        return logs, [replace(token, metadata=_token_metadata(w3, token.address)) for token in born]

    def _decoded(
        self, logs: list[dict[str, Any]], born: list[_Born], window: dict[int, str]
    ) -> _Chunk:
        blocks = _event_blocks(self.w3, logs)
        if any(window.get(number, block) != block for number, (block, _time) in blocks.items()):
            raise _ChainMoved
        return _Chunk(logs_movements(logs), blocks, born)


# Logs an eth_getLogs call aims at: enough that a call's own cost is small, few enough that
# the database stores one call's logs while the next call is read and decoded.
CHUNK_LOGS = 5_000
# A quiet stretch may end at any block: the next call grows at most so much, and spans at most
# so many blocks, so that a busy stretch after it still arrives in several calls.
CALL_GROWTH = 4
CALL_BLOCKS_MAX = 20


def _blocks_per_call(blocks: int, logs: int) -> int:
    """The blocks the next call spans, from what the last one brought."""
    return max(1, min(blocks * CALL_GROWTH, CALL_BLOCKS_MAX, blocks * CHUNK_LOGS // max(logs, 1)))


def index_step(*, w3: Web3, max_range: int = 2000, reader: _LogReader | None = None) -> StepResult:
    """Read the next range of blocks; safe to run again at any point and from any process."""
    if reader is None:
        with _LogReader.threaded(w3) as own:
            return index_step(w3=w3, max_range=max_range, reader=own)
    with _cycle_collection_paused(), transaction.atomic():
        chain_id = settings.CHAIN_ID
        cursor = _cursor(chain_id)
        head = w3.eth.block_number
        rolled_back = _handle_reorg(w3, cursor, head)
        start = cursor.block_number + 1
        end = min(head, start + max_range - 1)
        stored: list[Movement] = []
        if start <= end:
            applied_to = min(end, head - settings.CHAIN_CONFIRMATIONS + 1)
            range_read = reader.read(
                _addresses(chain_id), start, end, head, min(head, end + max_range)
            )
            try:
                # A savepoint: the chain moving under the reading takes the range's rows back.
                with transaction.atomic():
                    stored = _store_range(chain_id, range_read, applied_to)
                cursor.block_number = end
            except _ChainMoved:
                reader.cancel()
        confirmed_to = min(cursor.block_number, head - settings.CHAIN_CONFIRMATIONS + 1)
        _apply_confirmed(cursor, confirmed_to, stored, fresh_from=start)
        cursor.save()
        return StepResult(cursor.block_number, cursor.applied_block, len(stored), rolled_back)


def index_until_head(*, w3: Web3, max_range: int = 2000) -> StepResult:
    """Index step after step up to the node's head (a backfill), reading one range ahead."""
    with _LogReader.threaded(w3) as reader:
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


def _addresses(chain_id: int) -> tuple[str, ...]:
    """The registry's address, then every token's it issued, in the order the reader keeps."""
    registry = PlatformDeployment.objects.get(chain_id=chain_id).registry_address
    tokens = PlatformToken.objects.filter(chain_id=chain_id).values_list("address", flat=True)
    return (_checksum(registry), *sorted(tokens))


def _store_range(chain_id: int, range_read: _RangeRead, applied_to: int) -> list[Movement]:
    """Store a range's movements chunk by chunk as they are read, then its blocks and the
    tokens born in it; returns the movements."""
    movements: list[Movement] = []
    blocks: dict[int, tuple[str, int]] = {}
    born: list[_Born] = []
    with _transfer_writer(chain_id, applied_to) as write:
        for chunk in range_read:
            write(chunk.movements)
            movements += chunk.movements
            blocks |= chunk.blocks
            born += chunk.born
    for token in born:
        PlatformToken.objects.get_or_create(
            chain_id=chain_id,
            address=token.address,
            defaults={"asset_id": token.asset_id, "block_number": token.block_number}
            | token.metadata,
        )
    _keep_hashes(chain_id, range_read.hashes, range_read.end)
    _store_blocks(chain_id, blocks)
    return movements


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
    JSON-RPC spec put the block's time in every log; for others the headers are fetched.
    Logs of one block number under two hashes mean the chain moved while the node answered."""
    seen: dict[str, tuple[str, str | None]] = {}
    for log in logs:
        known = seen.get(log["blockNumber"])
        if known is None:
            seen[log["blockNumber"]] = (log["blockHash"], log.get("blockTimestamp"))
        elif known[0] != log["blockHash"]:
            raise _ChainMoved
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


@contextmanager
def _transfer_writer(chain_id: int, applied_to: int) -> Iterator[Callable[[list[Movement]], None]]:
    """A function that writes movements, those already deep enough as applied.

    On PostgreSQL it writes into one COPY that stays open for the whole range, so the database
    stores each chunk while the next is read. No conflict is expected: steps are serialised by
    the cursor's lock and a rollback deletes what it undoes, so a duplicate log fails the step
    instead of being skipped.
    """
    if connection.vendor != "postgresql":
        yield lambda movements: _bulk_create(chain_id, movements, applied_to)
        return
    table = connection.ops.quote_name(TokenTransfer._meta.db_table)
    with _copy_into(table, COLUMNS) as copy:
        yield lambda movements: copy.write(_copy_text(chain_id, movements, applied_to))


def _bulk_create(chain_id: int, movements: list[Movement], applied_to: int) -> None:
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


def _copy_text(chain_id: int, movements: list[Movement], applied_to: int) -> str:
    """The rows in COPY's text format. Every value is a number or a hex string, which COPY
    takes as it is, so the rows are written without psycopg's per-value adaptation (a third of
    a backfill's storing time)."""
    null = "\\N"
    return "".join(
        f"{chain_id}\t{m.token}\t{m.block_number}\t{m.block_hash}\t{m.log_index}\t"
        f"{m.tx_hash}\t{m.sender}\t{m.receiver}\t{m.amount}\t{null if m.ref is None else m.ref}\t"
        f"{'t' if m.block_number <= applied_to else 'f'}\n"
        for m in movements
    )


def copy_text(table: str, columns: Sequence[str], text: str) -> None:
    """PostgreSQL's COPY of rows given in its text format (tab-separated, one per line)."""
    with _copy_into(table, columns) as copy:
        copy.write(text)


@contextmanager
def _copy_into(table: str, columns: Sequence[str]) -> Iterator[Any]:
    """An open COPY into the table's columns: rows written in its text format until it ends."""
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        yield copy


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


def _apply_confirmed(
    cursor: IndexerCursor, confirmed_to: int, fresh: list[Movement], *, fresh_from: int
) -> None:
    """Apply to balances everything up to ``confirmed_to`` not applied yet.

    Movements read in this step (from block ``fresh_from`` on) come from memory (written as
    applied when deep enough); those read in earlier steps, while they were too young, from
    the database.
    """
    if confirmed_to <= cursor.applied_block:
        return
    # Unapplied rows of earlier steps lie above the last block applied and below this step's
    # range: the bounds keep the scan off the rows this step has just written.
    older = TokenTransfer.objects.filter(
        chain_id=cursor.chain_id,
        applied=False,
        block_number__gt=cursor.applied_block,
        block_number__lte=min(confirmed_to, fresh_from - 1),
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
