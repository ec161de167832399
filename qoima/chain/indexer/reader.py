"""The reader: logs read from the node in block ranges, in threads that never touch the
database.

A range is read call by call, each call sized by the density of the one before, while the
database stores the calls before; the next range is read while the step commits. Logs whose
block hash is not the hash of their block as read just before them (the chain moved while it
read) raise ``ChainMoved``, and the range is read again.
"""

import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from eth_abi import decode as abi_decode
from web3 import Web3

from ..client import rpc_batch, rpc_call
from ..contracts import ASSET_ISSUED_TOPIC, encode_call
from .decoding import ComplianceLog, Movement, address_from_topic, checksum, logs_decoded
from .reorgs import REORG_WINDOW


class ChainMoved(Exception):
    """The chain changed while a range was read: nothing of it is stored; it is read again."""


@dataclass(frozen=True, slots=True)
class Born:
    """A token the registry issued in a range, with its name, symbol and decimals."""

    address: str
    asset_id: str
    block_number: int
    metadata: dict[str, Any]


@dataclass(slots=True)
class Chunk:
    """One eth_getLogs answer of a range, decoded: its movements, the blocks they are in (hash,
    time), the tokens born in it and its compliance acts."""

    movements: list[Movement]
    blocks: dict[int, tuple[str, int]]
    born: list[Born]
    acts: list[ComplianceLog]


_DONE = object()


class RangeRead:
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

    def __iter__(self) -> Iterator[Chunk]:
        while (item := self.chunks.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item


class LogReader:
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
        self.current: RangeRead | None = None
        self.ahead: RangeRead | None = None

    @classmethod
    @contextmanager
    def threaded(cls, w3: Web3) -> Iterator["LogReader"]:
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
    ) -> RangeRead:
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
    ) -> RangeRead:
        job = RangeRead(start, end, max(start, head - REORG_WINDOW + 1), addresses)
        self.pool.submit(self._run, job)
        return job

    def _run(self, job: RangeRead) -> None:
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
    ) -> tuple[list[dict[str, Any]], list[Born]]:
        """The logs with those of tokens the registry issued in them; such tokens join
        ``addresses`` for the calls after."""
        w3, registry = self.w3, addresses[0]
        born = [
            Born(address, log["topics"][1], int(log["blockNumber"], 16), {})
            for log in logs
            if log["topics"][0] == ASSET_ISSUED_TOPIC
            and checksum(log["address"]) == registry
            and (address := address_from_topic(log["topics"][2])) not in addresses
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
        self, logs: list[dict[str, Any]], born: list[Born], window: dict[int, str]
    ) -> Chunk:
        blocks = _event_blocks(self.w3, logs)
        if any(window.get(number, block) != block for number, (block, _time) in blocks.items()):
            raise ChainMoved
        movements, acts = logs_decoded(logs)
        return Chunk(movements, blocks, born, acts)


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
            raise ChainMoved
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


def _block_hashes(w3: Web3, first: int, last: int) -> dict[int, tuple[str, str]]:
    """Each block's hash and parent hash, in one JSON-RPC batch."""
    numbers = list(range(first, last + 1))
    blocks = rpc_batch(w3, [("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
    return {
        n: (block["hash"], block["parentHash"]) for n, block in zip(numbers, blocks, strict=True)
    }
