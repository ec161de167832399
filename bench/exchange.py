"""The exchange: how fast orders are placed, matched, persisted and settled.

Everything but the engine's ceiling runs on a real stack in a throwaway test database (it needs
PostgreSQL: the matcher waits on its notices) and a throwaway anvil:

- **Service path**: ``bench.trader`` client processes place orders through ``order_place``,
  each for a member of its own, one after the other, as API processes call the service; a real
  ``manage.py runmatcher`` process matches them. The clock runs from "go" to the moment no
  order of the run is ``received`` any more (every one processed by the matcher, its fills,
  journal, cash postings and settlement requests committed). Once on one hot market, once spread
  over 20.
- **HTTP API**: the same clients post to the order API of a real gunicorn server, with a token.
- **Settlement**: a real ``celery worker`` (a process per core, as deployed) then settles every
  trade of those runs on anvil through the transaction manager (batched recorded transfers,
  delivery versus payment when each transfer confirms); the bench sends ``chain_confirm`` every
  half second as beat would.
- **Latency**: with the worker still running, clients place orders one at a time and wait for
  each to be processed; acknowledgement to fills persisted is timed on the orders that traded,
  and matched to final on their trades.
- **Matching function alone**: commands per second through
  ``qoima.exchange.matching.engine.match`` in this process, with nothing written anywhere.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.db.models import Q

from qoima import gunicorn_conf
from qoima.accounts.models import ApiToken
from qoima.chain.anvil import AnvilNode, free_port
from qoima.chain.client import web3_for
from qoima.chain.indexer import index_until_head
from qoima.chain.models import PlatformToken
from qoima.chain.tasks import chain_confirm
from qoima.custody.selectors import custodial_wallet
from qoima.exchange.matching.engine import (
    BUY,
    CANCEL_RESTING,
    GTC,
    IOC,
    SELL,
    Book,
    Fill,
    Incoming,
    match,
)
from qoima.exchange.models import Market, Order, Trade
from qoima.participants.models import User
from tests.processes import database_url, matcher_command

from .database import throwaway_database
from .paths import ROOT
from .table import print_table
from .txm import Worker, chain_set_up, worker

ENGINE_ORDERS = 200_000
# Concurrent clients, each trading for a member of its own.
CLIENTS = 8
MARKETS = 20
SERVICE_ORDERS = 1_200
HTTP_ORDERS = 640
# Orders per client in the latency run (each waited for before the next).
LATENCY_ORDERS = 25
# 100.00 ₸ a whole token of a two-decimal asset, ticks of 1 ₸, lots of one token.
REFERENCE = 10_000
TICK = 100
LOT = 100
DECIMALS = 2
CASH = 10**13
UNITS = 10**10
POLL_EVERY = 0.02
# The settling worker's pool: celery's default, one process per core, as deployed.
WORKER_PROCESSES = os.cpu_count() or 1
CONFIRM_EVERY = 0.5
STALL_SECONDS = 120.0
TARGET_SERVICE = 1_000
TARGET_HTTP = 300
TARGET_P99_MS = 50.0
TARGET_SETTLED = 1_000


# ---------------------------------------------------------------------- the engine alone


def _orders(count: int, *, seed: int = 7) -> list[Incoming]:
    """A stream that keeps a book of a few hundred levels around one price: most orders rest
    near the touch, about a third cross it."""
    rng = random.Random(seed)
    orders = []
    for i in range(1, count + 1):
        side = BUY if rng.random() < 0.5 else SELL
        offset = rng.randint(-20, 60)
        price = 10_000 - offset if side == BUY else 10_000 + offset
        tif = IOC if rng.random() < 0.1 else GTC
        orders.append(
            Incoming(i, rng.randint(1, 500), side, price, rng.randint(1, 50), tif, False, i)
        )
    return orders


def engine_ceiling(count: int = ENGINE_ORDERS) -> tuple[float, int, int]:
    """Orders per second through the engine, the fills made, and the orders left resting."""
    orders = _orders(count)
    book = Book()
    fills = 0
    started = time.perf_counter()
    for order in orders:
        fills += sum(isinstance(event, Fill) for event in match(book, order, CANCEL_RESTING).events)
    elapsed = time.perf_counter() - started
    return count / elapsed, fills, len(book)


# ---------------------------------------------------------------------- the world


@dataclass
class World:
    users: list[int]
    tokens: list[str]
    hot: int
    spread: list[int]


def world_set_up(w3: object) -> World:
    """21 assets on anvil, each with a market, and CLIENTS verified holders with cash deposited
    and units of every asset in their wallets (on-chain and in the ledger)."""
    from tests.exchange.matching_world import deposit
    from tests.issuance.conftest import make_world

    chain = chain_set_up(w3)  # type: ignore[arg-type]
    people = make_world(holder_count=CLIENTS)
    _say("members made")
    wallets = []
    for holder in people.holders:
        wallet = custodial_wallet(holder)
        assert wallet is not None
        wallets.append(wallet.address)
        deposit(holder, CASH)
    chain.allowlist(wallets)
    tokens = [chain.issue(f"QX{i:02d}") for i in range(MARKETS + 1)]
    _say("assets issued")
    for token in tokens:
        token.record_transfers_from(
            chain.operator,
            chain.issuer.address,
            wallets,
            [UNITS] * len(wallets),
            chain.refs(len(wallets)),
        )
    index_until_head(w3=w3)  # type: ignore[arg-type]
    markets = [
        Market.objects.create(
            token=PlatformToken.objects.get(address=token.address),
            tick_tiyn=TICK,
            lot_units=LOT,
            min_units=LOT,
            max_units=10**12,
            band_bps=2000,
            maker_fee_bps=10,
            taker_fee_bps=20,
            reference_price=REFERENCE,
        ).pk
        for token in tokens
    ]
    return World(
        [holder.user.pk for holder in people.holders],
        [token.address for token in tokens],
        markets[0],
        markets[1:],
    )


# ---------------------------------------------------------------------- processes


def _say(what: str) -> None:
    """Progress on standard error, so a long run shows where it is."""
    print(f"  exchange bench, {time.strftime('%H:%M:%S')}: {what}", file=sys.stderr, flush=True)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url(), **extra}


# ---------------------------------------------------------------------- where the CPU goes

_PROC = Path("/proc")
# PostgreSQL's own processes whose work every commit shares (the WAL is flushed by them too).
_POSTGRES_SHARED = ("walwriter", "background writer", "checkpointer")


def _cpu(pids: Sequence[int]) -> float:
    """CPU seconds (user and system) the processes ``pids`` have used so far; 0 for one gone,
    and for all where there is no /proc."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    for pid in pids:
        try:
            fields = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a server's workers)."""
    found = []
    for entry in _PROC.glob("[0-9]*"):
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _postgres_pids() -> list[int]:
    """The database's server processes serving this run: every backend connected to it but the
    bench's own (its progress polling is not the platform's work), and the shared writers."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE (datname = current_database() "
            "AND pid <> pg_backend_pid()) OR backend_type = ANY(%s)",
            [list(_POSTGRES_SHARED)],
        )
        return [pid for (pid,) in cursor.fetchall()]


@dataclass(frozen=True)
class Cpu:
    """CPU seconds a run used, by part."""

    clients: float
    server: float
    matcher: float
    postgres: float

    @property
    def total(self) -> float:
        return self.clients + self.server + self.matcher + self.postgres


class CpuMeter:
    """Samples the CPU used by the clients, the API server (if any), the matcher and
    PostgreSQL over one run."""

    def __init__(self, clients: Sequence[int], server: int | None, matcher: int | None) -> None:
        self.groups = {
            "clients": list(clients),
            "server": [server, *_children(server)] if server else [],
            "matcher": [matcher] if matcher else [],
            "postgres": _postgres_pids(),
        }
        self.start = {name: _cpu(pids) for name, pids in self.groups.items()}

    def stop(self) -> Cpu:
        return Cpu(**{name: _cpu(pids) - self.start[name] for name, pids in self.groups.items()})


@contextmanager
def process(
    command: list[str], log: Path, env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        running = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield running
    finally:
        if running.poll() is None:
            running.terminate()
            try:
                running.wait(timeout=30)
            except subprocess.TimeoutExpired:
                running.kill()
                running.wait()


@contextmanager
def matcher(log_dir: Path, queue: str) -> Iterator[subprocess.Popen[bytes]]:
    """``manage.py runmatcher`` under the base settings (as deployed), its settlement requests
    queued for the bench's worker."""
    env = _env(DJANGO_SETTINGS_MODULE="qoima.settings.base", CELERY_TASK_DEFAULT_QUEUE=queue)
    with process(matcher_command("matcher@bench"), log_dir / "matcher.log", env) as running:
        yield running


