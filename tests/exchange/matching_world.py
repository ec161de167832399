"""A market with members who have cash and units, and orders written as order placement
writes them (received, their cash held or their units reserved), for the matcher's tests."""

import datetime
import itertools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from issuance.models import Application
from qoima.chain.ledger import hold_place
from qoima.chain.models import PlatformToken, TokenBalance
from qoima.custody.selectors import custodial_wallet
from qoima.exchange.matching.matcher import fee, order_hold_key, trade_amount
from qoima.exchange.models import CashAccount, Market, Member, Order, OrderChange, Posting
from qoima.exchange.services.cash import (
    Entry,
    member_ensure_in_transaction,
    platform_account,
    postings_write_in_transaction,
)
from qoima.participants.models import HolderProfile, User
from tests.issuance.conftest import World, issued_without_chain, make_world

# Tiyn per whole token (100 units of a two-decimal asset): 100.00 ₸.
PRICE = 10_000
_ids = itertools.count(1)


@dataclass
class Trader:
    member: Member
    holder: HolderProfile
    wallet: str

    @property
    def user(self) -> User:
        return self.holder.user

    def cash(self, kind: str = CashAccount.Kind.AVAILABLE) -> int:
        return CashAccount.objects.get(member=self.member, kind=kind).balance


@dataclass
class Exchange:
    world: World
    application: Application
    market: Market
    traders: list[Trader]

    @property
    def token(self) -> str:
        return self.application.token_address

    def units(self, trader: Trader) -> tuple[int, int]:
        """(balance, reserved) of the trader's wallet in the ledger."""
        row = TokenBalance.objects.get(token_address=self.token, holder=trader.wallet)
        return int(row.amount), int(row.reserved)

    def buy(self, trader: Trader, quantity: int, price: int = PRICE, **extra: Any) -> Order:
        return place(self.market, trader, Order.Side.BUY, quantity, price, **extra)

    def sell(self, trader: Trader, quantity: int, price: int = PRICE, **extra: Any) -> Order:
        return place(self.market, trader, Order.Side.SELL, quantity, price, **extra)


def exchange(
    *, traders: int = 3, cash: int = 10_000_000, units: int = 100_000, **market: Any
) -> Exchange:
    """A market (two-decimal asset, lot 1 unit, 0.1 % maker and 0.2 % taker fees) and
    ``traders`` holders, each with ``cash`` tiyn deposited and ``units`` in their wallet."""
    world = make_world(holder_count=traders)
    application = issued_without_chain(world)
    token = PlatformToken.objects.get(address=application.token_address)
    values = {
        "tick_tiyn": 1,
        "lot_units": 1,
        "min_units": 1,
        "max_units": 10**9,
        "band_bps": 5000,
        "maker_fee_bps": 10,
        "taker_fee_bps": 20,
        "reference_price": PRICE,
    } | market
    created = Market.objects.create(token=token, **values)
    people = []
    for holder in world.holders:
        member = deposit(holder, cash)
        wallet = custodial_wallet(holder)
        assert wallet is not None
        TokenBalance.objects.create(
            chain_id=settings.CHAIN_ID,
            token_address=application.token_address,
            holder=wallet.address,
            amount=units,
        )
        people.append(Trader(member, holder, wallet.address))
    return Exchange(world, application, created, people)


def deposit(holder: HolderProfile, tiyn: int) -> Member:
    """The holder's exchange member, with ``tiyn`` deposited (as a matched bank receipt)."""
    omnibus = platform_account(CashAccount.Kind.OMNIBUS)
    with transaction.atomic():
        member = member_ensure_in_transaction(holder=holder)
        if tiyn:
            available = CashAccount.objects.get(member=member, kind=CashAccount.Kind.AVAILABLE)
            postings_write_in_transaction(
                [
                    Entry(
                        kind=Posting.Kind.DEPOSIT,
                        key=f"test.deposit:{member.pk}",
                        reference=f"deposit:{member.pk}",
                        legs=[(omnibus.pk, -tiyn), (available.pk, tiyn)],
                    )
                ]
            )
    return member


