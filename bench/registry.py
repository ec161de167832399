"""The registry at scale: 1,000,000 transfers, 100,000 holders and 100 assets on PostgreSQL.

The data is generated into a throwaway test database as the platform would hold it after a
year: each asset minted to its issuer's wallet, distributed to about 3,000 holders, then
traded between them in small transfers, all interleaved in blocks over 365 days; balances,
block times and daily volumes consistent with the transfers. Pages and API queries are then
timed through Django's test client, logged in as a regulator (template rendering included),
each several times with different parameters; p50 and p95 are printed. The 1,000,000-row CSV
export runs in a process of its own, so its peak memory is its own, beside a 100,000-row one.
"""

from __future__ import annotations

import datetime
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from eth_utils import keccak, to_checksum_address

from issuance.models import Application
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record, audit_seal
from qoima.chain.contracts import ZERO_ADDRESS
from qoima.chain.indexer import COLUMNS, copy_text
from qoima.chain.models import (
    IndexerCursor,
    NodeHealth,
    PlatformToken,
)
from qoima.chain.volumes import daily_volumes_refresh
from qoima.custody.models import Wallet
from qoima.participants.models import HolderProfile, Organisation, Permit, Role, User
from tests.factories import valid_iins
from tests.processes import database_url

from .database import throwaway_database
from .paths import ROOT
from .table import print_table

TRANSFERS = 1_000_000
HOLDERS = 100_000
ASSETS = 100
ISSUERS = 10
HOLDERS_PER_ASSET = 3_000
DAYS = 365
PER_BLOCK = 200
DISTRIBUTED = 1_000
REPEAT = 40
TARGET_P95_MS = 100.0
SMALL_EXPORT = 100_000
SEED = 193

# One request of a timed check: its URL and query for the i-th run.
Request = Callable[[int], tuple[str, dict[str, Any]]]
HEADER = ("page or query", "p50 ms", "p95 ms", "runs", "target", "result")


def _address(label: str) -> str:
    return to_checksum_address(keccak(label.encode())[-20:])


# ---------------------------------------------------------------------- the data


@dataclass
class World:
    regulator: User
    applications: list[Application]
    holders: list[HolderProfile]
    holder_wallets: list[str]
    issuer_numbers: list[str]
    last_block: int
    first_day: datetime.date


def _copy(table: str, columns: list[str], lines: list[str]) -> None:
    """COPY rows given as text lines: numbers, hex and plain names need no escaping."""
    for start in range(0, len(lines), 50_000):
        copy_text(table, columns, "".join(lines[start : start + 50_000]))


def _participants(rng: random.Random) -> tuple[User, list[HolderProfile], list[str], list[Any]]:
    unusable = make_password(None)
    regulator = User.objects.create(username="bench-regulator", password=unusable)
    regulator.groups.add(Group.objects.get(name=Role.REGULATOR.value))
    officer = User.objects.create(username="bench-officer", password=unusable)
    checker = User.objects.create(username="bench-checker", password=unusable)
    for user in (officer, checker):
        user.groups.add(Group.objects.get(name=Role.COMPLIANCE_OFFICER.value))
    users = User.objects.bulk_create(
        [User(username=f"bench-holder-{i}", password=unusable) for i in range(HOLDERS)],
        batch_size=10_000,
    )
    now = timezone.now()
    holders = HolderProfile.objects.bulk_create(
        [
            HolderProfile(
                user=user,
                kind=HolderProfile.Kind.INDIVIDUAL,
                full_name=f"Держатель {i} {rng.choice(['Ахметов', 'Серікова', 'Ким', 'Иванова'])}",
                identification_number=number,
                verification_status=HolderProfile.Status.VERIFIED,
                verified_by=officer,
                verified_at=now,
            )
            for i, (user, number) in enumerate(zip(users, valid_iins(HOLDERS), strict=True))
        ],
        batch_size=10_000,
    )
    addresses = [_address(f"holder-{i}") for i in range(HOLDERS)]
    Wallet.objects.bulk_create(
        [
            Wallet(holder=h, kind=Wallet.Kind.CUSTODIAL, address=a, encrypted_key=b"bench")
            for h, a in zip(holders, addresses, strict=True)
        ],
        batch_size=10_000,
    )
    return regulator, holders, addresses, [officer, checker]


