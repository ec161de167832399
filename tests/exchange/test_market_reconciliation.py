"""The exchange's reconciliation checks: zero differences when the books agree, and each one
reporting its difference when what it checks is broken."""

import pytest
from django.conf import settings
from django.db import transaction

from qoima.chain.models import Hold, Operation, ReconciliationDifference, TokenTransfer
from qoima.exchange.models import BankAccount, CashAccount, Order, Posting, Trade, Withdrawal
from qoima.exchange.reconciliation import (
    exchange_differences,
    order_hold_key,
)
from qoima.exchange.services.cash import (
    Entry,
    member_accounts,
    platform_account,
    postings_write_in_transaction,
)

from .factories_market import Journal, make_market, make_member

pytestmark = pytest.mark.django_db
Kind = ReconciliationDifference.Kind
BUY, SELL = Order.Side.BUY, Order.Side.SELL


def post(kind, key, legs):
    with transaction.atomic():
        postings_write_in_transaction([Entry(kind=kind, key=key, reference=key, legs=legs)])


@pytest.fixture
def books(alice, bank, asset):
    """Bank deposited 10,000.00 ₸ and holds 490.00 ₸ for a buy; Alice sells 3.00 units held for
    her order; one trade between them is final, its transfer recorded once."""
    market = make_market(asset)
    journal = Journal(market=market, user=alice.user)
    seller, buyer = make_member(alice.holder), make_member(bank.holder)
    omnibus = platform_account(CashAccount.Kind.OMNIBUS)
    accounts = member_accounts(buyer)
    available, held = accounts["available"].pk, accounts["held"].pk
    post(Posting.Kind.DEPOSIT, "deposit:1", [(omnibus.pk, -1_000_000), (available, 1_000_000)])
    buy = journal.order(buyer, BUY, 49_000, 100)
    post(Posting.Kind.ORDER_HELD, f"order:{buy.pk}", [(available, -49_000), (held, 49_000)])
    sell = journal.order(seller, SELL, 51_000, 300)
    Hold.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=asset.address,
        holder=alice.wallet.address,
        amount=300,
        key=order_hold_key(sell.pk),
    )
    filled_sell = journal.order(seller, SELL, 50_000, 10)
    taker = journal.order(buyer, BUY, 50_000, 10, accept=False, held_tiyn=0)
    trade = journal.trade(
        taker,
        filled_sell,
        10,
        state=Trade.State.FINAL,
        operation_state=Operation.State.CONFIRMED,
    )
    TokenTransfer.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=asset.address,
        block_number=5,
        block_hash="0x" + "b" * 64,
        log_index=0,
        tx_hash="0x" + "c" * 64,
        sender=alice.wallet.address,
        receiver=bank.wallet.address,
        amount=10,
        ref=trade.operation_id,
        applied=True,
    )
    return {"buyer": buyer, "buy": buy, "sell": sell, "trade": trade, "held": held}


def found():
    return [(d.kind, d.subject, d.database_value, d.chain_value) for d in exchange_differences()]


def test_consistent_books_have_no_difference(books):
    assert found() == []


def _force_balance(account_id, balance):
    """Move a balance behind the ledger's back, as only a bug or a hand could (the ledger's
    triggers guard the legs and postings, not this column)."""
    CashAccount.objects.filter(pk=account_id).update(balance=balance)


def test_a_balance_moved_without_postings_is_reported(books):
    _force_balance(books["held"], 50_000)
    reference = books["buyer"].payment_reference
    assert sorted(found()) == [
        (Kind.CASH_BALANCE, f"{reference}:held", "50000", "49000"),
        (Kind.CASH_HELD, reference, "50000", "49000"),
        (Kind.CASH_TOTAL, "", "1000", "0"),
    ]


def test_held_cash_must_equal_open_buy_orders(books):
    Order.objects.filter(pk=books["buy"].pk).update(held_tiyn=48_000)
    assert found() == [(Kind.CASH_HELD, books["buyer"].payment_reference, "49000", "48000")]


def test_a_withdrawal_awaiting_payment_counts_as_held_cash(books):
    buyer = books["buyer"]
    user = Order.objects.get(pk=books["buy"].pk).placed_by
    account = BankAccount.objects.create(
        member=buyer, iban="KZ86125KZT5004100100", holder_name="Buyer", added_by=user
    )
    withdrawal = Withdrawal.objects.create(
        member=buyer,
        bank_account=account,
        amount=1_000,
        state=Withdrawal.State.REQUESTED,
        requested_by=user,
    )
    assert found() == [(Kind.CASH_HELD, buyer.payment_reference, "49000", "50000")]
    Withdrawal.objects.filter(pk=withdrawal.pk).update(state=Withdrawal.State.CANCELLED)
    assert found() == []


def test_reserved_units_must_equal_the_orders_hold(books):
    sell = books["sell"]
    key = order_hold_key(sell.pk)
    Order.objects.filter(pk=sell.pk).update(reserved_units=250)
    assert found() == [(Kind.ORDER_RESERVATION, key, "250", "300")]
    Order.objects.filter(pk=sell.pk).update(reserved_units=0, state=Order.State.CANCELLED)
    # Cancelled, but its hold was never released.
    assert found() == [(Kind.ORDER_RESERVATION, key, "0", "300")]


def test_a_final_trade_needs_one_confirmed_record(books):
    trade = books["trade"]
    TokenTransfer.objects.filter(ref=trade.operation_id).update(log_index=1)
    TokenTransfer.objects.create(
        **{
            **TokenTransfer.objects.values().get(ref=trade.operation_id),
            "id": None,
            "log_index": 2,
        }
    )
    assert found() == [
        (Kind.TRADE_TRANSFER, f"trade:{trade.pk}", f"confirmed #{trade.operation_id}", "2 records")
    ]
    TokenTransfer.objects.filter(ref=trade.operation_id).delete()
    assert found() == [
        (Kind.TRADE_TRANSFER, f"trade:{trade.pk}", f"confirmed #{trade.operation_id}", "0 records")
    ]


def test_reconciliation_runs_the_exchange_checks():
    from qoima.chain import reconciliation

    assert exchange_differences in reconciliation._platform_checks
