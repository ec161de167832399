"""What each role reads first on its dashboard: its queues with their counts and the age of
the oldest, an issuer's assets, a holder's portfolio and movements, the platform's health."""

import datetime
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from issuance import services as issuance
from issuance.models import Application, Redemption
from qoima.audit.models import ChainCheck
from qoima.chain.anvil import free_port
from qoima.chain.models import EventBlock, Operation, TokenTransfer, WorkerHeartbeat
from qoima.custody.selectors import custodial_wallet
from qoima.custody.services import wallet_allowlist_set_in_transaction
from qoima.exchange.services import transfer_request
from qoima.participants.models import HolderProfile, Permit, Role
from tests.factories import HolderProfileFactory, PermitFactory, make_user, valid_iins
from tests.issuance.conftest import World, holder_with_units, issued_without_chain, make_world
from tests.pages import visible_text

pytestmark = pytest.mark.django_db


def read(user, name: str) -> tuple[str, str]:
    """The dashboard as its HTML and as the text a person reads (spaces made plain)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    return html, " ".join(visible_text(html).replace("\xa0", " ").split())


class _Element(HTMLParser):
    """The text inside the element that carries one data-testid."""

    VOID = {"input", "br", "img", "meta", "link", "hr"}

    def __init__(self, testid: str) -> None:
        super().__init__(convert_charrefs=True)
        self.testid = testid
        self.depth = 0
        self.found = False
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif not self.found and dict(attrs).get("data-testid") == self.testid:
            self.found = True
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def part(html: str, testid: str) -> str:
    """What a person reads in the element with this data-testid, spaces made plain."""
    parser = _Element(testid)
    parser.feed(html)
    assert parser.found, f"no element with data-testid={testid!r}"
    return " ".join(" ".join(parser.parts).replace("\xa0", " ").split())


def back_date(model, pk: int, **fields: datetime.timedelta) -> None:
    now = timezone.now()
    model.objects.filter(pk=pk).update(**{name: now - ago for name, ago in fields.items()})


def allowlisted(world: World) -> World:
    with transaction.atomic():
        for holder in world.holders:
            wallet = custodial_wallet(holder)
            assert wallet is not None
            wallet_allowlist_set_in_transaction(
                wallet=wallet, allowed=True, event="verified", actor=world.officer_a
            )
    return world


# ------------------------------------------------------------------------------ compliance


def test_compliance_reads_each_queue_with_its_count_and_the_age_of_its_oldest():
    world = make_world(holder_count=0)
    first = world.submitted(symbol="SUBA")
    world.submitted(symbol="SUBB")
    back_date(Application, first.pk, submitted_at=datetime.timedelta(hours=3))
    approved = world.approved(symbol="APPR")
    back_date(Application, approved.pk, approved_at=datetime.timedelta(days=2))
    waiting = HolderProfileFactory(identification_number=valid_iins(1, start=7)[0])
    back_date(HolderProfile, waiting.pk, created_at=datetime.timedelta(hours=5))
    permit = PermitFactory(status=Permit.Status.PENDING, verified_by=None, verified_at=None)
    back_date(Permit, permit.pk, created_at=datetime.timedelta(days=1))

    html, _text = read(world.officer_a, "dashboard-compliance")

    assert part(html, "queue-applications") == (
        "Applications to review 2 oldest waiting 3 hours Open the review queue"
    )
    assert part(html, "queue-confirmations") == (
        "Approvals awaiting a second officer 1 oldest waiting 2 days Confirm or reject them"
    )
    assert part(html, "queue-holders") == (
        "Holders awaiting verification 1 oldest waiting 5 hours Verify them below"
    )
    assert part(html, "queue-permits") == (
        "Permits awaiting verification 1 oldest waiting 1 day Check them below"
    )


def test_an_empty_queue_says_nothing_waits():
    officer = make_user(Role.COMPLIANCE_OFFICER)
    html, _text = read(officer, "dashboard-compliance")
    assert part(html, "queue-applications") == (
        "Applications to review 0 nothing waits Open the review queue"
    )
    assert "No holders yet." in part(html, "no-holders")


def test_suspending_a_holder_and_refusing_a_permit_ask_first():
    officer = make_user(Role.COMPLIANCE_OFFICER)
    holder = HolderProfileFactory(
        verification_status=HolderProfile.Status.VERIFIED,
        verified_by=officer,
        verified_at=timezone.now(),
    )
    permit = PermitFactory(status=Permit.Status.PENDING, verified_by=None, verified_at=None)
    html, _text = read(officer, "dashboard-compliance")
    suspend = html.split(f'data-testid="suspend-{holder.pk}"')[1].split("</form>")[0]
    assert 'class="btn btn-danger btn-sm" data-confirm="Suspend this holder?"' in suspend
    refuse = html.split(f'data-testid="permit-refuse-{permit.pk}"')[1].split("</form>")[0]
    assert 'data-confirm="Refuse this permit?"' in refuse
    assert '<label class="visually-hidden" for="permit-reason-' in refuse


# ------------------------------------------------------------------------------ issuer


def test_the_issuer_reads_its_assets_with_supply_backing_and_holders():
    world = allowlisted(make_world(holder_count=2))
    application = issued_without_chain(world, units=9_000_000)
    holder_with_units(world, application, 250_000)
    world.draft(symbol="DRFT")

    html, _text = read(world.issuer, "dashboard-issuer")

    row = part(html, "asset-WHT3")
    assert row.startswith("WHT3 Wheat, class 3, Kostanay elevator Issued")
    # 90 000 in the issuer's wallet and 2 500 with a holder, of 100 000 backed units.
    assert "92,500.00 WHT3 92.50 % of the backed units 100,000.00 WHT3 1" in row
    assert 'data-testid="applications-draft">1<' in html
    assert part(html, "stat-assets").startswith("Assets 1")


def test_the_issuer_reads_what_awaits_it_oldest_first():
    world = allowlisted(make_world(holder_count=2))
    application = issued_without_chain(world)
    holder = holder_with_units(world, application, 250_000)
    older = issuance.redemption_request(
        actor=holder.user, application_id=application.pk, amount="12.50"
    )
    newer = issuance.redemption_request(
        actor=holder.user, application_id=application.pk, amount="1"
    )
    back_date(Redemption, older.pk, requested_at=datetime.timedelta(hours=4))
    issuance.distribution_send(
        actor=world.issuer,
        application_id=application.pk,
        receiver=world.holders[1].identification_number,
        amount="3",
        idempotency_key="first",
    )

    html, _text = read(world.issuer, "dashboard-issuer")

    assert part(html, "stat-redemptions").startswith(
        "Redemptions awaiting you 2 oldest waiting 4 hours"
    )
    assert part(html, f"waiting-redemption-{older.pk}") == (
        f"{holder.full_name} {holder.identification_number} 12.50 WHT3 4 hours ago"
    )
    # The oldest request is listed first.
    assert html.index(f'"waiting-redemption-{older.pk}"') < html.index(
        f'"waiting-redemption-{newer.pk}"'
    )
    assert part(html, "stat-distributions").startswith("Distributions under way 1 oldest waiting")
    distribution = application.distributions.get()
    assert part(html, f"running-distribution-{distribution.pk}").startswith("WHT3 Sending 0 of 1")


def test_an_issuer_without_assets_is_told_how_to_get_one():
    issuer = make_user(Role.ISSUER_STAFF)
    html, _text = read(issuer, "dashboard-issuer")
    assert "No assets issued yet." in part(html, "no-assets")
    assert "No redemption request awaits you." in part(html, "no-waiting-redemptions")
    assert f'href="{reverse("issuance-new")}"' in html


# ------------------------------------------------------------------------------ holder


def test_the_holder_reads_portfolio_and_movements_with_counterparty_and_symbol():
    world = allowlisted(make_world(holder_count=2))
    application = issued_without_chain(world)
    sender, receiver = world.holders
    holder_with_units(world, application, 250_000)
    transfer_request(
        actor=sender.user,
        token_address=application.token_address,
        receiver_number=receiver.identification_number,
        amount="10",
        idempotency_key="dashboard",
    )
    # Units the indexer logged an hour ago from the issuer's wallet, with no platform request.
    issuer_wallet = application.organisation.wallets.get()
    EventBlock.objects.create(
        chain_id=settings.CHAIN_ID,
        number=7,
        block_hash="0x" + "07" * 32,
        timestamp=timezone.now() - datetime.timedelta(hours=1),
    )
    TokenTransfer.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=application.token_address,
        block_number=7,
        block_hash="0x" + "07" * 32,
        log_index=0,
        tx_hash="0x" + "70" * 32,
        sender=issuer_wallet.address,
        receiver=custodial_wallet(sender).address,
        amount=250_000,
        applied=True,
    )

    html, text = read(sender.user, "dashboard-holder")

    assert part(html, "portfolio-WHT3") == (
        "WHT3 Wheat, class 3, Kostanay elevator 2,490.00 WHT3 10.00 WHT3 2,500.00 WHT3"
    )
    out = part(html, "movement-1")
    assert out.endswith(
        f"Out · Transfer To: {receiver.full_name} ({receiver.identification_number}) "
        "−10.00 WHT3 Pending"
    )
    incoming = part(html, "movement-2")
    assert incoming.endswith(
        f"In · Transfer outside the platform From: {application.organisation.legal_name} "
        f"({application.organisation.identification_number}) +2,500.00 WHT3 Confirmed"
    )
    assert "Verified" in part(html, "verification")
    assert "Times are in Almaty" in text


def test_an_unverified_holder_is_told_the_wallet_opens_on_verification():
    holder = HolderProfileFactory()
    html, _text = read(holder.user, "dashboard-holder")
    assert part(html, "verification-status") == "Unverified"
    assert "Your wallet is opened when compliance staff verify your identity." in part(
        html, "no-wallet"
    )
    assert 'data-testid="wallet-link"' not in html


# ------------------------------------------------------------------------------ administrator


def test_the_administrator_reads_each_health_check_and_the_queues(settings):
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"  # the node is down
    WorkerHeartbeat.objects.create(worker="celery@host", seen_at=timezone.now())
    for n in range(2):
        Operation.objects.create(
            kind=Operation.Kind.TRANSFER,
            chain_id=settings.CHAIN_ID,
            token_address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
            sender="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            receiver="0x90F79bf6EB2c4f870365E785982E1f101E93b906",
            amount=100,
            idempotency_key=f"waiting-{n}",
        )
    ChainCheck.objects.create(ok=True, entries_checked=12)
    admin = make_user(Role.PLATFORM_ADMIN)

    html, _text = read(admin, "dashboard-admin")

    assert part(html, "health-database") == "Database OK Answers."
    assert part(html, "health-node") == "Chain node Failing Does not answer."
    assert part(html, "health-worker_heartbeat").startswith("Workers OK Last heard from")
    assert "check failing" in part(html, "health-summary") or "checks failing" in part(
        html, "health-summary"
    )
    assert part(html, "queue-pending") == "Operations: Pending 2"
    assert part(html, "queue-failed") == "Operations: Failed 0"
    assert "Hash chain intact: 12 entries checked" in part(html, "audit-check")
