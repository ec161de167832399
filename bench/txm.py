"""The transaction manager end to end, and the indexer's backfill, on a real stack.

Transfers are requested through ``operations_request``, the service every API and page calls,
from a few concurrent processes as an API's own would: in requests of 500 transfers each, as a
distribution sends them, and in requests of one transfer each, as single API calls do. A real
``celery worker`` process batches, signs and broadcasts them through the broker; the bench sends
``chain_confirm`` every half second as beat would, and the clock stops when the last operation
is CONFIRMED in the database. The distribution is also run with ``CHAIN_BATCH_MAX=1`` (every
transfer its own ``recordTransfer``), and the indexer then reads every Transfer event of the
runs from scratch.

Everything runs against the throwaway test database (PostgreSQL and Redis when DATABASE_URL and
REDIS_URL are set, else SQLite and kombu's filesystem broker) and one throwaway anvil.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Min, Sum
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from kombu import Exchange, Queue
from web3 import Web3

import qoima.settings.base as base_settings
from qoima import celery_app
from qoima.chain.anvil import AnvilNode, free_port
from qoima.chain.client import web3_for
from qoima.chain.contracts import AssetData, DocumentData
from qoima.chain.deployment import platform_keys, platform_registry_ensure
from qoima.chain.direct import BackedAssetToken, PlatformRegistry
from qoima.chain.indexer import CHUNK_LOGS, index_until_head
from qoima.chain.models import (
    ChainTransaction,
    EventBlock,
    IndexedBlock,
    IndexerCursor,
    Operation,
    PlatformDeployment,
    PlatformToken,
    Receipt,
    TokenBalance,
    TokenTransfer,
)
from qoima.chain.tasks import chain_confirm
from tests.processes import database_url, worker_command

from .database import throwaway_database
from .paths import ROOT
from .table import print_table

BATCHED_COUNT = 10_000
# Transfers per request in a distribution (a CSV's rows are requested in such chunks).
DISTRIBUTION_CHUNK = 500
# One transaction per transfer runs at the worker's pace per transaction; 10,000 of them would
# take about ten minutes, so that rate is taken on 1,000. It falls as a run grows, so the shorter
# run flatters the baseline, not the batched figure compared with it.
SINGLE_COUNT = 1_000
INDEX_EVENTS = 100_000
BACKFILLS = 3
# Blocks per step (one database transaction) of the backfill; one block of the filler holds
# 500 transfers. A step reads its range in eth_getLogs calls of about CHUNK_LOGS logs.
INDEX_RANGE = 200
CONFIRM_EVERY = 0.5
# Concurrent clients of the transfer service, as an API served by that many processes (about
# what a 2-core host runs).
REQUESTERS = 4
POLL_EVERY = 0.1
# A run that moves nothing for this long has stalled: its worker log says why.
STALL_SECONDS = 120.0
AMOUNT = 1_000
FILL_BATCH = 500
ALLOWLIST_CHUNK = 250
# Refs the bench itself records (mints, the indexer's filler) stay clear of operation ids.
OWN_REFS = 2**64
MNEMONIC = "test test test test test test test test test test test junk"
TARGET_RATE = 1_000
TARGET_SPEEDUP = 10
TARGET_INDEX = 20_000

Row = tuple[str, str, str, str, str]
HEADER = ("figure", "value", "measured", "target", "result")


# ---------------------------------------------------------------------- environment


def _broker() -> str:
    return "Redis" if str(settings.CELERY_BROKER_URL).startswith("redis") else "filesystem broker"


class Worker:
    """A real ``celery worker`` process on a queue of its own, as the tests start one."""

    def __init__(
        self,
        anvil_url: str,
        log_dir: Path,
        queue: str = "",
        processes: int = 0,
        **extra_env: str,
    ) -> None:
        # A queue given is one other processes (the exchange's matcher) have queued work on.
        self.queue = queue or f"qoima-bench-{uuid.uuid4().hex[:8]}"
        self.log = log_dir / f"{self.queue}.log"
        # The base settings, so the batching settings are the ones a deployment runs with
        # unless set here (the test settings pin some of them for the tests, and production.py
        # demands secrets and a Redis broker).
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "qoima.settings.base",
            "DATABASE_URL": database_url(),
            "CHAIN_RPC_URL": anvil_url,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            # production.py keeps connections for 60 s; base.py's default closes one per task.
            "CONN_MAX_AGE": "60",
            **extra_env,
        }
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                worker_command(self.queue, self.queue, processes=processes),
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.previous_queue = celery_app.conf.task_default_queue
        # What the bench enqueues (on commit of a request, chain_confirm) goes to this worker.
        celery_app.conf.task_default_queue = self.queue
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check()
            if b"ready." in self.log.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker did not start:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def check(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"worker died:\n{self.tail()}")

    def stop(self) -> None:
        celery_app.conf.task_default_queue = self.previous_queue
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # Messages the run left behind (redundant batch and confirm calls) go with the queue.
        with celery_app.connection_for_write() as conn:
            # Declared here as Celery declares a default queue: the broker channel forgets only
            # the bindings it knows of.
            queue = Queue(self.queue, Exchange(self.queue), routing_key=self.queue).bind(
                conn.default_channel
            )
            queue.declare()
            queue.purge()
            queue.delete()


@contextmanager
def worker(
    anvil_url: str, log_dir: Path, queue: str = "", processes: int = 0, **extra_env: str
) -> Iterator[Worker]:
    process = Worker(anvil_url, log_dir, queue, processes, **extra_env)
    try:
        yield process
    finally:
        process.stop()


class Requesters:
    """``bench.requester`` processes, each requesting its share of the transfers."""

    def __init__(
        self,
        queue: str,
        token: str,
        sender: str,
        to: Sequence[str],
        label: str,
        log_dir: Path,
        chunk: int,
    ) -> None:
        env = {**os.environ, "DATABASE_URL": database_url()}
        share = -(-len(to) // REQUESTERS)
        self.log = log_dir / f"requesters-{label}.log"
        self.processes: list[subprocess.Popen[str]] = []
        with self.log.open("w") as err:
            for first in range(0, len(to), share):
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "bench.requester",
                        f"--token={token}",
                        f"--sender={sender}",
                        f"--amount={AMOUNT}",
                        f"--label={label}",
                        f"--queue={queue}",
                        f"--first={first}",
                        f"--chunk={chunk}",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    text=True,
                )
                self.processes.append(process)
        # Written once all are started, so they set Django up side by side.
        for first, process in zip(range(0, len(to), share), self.processes, strict=True):
            assert process.stdin is not None
            process.stdin.write("\n".join([*to[first : first + share], "end", ""]))
            process.stdin.flush()
        for process in self.processes:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a requester did not start:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def go(self) -> float:
        """Start every requester at once; returns the moment they were told to."""
        started = time.perf_counter()
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.close()
        return started

    def check(self) -> None:
        if any(process.poll() not in (None, 0) for process in self.processes):
            raise RuntimeError(f"a requester failed:\n{self.tail()}")

    def stop(self) -> None:
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


@contextmanager
def requesters(
    queue: str, token: str, sender: str, to: Sequence[str], label: str, log_dir: Path, chunk: int
) -> Iterator[Requesters]:
    clients = Requesters(queue, token, sender, to, label, log_dir, chunk)
    try:
        yield clients
    finally:
        clients.stop()


# ---------------------------------------------------------------------- the chain


def _funded(index: int) -> LocalAccount:
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def receivers(label: str, count: int) -> list[str]:
    """Distinct addresses that only receive, so they need no keys or ether."""
    return [to_checksum_address(keccak(f"{label}-{i}".encode())[-20:]) for i in range(count)]


@dataclass
class Chain:
    """The platform registry on the bench's anvil, and the issuer that distributes tokens."""

    w3: Web3
    registry: PlatformRegistry
    operator: LocalAccount
    compliance: LocalAccount
    issuer: LocalAccount
    next_ref: int = OWN_REFS

    def refs(self, count: int) -> list[int]:
        start, self.next_ref = self.next_ref, self.next_ref + count
        return list(range(start, self.next_ref))

    def allowlist(self, addresses: Sequence[str]) -> None:
        for start in range(0, len(addresses), ALLOWLIST_CHUNK):
            chunk = list(addresses[start : start + ALLOWLIST_CHUNK])
            self.registry.set_allowlisted_batch(self.compliance, chunk, True)

    def issue(self, symbol: str) -> BackedAssetToken:
        """A token of the platform's registry with 10**27 units minted to the issuer."""
        asset = AssetData(
            asset_id=f"bench-{symbol}",
            name=f"Qoima Bench {symbol}",
            symbol=symbol,
            decimals=2,
            cap=10**30,
            issuer_name="ТОО «Qoima Bench»",
            issuer_id_number="940140000385",
            permit_number="KZ-AIFC-2025-0001",
            asset_identifier=f"21-320-001-{symbol}",
            asset_class="tangible asset",
        )
        documents = [
            DocumentData(
                name,
                f"https://docs.qoima.example/{symbol}/{name}.pdf",
                hashlib.sha256(f"{symbol}/{name}".encode()).digest(),
            )
            for name in ("issuance_decision", "proof_of_rights")
        ]
        token, _receipt = self.registry.issue_asset(self.operator, asset, documents)
        (ref,) = self.refs(1)
        token.mint(self.operator, self.issuer.address, 10**27, ref)
        return token