def place(
    market: Market,
    trader: Trader,
    side: str,
    quantity: int,
    price: int,
    *,
    type: str = Order.Type.LIMIT,
    time_in_force: str = Order.TimeInForce.GTC,
    post_only: bool = False,
    expires_at: datetime.datetime | None = None,
) -> Order:
    """An order as placement writes it: received, with its cash held (the amount at its price
    and the taker fee) or its units reserved under the order's hold."""
    decimals = market.token.decimals
    amount = trade_amount(price, quantity, decimals)
    held = amount + fee(amount, market.taker_fee_bps) if side == Order.Side.BUY else 0
    with transaction.atomic():
        order = Order.objects.create(
            market=market,
            member=trader.member,
            client_order_id=f"test-{next(_ids)}",
            side=side,
            type=type,
            time_in_force=time_in_force,
            post_only=post_only,
            price=price,
            quantity=quantity,
            held_tiyn=held,
            reserved_units=0 if held else quantity,
            expires_at=expires_at,
            placed_by=trader.user,
        )
        if held:
            accounts = {a.kind: a.pk for a in CashAccount.objects.filter(member=trader.member)}
            postings_write_in_transaction(
                [
                    Entry(
                        kind=Posting.Kind.ORDER_HELD,
                        key=f"order.held:{order.pk}",
                        reference=f"order:{order.pk}",
                        legs=[
                            (accounts[CashAccount.Kind.AVAILABLE], -held),
                            (accounts[CashAccount.Kind.HELD], held),
                        ],
                    )
                ]
            )
        else:
            hold_place(
                chain_id=settings.CHAIN_ID,
                key=order_hold_key(order.pk),
                token_address=market.token.address,
                holder=trader.wallet,
                units=quantity,
            )
    return order


def cancel(order: Order, reason: str = "member_request") -> OrderChange:
    return OrderChange.objects.create(order=order, kind=OrderChange.Kind.CANCEL, reason=reason)


def amend(order: Order, *, price: int | None = None, quantity: int | None = None) -> OrderChange:
    """An amendment as placement writes it; one that asks for more holds the extra first."""
    order.refresh_from_db()
    market = order.market
    change = OrderChange.objects.create(
        order=order,
        kind=OrderChange.Kind.AMEND,
        new_price=price,
        new_quantity=quantity,
        reason="member_request",
    )
    new_price = price or order.price
    remaining = (quantity or int(order.quantity)) - int(order.filled)
    if order.side == Order.Side.BUY:
        amount = trade_amount(new_price, remaining, market.token.decimals)
        extra = max(amount + fee(amount, market.taker_fee_bps) - order.held_tiyn, 0)
        if extra:
            accounts = {a.kind: a.pk for a in CashAccount.objects.filter(member=order.member)}
            with transaction.atomic():
                postings_write_in_transaction(
                    [
                        Entry(
                            kind=Posting.Kind.ORDER_HELD,
                            key=f"order.amend:{change.pk}",
                            reference=f"order:{order.pk}",
                            legs=[
                                (accounts[CashAccount.Kind.AVAILABLE], -extra),
                                (accounts[CashAccount.Kind.HELD], extra),
                            ],
                        )
                    ]
                )
                Order.objects.filter(pk=order.pk).update(held_tiyn=order.held_tiyn + extra)
    else:
        extra = max(remaining - int(order.reserved_units), 0)
        if extra:
            assert order.member.holder is not None
            wallet = custodial_wallet(order.member.holder)
            assert wallet is not None
            with transaction.atomic():
                hold_place(
                    chain_id=settings.CHAIN_ID,
                    key=f"{order_hold_key(order.pk)}:amend:{change.pk}",
                    token_address=market.token.address,
                    holder=wallet.address,
                    units=extra,
                )
                Order.objects.filter(pk=order.pk).update(
                    reserved_units=int(order.reserved_units) + extra
                )
    return change


def fresh(order: Order) -> Order:
    order.refresh_from_db()
    return order