def _issuers(officers: list[Any]) -> tuple[list[Application], list[str], list[str]]:
    today = timezone.localdate()
    numbers = [n for n in valid_iins(ISSUERS, start=HOLDERS + 10)]
    applications, issuer_wallets = [], []
    for i, number in enumerate(numbers):
        organisation = Organisation.objects.create(
            kind=Organisation.Kind.INDIVIDUAL_ENTREPRENEUR,
            legal_name=f"ИП «Bench Issuer {i}»",
            identification_number=number,
            verification_status=Organisation.Verification.VERIFIED,
        )
        permit = Permit.objects.create(
            organisation=organisation,
            number=f"KZ-BENCH-{i:03d}",
            authority="Ministry of Digital Development",
            issued_on=today - datetime.timedelta(days=400),
            expires_on=today + datetime.timedelta(days=700),
        )
        staff = User.objects.create(username=f"bench-issuer-{i}", organisation=organisation)
        wallet = Wallet.objects.create(
            organisation=organisation,
            kind=Wallet.Kind.CUSTODIAL,
            address=_address(f"issuer-{i}"),
            encrypted_key=b"bench",
        )
        for j in range(ASSETS // ISSUERS):
            n = i * (ASSETS // ISSUERS) + j
            applications.append(
                Application(
                    organisation=organisation,
                    created_by=staff,
                    name=f"Bench asset {n}",
                    symbol=f"BA{n:03d}",
                    asset_class="tangible_asset",
                    description="Generated for the registry benchmark.",
                    asset_identifier=f"BENCH-{n:03d}",
                    decimals=2,
                    backed_units=10**12,
                    mint_units=10**9,
                    status=Application.Status.ISSUED,
                    permit=permit,
                    approved_by=officers[0],
                    confirmed_by=officers[1],
                    token_address=_address(f"token-{n}"),
                )
            )
            issuer_wallets.append(wallet.address)
    return Application.objects.bulk_create(applications), issuer_wallets, numbers


def generate(rng: random.Random) -> World:
    chain_id = settings.CHAIN_ID
    regulator, holders, wallets, officers = _participants(rng)
    applications, issuer_wallets, issuer_numbers = _issuers(officers)
    PlatformToken.objects.bulk_create(
        PlatformToken(
            chain_id=chain_id, address=a.token_address, asset_id=a.asset_id, block_number=1
        )
        for a in applications
    )
    # Who holds what: each asset's holders, drawn from everyone.
    owners = [rng.sample(range(HOLDERS), HOLDERS_PER_ASSET) for _ in applications]
    mints = [(a, ZERO_ADDRESS, issuer_wallets[a], 10**9) for a in range(ASSETS)]
    handouts = [
        (a, issuer_wallets[a], wallets[h], DISTRIBUTED) for a in range(ASSETS) for h in owners[a]
    ]
    rng.shuffle(handouts)
    trades = []
    for _ in range(TRANSFERS - len(mints) - len(handouts)):
        a = rng.randrange(ASSETS)
        giver, taker = rng.sample(owners[a], 2)
        trades.append((a, wallets[giver], wallets[taker], rng.randint(1, 9)))
    moves = mints + handouts + trades
    blocks = -(-len(moves) // PER_BLOCK)
    first_day = timezone.localdate() - datetime.timedelta(days=DAYS)
    start = datetime.datetime.combine(
        first_day, datetime.time(9), tzinfo=timezone.get_default_timezone()
    )
    seconds_per_block = DAYS * 86_400 // blocks
    times = [start + datetime.timedelta(seconds=b * seconds_per_block) for b in range(blocks)]
    _copy(
        "chain_eventblock",
        ["chain_id", "number", "block_hash", "timestamp"],
        [
            f"{chain_id}\t{b + 1}\t0x{keccak(str(b).encode()).hex()}\t{times[b].isoformat()}\n"
            for b in range(blocks)
        ],
    )
    balances: dict[tuple[int, str], int] = {}
    lines = []
    for n, (a, sender, receiver, amount) in enumerate(moves):
        block = n // PER_BLOCK + 1
        lines.append(
            f"{chain_id}\t{applications[a].token_address}\t{block}\t"
            f"0x{block:064x}\t{n % PER_BLOCK}\t0x{n:064x}\t{sender}\t{receiver}\t{amount}\t"
            f"{10**7 + n}\tt\n"
        )
        balances[(a, receiver)] = balances.get((a, receiver), 0) + amount
        if sender != ZERO_ADDRESS:
            balances[(a, sender)] -= amount
    _copy(
        "chain_tokentransfer",
        list(COLUMNS),
        lines,
    )
    _copy(
        "chain_tokenbalance",
        ["chain_id", "token_address", "holder", "amount", "reserved"],
        [
            f"{chain_id}\t{applications[a].token_address}\t{holder}\t{units}\t0\n"
            for (a, holder), units in balances.items()
        ],
    )
    IndexerCursor.objects.create(chain_id=chain_id, block_number=blocks, applied_block=blocks)
    NodeHealth.objects.create(
        chain_id=chain_id,
        block_number=blocks + 2,
        block_hash="0x" + "0" * 64,
        observed_at=timezone.now(),
    )
    with transaction.atomic():
        for i in range(500):
            audit_record(
                actor=None, action=AuditAction.EXCHANGE_TRANSFER_REQUESTED, details={"i": i}
            )
    audit_seal()
    daily_volumes_refresh()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return World(regulator, applications, holders, wallets, issuer_numbers, blocks, first_day)


# ---------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Timing:
    label: str
    samples: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _time(
    client: Client, label: str, request: Callable[[int], tuple[str, dict[str, Any]]]
) -> Timing:
    samples = []
    for i in range(REPEAT + 3):
        url, params = request(i)
        started = time.perf_counter()
        response = client.get(url, params)
        if response.status_code != 200:
            raise RuntimeError(f"{label}: {response.status_code} {response.content[:300]!r}")
        if response.streaming:
            raise RuntimeError(f"{label}: a page, not an export, was expected")
        elapsed = (time.perf_counter() - started) * 1000
        if i >= 3:  # the first few warm caches, as a running server's would be
            samples.append(elapsed)
    return Timing(label, samples)


def timings(world: World, rng: random.Random) -> list[Timing]:
    client = Client(HTTP_ACCEPT_LANGUAGE="ru", HTTP_HOST="localhost")
    client.force_login(world.regulator)
    apps = world.applications

    def asset(_i: int) -> Application:
        return rng.choice(apps)

    def holder_iin(_i: int) -> str:
        return rng.choice(world.holders).identification_number

    def week(_i: int) -> tuple[str, str]:
        start = world.first_day + datetime.timedelta(days=rng.randrange(DAYS - 7))
        return start.isoformat(), (start + datetime.timedelta(days=6)).isoformat()

    def past_block(_i: int) -> int:
        return rng.randrange(1, world.last_block)

    def before(_i: int) -> int:
        return rng.randrange(100_000, TRANSFERS)

    transfers = reverse("registry-transfers")
    api_transfers = reverse("api-registry-transfers")
    checks: list[tuple[str, Request]] = [
        ("overview", lambda i: (reverse("registry-home"), {})),
        ("transfers, newest", lambda i: (transfers, {})),
        ("transfers, an older page", lambda i: (transfers, {"before": before(i)})),
        ("transfers by holder IIN", lambda i: (transfers, {"party": holder_iin(i)})),
        (
            "transfers by issuer BIN (~30,000 each)",
            lambda i: (transfers, {"party": rng.choice(world.issuer_numbers)}),
        ),
        (
            "transfers by reference",
            lambda i: (transfers, {"reference": 10**7 + rng.randrange(TRANSFERS)}),
        ),
        (
            "transfers by asset and a week",
            lambda i: (
                transfers,
                dict(zip(("date_from", "date_to"), week(i), strict=True), asset=asset(i).pk),
            ),
        ),
        (
            "cap table, now",
            lambda i: (reverse("registry-cap-table", args=[asset(i).pk]), {}),
        ),
        (
            "cap table, as of a past block",
            lambda i: (
                reverse("registry-cap-table", args=[asset(i).pk]),
                {"block": past_block(i)},
            ),
        ),
        (
            "cap table, as of a date",
            lambda i: (
                reverse("registry-cap-table", args=[asset(i).pk]),
                {"date": week(i)[0]},
            ),
        ),
        ("asset page", lambda i: (reverse("registry-asset", args=[asset(i).pk]), {})),
        ("assets list", lambda i: (reverse("registry-assets"), {})),
        (
            "holders list, an older page",
            lambda i: (
                reverse("registry-holders"),
                {"before": rng.choice(world.holders).pk},
            ),
        ),
        ("holders by IIN", lambda i: (reverse("registry-holders"), {"q": holder_iin(i)})),
        ("issuers list", lambda i: (reverse("registry-issuers"), {})),
        ("audit log", lambda i: (reverse("registry-audit"), {})),
        ("daily summary, 30 days, every asset", lambda i: (reverse("registry-daily"), {})),
        (
            "daily summary, a year of one asset",
            lambda i: (
                reverse("registry-daily"),
                {"asset": asset(i).pk, "date_from": world.first_day.isoformat()},
            ),
        ),
        ("API: transfers by holder IIN", lambda i: (api_transfers, {"party": holder_iin(i)})),
        (
            "API: transfers by asset and a week",
            lambda i: (
                api_transfers,
                dict(zip(("date_from", "date_to"), week(i), strict=True), asset=asset(i).pk),
            ),
        ),
        (
            "API: cap table, now",
            lambda i: (reverse("api-registry-cap-table", args=[asset(i).pk]), {}),
        ),
        (
            "API: cap table, as of a past block",
            lambda i: (
                reverse("api-registry-cap-table", args=[asset(i).pk]),
                {"block": past_block(i)},
            ),
        ),
    ]
    return [_time(client, label, request) for label, request in checks]


# ---------------------------------------------------------------------- the export


@dataclass(frozen=True)
class Export:
    rows: int
    seconds: float
    peak_mb: float


def export(query: str) -> Export:
    """The transfer export in a fresh process of its own: its rows, time and peak memory."""
    env = {"DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "qoima.settings.test"}
    result = subprocess.run(
        [sys.executable, "-m", "bench.export_probe", query],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the export failed:\n{result.stderr[-3000:]}")
    rows, seconds, peak = result.stdout.split()
    return Export(int(rows), float(seconds), float(peak))


# ---------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Report:
    generated: float
    timings: list[Timing]
    small: Export | None
    full: Export | None
    skipped: str = ""


def measure() -> Report:
    if connection.vendor != "postgresql":
        return Report(0, [], None, None, "needs PostgreSQL (set DATABASE_URL)")
    with throwaway_database():
        rng = random.Random(SEED)
        started = time.perf_counter()
        world = generate(rng)
        generated = time.perf_counter() - started
        measured = timings(world, rng)
        # About a tenth of the transfers: the first five weeks of the year.
        until = world.first_day + datetime.timedelta(days=DAYS // 10)
        small = export(f"date_from={world.first_day.isoformat()}&date_to={until.isoformat()}")
        full = export("")
        return Report(generated, measured, small, full)


def print_report(report: Report) -> None:
    if report.skipped:
        print(f"Registry at scale: skipped, {report.skipped}\n")
        return
    rows = [
        (
            t.label,
            f"{t.p50:.1f}",
            f"{t.p95:.1f}",
            str(len(t.samples)),
            f"p95 < {TARGET_P95_MS:.0f}",
            "PASS" if t.p95 < TARGET_P95_MS else "FAIL",
        )
        for t in report.timings
    ]
    print_table(
        f"Registry at scale: {TRANSFERS:,} transfers, {HOLDERS:,} holders, {ASSETS} assets "
        f"(PostgreSQL)",
        HEADER,
        rows,
        right=(1, 2, 3),
        notes=[
            f"Generated in {report.generated:.0f} s. Each row: {REPEAT} requests through "
            "Django's test client as a logged-in regulator (view, queries and template), "
            "each with a different holder, asset, week or block; three warm-up requests "
            "first.",
        ],
    )
    exports = [report.small, report.full]
    export_rows = [
        (
            f"CSV export of {e.rows:,} transfers",
            f"{e.seconds:.1f} s",
            f"{e.rows / e.seconds:,.0f} rows/s",
            f"{e.peak_mb:.0f} MB",
        )
        for e in exports
        if e is not None
    ]
    flat = report.small and report.full and report.full.peak_mb <= report.small.peak_mb * 1.25
    print_table(
        "Registry export (streamed, a process of its own)",
        ("export", "time", "rate", "peak memory (RSS)"),
        export_rows,
        right=(1, 2, 3),
        notes=[
            "Peak memory is the export process's peak resident set (VmHWM), Django included. "
            f"Flat in the row count (1,000,000 rows within 25 % of the smaller export): "
            f"{'PASS' if flat else 'FAIL'}."
        ],
    )
