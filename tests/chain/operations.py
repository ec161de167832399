"""Rows of the staff operations page, made directly in the database, and the page itself."""

import itertools

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qoima.chain.models import Attempt, ChainTransaction, Operation, SigningKey
from qoima.participants.models import Role
from tests.factories import make_user

KEY = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
HOLDER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"

_sequence = itertools.count(1)


def staff_client(role: Role = Role.PLATFORM_ADMIN) -> Client:
    # The platform's default language is Russian; these tests read the English page.
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(make_user(role))
    return client


def page(client: Client | None = None, headers: dict[str, str] | None = None):
    return (client or staff_client()).get(reverse("operations"), headers=headers)


def nonce_for(address: str) -> int:
    key, _ = SigningKey.objects.get_or_create(chain_id=settings.CHAIN_ID, address=address)
    nonce = key.next_nonce
    key.next_nonce += 1
    key.save(update_fields=["next_nonce"])
    return nonce


def chain_tx(state: str, *, address: str = KEY, **fields) -> ChainTransaction:
    started = state not in (ChainTransaction.State.UNSTARTED, ChainTransaction.State.FATAL)
    return ChainTransaction.objects.create(
        chain_id=settings.CHAIN_ID,
        from_address=address,
        to_address=TOKEN,
        data="0x",
        function="recordTransfers",
        nonce=nonce_for(address) if started else None,
        state=state,
        **fields,
    )


def attempt(tx: ChainTransaction, *, block: int | None, tx_hash: str | None = None) -> Attempt:
    return Attempt.objects.create(
        transaction=tx,
        chain_id=settings.CHAIN_ID,
        tx_hash=tx_hash or f"0x{next(_sequence):064x}",
        raw=b"\x02",
        max_fee_per_gas=2_000_000_000,
        max_priority_fee_per_gas=1_000_000_000,
        broadcast_at=timezone.now() if block is not None else None,
        broadcast_block=block,
    )


def operation(state: str, *, transaction: ChainTransaction | None = None, **fields) -> Operation:
    return Operation.objects.create(
        kind=Operation.Kind.TRANSFER,
        chain_id=settings.CHAIN_ID,
        token_address=TOKEN,
        sender=KEY,
        receiver=HOLDER,
        amount=fields.pop("amount", 100),
        idempotency_key=f"op-{next(_sequence)}",
        state=state,
        transaction=transaction,
        **fields,
    )