@contextmanager
def server(log_dir: Path) -> Iterator[tuple[str, int]]:
    """A gunicorn server of the platform, as the compose file runs it: its configuration, and
    database connections kept between requests as production.py keeps them (base.py's
    default opens one for every request)."""
    port = free_port()
    env = _env(DJANGO_SETTINGS_MODULE="qoima.settings.base", CONN_MAX_AGE="60")
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:qoima.gunicorn_conf",
        "qoima.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    log = log_dir / "gunicorn.log"
    with process(command, log, env) as running:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        import requests

        while True:
            if running.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
            try:
                # Any answer will do (unauthenticated: 401); /health/ would ask the chain.
                requests.get(f"{url}/api/v1/orders/", timeout=30)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield url, running.pid


@dataclass(frozen=True)
class Run:
    label: str
    orders: int
    elapsed: float
    # When the slowest client had its last order acknowledged (placement alone).
    placed: float
    trades: int
    latencies: list[float]
    cpu: Cpu

    @property
    def rate(self) -> float:
        return self.orders / self.elapsed


class Traders:
    """CLIENTS ``bench.trader`` processes, one per member, kept up for every run."""

    def __init__(self, world: World, log_dir: Path) -> None:
        self.log = log_dir / "traders.log"
        self.processes: list[subprocess.Popen[str]] = []
        with self.log.open("w") as err:
            for user in world.users:
                command = [
                    sys.executable,
                    "-m",
                    "bench.trader",
                    f"--user={user}",
                    f"--reference={REFERENCE}",
                    f"--tick={TICK}",
                    f"--lot={LOT}",
                    f"--decimals={DECIMALS}",
                ]
                self.processes.append(
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=_env(),
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=err,
                        text=True,
                    )
                )
        for client in self.processes:
            assert client.stdout is not None
            if client.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a trader did not start:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def check(self) -> None:
        if any(client.poll() is not None for client in self.processes):
            raise RuntimeError(f"a trader failed:\n{self.tail()}")

    def go(self, runs: Sequence[dict[str, object]]) -> float:
        started = time.perf_counter()
        for client, run in zip(self.processes, runs, strict=True):
            assert client.stdin is not None
            client.stdin.write(json.dumps(run) + "\n")
            client.stdin.flush()
        return started

    def results(self) -> list[tuple[float, list[float]]]:
        out = []
        for client in self.processes:
            assert client.stdout is not None
            words = client.stdout.readline().split(" ", 2)
            if words[0] != "done":
                raise RuntimeError(f"a trader did not finish:\n{self.tail()}")
            out.append((float(words[1]), json.loads(words[2])))
        return out

    def stop(self) -> None:
        for client in self.processes:
            if client.stdin is not None and not client.stdin.closed:
                try:
                    client.stdin.write("end\n")
                    client.stdin.close()
                except BrokenPipeError:
                    pass
        for client in self.processes:
            try:
                client.wait(timeout=30)
            except subprocess.TimeoutExpired:
                client.kill()
                client.wait()
            if client.stdout is not None:
                client.stdout.close()


