"""The session's anvil, isolation per test (evm_snapshot/evm_revert) and the node health record."""

import pytest
from web3 import Web3

from qoima.chain.client import ChainUnavailable, chain_head, web3_for
from qoima.chain.models import NodeHealth
from qoima.chain.services import node_health_record

START_BALANCE = Web3.to_wei(10_000, "ether")


def _send_one_ether(w3):
    sender, receiver = w3.eth.accounts[0], w3.eth.accounts[1]
    tx = w3.eth.send_transaction({"from": sender, "to": receiver, "value": Web3.to_wei(1, "ether")})
    w3.eth.wait_for_transaction_receipt(tx)
    return receiver


# Two tests that each start from anvil's initial balances: whichever runs second would see the
# other's transfer if evm_revert did not undo it.
@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_starts_from_the_same_chain_state(chain, attempt):
    receiver = chain.eth.accounts[1]
    assert chain.eth.get_balance(receiver) == START_BALANCE
    assert chain.eth.block_number == 0
    _send_one_ether(chain)
    assert chain.eth.get_balance(receiver) == START_BALANCE + Web3.to_wei(1, "ether")


@pytest.mark.django_db
def test_node_health_records_the_chain_head(chain):
    _send_one_ether(chain)
    health = node_health_record()
    assert health.chain_id == 31337
    assert health.block_number == chain.eth.block_number == 1
    assert health.block_hash == Web3.to_hex(chain.eth.get_block("latest")["hash"])
    node_health_record()
    assert NodeHealth.objects.count() == 1


def test_unreachable_node_is_reported():
    from qoima.chain.anvil import free_port

    w3 = web3_for(f"http://127.0.0.1:{free_port()}", 1.0)
    with pytest.raises(ChainUnavailable):
        chain_head(w3)


@pytest.mark.django_db
def test_health_endpoint_reports_database_and_chain(chain, client):
    body = client.get("/healthz").json()
    assert body["ok"] is True
    assert body["database"] == "ok"
    assert body["chain"] == {"chain_id": 31337, "block": chain.eth.block_number}


@pytest.mark.django_db
def test_health_endpoint_says_when_the_chain_is_down(client, settings):
    from qoima.chain.anvil import free_port

    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"
    body = client.get("/healthz").json()
    assert body["chain"] == "unavailable"
