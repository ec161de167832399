"""What a regulator reads of amounts beyond 15 significant digits or 2**63 is exactly what the
chain counts: transfers, cap tables now and at a past block, daily volumes and their totals,
an asset's backed units. On whichever database the suite runs on."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from issuance.models import Application
from qoima.chain.contracts import ZERO_ADDRESS
from qoima.chain.ledger import movements_apply
from qoima.chain.models import EventBlock, IndexerCursor, TokenBalance, TokenTransfer
from qoima.chain.volumes import daily_volumes_refresh
from qoima.custody.selectors import custodial_wallet, organisation_wallet
from tests.issuance.conftest import issued_without_chain, make_world

pytestmark = pytest.mark.django_db

MINTED = (2**200 + 1, 2**200 + 3)
# 1234.567890123456789 of an 18-decimal token.
TO_A = 1_234_567_890_123_456_789_000
TO_B = 2**64 + 7
BURNED = 10**15 + 1


def en(units: int, decimals: int = 18) -> str:
    """Units as an English page writes them, worked out without the platform's formatter."""
    whole, fraction = divmod(units, 10**decimals)
    return f"{whole:,}.{fraction:0{decimals}d}"


@pytest.fixture
def wide(db):
    """An 18-decimal asset with two mints above 2**200, transfers and a burn, one block each,
    yesterday, applied to balances by the indexer's own statements."""
    world = make_world(holder_count=2)
    application = issued_without_chain(world, units=0)
    Application.objects.filter(pk=application.pk).update(
        decimals=18, backed_units=2**256 - 1, mint_units=2**255
    )
    application.refresh_from_db()
    token = application.token_address
    TokenBalance.objects.filter(token_address=token).delete()
    issuer = organisation_wallet(application.organisation).address
    a, b = (custodial_wallet(holder).address for holder in world.holders)
    moves = [
        (ZERO_ADDRESS, issuer, MINTED[0]),
        (ZERO_ADDRESS, issuer, MINTED[1]),
        (issuer, a, TO_A),
        (issuer, b, TO_B),
        (a, ZERO_ADDRESS, BURNED),
    ]
    noon = datetime.datetime.combine(
        timezone.localdate() - datetime.timedelta(days=1),
        datetime.time(12),
        tzinfo=timezone.get_default_timezone(),
    )
    transfers = []
    for n, (sender, receiver, amount) in enumerate(moves, start=1):
        block_hash = "0x" + f"{n:064x}"
        EventBlock.objects.create(
            chain_id=settings.CHAIN_ID, number=n, block_hash=block_hash, timestamp=noon
        )
        transfers.append(
            TokenTransfer.objects.create(
                chain_id=settings.CHAIN_ID,
                token_address=token,
                block_number=n,
                block_hash=block_hash,
                log_index=0,
                tx_hash="0x" + f"{10_000 + n:064x}",
                sender=sender,
                receiver=receiver,
                amount=amount,
                ref=10**15 + n,
                applied=True,
            )
        )
        movements_apply(
            chain_id=settings.CHAIN_ID, movements=[(token, sender, receiver, amount, None)], sign=1
        )
    IndexerCursor.objects.create(chain_id=settings.CHAIN_ID, block_number=5, applied_block=5)
    daily_volumes_refresh()
    return application, transfers, issuer, a, b


def test_a_transfer_reads_as_it_was_made(wide, regulator_client):
    application, transfers, *_ = wide
    page = regulator_client.get(reverse("registry-transfer", args=[transfers[2].pk]))
    # The amount with its asset's symbol, kept on one line.
    assert f"{en(TO_A)}\xa0{application.symbol}" in page.content.decode()
    assert "1,234.567890123456789000" in page.content.decode()
    detail = regulator_client.get(reverse("api-registry-transfer", args=[transfers[2].pk])).json()
    assert detail["units"] == str(TO_A)
    # References 10**15 + 1 and 10**15 + 2 are two transfers, not one.
    found = regulator_client.get(reverse("api-registry-transfers")).json()["results"]
    assert sorted(row["units"] for row in found) == sorted(
        str(v) for v in (*MINTED, TO_A, TO_B, BURNED)
    )


def test_an_assets_backed_units_read_as_written(wide, regulator_client):
    application, *_ = wide
    asset = regulator_client.get(reverse("api-registry-asset", args=[application.pk])).json()
    assert asset["backed_units"] == str(2**256 - 1)


def test_cap_tables_sum_exactly_now_and_at_past_blocks(wide, regulator_client):
    application, _transfers, issuer, a, b = wide
    minted = sum(MINTED)
    url = reverse("api-registry-cap-table", args=[application.pk])

    def table(**query):
        body = regulator_client.get(url, query).json()
        return body["total_units"], {row["address"]: row["units"] for row in body["results"]}

    assert table() == (
        str(minted - BURNED),
        {issuer: str(minted - TO_A - TO_B), a: str(TO_A - BURNED), b: str(TO_B)},
    )
    # Worked forward from the first transfer, and backward from today's balances.
    assert table(block=2) == (str(minted), {issuer: str(minted)})
    assert table(block=4) == (
        str(minted),
        {issuer: str(minted - TO_A - TO_B), a: str(TO_A), b: str(TO_B)},
    )
    page = regulator_client.get(reverse("registry-cap-table", args=[application.pk]))
    assert en(minted - TO_A - TO_B) in page.content.decode()


def test_daily_volumes_and_their_totals_sum_exactly(wide, regulator_client):
    day = timezone.localdate() - datetime.timedelta(days=1)
    period = {"date_from": day.isoformat(), "date_to": day.isoformat()}
    volumes = regulator_client.get(reverse("api-registry-daily"), period).json()["results"]
    assert [(v["minted"], v["burned"], v["transferred"], v["transfers"]) for v in volumes] == [
        (str(sum(MINTED)), str(BURNED), str(TO_A + TO_B), 2)
    ]
    page = regulator_client.get(reverse("registry-daily"), period).content.decode()
    assert en(sum(MINTED)) in page
    assert en(TO_A + TO_B) in page
