"""The transfer API end to end: a real worker, the real broker and database, anvil."""

from django.urls import reverse
from rest_framework.test import APIClient

from qoima.chain.deployment import platform_keys, platform_registry_ensure
from qoima.chain.direct import PlatformRegistry
from qoima.chain.indexer import index_until_head
from qoima.chain.models import Operation, TokenBalance, TokenTransfer
from qoima.chain.tasks import chain_confirm, chain_index, chain_sweep
from qoima.exchange.models import Transfer
from tests.brokers import publishing_to
from tests.exchange.conftest import verified_holder
from tests.factories import make_user
from tests.onchain import issued_token

MINTED = 100_000


def settled(kind):
    # As beat would: follow receipts every time the test looks.
    chain_confirm.delay()
    return not Operation.objects.filter(kind=kind).exclude(state=Operation.State.CONFIRMED).exists()


def test_the_same_api_request_twice_moves_the_units_once(worker_factory, chain):
    deployment, _ = platform_registry_ensure(chain)
    registry = PlatformRegistry(chain, deployment.registry_address)
    worker = worker_factory.start()
    officer = make_user("compliance_officer")
    alice = verified_holder("alice", "791028302728", "individual", officer)
    bank = verified_holder("bank", "950341000052", "legal_entity", officer)
    # Their verification put both wallets on the allowlist, through the worker.
    worker.wait_for(lambda: settled("allowlist"))
    assert registry.is_allowlisted(alice.wallet.address)
    assert registry.is_allowlisted(bank.wallet.address)

    issued = issued_token(chain)
    issued.token.record_transfer(
        platform_keys()[1], issued.issuer, alice.wallet.address, MINTED, 10**15 + 7
    )
    index_until_head(w3=chain)

    client = APIClient()
    client.force_authenticate(alice.user)
    body = {"asset": issued.token.address, "to": "950341000052", "amount": "250"}
    answers = [
        client.post(reverse("api-transfers"), body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 200]
    assert answers[0].json()["id"] == answers[1].json()["id"]

    worker.wait_for(lambda: settled("transfer"))
    transfer = Transfer.objects.get()
    assert transfer.operation.state == Operation.State.CONFIRMED
    assert issued.token.is_ref_used(transfer.operation.pk)
    assert issued.token.balance_of(bank.wallet.address) == 250
    assert issued.token.balance_of(alice.wallet.address) == MINTED - 250

    chain_index.delay()
    worker.wait_for(
        lambda: (
            TokenTransfer.objects.filter(ref=transfer.operation.pk).count() == 1
            and TokenBalance.objects.filter(holder=bank.wallet.address, amount=250).exists()
        )
    )
    shown = client.get(reverse("api-transfer", args=[transfer.pk])).json()
    assert shown["state"] == "confirmed"
    assert shown["tx_hash"].startswith("0x")
    assert shown["block_number"] > 0
    mine = TokenBalance.objects.get(holder=alice.wallet.address)
    assert (int(mine.amount), int(mine.reserved)) == (MINTED - 250, 0)


def test_a_transfer_asked_for_while_the_broker_is_down_is_taken_and_confirmed_once(
    worker_factory, own_redis, chain
):
    platform_registry_ensure(chain)
    broker = {"CELERY_BROKER_URL": own_redis.url, "REDIS_URL": own_redis.url}
    with publishing_to(own_redis.url):
        worker = worker_factory.start(**broker)
        officer = make_user("compliance_officer")
        alice = verified_holder("alice", "791028302728", "individual", officer)
        bank = verified_holder("bank", "950341000052", "legal_entity", officer)
        worker.wait_for(lambda: settled("allowlist"))
        issued = issued_token(chain)
        issued.token.record_transfer(
            platform_keys()[1], issued.issuer, alice.wallet.address, MINTED, 10**15 + 7
        )
        index_until_head(w3=chain)
        worker.stop()
        own_redis.stop()

        client = APIClient()
        client.force_authenticate(alice.user)
        body = {"asset": issued.token.address, "to": "950341000052", "amount": "250"}
        answer = client.post(
            reverse("api-transfers"), body, format="json", HTTP_IDEMPOTENCY_KEY="broker-down"
        )
        # Taken: the client must not ask again with another key, which would move it twice.
        assert answer.status_code == 201, answer.content
        assert answer.json()["state"] == "pending"

        own_redis.start()
        later = worker_factory.start(**broker)
        # Nothing told the new worker about the transfer: the sweep (beat's, here the test's)
        # finds it in the database.
        later.wait_for(lambda: (chain_sweep.delay(), settled("transfer"))[1])

    transfer = Transfer.objects.get()
    assert transfer.pk == answer.json()["id"]
    assert transfer.operation.state == Operation.State.CONFIRMED
    assert issued.token.is_ref_used(transfer.operation.pk)
    assert issued.token.balance_of(bank.wallet.address) == 250
    assert issued.token.balance_of(alice.wallet.address) == MINTED - 250
