"""The registry says amounts in the asset's units, in the regulator's language on the pages and
exactly, with a point, beside the token's smallest units in the API."""

import pytest
from django.urls import reverse

from qoima.chain.volumes import daily_volumes_refresh

from .conftest import client_for, issued_on_chain

NBSP = "\xa0"


@pytest.fixture(autouse=True)
def _committed(committed_db):
    """The chain work settles in its own transactions."""


@pytest.mark.parametrize(
    ("language", "cap", "holding"),
    [("en", "100,000.00", "12.50"), ("ru", f"100{NBSP}000,00", "12,50")],
)
def test_the_token_read_live_gives_cap_and_supply_in_the_assets_units(
    chain, regulator, language, cap, holding
):
    _world, application = issued_on_chain(chain)  # 100,000.00 backed and minted
    client = client_for(regulator, language)
    onchain = client.get(reverse("registry-asset-onchain", args=[application.pk]))
    # The cap and the total supply, under labels in the reader's language.
    amounts = [f for f in onchain.context["comparison"].facts if f.decimals is not None]
    assert len(amounts) == 2
    for fact in amounts:
        assert fact.matches
        assert (fact.database_text, fact.chain_text) == (cap, cap)
    content = onchain.content.decode()
    assert content.count(f"<code>{cap}</code>") == 4
    assert "10000000" not in content
    page = client.get(reverse("registry-asset", args=[application.pk])).content.decode()
    assert cap in page
    assert "10000000" not in page
    holders = client.get(reverse("registry-cap-table", args=[application.pk])).content.decode()
    assert holding in holders


def test_the_api_gives_each_amount_exactly_in_the_assets_units_beside_its_units(chain, regulator):
    _world, application = issued_on_chain(chain)
    client = client_for(regulator)
    detail = client.get(reverse("api-registry-asset", args=[application.pk])).json()
    assert (detail["backed_units"], detail["backed_amount"]) == ("10000000", "100000.00")
    assert (detail["ledger_supply"], detail["ledger_supply_amount"]) == ("10000000", "100000.00")
    facts = {f["label"]: f for f in detail["onchain"]["facts"]}
    assert facts["Cap (backed units)"]["database"] == "100000.00"
    assert facts["Total supply"]["chain"] == "100000.00"
    table = client.get(reverse("api-registry-cap-table", args=[application.pk])).json()
    assert table["total_amount"] == "100000.00"
    assert {(row["units"], row["amount"]) for row in table["results"]} >= {("1250", "12.50")}
    transfers = client.get(reverse("api-registry-transfers")).json()["results"]
    assert {(t["units"], t["amount"]) for t in transfers} == {
        ("10000000", "100000.00"),
        ("1250", "12.50"),
    }
    daily_volumes_refresh()
    (volume,) = client.get(reverse("api-registry-daily")).json()["results"]
    assert (volume["minted"], volume["minted_amount"]) == ("10000000", "100000.00")
    assert (volume["transferred"], volume["transferred_amount"]) == ("3750", "37.50")
    assert volume["burned_amount"] == "0.00"
