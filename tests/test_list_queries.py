"""Every list page and list endpoint reads a fixed number of queries, however many rows it
shows: each is read with the platform at one size and again at three times that size, and
the counts must be equal."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from web3 import Web3

from issuance import services
from issuance.models import Application
from qoima.accounts.models import ApiToken
from qoima.chain.models import (
    EventBlock,
    IndexerCursor,
    PlatformToken,
    ReconciliationDifference,
    ReconciliationRun,
    TokenBalance,
    TokenTransfer,
)
from qoima.chain.volumes import daily_volumes_refresh
from qoima.custody.models import Wallet
from qoima.custody.selectors import custodial_wallet, organisation_wallet
from qoima.custody.services import wallet_allowlist_set_in_transaction
from qoima.enforcement.services import ActData, BasisData, act_request
from qoima.exchange.services import transfer_request
from qoima.participants.models import HolderProfile, Permit, Role, User
from qoima.participants.services import holder_register, holder_suspend, holder_verify
from tests.factories import (
    PASSWORD,
    OrganisationFactory,
    PermitFactory,
    make_user,
    pdf_upload,
    valid_iins,
)
from tests.issuance.conftest import World, make_world

# Rows added at each step; the pages must read as many queries at 3 * ROWS as at ROWS.
ROWS = 2


def _hash(n: int) -> str:
    return "0x" + f"{n:064x}"


@dataclass
class Platform:
    """A platform that grows by a few of everything a list shows at each ``grow``."""

    world: World
    regulator: User
    admin: User
    superuser: User
    # The holder whose own lists grow: every new asset pays them, and they redeem some.
    holder: HolderProfile
    first_asset: Application | None = None
    run: ReconciliationRun | None = None
    numbers: list[str] = field(default_factory=lambda: valid_iins(200, start=50))
    made: int = 0
    block: int = 0

    def number(self) -> str:
        self.made += 1
        return self.numbers[self.made]

    def grow(self, count: int) -> None:
        for _ in range(count):
            self._organisation()
            holder = self._holder()
            self._applications(holder)
            self._suspended_holder()
            self._reconciliation()
            self._access()
        daily_volumes_refresh()

    def _organisation(self) -> None:
        organisation = OrganisationFactory(identification_number=self.number())
        make_user(Role.ISSUER_STAFF, organisation=organisation)
        PermitFactory(organisation=organisation)
        PermitFactory(organisation=organisation, status=Permit.Status.PENDING, verified_by=None)

    def _holder(self) -> HolderProfile:
        number = self.number()
        holder = holder_register(
            username=f"holder-{number}",
            email=f"{number}@example.kz",
            password=PASSWORD,
            kind=HolderProfile.Kind.INDIVIDUAL,
            full_name=f"Holder {number}",
            identification_number=number,
        )
        return holder_verify(
            officer=self.world.officer_a, holder_id=holder.pk, document_ref=f"KYC-{number}"
        )

    def _access(self) -> None:
        """Another token and session of the holder's, and another address locked out."""
        ApiToken.objects.create(user=self.holder.user, name=f"Tool {self.made}", scope="read")
        Client(REMOTE_ADDR=f"192.0.2.{self.made}").force_login(self.holder.user)
        AccessAttempt.objects.create(
            username=f"guessed-{self.made}",
            ip_address=f"198.51.100.{self.made}",
            user_agent="",
            http_accept="",
            path_info="/accounts/login/",
            get_data="",
            post_data="",
            failures_since_start=settings.AXES_FAILURE_LIMIT,
        )

    def _suspended_holder(self) -> None:
        holder = self._holder()
        holder_suspend(officer=self.world.officer_a, holder_id=holder.pk, reason="Court order")

    def _applications(self, holder: HolderProfile) -> None:
        n = self.made
        self.world.draft(symbol=f"DRF{n}")
        self.world.submitted(symbol=f"SUB{n}")
        issued = self._issued(f"ISS{n}")
        if self.first_asset is None:
            self.first_asset = issued
        own = custodial_wallet(self.holder)
        theirs = custodial_wallet(holder)
        assert own is not None
        assert theirs is not None
        for wallet in (own, theirs):
            TokenBalance.objects.create(
                chain_id=settings.CHAIN_ID,
                token_address=issued.token_address,
                holder=wallet.address,
                amount=1_000,
            )
        services.redemption_request(actor=self.holder.user, application_id=issued.pk, amount="1")
        services.redemption_request(actor=holder.user, application_id=issued.pk, amount="1")
        services.distribution_send(
            actor=self.world.issuer,
            application_id=self.first_asset.pk,
            receiver=holder.identification_number,
            amount="1",
            idempotency_key=f"grow-{n}",
        )
        transfer_request(
            actor=holder.user,
            token_address=issued.token_address,
            receiver_number=self.holder.identification_number,
            amount="1",
            idempotency_key=f"grow-{n}",
        )
        self._movements(issued, theirs, own)
        self._acts(issued, holder)

    def _acts(self, issued: Application, holder: HolderProfile) -> None:
        """A freeze of the holder's units, a forced transfer waiting for a second officer and
        an asset's pause, each on its own court order."""
        for kind, named in (
            ("freeze_units", {"subject": self.holder.identification_number, "amount": "1"}),
            (
                "forced_transfer",
                {
                    "subject": holder.identification_number,
                    "amount": "1",
                    "receiver": self.holder.identification_number,
                },
            ),
            ("pause_asset", {}),
        ):
            act_request(
                officer=self.world.officer_a,
                data=ActData(
                    kind=kind, reason="Court order", token_address=issued.token_address, **named
                ),
                basis=BasisData(
                    kind="court_decision",
                    number=f"2-{self.made}/2026",
                    issued_on=datetime.date(2026, 12, 1),
                    authority="Court",
                    document=pdf_upload("order.pdf", f"{kind}{self.made}".encode()),
                ),
            )

    def _issued(self, symbol: str) -> Application:
        application = self.world.approved(symbol=symbol)
        services.application_confirm(officer=self.world.officer_b, application_id=application.pk)
        token = Web3.to_checksum_address(f"0x{self.made:040x}")
        Application.objects.filter(pk=application.pk).update(
            status=Application.Status.ISSUED, token_address=token
        )
        PlatformToken.objects.create(
            chain_id=settings.CHAIN_ID,
            address=token,
            asset_id=_hash(self.made),
            block_number=1,
            name=application.name,
            symbol=symbol,
            decimals=application.decimals,
        )
        wallet = organisation_wallet(application.organisation)
        assert wallet is not None
        balance, _ = TokenBalance.objects.get_or_create(
            chain_id=settings.CHAIN_ID,
            token_address=token,
            holder=wallet.address,
            defaults={"amount": 0},
        )
        TokenBalance.objects.filter(pk=balance.pk).update(amount=10_000_000)
        application.refresh_from_db()
        return application

    def _movements(self, application: Application, sender: Wallet, receiver: Wallet) -> None:
        """Transfers as the indexer stores them, on days that differ."""
        for source, target in ((sender, receiver), (receiver, sender)):
            self.block += 1
            moment = timezone.now() - datetime.timedelta(days=self.block)
            EventBlock.objects.create(
                chain_id=settings.CHAIN_ID,
                number=self.block,
                block_hash=_hash(self.block),
                timestamp=moment,
            )
            TokenTransfer.objects.create(
                chain_id=settings.CHAIN_ID,
                token_address=application.token_address,
                block_number=self.block,
                block_hash=_hash(self.block),
                log_index=0,
                tx_hash=_hash(100_000 + self.block),
                sender=source.address,
                receiver=target.address,
                amount=1,
                ref=self.block,
                applied=True,
            )
        IndexerCursor.objects.update_or_create(
            chain_id=settings.CHAIN_ID,
            defaults={"block_number": self.block, "applied_block": self.block},
        )

    def _reconciliation(self) -> None:
        run = ReconciliationRun.objects.create(chain_id=settings.CHAIN_ID, block_number=1)
        self.run = self.run or run
        for each in (run, self.run):
            ReconciliationDifference.objects.create(
                run=each,
                kind=ReconciliationDifference.Kind.BALANCE,
                token_address=Web3.to_checksum_address(f"0x{self.made:040x}"),
                subject=f"0x{self.made:040x}",
                database_value="2",
                chain_value="1",
            )