@contextmanager
def traders(world: World, log_dir: Path) -> Iterator[Traders]:
    pool = Traders(world, log_dir)
    try:
        yield pool
    finally:
        pool.stop()


def clients_run(
    pool: Traders,
    *,
    label: str,
    markets: Sequence[int],
    count: int,
    mode: str = "service",
    url: str = "",
    tokens: Sequence[str] = (),
    wait: bool = False,
    matcher_process: subprocess.Popen[bytes] | None = None,
    server_pid: int | None = None,
) -> Run:
    """The traders place ``count`` orders between them; the run ends when every one is
    processed by the matcher."""
    share = count // CLIENTS
    runs: list[dict[str, object]] = [
        {
            "label": label,
            "mode": mode,
            "markets": list(markets),
            "count": share,
            "seed": zlib.crc32(f"{label}-{i}".encode()),
            "url": url,
            "token": tokens[i] if tokens else "",
            "wait": wait,
        }
        for i in range(CLIENTS)
    ]
    trades_before = Trade.objects.count()
    meter = CpuMeter(
        [client.pid for client in pool.processes],
        server_pid,
        matcher_process.pid if matcher_process else None,
    )
    started = pool.go(runs)
    orders = Order.objects.filter(client_order_id__startswith=f"{label}-")
    total = share * CLIENTS
    last, moved_at = -1, time.perf_counter()
    while True:
        pool.check()
        if matcher_process is not None and matcher_process.poll() is not None:
            raise RuntimeError("the matcher died")
        placed = orders.count()
        waiting = orders.filter(state=Order.State.RECEIVED).count()
        if placed == total and not waiting:
            elapsed = time.perf_counter() - started
            cpu = meter.stop()
            break
        now = time.perf_counter()
        if placed - waiting != last:
            last, moved_at = placed - waiting, now
        elif now - moved_at > STALL_SECONDS:
            raise RuntimeError(f"stalled: {placed} placed, {waiting} waiting")
        time.sleep(POLL_EVERY)
    results = pool.results()
    latencies = [latency for _elapsed, own in results for latency in own]
    placed_in = max(elapsed_client for elapsed_client, _own in results)
    _say(f"{label}: {total} orders in {elapsed:.1f} s (placed in {placed_in:.1f} s)")
    trades = Trade.objects.count() - trades_before
    return Run(label, total, elapsed, placed_in, trades, latencies, cpu)


