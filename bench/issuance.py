"""Issuance end to end: a CSV distribution of 10,000 rows, from upload to every row confirmed.

An issuer's application is drafted, documented, submitted, approved and confirmed through the
services the pages call; a real ``celery worker`` issues and mints the token on a throwaway
anvil. The issuer then uploads a CSV naming 10,000 verified holders by IIN, as the
distribution page does; the worker checks the whole file, requests one recorded transfer per
row and sends them in batches; the clock stops when the database shows every row confirmed
on-chain and the distribution done. The chain is then checked to hold exactly what the file
said.
"""

from __future__ import annotations

import datetime
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Count, Max
from django.test import override_settings
from eth_account import Account
from eth_utils import keccak
from web3 import Web3

import qoima.settings.base as base_settings
from issuance import services
from issuance.models import Application, Distribution
from issuance.selectors import distribution_progress
from qoima.chain.anvil import AnvilNode, free_port
from qoima.chain.client import web3_for
from qoima.chain.deployment import platform_keys, platform_registry_ensure
from qoima.chain.direct import BackedAssetToken, PlatformRegistry
from qoima.chain.indexer import index_until_head
from qoima.chain.models import ChainTransaction, Operation
from qoima.chain.tasks import chain_confirm
from qoima.custody.keys import key_encrypt
from qoima.custody.models import Wallet
from qoima.custody.selectors import organisation_wallet
from qoima.participants.models import HolderProfile, Organisation, Permit, Role, User
from tests.factories import valid_iins

from .database import throwaway_database
from .paths import ROOT
from .table import print_table
from .txm import ALLOWLIST_CHUNK, CONFIRM_EVERY, POLL_EVERY, STALL_SECONDS, Worker, worker

ROWS = 10_000
# Whole units per row, with the token's two decimals: every row moves 12.50.
AMOUNT = "12.50"
AMOUNT_UNITS = 1250
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

HEADER = ("figure", "value", "measured")


@dataclass(frozen=True)
class Report:
    rows: int
    elapsed: float
    # Seconds after the upload: when the file was checked and its transfers requested, when
    # the last transaction was broadcast, and when the last was confirmed (rows' timestamps).
    requested: float
    broadcast: float
    confirmed: float
    transactions: int
    functions: str
    database: str
    broker: str
    batch_max: int


# ---------------------------------------------------------------------- the world


@dataclass
class World:
    issuer: User
    officers: tuple[User, User]
    holders: list[HolderProfile]


def _world(registry: PlatformRegistry) -> World:
    """An issuer with a valid permit, two officers and ``ROWS`` verified holders, each with a
    custodial wallet already on the allowlist (as their verification leaves them)."""
    today = datetime.date.today()
    organisation = Organisation.objects.create(
        kind=Organisation.Kind.LEGAL_ENTITY,
        legal_name="ТОО «Qoima Bench Agro»",
        identification_number="940140000385",
        verification_status=Organisation.Verification.VERIFIED,
    )
    Permit.objects.create(
        organisation=organisation,
        number="KZ-DA-2026-0001",
        authority="Ministry of Digital Development",
        issued_on=today - datetime.timedelta(days=30),
        expires_on=today + datetime.timedelta(days=3 * 365),
    )
    issuer = _user("bench-issuer", Role.ISSUER_STAFF, organisation=organisation)
    officers = (
        _user("bench-officer-a", Role.COMPLIANCE_OFFICER),
        _user("bench-officer-b", Role.COMPLIANCE_OFFICER),
    )
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [User(username=f"bench-holder-{i}", password=unusable) for i in range(ROWS)]
    )
    group = Group.objects.get(name=Role.HOLDER.value)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=user.pk, group_id=group.pk) for user in users]
    )
    now = datetime.datetime.now(datetime.UTC)
    holders = HolderProfile.objects.bulk_create(
        [
            HolderProfile(
                user=user,
                kind=HolderProfile.Kind.INDIVIDUAL,
                full_name=f"Bench Holder {i}",
                identification_number=number,
                verification_status=HolderProfile.Status.VERIFIED,
                verified_by=officers[0],
                verified_at=now,
            )
            for i, (user, number) in enumerate(zip(users, valid_iins(ROWS), strict=True))
        ]
    )
    accounts = [Account.from_key(keccak(f"bench-holder-{i}".encode())) for i in range(ROWS)]
    Wallet.objects.bulk_create(
        [
            Wallet(
                holder=holder,
                kind=Wallet.Kind.CUSTODIAL,
                address=account.address,
                encrypted_key=key_encrypt(bytes(account.key)),
            )
            for holder, account in zip(holders, accounts, strict=True)
        ]
    )
    _admin, _operator, compliance = platform_keys()
    for start in range(0, ROWS, ALLOWLIST_CHUNK):
        chunk = [account.address for account in accounts[start : start + ALLOWLIST_CHUNK]]
        registry.set_allowlisted_batch(compliance, chunk, True)
    return World(issuer, officers, holders)


