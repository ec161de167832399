"""The exchange's part of reconciliation: the cash ledger against itself and the orders, the
orders' reserved units against their holds, final trades against the chain's records.

Each check reports a difference in the run's table as the chain's checks do: what the
database stores (``database_value``) against what it must equal (``chain_value``: the legs,
the orders, the holds or the on-chain records). Zero differences is normal.

What a member's held account must equal: its open buy orders' held cash plus its withdrawals
awaiting payment (``HELD_SOURCES``).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from qoima.chain.models import Hold, Operation, ReconciliationDifference, TokenTransfer

from .models import CashAccount, Leg, Order, Trade, Withdrawal

Kind = ReconciliationDifference.Kind
HOLD_PREFIX = "exchange.order:"
CHUNK = 2000


def chunked(rows: Iterable[Trade], size: int) -> Iterator[list[Trade]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def order_hold_key(order_id: int) -> str:
    return f"{HOLD_PREFIX}{order_id}"


def open_buy_orders_held() -> dict[int, int]:
    rows = (
        Order.objects.filter(side=Order.Side.BUY, state__in=Order.OPEN_STATES)
        .order_by()
        .values("member_id")
        .annotate(total=Sum("held_tiyn"))
    )
    return {row["member_id"]: int(row["total"] or 0) for row in rows}


def withdrawals_awaiting_payment() -> dict[int, int]:
    rows = (
        Withdrawal.objects.filter(state__in=Withdrawal.OPEN_STATES)
        .order_by()
        .values("member_id")
        .annotate(total=Sum("amount"))
    )
    return {row["member_id"]: int(row["total"] or 0) for row in rows}


# Everything that holds a member's cash: tiyn by member id.
HELD_SOURCES: tuple[Callable[[], dict[int, int]], ...] = (
    open_buy_orders_held,
    withdrawals_awaiting_payment,
)


def _difference(
    kind: str, subject: str, db: object, expected: object, token: str = ""
) -> ReconciliationDifference:
    return ReconciliationDifference(
        kind=kind,
        token_address=token,
        subject=subject[:78],
        database_value=str(db)[:200],
        chain_value=str(expected)[:200],
    )


def _cash_differences() -> list[ReconciliationDifference]:
    found = []
    balances = CashAccount.objects.aggregate(total=Sum("balance"))["total"] or 0
    legs = Leg.objects.aggregate(total=Sum("amount"))["total"] or 0
    if balances != 0 or legs != 0:
        found.append(_difference(Kind.CASH_TOTAL, "", balances, legs))
    leg_sums = (
        Leg.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    wrong = (
        CashAccount.objects.annotate(legs_total=Coalesce(Subquery(leg_sums), 0))
        .exclude(balance=Coalesce(Subquery(leg_sums), 0))
        .select_related("member")
        .order_by("pk")
    )
    for account in wrong:
        owner = account.member.payment_reference if account.member else "platform"
        found.append(
            _difference(
                Kind.CASH_BALANCE, f"{owner}:{account.kind}", account.balance, account.legs_total
            )
        )
    expected: dict[int, int] = defaultdict(int)
    for contributor in HELD_SOURCES:
        for member_id, tiyn in contributor().items():
            expected[member_id] += tiyn
    held: dict[int, CashAccount] = {
        row.member_id: row
        for row in CashAccount.objects.filter(kind=CashAccount.Kind.HELD).select_related("member")
        if row.member_id is not None
    }
    for member_id in sorted(set(held) | set(expected)):
        held_account = held.get(member_id)
        balance = held_account.balance if held_account else 0
        if balance != expected.get(member_id, 0):
            member = held_account.member if held_account else None
            subject = member.payment_reference if member else ""
            found.append(
                _difference(
                    Kind.CASH_HELD, subject or str(member_id), balance, expected.get(member_id, 0)
                )
            )
    return found


def _reservation_differences() -> list[ReconciliationDifference]:
    """Each open sell order's reserved units against its open hold, and no open hold left for
    an order that no longer reserves anything."""
    found = []
    holds = {
        hold.key: hold
        for hold in Hold.objects.filter(key__startswith=HOLD_PREFIX, released_at__isnull=True)
    }
    sells = Order.objects.filter(side=Order.Side.SELL).filter(
        Q(state__in=Order.OPEN_STATES) | Q(reserved_units__gt=0)
    )
    for order in sells.select_related("market__token").order_by("pk"):
        hold = holds.pop(order_hold_key(order.pk), None)
        held = int(hold.amount) if hold else 0
        if int(order.reserved_units) != held:
            found.append(
                _difference(
                    Kind.ORDER_RESERVATION,
                    order_hold_key(order.pk),
                    int(order.reserved_units),
                    held,
                    order.market.token.address,
                )
            )
    for key, hold in sorted(holds.items()):
        found.append(
            _difference(Kind.ORDER_RESERVATION, key, 0, int(hold.amount), hold.token_address)
        )
    return found


def _trade_differences() -> list[ReconciliationDifference]:
    """Every final trade's transfer confirmed, and recorded on-chain exactly once. The records
    are counted a chunk of trades at a time by their reference (the operation's id)."""
    found = []
    finals = (
        Trade.objects.filter(state=Trade.State.FINAL)
        .select_related("operation", "market__token")
        .order_by("pk")
    )
    for chunk in chunked(finals.iterator(chunk_size=CHUNK), CHUNK):
        counts = dict(
            TokenTransfer.objects.filter(ref__in=[t.operation_id for t in chunk])
            .order_by()
            .values("ref")
            .annotate(n=Count("pk"))
            .values_list("ref", "n")
        )
        for trade in chunk:
            records = counts.get(trade.operation_id, 0)
            if records != 1 or trade.operation.state != Operation.State.CONFIRMED:
                found.append(
                    _difference(
                        Kind.TRADE_TRANSFER,
                        f"trade:{trade.pk}",
                        f"{trade.operation.state} #{trade.operation_id}",
                        f"{records} records",
                        trade.market.token.address,
                    )
                )
    return found


def exchange_differences() -> list[ReconciliationDifference]:
    """Every difference the exchange's checks find, unsaved and without their run."""
    return _cash_differences() + _reservation_differences() + _trade_differences()