# ---------------------------------------------------------------------- settlement


@dataclass(frozen=True)
class Settlement:
    trades: int
    elapsed: float
    transactions: int

    @property
    def rate(self) -> float:
        return self.trades / self.elapsed


def settle_all(worker: Worker) -> Settlement:
    """Wait until every trade is final, sending chain_confirm as beat would."""
    from qoima.chain.models import ChainTransaction

    pending = Trade.objects.filter(state=Trade.State.PENDING)
    count = pending.count()
    started = time.perf_counter()
    _wait_final(worker)
    elapsed = time.perf_counter() - started
    _say(f"{count} trades settled in {elapsed:.1f} s")
    return Settlement(count, elapsed, ChainTransaction.objects.count())


def _wait_final(worker: Worker) -> None:
    pending = Trade.objects.filter(state=Trade.State.PENDING)
    last, moved_at, next_confirm = -1, time.perf_counter(), 0.0
    while True:
        now = time.perf_counter()
        if now >= next_confirm:
            chain_confirm.delay()
            next_confirm = now + CONFIRM_EVERY
        if Trade.objects.filter(state=Trade.State.BROKEN).exists():
            raise RuntimeError("a trade broke")
        left = pending.count()
        if not left:
            return
        if left != last:
            last, moved_at = left, now
        elif now - moved_at > STALL_SECONDS:
            raise RuntimeError(f"stalled at {left} trades pending:\n{worker.tail()}")
        worker.check()
        time.sleep(0.1)