def chain_set_up(w3: Web3) -> Chain:
    """The registry as the platform deploys it (its keys from settings), and an issuer."""
    Account.enable_unaudited_hdwallet_features()
    deployment, _created = platform_registry_ensure(w3)
    _admin, operator, compliance = platform_keys()
    issuer = _funded(3)
    chain = Chain(
        w3, PlatformRegistry(w3, deployment.registry_address), operator, compliance, issuer
    )
    chain.allowlist([issuer.address])
    return chain


# ---------------------------------------------------------------------- transfers end to end


@dataclass(frozen=True)
class Run:
    label: str
    count: int
    batch_max: int
    chunk: int
    elapsed: float
    # Seconds from the first request, when the last request committed, the last transaction
    # was broadcast and the last one confirmed, by the database's timestamps.
    requested: float
    broadcast: float
    confirmed: float
    transactions: int
    functions: str
    per_transaction: tuple[int, int]
    gas: int

    @property
    def rate(self) -> float:
        return self.count / self.elapsed

    @property
    def gas_per_transfer(self) -> float:
        return self.gas / self.count


def _states(operations: Any) -> dict[str, int]:
    return {row["state"]: row["n"] for row in operations.values("state").annotate(n=Count("id"))}


def _wait_confirmed(
    operations: Any, count: int, process: Worker, check: Callable[[], None]
) -> None:
    """Poll the database until every operation is confirmed, sending chain_confirm meanwhile.

    The confirmer is triggered the way beat triggers it, through the broker to the worker, at
    a finer interval than beat's default.
    """
    last, moved_at, next_confirm = -1, time.perf_counter(), 0.0
    while True:
        now = time.perf_counter()
        if now >= next_confirm:
            chain_confirm.delay()
            next_confirm = now + CONFIRM_EVERY
        states = _states(operations)
        if states.get(Operation.State.FAILED):
            reasons = set(
                operations.filter(state=Operation.State.FAILED).values_list(
                    "failure_reason", flat=True
                )[:5]
            )
            raise RuntimeError(f"{states[Operation.State.FAILED]} transfers failed: {reasons}")
        confirmed = states.get(Operation.State.CONFIRMED, 0)
        if confirmed == count:
            return
        if confirmed != last:
            last, moved_at = confirmed, now
        elif now - moved_at > STALL_SECONDS:
            raise RuntimeError(f"stalled at {states}:\n{process.tail()}")
        process.check()
        check()
        time.sleep(POLL_EVERY)