def _user(username: str, role: Role, **values: Any) -> User:
    user = User.objects.create(username=username, **values)
    user.groups.add(Group.objects.get(name=role.value))
    return user


def _issued(world: World, process: Worker) -> Application:
    """The application through its whole review, then issued and minted by the worker."""
    application = services.application_create(
        actor=world.issuer,
        data=services.ApplicationData(
            name="Wheat, class 3, Kostanay elevator",
            symbol="WHT3",
            asset_class="tangible_asset",
            description="Grain stored at the Kostanay elevator, warehouse receipt 17.",
            asset_identifier="12:345:678:901",
            decimals=2,
            backed_amount="1000000",
            mint_amount="1000000",
        ),
    )
    today = datetime.date.today()
    for kind, values in (
        ("issuance_decision", {"number": "R-17", "dated_on": today, "signatory": "А. Директоров"}),
        ("proof_of_rights", {"dated_on": today - datetime.timedelta(days=30)}),
    ):
        services.document_add(
            actor=world.issuer,
            application_id=application.pk,
            data=services.DocumentData(kind=kind, **values),
            upload=SimpleUploadedFile(f"{kind}.pdf", PDF + kind.encode()),
        )
    services.application_submit(actor=world.issuer, application_id=application.pk)
    services.application_approve(
        officer=world.officers[0], application_id=application.pk, confirmed_items=list(range(1, 8))
    )
    services.application_confirm(officer=world.officers[1], application_id=application.pk)
    _until(
        process,
        lambda: Application.objects.get(pk=application.pk).status == Application.Status.ISSUED,
        "the application was not issued",
    )
    application.refresh_from_db()
    return application


def _until(process: Worker, condition: Any, what: str) -> None:
    """Send chain_confirm through the broker as beat would, until ``condition`` holds."""
    deadline = time.monotonic() + STALL_SECONDS
    next_confirm = 0.0
    while not condition():
        now = time.monotonic()
        if now > deadline:
            raise RuntimeError(f"{what}:\n{process.tail()}")
        if now >= next_confirm:
            chain_confirm.delay()
            next_confirm = now + CONFIRM_EVERY
        process.check()
        time.sleep(POLL_EVERY)


# ---------------------------------------------------------------------- the run


def _distribute(world: World, application: Application, process: Worker) -> tuple[int, float]:
    """Upload the file; returns the distribution and the seconds until all rows confirmed."""
    rows = "".join(f"{holder.identification_number},{AMOUNT}\n" for holder in world.holders)
    upload = SimpleUploadedFile("holders.csv", f"holder,amount\n{rows}".encode())
    started = time.perf_counter()
    distribution = services.distribution_upload(
        actor=world.issuer,
        application_id=application.pk,
        upload=upload,
        idempotency_key="bench-distribution",
    )
    progress = -1
    moved_at = time.perf_counter()
    next_confirm = 0.0
    while True:
        now = time.perf_counter()
        if now >= next_confirm:
            chain_confirm.delay()
            next_confirm = now + CONFIRM_EVERY
        status = Distribution.objects.get(pk=distribution.pk).status
        if status == Distribution.Status.INVALID:
            refused = Distribution.objects.get(pk=distribution.pk)
            raise RuntimeError(f"the file was refused: {refused.errors[:5]}")
        if status == Distribution.Status.DONE:
            return distribution.pk, time.perf_counter() - started
        confirmed = distribution_progress(distribution).confirmed
        if confirmed != progress:
            progress, moved_at = confirmed, now
        elif now - moved_at > STALL_SECONDS:
            raise RuntimeError(f"stalled at {confirmed} confirmed:\n{process.tail()}")
        process.check()
        time.sleep(POLL_EVERY)