# ---------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Report:
    engine: tuple[float, int, int]
    runs: list[Run]
    settlement: Settlement | None
    latency: Run | None
    to_final: list[float]
    skipped: str = ""


def _percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure() -> Report:
    engine = engine_ceiling()
    _say("the matching function is measured")
    if connection.vendor != "postgresql":
        return Report(engine, [], None, None, [], "needs PostgreSQL (set DATABASE_URL)")
    with throwaway_database():
        node = AnvilNode(node_modules=ROOT / "node_modules", port=free_port())
        with node, tempfile.TemporaryDirectory() as log_dir:
            logs = Path(log_dir)
            w3 = web3_for(node.url, 120.0)
            world = world_set_up(w3)
            _say("the world is set up")
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            tokens = [
                ApiToken.objects.create(User.objects.get(pk=user), scope="write")[1]
                for user in world.users
            ]
            queue = f"qoima-bench-exchange-{os.getpid()}"
            with matcher(logs, queue) as matching, traders(world, logs) as pool:
                _say("the traders are up")
                runs = [
                    clients_run(
                        pool,
                        label="hot",
                        markets=[world.hot],
                        count=SERVICE_ORDERS,
                        matcher_process=matching,
                    ),
                    clients_run(
                        pool,
                        label="spread",
                        markets=world.spread,
                        count=SERVICE_ORDERS,
                        matcher_process=matching,
                    ),
                ]
                with server(logs) as (url, server_pid):
                    runs.append(
                        clients_run(
                            pool,
                            label="http",
                            markets=[world.hot],
                            count=HTTP_ORDERS,
                            mode="http",
                            url=url,
                            tokens=tokens,
                            matcher_process=matching,
                            server_pid=server_pid,
                        )
                    )
                with worker(
                    node.url,
                    logs,
                    queue=queue,
                    processes=WORKER_PROCESSES,
                    CHAIN_CONFIRMATIONS="1",
                ) as settling:
                    settlement = settle_all(settling)
                    latency = clients_run(
                        pool,
                        label="latency",
                        markets=[world.hot],
                        count=LATENCY_ORDERS * CLIENTS,
                        wait=True,
                        matcher_process=matching,
                    )
                    _wait_final(settling)
            trades = Trade.objects.filter(
                Q(buy_order__client_order_id__startswith="latency-")
                | Q(sell_order__client_order_id__startswith="latency-")
            )
            to_final = [
                (settled - matched).total_seconds()
                for matched, settled in trades.values_list("created_at", "settled_at")
                if settled is not None
            ]
            return Report(engine, runs, settlement, latency, to_final)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


HEADER = ("figure", "value", "measured", "target", "result")