@pytest.fixture
def platform(db: None) -> Platform:
    world = make_world(holder_count=1)
    with transaction.atomic():
        for holder in world.holders:
            wallet = custodial_wallet(holder)
            assert wallet is not None
            wallet_allowlist_set_in_transaction(
                wallet=wallet, allowed=True, event="verified", actor=world.officer_a
            )
    admin = make_user(Role.PLATFORM_ADMIN, is_staff=True)
    superuser = make_user(Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)
    return Platform(world, make_user(Role.REGULATOR), admin, superuser, world.holders[0])


Page = tuple[str, Callable[[Platform], str]]


def fixed(name: str) -> Callable[[Platform], str]:
    return lambda _platform: reverse(name)


def _asset(platform: Platform) -> int:
    assert platform.first_asset is not None
    return platform.first_asset.pk


def _run(platform: Platform) -> int:
    assert platform.run is not None
    return platform.run.pk


LISTS: dict[str, list[Page]] = {
    "issuer": [
        ("issuance-list", fixed("issuance-list")),
        ("api-applications", fixed("api-applications")),
        ("dashboard-issuer", fixed("dashboard-issuer")),
        ("issuance-detail", lambda p: reverse("issuance-detail", args=[_asset(p)])),
    ],
    "officer": [
        ("issuance-review", fixed("issuance-review")),
        ("api-applications", fixed("api-applications")),
        ("dashboard-compliance", fixed("dashboard-compliance")),
        ("enforcement-acts", fixed("enforcement-acts")),
    ],
    "holder": [
        ("issuance-assets", fixed("issuance-assets")),
        ("holder-transfers", fixed("holder-transfers")),
        ("holder-transfers-list", fixed("holder-transfers-list")),
        ("api-transfers", fixed("api-transfers")),
        ("api-wallet", fixed("api-wallet")),
        ("api-wallet-history", fixed("api-wallet-history")),
        ("api-markets", fixed("api-markets")),
        ("dashboard-holder", fixed("dashboard-holder")),
        ("api-token", fixed("api-token")),
        ("account-security", fixed("account-security")),
    ],
    "regulator": [
        (name, fixed(name))
        for name in (
            "registry-home",
            "registry-issuers",
            "registry-permits",
            "registry-assets",
            "registry-documents",
            "registry-transfers",
            "registry-holders",
            "registry-compliance",
            "registry-reconciliation",
            "registry-audit",
            "registry-daily",
            "registry-monitoring",
            "registry-exchange-orders",
            "registry-exchange-trades",
            "registry-exchange-journal",
            "registry-exchange-daily",
            "api-registry-issuers",
            "api-registry-permits",
            "api-registry-assets",
            "api-registry-documents",
            "api-registry-transfers",
            "api-registry-holders",
            "api-registry-compliance",
            "api-registry-compliance-operations",
            "api-registry-compliance-acts",
            "api-registry-reconciliation",
            "api-registry-audit",
            "api-registry-daily",
        )
    ]
    + [
        (
            "registry-issuer",
            lambda p: reverse("registry-issuer", args=[p.world.permit.organisation_id]),
        ),
        ("registry-asset", lambda p: reverse("registry-asset", args=[_asset(p)])),
        ("registry-cap-table", lambda p: reverse("registry-cap-table", args=[_asset(p)])),
        ("api-registry-cap-table", lambda p: reverse("api-registry-cap-table", args=[_asset(p)])),
        (
            "registry-reconciliation-run",
            lambda p: reverse("registry-reconciliation-run", args=[_run(p)]),
        ),
        (
            "api-registry-reconciliation-differences",
            lambda p: reverse("api-registry-reconciliation-differences", args=[_run(p)]),
        ),
    ],
    "admin": [
        (name, fixed(name))
        for name in (
            "admin:participants_user_changelist",
            "admin:participants_organisation_changelist",
            "admin:participants_permit_changelist",
            "admin:participants_holderprofile_changelist",
            "admin:audit_auditentry_changelist",
            "dashboard-admin",
            "account-lockouts",
        )
    ],
    # A superuser sees every admin screen, the chain's and issuance's records too.
    "superuser": [
        (name, fixed(name))
        for name in sorted(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
            for model in admin.site._registry
        )
    ],
}


def _user(platform: Platform, role: str) -> User:
    return {
        "issuer": platform.world.issuer,
        "officer": platform.world.officer_a,
        "holder": platform.holder.user,
        "regulator": platform.regulator,
        "admin": platform.admin,
        "superuser": platform.superuser,
    }[role]


def _counts(platform: Platform, role: str) -> dict[str, int]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(_user(platform, role))
    counts = {}
    for name, url in LISTS[role]:
        address = url(platform)
        client.get(address)  # caches warmed by a first reading are not the rows' cost
        with CaptureQueriesContext(connection) as captured:
            response = client.get(address)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(captured.captured_queries)
    return counts


@pytest.mark.parametrize("role", list(LISTS))
def test_a_list_reads_as_many_queries_for_three_times_the_rows(platform, role):
    platform.grow(ROWS)
    few = _counts(platform, role)
    platform.grow(2 * ROWS)
    many = _counts(platform, role)
    grown = {name: (few[name], many[name]) for name in few if many[name] != few[name]}
    assert not grown, f"queries at {ROWS} and {3 * ROWS} rows: {grown}"