def _checked(w3: Web3, world: World, application: Application, distribution_id: int) -> None:
    """The chain holds what the file said: every row confirmed once, every holder paid."""
    distribution = Distribution.objects.get(pk=distribution_id)
    progress = distribution_progress(distribution)
    if (progress.total, progress.confirmed, progress.failed) != (ROWS, ROWS, 0):
        raise RuntimeError(f"distribution ended at {progress}")
    token = BackedAssetToken(w3, application.token_address)
    sender = organisation_wallet(application.organisation)
    assert sender is not None
    expected = int(application.mint_units) - ROWS * AMOUNT_UNITS
    if token.balance_of(sender.address) != expected:
        raise RuntimeError("the issuer's balance on-chain is not the mint less the file")
    for holder in world.holders[:: ROWS // 20]:
        address = Wallet.objects.get(holder=holder).address
        if token.balance_of(address) != AMOUNT_UNITS:
            raise RuntimeError(f"{holder.identification_number} did not receive its row")


def measure() -> Report:
    with throwaway_database():
        node = AnvilNode(node_modules=ROOT / "node_modules", port=free_port())
        with (
            node,
            tempfile.TemporaryDirectory() as scratch,
            override_settings(
                CHAIN_RPC_URL=node.url,
                STORAGES={
                    **settings.STORAGES,
                    "documents": {
                        "BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": str(Path(scratch) / "documents")},
                    },
                },
            ),
        ):
            w3 = web3_for(node.url, 120.0)
            deployment, _created = platform_registry_ensure(w3)
            world = _world(PlatformRegistry(w3, deployment.registry_address))
            batch_max = base_settings.CHAIN_BATCH_MAX
            with worker(
                node.url,
                Path(scratch),
                CHAIN_BATCH_MAX=str(batch_max),
                CHAIN_BATCH_WAIT_SECONDS=str(base_settings.CHAIN_BATCH_WAIT_SECONDS),
                CHAIN_CONFIRMATIONS="1",
            ) as process:
                application = _issued(world, process)
                # The issuer's minted units are known to the platform once read from the chain.
                index_until_head(w3=w3)
                wall_start = time.time()
                distribution_id, elapsed = _distribute(world, application, process)
            _checked(w3, world, application, distribution_id)
            operations = Operation.objects.filter(
                kind=Operation.Kind.TRANSFER, token_address=application.token_address
            )
            transactions = ChainTransaction.objects.filter(
                pk__in=operations.values("transaction_id")
            )
            times = transactions.aggregate(
                broadcast=Max("broadcast_at"), confirmed=Max("confirmed_at")
            )
            requested = operations.aggregate(last=Max("created_at"))["last"]
            functions = transactions.values("function").annotate(n=Count("id"))
            return Report(
                rows=ROWS,
                elapsed=elapsed,
                requested=requested.timestamp() - wall_start,
                broadcast=times["broadcast"].timestamp() - wall_start,
                confirmed=times["confirmed"].timestamp() - wall_start,
                transactions=transactions.count(),
                functions=", ".join(f"{row['n']} x {row['function']}" for row in functions),
                database=connection.vendor,
                broker="Redis"
                if str(settings.CELERY_BROKER_URL).startswith("redis")
                else "filesystem broker",
                batch_max=batch_max,
            )


def print_report(report: Report) -> None:
    rows = [
        (
            f"CSV distribution of {report.rows:,} rows, upload -> all confirmed",
            f"{report.elapsed:.1f} s",
            f"{report.rows / report.elapsed:,.0f} rows/s",
        ),
        (
            "file checked, one transfer requested per row",
            f"{report.requested:.1f} s",
            "after the upload",
        ),
        ("last transaction broadcast", f"{report.broadcast:.1f} s", "after the upload"),
        ("last transaction confirmed", f"{report.confirmed:.1f} s", "after the upload"),
        ("transactions", f"{report.transactions:,}", report.functions),
    ]
    print_table(
        "Issuance: CSV distribution end to end",
        HEADER,
        rows,
        right=(1,),
        notes=[
            f"Database {report.database}, broker {report.broker}; one celery worker process "
            f"(--pool solo) checks the file and sends its rows, CHAIN_BATCH_MAX="
            f"{report.batch_max}, CHAIN_CONFIRMATIONS=1; the bench sends chain_confirm every "
            f"{CONFIRM_EVERY} s as beat would. Rows name verified holders by IIN; afterwards "
            "the chain is checked to hold the mint less the file at the issuer and each "
            "sampled holder's row.",
        ],
    )