def transfers_run(
    chain: Chain,
    token: BackedAssetToken,
    to: Sequence[str],
    *,
    label: str,
    batch_max: int,
    chunk: int,
    anvil_url: str,
    log_dir: Path,
) -> Run:
    """Request a transfer to each address through the API's service and wait for them all."""
    count = len(to)
    issuer = chain.issuer.address
    held_before = token.balance_of(issuer)
    wait = base_settings.CHAIN_BATCH_WAIT_SECONDS
    with (
        worker(
            anvil_url,
            log_dir,
            CHAIN_BATCH_MAX=str(batch_max),
            CHAIN_BATCH_WAIT_SECONDS=str(wait),
            CHAIN_CONFIRMATIONS="1",
        ) as process,
        requesters(process.queue, token.address, issuer, to, label, log_dir, chunk) as clients,
    ):
        wall_start = time.time()
        started = clients.go()
        operations = Operation.objects.filter(token_address=token.address)
        _wait_confirmed(operations, count, process, clients.check)
        elapsed = time.perf_counter() - started

    moved = held_before - token.balance_of(issuer)
    if moved != count * AMOUNT:
        raise RuntimeError(f"the chain moved {moved}, the database confirmed {count * AMOUNT}")
    transactions = ChainTransaction.objects.filter(to_address=token.address)
    unsettled = transactions.exclude(state=ChainTransaction.State.CONFIRMED).count()
    if unsettled:
        raise RuntimeError(f"{unsettled} transactions of {label} did not confirm")
    times = operations.aggregate(requested=Max("created_at"))
    times.update(
        transactions.aggregate(broadcast=Max("broadcast_at"), confirmed=Max("confirmed_at"))
    )
    sizes = (
        operations.values("transaction_id")
        .annotate(n=Count("id"))
        .aggregate(smallest=Min("n"), largest=Max("n"))
    )
    receipts = Receipt.objects.filter(attempt__transaction__to_address=token.address, status=1)
    functions = sorted(set(transactions.values_list("function", flat=True)))
    return Run(
        label=label,
        count=count,
        batch_max=batch_max,
        chunk=chunk,
        elapsed=elapsed,
        requested=times["requested"].timestamp() - wall_start,
        broadcast=times["broadcast"].timestamp() - wall_start,
        confirmed=times["confirmed"].timestamp() - wall_start,
        transactions=transactions.count(),
        functions=", ".join(functions),
        per_transaction=(sizes["smallest"], sizes["largest"]),
        gas=int(receipts.aggregate(total=Sum("gas_used"))["total"]),
    )


