"""The indexer: every movement of a platform token in the database, through reorgs."""

from dataclasses import replace

import eth_abi
import pytest

from qoima.chain.deployment import platform_keys, platform_registry_ensure
from qoima.chain.direct import PlatformRegistry
from qoima.chain.indexer import index_step, index_until_head, reader
from qoima.chain.indexer.decoding import uint256_array
from qoima.chain.models import IndexedBlock, PlatformToken, TokenBalance, TokenTransfer

from .conftest import ASSET, DOCUMENTS, anvil_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform(chain):
    deployment, _ = platform_registry_ensure(chain)
    registry = PlatformRegistry(chain, deployment.registry_address)
    _admin, operator, compliance = platform_keys()
    issuer, holder_a, holder_b = anvil_account(3), anvil_account(4), anvil_account(5)
    registry.set_allowlisted_batch(
        compliance, [issuer.address, holder_a.address, holder_b.address], True
    )
    token, _ = registry.issue_asset(operator, ASSET, DOCUMENTS)
    token.mint(operator, issuer.address, 1_000, 7)
    return token, operator, issuer, holder_a, holder_b


def db_balance(token, holder):
    row = TokenBalance.objects.filter(token_address=token.address, holder=holder).first()
    return int(row.amount) if row else 0


def assert_db_matches_chain(token, *holders):
    for holder in holders:
        assert db_balance(token, holder) == token.balance_of(holder), holder
    assert sum(int(b.amount) for b in TokenBalance.objects.filter(token_address=token.address)) == (
        token.total_supply()
    )


def test_every_movement_lands_with_its_ref_including_a_holders_own_transfer(platform, chain):
    token, operator, issuer, a, b = platform
    token.record_transfers_from(operator, issuer.address, [a.address, b.address], [10, 20], [8, 9])
    token.record_transfer(operator, issuer.address, b.address, 5, 10)
    # A holder moves tokens from an external wallet: no platform reference.
    token.transfer(a, b.address, 3)
    index_until_head(w3=chain)

    rows = list(TokenTransfer.objects.order_by("block_number", "log_index"))
    assert [(r.sender, r.receiver, int(r.amount), r.ref) for r in rows] == [
        ("0x0000000000000000000000000000000000000000", issuer.address, 1_000, 7),
        (issuer.address, a.address, 10, 8),
        (issuer.address, b.address, 20, 9),
        (issuer.address, b.address, 5, 10),
        (a.address, b.address, 3, None),
    ]
    assert_db_matches_chain(token, issuer.address, a.address, b.address)
    found = PlatformToken.objects.get(address=token.address)
    assert (found.name, found.symbol, found.decimals) == (ASSET.name, ASSET.symbol, ASSET.decimals)


def test_indexing_again_changes_nothing(platform, chain):
    token, operator, issuer, a, _b = platform
    token.record_transfer(operator, issuer.address, a.address, 5, 11)
    index_until_head(w3=chain)
    before = TokenTransfer.objects.count()
    index_until_head(w3=chain)
    index_step(w3=chain)
    assert TokenTransfer.objects.count() == before
    assert db_balance(token, a.address) == 5


def test_balances_wait_for_confirmations(platform, chain, settings):
    token, operator, issuer, a, _b = platform
    settings.CHAIN_CONFIRMATIONS = 3
    token.record_transfer(operator, issuer.address, a.address, 5, 12)
    index_until_head(w3=chain)
    assert TokenTransfer.objects.filter(ref=12).exists()
    assert db_balance(token, a.address) == 0
    chain.provider.make_request("anvil_mine", [2])
    index_until_head(w3=chain)
    assert db_balance(token, a.address) == 5


@pytest.mark.parametrize("depth", [1, 5])
def test_a_reorg_rolls_back_and_reads_again(platform, chain, depth):
    token, operator, issuer, a, b = platform
    for i in range(6):
        token.record_transfer(operator, issuer.address, (a, b)[i % 2].address, 1 + i, 100 + i)
    index_until_head(w3=chain)
    assert TokenTransfer.objects.filter(ref__gte=100).count() == 6
    head = chain.eth.block_number

    # The last `depth` blocks are replaced by empty ones: their transfers never happened.
    chain.provider.make_request("anvil_reorg", [depth, []])
    assert chain.eth.block_number == head
    result = index_until_head(w3=chain)

    assert result.rolled_back_to == head - depth
    surviving = TokenTransfer.objects.filter(ref__gte=100)
    assert surviving.count() == 6 - depth
    assert all(token.is_ref_used(int(t.ref)) for t in surviving)
    assert not any(token.is_ref_used(105 - i) for i in range(depth))
    assert_db_matches_chain(token, issuer.address, a.address, b.address)

    # New blocks after the reorg are read normally; nothing doubles.
    token.record_transfer(operator, issuer.address, a.address, 50, 200)
    index_until_head(w3=chain)
    assert TokenTransfer.objects.filter(ref=200).count() == 1
    assert_db_matches_chain(token, issuer.address, a.address, b.address)


