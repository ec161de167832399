"""Searching transfers and reading cap tables: every filter, the paging, and bad input."""

import datetime
from collections import defaultdict

import pytest
from django.urls import reverse

from qoima.chain.contracts import ZERO_ADDRESS
from registry import transfers as search
from registry.holdings import balances_at, cap_table
from registry.transfers import TransferFilters, transfers_all, transfers_page

pytestmark = pytest.mark.django_db


def ids(items):
    return [t.pk for t in items]


def newest_first(transfers, keep=lambda t: True):
    return [t.pk for t in reversed(transfers) if keep(t)]


def search_page(client, **params):
    response = client.get(reverse("registry-transfers"), params)
    assert response.status_code == 200, response.content.decode()[:500]
    return response


def shown_ids(response):
    return [row["transfer"].pk for row in response.context["rows"]]


def test_by_a_holders_iin_finds_every_transfer_to_them(ledger, regulator_client):
    holder, wallet = ledger.holders[0], ledger.wallets[0]
    response = search_page(regulator_client, party=holder.identification_number)
    expected = newest_first(ledger.transfers, lambda t: wallet in (t.sender, t.receiver))
    assert len(expected) == 4
    assert shown_ids(response) == expected
    assert holder.full_name in response.context["party_described"]
    page = response.content.decode()
    assert holder.identification_number in page


def test_by_the_issuers_bin_finds_the_mint_and_every_distribution(ledger, regulator_client):
    organisation = ledger.application.organisation
    response = search_page(regulator_client, party=organisation.identification_number)
    assert shown_ids(response) == newest_first(ledger.transfers)


def test_by_part_of_a_name_and_by_address(ledger, regulator_client):
    holder, wallet = ledger.holders[1], ledger.wallets[1]
    expected = newest_first(ledger.transfers, lambda t: wallet in (t.sender, t.receiver))
    by_name = search_page(regulator_client, party=holder.full_name[2:].upper())
    assert shown_ids(by_name) == expected
    by_address = search_page(regulator_client, party=wallet.lower())
    assert shown_ids(by_address) == expected


def test_a_party_nobody_is_finds_nothing(ledger, regulator_client):
    response = search_page(regulator_client, party="000000000000")
    assert shown_ids(response) == []
    assert "No transfer matches." in response.content.decode()


def test_by_asset_and_date_range(ledger, regulator_client):
    days = sorted(set(ledger.days.values()))
    since, until = days[1], days[2]
    response = search_page(
        regulator_client,
        asset=ledger.application.pk,
        date_from=since.isoformat(),
        date_to=until.isoformat(),
    )
    expected = newest_first(
        ledger.transfers, lambda t: since <= ledger.days[t.block_number] <= until
    )
    assert expected
    assert shown_ids(response) == expected


def test_a_date_range_with_no_block_finds_nothing(ledger, regulator_client):
    future = datetime.date.today() + datetime.timedelta(days=30)
    response = search_page(regulator_client, date_from=future.isoformat())
    assert shown_ids(response) == []