# ---------------------------------------------------------------------- indexer


@dataclass(frozen=True)
class Backfill:
    events: int
    blocks: int
    elapsed: float

    @property
    def rate(self) -> float:
        return self.events / self.elapsed


@dataclass(frozen=True)
class Backfills:
    """The same backfill run several times from scratch; the median is the figure."""

    runs: list[Backfill]

    @property
    def median(self) -> Backfill:
        return sorted(self.runs, key=lambda run: run.rate)[len(self.runs) // 2]


def fill_events(chain: Chain, token: BackedAssetToken, holders: Sequence[str], count: int) -> None:
    """``count`` more Transfer events, as recorded batches of 500 to holders of the token.

    They are signed with the operator key at consecutive nonces and sent without waiting for
    each receipt, so making them costs little of the run's time; every receipt is checked.
    """
    w3 = chain.w3
    operator = chain.operator
    nonce = int(w3.eth.get_transaction_count(operator.address, "pending"))
    base = int(w3.eth.get_block("latest").get("baseFeePerGas", 0))
    hashes = []
    gas = 0
    for start in range(0, count, FILL_BATCH):
        size = min(FILL_BATCH, count - start)
        to = [holders[(start + i) % len(holders)] for i in range(size)]
        call = token.contract.functions.recordTransfersFrom(
            chain.issuer.address, to, [AMOUNT] * size, chain.refs(size)
        )
        data = call._encode_transaction_data()
        if not gas:
            estimate = w3.eth.estimate_gas(
                {"from": operator.address, "to": token.address, "data": data}
            )
            gas = estimate + estimate // 2
        signed = operator.sign_transaction(
            {
                "chainId": w3.eth.chain_id,
                "nonce": nonce,
                "to": token.address,
                "data": data,
                "value": 0,
                "gas": gas,
                "maxFeePerGas": 2 * base + 10**9,
                "maxPriorityFeePerGas": 10**9,
                "type": 2,
            }
        )
        hashes.append(w3.eth.send_raw_transaction(signed.raw_transaction))
        nonce += 1
    for tx_hash in hashes:
        if w3.eth.wait_for_transaction_receipt(tx_hash)["status"] != 1:
            raise RuntimeError(f"filler batch {HexBytes(tx_hash).to_0x_hex()} reverted")


def index_backfill(w3: Web3, expected: int) -> Backfill:
    """Index the whole chain from the registry's deployment on, as a fresh indexer would."""
    models = (TokenBalance, TokenTransfer, EventBlock, IndexedBlock, IndexerCursor, PlatformToken)
    if connection.vendor == "postgresql":
        # Emptied as a fresh indexer finds them: deleted rows would leave the runs' dead
        # tuples and index entries behind for the backfill to wade through.
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables}")
            # The runs before updated every operation: their dead rows are vacuumed first.
            cursor.execute("VACUUM ANALYZE")
    else:
        for model in models:
            model.objects.all().delete()
    deployment = PlatformDeployment.objects.get(chain_id=settings.CHAIN_ID)
    started = time.perf_counter()
    result = index_until_head(w3=w3, max_range=INDEX_RANGE)
    elapsed = time.perf_counter() - started
    events = TokenTransfer.objects.count()
    if events != expected:
        raise RuntimeError(f"indexed {events} Transfer events, the chain logged {expected}")
    if TokenTransfer.objects.filter(ref__isnull=True).exists():
        raise RuntimeError("a recorded transfer was indexed without its ref")
    return Backfill(events, result.read_to - deployment.block_number + 1, elapsed)


