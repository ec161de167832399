"""Markets, orders, trades and journal entries written straight to the database, as the matcher
and settlement write them, for tests of what reads them."""

import datetime
import itertools
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qoima.chain.models import ChainTransaction, Operation, PlatformToken
from qoima.exchange.models import Market, MarketEvent, Member, Order, Trade
from qoima.exchange.services.cash import member_ensure_in_transaction
from qoima.participants.models import HolderProfile, User

_ids = itertools.count(1)


def make_market(token: PlatformToken, **kwargs) -> Market:
    values = {
        "tick_tiyn": 1,
        "lot_units": 1,
        "min_units": 1,
        "max_units": 10**12,
        "band_bps": 2000,
        "maker_fee_bps": 10,
        "taker_fee_bps": 20,
        # 500.00 tenge a whole token.
        "reference_price": 50_000,
        **kwargs,
    }
    return Market.objects.create(token=token, **values)


def make_member(holder: HolderProfile) -> Member:
    with transaction.atomic():
        return member_ensure_in_transaction(holder=holder)


@dataclass
class Journal:
    """Writes one market's orders, trades and journal entries in its sequence."""

    market: Market
    user: User
    seq: int = 0
    at: datetime.datetime = field(default_factory=timezone.now)

    def _next(self, at: datetime.datetime | None) -> tuple[int, datetime.datetime]:
        self.seq += 1
        if at is not None:
            self.at = at
        return self.seq, self.at

    def event(self, kind: str, order: Order | None = None, *, at=None, **values) -> MarketEvent:
        seq, when = self._next(at)
        return MarketEvent.objects.create(
            market=self.market, seq=seq, kind=kind, order=order, at=when, **values
        )

    def order(
        self,
        member: Member,
        side: str,
        price: int,
        quantity: int,
        *,
        at=None,
        accept: bool = True,
        held_tiyn: int | None = None,
        **values,
    ) -> Order:
        """An order placed and, with ``accept``, entered in the book (its journal entry)."""
        order = Order.objects.create(
            market=self.market,
            member=member,
            client_order_id=f"c-{next(_ids)}",
            side=side,
            type=Order.Type.LIMIT,
            time_in_force=Order.TimeInForce.GTC,
            price=price,
            quantity=quantity,
            held_tiyn=(price * quantity // 10**self.market.token.decimals)
            if held_tiyn is None and side == Order.Side.BUY
            else (held_tiyn or 0),
            reserved_units=quantity if side == Order.Side.SELL else 0,
            state=Order.State.OPEN if accept else Order.State.RECEIVED,
            placed_by=self.user,
            **values,
        )
        if accept:
            event = self.event(
                MarketEvent.Kind.ACCEPTED, order, at=at, price=price, quantity=quantity
            )
            Order.objects.filter(pk=order.pk).update(priority_seq=event.seq, created_at=event.at)
        else:
            Order.objects.filter(pk=order.pk).update(created_at=at or self.at)
        order.refresh_from_db()
        return order

    def trade(
        self,
        taker: Order,
        maker: Order,
        quantity: int,
        *,
        at=None,
        state: str = Trade.State.PENDING,
        operation_state: str = Operation.State.PENDING,
    ) -> Trade:
        """The taker meets the resting maker at the maker's price: both orders' fills, the
        journal entry and the trade (with its requested on-chain transfer)."""
        price = maker.price
        for order in (taker, maker):
            order.filled = int(order.filled) + quantity
            order.state = (
                Order.State.FILLED
                if int(order.filled) == int(order.quantity)
                else Order.State.PARTIALLY_FILLED
            )
            if order.state == Order.State.FILLED:
                order.held_tiyn = 0
                order.reserved_units = 0
            order.save()
        event = self.event(
            MarketEvent.Kind.TRADED,
            taker,
            at=at,
            other_order=maker,
            price=taker.price,
            quantity=int(taker.quantity) - int(taker.filled),
        )
        buy, sell = (taker, maker) if taker.side == Order.Side.BUY else (maker, taker)
        amount = price * quantity // 10**self.market.token.decimals
        trade = Trade.objects.create(
            market=self.market,
            seq=event.seq,
            buy_order=buy,
            sell_order=sell,
            buyer=buy.member,
            seller=sell.member,
            maker_side=maker.side,
            price=price,
            quantity=quantity,
            amount_tiyn=amount,
            buyer_fee_tiyn=amount * self.market.taker_fee_bps // 10_000,
            seller_fee_tiyn=amount * self.market.maker_fee_bps // 10_000,
            state=state,
            operation=make_operation(self.market, quantity, state=operation_state),
        )
        Trade.objects.filter(pk=trade.pk).update(created_at=event.at)
        trade.refresh_from_db()
        return trade

    def cancel(self, order: Order, *, at=None, kind: str = MarketEvent.Kind.CANCELLED) -> None:
        self.event(kind, order, at=at, price=order.price, quantity=0)
        order.state = Order.State.CANCELLED
        order.closed_at = self.at
        order.held_tiyn = 0
        order.reserved_units = 0
        order.save()


def make_operation(market: Market, amount: int, *, state: str = Operation.State.PENDING):
    """The recorded transfer a trade requests (confirmed ones with a mined transaction)."""
    tx = None
    if state in (Operation.State.SUBMITTED, Operation.State.CONFIRMED):
        tx = ChainTransaction.objects.create(
            chain_id=settings.CHAIN_ID,
            from_address="0x" + "5" * 40,
            to_address=market.token.address,
            data="0x",
            function="recordTransfers",
            nonce=next(_ids),
            state=ChainTransaction.State.CONFIRMED,
        )
    return Operation.objects.create(
        kind=Operation.Kind.TRANSFER,
        chain_id=settings.CHAIN_ID,
        token_address=market.token.address,
        sender="0x" + "1" * 40,
        receiver="0x" + "2" * 40,
        amount=amount,
        purpose="exchange.trade",
        idempotency_key=f"trade-{next(_ids)}",
        state=state,
        transaction=tx,
    )