def test_by_amount_in_the_assets_units_and_by_reference(ledger, regulator_client):
    # The asset has two decimals: 2.00 to 3.00 is 200 to 300 units.
    response = search_page(
        regulator_client, asset=ledger.application.pk, min_amount="2", max_amount="3.00"
    )
    expected = newest_first(ledger.transfers, lambda t: 200 <= t.amount <= 300)
    assert len(expected) == 6
    assert shown_ids(response) == expected
    chosen = ledger.transfers[5]
    by_ref = search_page(regulator_client, reference=int(chosen.ref))
    assert shown_ids(by_ref) == [chosen.pk]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_amount": "5"}, "Choose the asset the amount is in."),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "The end date is before"),
        ({"asset": "999999"}, "Select a valid choice"),
        ({"before": "abc"}, "Enter a whole number"),
        ({"reference": "-1"}, "greater than or equal to 0"),
        ({"party": "x" * 101}, "at most 100 characters"),
        ({"date_from": "yesterday"}, "Enter a valid date"),
        ({"export": "exe"}, "Choose an export format"),
    ],
)
def test_bad_search_input_is_a_400_with_the_reason(ledger, regulator_client, params, message):
    response = regulator_client.get(reverse("registry-transfers"), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_an_amount_with_more_decimals_than_the_asset_is_refused(ledger, regulator_client):
    response = regulator_client.get(
        reverse("registry-transfers"), {"asset": ledger.application.pk, "min_amount": "1.001"}
    )
    assert response.status_code == 400
    assert "2 decimal places" in response.content.decode()


@pytest.mark.parametrize("merged", [True, False])
def test_pages_follow_each_other_without_gaps_or_repeats(ledger, monkeypatch, merged):
    if not merged:
        # The single-query form that SQLite and long address lists take.
        monkeypatch.setattr(search, "MERGED_ADDRESSES", 0)
    filters = TransferFilters(addresses=[ledger.issuer_wallet, ledger.wallets[0]])
    seen, before = [], None
    while True:
        page = transfers_page(filters, before=before, limit=4)
        seen += ids(page.items)
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == newest_first(ledger.transfers)
    assert ids(transfers_all(filters)) == seen


def test_the_older_link_opens_the_next_page(ledger, regulator_client, monkeypatch):
    monkeypatch.setattr("registry.views.transfers.PAGE", 5)
    first = search_page(regulator_client)
    assert shown_ids(first) == newest_first(ledger.transfers)[:5]
    after = first.context["page"].next_before
    second = search_page(regulator_client, before=after)
    assert shown_ids(second) == newest_first(ledger.transfers)[5:10]


# ------------------------------------------------------------------------------ cap tables


def brute_force(transfers, block):
    balances = defaultdict(int)
    for t in transfers:
        if t.block_number <= block:
            balances[t.receiver] += int(t.amount)
            balances[t.sender] -= int(t.amount)
    return {a: u for a, u in balances.items() if u > 0 and a != ZERO_ADDRESS}


def test_the_cap_table_now_lists_holders_largest_first(ledger):
    table = cap_table(ledger.application.token_address)
    expected = brute_force(ledger.transfers, 10**9)
    assert table.holders == len(expected) == 4
    assert table.total_units == 1_000_000
    assert [row.units for row in table.rows] == sorted(expected.values(), reverse=True)
    assert table.rows[0].address == ledger.issuer_wallet


def test_the_cap_table_as_of_every_block_matches_the_transfers(ledger):
    """Early blocks are summed forward, late ones undone from today's balances: both agree
    with a count done by hand at every block."""
    token = ledger.application.token_address
    for block in range(1, len(ledger.transfers) + 1):
        table = cap_table(token, block=block, limit=100)
        expected = brute_force(ledger.transfers, block)
        assert {row.address: row.units for row in table.rows} == expected, block
        assert table.block == block
        held = balances_at(31337, token, block, len(ledger.transfers))
        assert {a: u for a, u in held.items() if u > 0 and a != ZERO_ADDRESS} == expected


def test_the_cap_table_page_as_of_a_date_and_its_export(ledger, regulator_client):
    day = ledger.days[7]
    url = reverse("registry-cap-table", args=[ledger.application.pk])
    response = regulator_client.get(url, {"date": day.isoformat()})
    assert response.status_code == 200
    last_block = max(n for n, d in ledger.days.items() if d <= day)
    assert response.context["table"].block == last_block
    expected = brute_force(ledger.transfers, last_block)
    assert response.context["table"].holders == len(expected)
    exported = regulator_client.get(url, {"date": day.isoformat(), "export": "csv"})
    lines = b"".join(exported.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "address,holder,bin_iin,units,amount"
    assert len(lines) == 1 + len(expected)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"block": "-1"}, "greater than or equal to 0"),
        ({"block": "1", "date": "2026-01-01"}, "not both"),
        ({"date": "1990-01-01"}, "No movement of any asset was recorded by that date."),
        ({"page": "0"}, "greater than or equal to 1"),
    ],
)
def test_bad_cap_table_input_is_a_400(ledger, regulator_client, params, message):
    url = reverse("registry-cap-table", args=[ledger.application.pk])
    response = regulator_client.get(url, params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_api_searches_with_the_same_filters_and_pages_on(ledger, regulator_client):
    holder = ledger.holders[2]
    url = reverse("api-registry-transfers")
    body = regulator_client.get(url, {"party": holder.identification_number}).json()
    wallet = ledger.wallets[2]
    assert [t["id"] for t in body["results"]] == newest_first(
        ledger.transfers, lambda t: wallet in (t.sender, t.receiver)
    )
    assert body["results"][0]["receiver"]["identification_number"] == (holder.identification_number)
    assert body["next"] is None
    refused = regulator_client.get(url, {"min_amount": "1"})
    assert refused.status_code == 400
    assert refused.json()["field"] == "min_amount"
    table = regulator_client.get(
        reverse("api-registry-cap-table", args=[ledger.application.pk]), {"block": 1}
    ).json()
    assert table["holders"] == 1
    assert table["results"][0]["address"] == ledger.issuer_wallet