# ---------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Report:
    batched: Run
    single: Run
    per_request: Run
    backfill: Backfills
    database: str
    broker: str
    chain: str
    batch_wait: float


def measure() -> Report:
    with throwaway_database():
        database = connection.vendor
        node = AnvilNode(node_modules=ROOT / "node_modules", port=free_port())
        with node, tempfile.TemporaryDirectory() as log_dir:
            w3 = web3_for(node.url, 120.0)
            chain = chain_set_up(w3)
            tokens = {symbol: chain.issue(symbol) for symbol in ("QBTA", "QBTB", "QBTC")}
            to = {
                "batched": receivers("batched", BATCHED_COUNT),
                "single": receivers("single", SINGLE_COUNT),
                "per-request": receivers("per-request", BATCHED_COUNT),
            }
            chain.allowlist([address for addresses in to.values() for address in addresses])
            # The issuer's units are known to the platform once it has read them from the chain.
            index_until_head(w3=w3)
            logs = Path(log_dir)

            def run(symbol: str, label: str, batch_max: int, chunk: int) -> Run:
                return transfers_run(
                    chain,
                    tokens[symbol],
                    to[label],
                    label=label,
                    batch_max=batch_max,
                    chunk=chunk,
                    anvil_url=node.url,
                    log_dir=logs,
                )

            batched = run("QBTA", "batched", base_settings.CHAIN_BATCH_MAX, DISTRIBUTION_CHUNK)
            single = run("QBTB", "single", 1, DISTRIBUTION_CHUNK)
            per_request = run("QBTC", "per-request", base_settings.CHAIN_BATCH_MAX, 1)
            # The mints and every transfer so far are Transfer events already.
            logged = len(tokens) + sum(len(addresses) for addresses in to.values())
            fill_events(chain, tokens["QBTA"], to["batched"], INDEX_EVENTS - logged)
            # Several times from scratch: one backfill right after the runs shares the machine
            # with their aftermath (the database's background work), and the runs vary.
            backfill = Backfills(
                [index_backfill(w3, max(INDEX_EVENTS, logged)) for _ in range(BACKFILLS)]
            )
            return Report(
                batched=batched,
                single=single,
                per_request=per_request,
                backfill=backfill,
                database=database,
                broker=_broker(),
                chain=f"{w3.client_version}, automine (one block per transaction)",
                batch_wait=base_settings.CHAIN_BATCH_WAIT_SECONDS,
            )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_report(report: Report) -> None:
    batched, single, backfill = report.batched, report.single, report.backfill
    per_request = report.per_request
    speedup = batched.rate / single.rate

    def run_row(run: Run, title: str, target: str, result: str) -> Row:
        return (
            title,
            f"{run.rate:,.0f} transfers/s",
            f"{run.count:,} in {run.elapsed:.1f} s",
            target,
            result,
        )

    def gas_row(run: Run, title: str) -> Row:
        smallest, largest = run.per_transaction
        sizes = f"{smallest}" if smallest == largest else f"{smallest}-{largest}"
        return (
            title,
            f"{run.gas_per_transfer:,.0f} gas",
            f"{run.transactions:,} x {run.functions}, {sizes} per tx",
            "",
            "",
        )

    rows = [
        run_row(
            batched,
            f"batched (CHAIN_BATCH_MAX={batched.batch_max}), requests of {batched.chunk}, "
            "request -> confirmed",
            f">= {TARGET_RATE:,}/s",
            _verdict(batched.rate >= TARGET_RATE),
        ),
        run_row(
            single,
            f"one transaction per transfer (CHAIN_BATCH_MAX=1), requests of {single.chunk}",
            "",
            "",
        ),
        (
            "batched against one transaction per transfer",
            f"{speedup:.1f}x",
            f"{batched.rate:,.0f} / {single.rate:,.0f}",
            f">= {TARGET_SPEEDUP}x",
            _verdict(speedup >= TARGET_SPEEDUP),
        ),
        gas_row(batched, "gas per transfer, batched"),
        gas_row(single, "gas per transfer, one transaction each"),
        run_row(
            per_request,
            f"batched (CHAIN_BATCH_MAX={per_request.batch_max}), one transfer per request",
            "",
            "",
        ),
        (
            f"indexer backfill (index_until_head, fresh cursor), median of {BACKFILLS}",
            f"{backfill.median.rate:,.0f} events/s",
            f"{backfill.median.events:,} Transfer events, {backfill.median.blocks:,} blocks "
            f"in {backfill.median.elapsed:.1f} s; runs: "
            + ", ".join(f"{run.rate:,.0f}/s" for run in backfill.runs),
            f">= {TARGET_INDEX:,}/s",
            _verdict(backfill.median.rate >= TARGET_INDEX),
        ),
    ]
    fallback = report.database != "postgresql" or report.broker != "Redis"
    notes = [
        f"Database {report.database}, broker {report.broker}; anvil {report.chain}."
        + (
            " This is the fallback without DATABASE_URL / REDIS_URL, not the PostgreSQL and "
            "Redis the targets are set for."
            if fallback
            else ""
        ),
        "One celery worker process (--pool solo, base settings with CONN_MAX_AGE=60 as in "
        "production) per run; "
        f"CHAIN_BATCH_WAIT_SECONDS={report.batch_wait:g}, CHAIN_CONFIRMATIONS=1; the bench sends "
        f"chain_confirm every {CONFIRM_EVERY:g} s as beat would.",
        f"Transfers are requested through operations_request from {REQUESTERS} concurrent "
        f"requester processes (as API processes call it), {DISTRIBUTION_CHUNK} per request and "
        "DB transaction as a distribution sends them, or one per request as single API calls "
        "do; each request reserves the sender's units. The clock runs from the first request "
        "to the last operation seen CONFIRMED in the DB.",
        f"One sender (the issuer) to distinct allowlisted receivers that never held the token: "
        f"the new-holder case. One transaction per transfer is measured on {single.count:,} "
        "transfers to bound the run's time; its rate falls as a run grows, so this flatters "
        "the baseline.",
        f"Indexer: max_range={INDEX_RANGE} blocks per step and database transaction, read in "
        f"eth_getLogs calls of about {CHUNK_LOGS:,} logs; its events are the runs' transfers, "
        f"the mints and recordTransfersFrom batches of {FILL_BATCH} made for it; balances are "
        "applied in the same pass. The first run also settles the runs' operations (their "
        "reservations), which the runs after it find done.",
    ]
    print_table(
        "Transaction manager and indexer (end to end)",
        HEADER,
        rows,
        right={1},
        notes=notes,
    )
    timeline = [
        (
            run.label,
            f"{run.count / run.requested:,.0f}/s",
            f"{run.requested:.1f}",
            f"{run.broadcast:.1f}",
            f"{run.confirmed:.1f}",
            f"{run.elapsed:.1f}",
        )
        for run in (batched, single, per_request)
    ]
    print_table(
        "Where the time goes (seconds after the first request, from the rows' timestamps)",
        (
            "run",
            "requests alone",
            "last request committed",
            "last tx broadcast",
            "last tx confirmed",
            "all seen confirmed",
        ),
        timeline,
        right={1, 2, 3, 4, 5},
    )
