"""A trade's units go from the seller's order holds into its transfer: the matcher does it on
PostgreSQL in two round trips (``holds_moved_sql`` on rows it locked), elsewhere through
``holds_take`` and a request. Both leave the same holds, balances and operations."""

import pytest
from django.conf import settings
from django.db import transaction

from qoima import locks
from qoima.chain.ledger import InsufficientBalance, hold_place, holds_moved_sql, holds_take
from qoima.chain.manager.requests import (
    OperationRequest,
    operations_insert_sql,
    operations_numbered,
    operations_request,
    reservation_needs,
)
from qoima.chain.models import Hold, Operation, TokenBalance
from qoima.rows import execute_all, results_of_all
from tests.factories import token_row

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="the statements are PostgreSQL's; SQLite takes the general path",
    ),
]

TOKEN = "0x1000000000000000000000000000000000000001"
SELLER = "0xA3A3A3a3a3A3a3A3a3A3A3A3A3a3a3A3A3A3A3A3"
OTHER = "0xa2A2a2A2A2A2A2a2a2a2a2A2A2A2A2a2A2A2a2a2"
BUYER = "0xC1C1c1c1C1C1C1c1c1C1C1C1c1C1C1C1c1C1c1c1"


@pytest.fixture
def holds():
    token_row(TOKEN, symbol="HLD", decimals=0, name="Holds")
    for holder in (SELLER, OTHER):
        TokenBalance.objects.create(
            chain_id=settings.CHAIN_ID, token_address=TOKEN, holder=holder, amount=1_000
        )
    for key, holder, units in (
        ("exchange.order:1", SELLER, 300),
        ("exchange.order:1:2", SELLER, 100),
        ("exchange.order:2", SELLER, 200),
        ("exchange.order:3", OTHER, 50),
    ):
        hold_place(
            chain_id=settings.CHAIN_ID, key=key, token_address=TOKEN, holder=holder, units=units
        )


# Order 1 sells 350 of the 400 its two holds keep, and keeps 50; order 2 is cancelled (all it
# holds comes back); order 3's 50 go to a trade whole.
GROUPS = {"exchange.order:1": 350, "exchange.order:2": None, "exchange.order:3": 50}
SELLERS = {SELLER, OTHER}


def requests(amount=350):
    return [
        OperationRequest(
            kind=Operation.Kind.TRANSFER,
            idempotency_key=f"exchange.trade:1:{i}",
            token_address=TOKEN,
            sender=sender,
            receiver=BUYER,
            amount=units,
            purpose="exchange.trade",
        )
        for i, (sender, units) in enumerate(((SELLER, amount), (OTHER, 50)), start=1)
    ]


def general(wanted):
    holds_take(groups=GROUPS, token_address=TOKEN, holders=SELLERS)
    return operations_request(requests=wanted)


def together(wanted):
    operations, insert = operations_insert_sql(requests=wanted)
    needs = reservation_needs(operations)
    keys = {(TOKEN, holder) for holder in SELLERS} | set(needs)
    held, inserted, balances = results_of_all(
        [
            locks.open_holds_lock_sql(GROUPS, token_address=TOKEN, holders=SELLERS),
            insert,
            locks.balances_lock_sql(chain_id=settings.CHAIN_ID, keys=keys),
        ]
    )
    operations_numbered(operations, inserted)
    execute_all(
        holds_moved_sql(
            chain_id=settings.CHAIN_ID,
            holds=locks.rows_as(Hold, held),
            groups=GROUPS,
            balances=locks.rows_as(TokenBalance, balances),
            needs=needs,
        )
    )
    return operations


def state(operations):
    return {
        "holds": [
            (key, int(amount), released_at is None)
            for key, amount, released_at in Hold.objects.order_by("key").values_list(
                "key", "amount", "released_at"
            )
        ],
        "balances": {
            holder: (int(amount), int(reserved))
            for holder, amount, reserved in TokenBalance.objects.values_list(
                "holder", "amount", "reserved"
            )
        },
        "operations": [
            (
                op.pk is not None,
                op._state.adding,
                op.idempotency_key,
                op.sender,
                int(op.amount),
                op.holding,
            )
            for op in operations
        ],
        "stored": list(
            Operation.objects.order_by("idempotency_key").values_list(
                "idempotency_key", "sender", "receiver", "amount", "holding", "state", "purpose"
            )
        ),
    }


def run(path, wanted):
    """What ``path`` leaves, rolled back after so the other path starts the same."""
    with transaction.atomic():
        operations = path(wanted)
        found = state(operations)
        transaction.set_rollback(True)
    return found


def test_both_ways_leave_the_same_holds_balances_and_operations(holds):
    moved = run(together, requests())
    assert moved == run(general, requests())
    assert moved["holds"] == [
        # Taken whole, so released (its amount says what it last held), then 50 of the next.
        ("exchange.order:1", 300, False),
        ("exchange.order:1:2", 50, True),
        ("exchange.order:2", 200, False),
        ("exchange.order:3", 50, False),
    ]
    # The seller's 350 traded stay reserved for the transfer; order 2's 200 are free again.
    assert moved["balances"] == {SELLER: (1_000, 400), OTHER: (1_000, 50)}
    assert [key for key, *_rest in moved["stored"]] == ["exchange.trade:1:1", "exchange.trade:1:2"]


def test_a_seller_short_of_units_is_refused_the_same_way_and_nothing_is_written(holds):
    # A forced transfer took most of the seller's units, the reserved ones included.
    TokenBalance.objects.filter(holder=SELLER).update(amount=300)
    messages = []
    for path in (together, general):
        with pytest.raises(InsufficientBalance) as short, transaction.atomic():
            path(requests())
        messages.append((short.value.holder, short.value.available, short.value.needed))
    # 300 left, 50 still reserved by order 1's second hold: 250 for a trade of 350.
    assert messages[0] == messages[1] == (SELLER, 250, 350)
    assert not Operation.objects.exists()