def issue_a_later_token_and_move_both(platform, chain):
    """A second token issued, minted (ref 21) and moved (22) after the first moved; then the
    first moves again (23)."""
    token, operator, issuer, a, b = platform
    registry = PlatformRegistry(chain, token.registry())
    later, _ = registry.issue_asset(
        operator, replace(ASSET, asset_id="KZ-LATER", symbol="LTR"), DOCUMENTS
    )
    later.mint(operator, b.address, 500, 21)
    later.record_transfer(operator, b.address, a.address, 50, 22)
    token.record_transfer(operator, issuer.address, b.address, 5, 23)
    return later


def test_a_backfill_block_by_block_reads_tokens_born_on_the_way(platform, chain):
    token, operator, issuer, a, b = platform
    token.record_transfer(operator, issuer.address, a.address, 10, 20)
    later = issue_a_later_token_and_move_both(platform, chain)

    # One block a step, each step's logs fetched while the one before is stored.
    index_until_head(w3=chain, max_range=1)

    refs = sorted(int(t.ref) for t in TokenTransfer.objects.filter(ref__isnull=False))
    assert refs == [7, 20, 21, 22, 23]
    assert_db_matches_chain(token, issuer.address, a.address, b.address)
    assert_db_matches_chain(later, a.address, b.address)


def test_a_range_read_in_many_calls_reads_tokens_born_between_them(platform, chain, monkeypatch):
    token, operator, issuer, a, b = platform
    token.record_transfers_from(operator, issuer.address, [a.address, b.address], [10, 20], [8, 9])
    later = issue_a_later_token_and_move_both(platform, chain)
    calls = []
    logs = reader._logs

    def counted(w3, addresses, start, end):
        calls.append((start, end))
        return logs(w3, addresses, start, end)

    # One step for the whole chain, read one busy block a call: the later token is born in
    # one call and logs in the calls after it.
    monkeypatch.setattr(reader, "CHUNK_LOGS", 1)
    monkeypatch.setattr(reader, "_logs", counted)
    result = index_until_head(w3=chain)

    assert result.rolled_back_to is None
    assert len(calls) > 5
    assert [int(t.ref) for t in TokenTransfer.objects.order_by("block_number", "log_index")] == [
        7,
        8,
        9,
        21,
        22,
        23,
    ]
    assert_db_matches_chain(token, issuer.address, a.address, b.address)
    assert_db_matches_chain(later, a.address, b.address)


def test_logs_of_a_block_replaced_while_the_range_was_read_are_not_stored(
    platform, chain, monkeypatch
):
    token, operator, issuer, a, _b = platform
    index_until_head(w3=chain)
    before = chain.eth.block_number
    snapshot = chain.provider.make_request("evm_snapshot", [])["result"]
    token.record_transfer(operator, issuer.address, a.address, 5, 30)
    first = chain.eth.get_block("latest")
    hashes = reader._block_hashes
    replaced = []

    def then_replaced(w3, start, end):
        kept = hashes(w3, start, end)
        if not replaced:
            # The same transfer mined again at the same height, in a block of another hash,
            # after the indexer read the block's hash and before it reads the logs.
            chain.provider.make_request("evm_revert", [snapshot])
            chain.provider.make_request("evm_setNextBlockTimestamp", [first["timestamp"] + 60])
            replaced.append(token.record_transfer(operator, issuer.address, a.address, 5, 30))
        return kept

    monkeypatch.setattr(reader, "_block_hashes", then_replaced)
    moved = index_step(w3=chain)

    second = replaced[0]["blockHash"].to_0x_hex()
    assert second != first["hash"].to_0x_hex()
    assert moved.read_to == before
    assert not TokenTransfer.objects.filter(ref=30).exists()
    index_step(w3=chain)
    stored = TokenTransfer.objects.get(ref=30)
    assert stored.block_hash == second
    assert IndexedBlock.objects.get(number=stored.block_number).block_hash == second
    assert_db_matches_chain(token, issuer.address, a.address)


@pytest.mark.parametrize("refs", [[], [0], [1, 2**256 - 1, 7], list(range(10**18, 10**18 + 500))])
def test_batch_refs_are_read_as_the_abi_encodes_them(refs):
    data = "0x" + eth_abi.encode(["uint256[]"], [refs]).hex()
    assert uint256_array(data) == refs