def print_report(report: Report) -> None:
    rate, fills, resting = report.engine
    rows = []
    titles = {
        "hot": ("service path, one hot market", TARGET_SERVICE),
        "spread": (f"service path, {MARKETS} markets", TARGET_SERVICE),
        "http": ("HTTP API (gunicorn, token), one hot market", TARGET_HTTP),
    }
    for run in report.runs:
        title, target = titles[run.label]
        rows.append(
            (
                f"{title}: placed -> matched -> persisted",
                f"{run.rate:,.0f} orders/s",
                f"{run.orders:,} orders, {run.trades:,} trades in {run.elapsed:.1f} s "
                f"(all placed in {run.placed:.1f} s)",
                f">= {target:,}/s",
                _verdict(run.rate >= target),
            )
        )
    cores = os.cpu_count() or 1
    short = {"hot": "service, one hot market", "spread": f"service, {MARKETS} markets"}
    for run in report.runs:
        cpu, per = run.cpu, 1000 / run.orders
        parts = [("clients", cpu.clients), ("server", cpu.server), ("matcher", cpu.matcher)]
        parts.append(("PostgreSQL", cpu.postgres))
        rows.append(
            (
                f"  CPU per order: {short.get(run.label, 'HTTP API')}",
                f"{cpu.total * per:.2f} ms",
                " + ".join(f"{name} {seconds * per:.2f}" for name, seconds in parts if seconds)
                + f" ms; {cores} cores at most {cores * run.orders / cpu.total:,.0f} orders/s",
                "",
                "",
            )
        )
    rows.append(
        (
            "matching function alone (in process)",
            f"{rate:,.0f} orders/s",
            f"{ENGINE_ORDERS:,} orders, {fills:,} fills, {resting:,} left resting",
            "",
            "",
        )
    )
    if report.latency is not None and report.latency.latencies:
        ms = [s * 1000 for s in report.latency.latencies]
        p99 = _percentile(ms, 0.99)
        rows.append(
            (
                "acknowledged -> fills persisted (p50 / p99)",
                f"{statistics.median(ms):.1f} / {p99:.1f} ms",
                f"{len(ms):,} orders that traded",
                f"p99 < {TARGET_P99_MS:.0f} ms",
                _verdict(p99 < TARGET_P99_MS),
            )
        )
    if report.settlement is not None:
        s = report.settlement
        rows.append(
            (
                "trades settled on-chain (batched, worker + anvil)",
                f"{s.rate:,.0f} trades/s",
                f"{s.trades:,} trades in {s.elapsed:.1f} s, {s.transactions:,} transactions",
                f">= {TARGET_SETTLED:,}/s",
                _verdict(s.rate >= TARGET_SETTLED),
            )
        )
    if report.to_final:
        rows.append(
            (
                "trade matched -> final (p50 / p95)",
                f"{statistics.median(report.to_final):.2f} / "
                f"{_percentile(report.to_final, 0.95):.2f} s",
                f"{len(report.to_final):,} trades",
                "",
                "",
            )
        )
    notes = []
    if report.skipped:
        notes.append(f"Only the matching function was measured: {report.skipped}.")
    else:
        notes += [
            f"PostgreSQL, Redis broker, anvil (automine). {CLIENTS} concurrent client processes, "
            "each placing its orders one after the other for a member of its own (limit, good "
            f"till cancelled, buys and sells within {5} ticks of the reference price, so most "
            "cross); one runmatcher process. The clock runs from the start signal until no "
            "order of the run is still received (every one matched and persisted).",
            f"HTTP: gunicorn as deployed ({gunicorn_conf.workers} workers of "
            f"{gunicorn_conf.threads} threads), POST /api/v1/orders/ with a knox token, one "
            "keep-alive connection per client.",
            f"Settlement: one celery worker with {WORKER_PROCESSES} processes (celery's default, "
            "one per core, as the compose file runs it) settles the trades of the runs above "
            "(requested as they matched, queued until it starts); the clock runs from its "
            "start to the last trade final; chain_confirm every "
            f"{CONFIRM_EVERY:g} s as beat would, CHAIN_CONFIRMATIONS=1.",
            f"Latency: {CLIENTS} clients each place {LATENCY_ORDERS} orders one at a time and "
            "wait until the matcher has processed it (reading the order's row each time the "
            "matcher's notice of a committed step, qoima_matched, arrives); timed on the orders "
            "that traded. Matched -> final: the trades' own timestamps (matched at the step's "
            "start, settled when the transfer's confirmation was handed to settlement).",
            f"The machine has {cores} cores shared by every process of the run (and other "
            "work). CPU per order: the CPU time each part used during the run (the clients' "
            "processes, the API server's workers, the matcher, and PostgreSQL's backends serving "
            "the run with its WAL writer, background writer and checkpointer) over its orders; "
            "'at most' is the cores' time over that, the rate the run could reach if nothing "
            "waited (a commit's WAL flush, a lock, a poll).",
        ]
    print_table("Exchange", HEADER, rows, right={1}, notes=notes)
