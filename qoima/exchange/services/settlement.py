"""Settlement of trades, delivery versus payment: the cash follows the units' transfer.

A trade's buyer's cash waits in pending settlement while one recorded transfer of the units
goes on-chain (``qoima.exchange.matching.matcher``). The transaction manager hands the
transfer's outcome here, in the transaction that makes it final: confirmed, the cash posts to
the seller less its fee, both fees go to the platform and the trade is final; failed (a party
frozen or taken off the allowlist between match and mining), the trade is broken, the cash
goes back to the buyer and the units stay with the seller (the failure released them). A
trade is final only on a confirmed transfer, never on an unknown outcome.
"""

from collections import defaultdict

from django.utils import timezone

from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record_many
from qoima.chain.manager import settlement_handler
from qoima.chain.models import Operation
from qoima.transactions import in_transaction

from ..matching.matcher import TRADE_PURPOSE
from ..models import CashAccount, Posting, Trade
from .cash import Entry, platform_account, postings_write_in_transaction


@settlement_handler(TRADE_PURPOSE)
@in_transaction
def trades_settled(operations: list[Operation]) -> None:
    """Settle or break the pending trades of final transfers; safe to run twice."""
    outcome = {
        op.pk: op
        for op in operations
        if op.state in (Operation.State.CONFIRMED, Operation.State.FAILED)
    }
    if not outcome:
        return
    trades = list(
        locks.rows_for_update(
            Trade.objects.filter(operation_id__in=list(outcome), state=Trade.State.PENDING)
        )
    )
    if not trades:
        return
    now = timezone.now()
    accounts = {
        (member, kind): pk
        for pk, member, kind in CashAccount.objects.filter(
            member_id__in={t.buyer_id for t in trades} | {t.seller_id for t in trades}
        ).values_list("pk", "member_id", "kind")
    }
    fees = platform_account(CashAccount.Kind.FEES).pk
    entries = []
    settled, broken = [], []
    for trade in trades:
        operation = outcome[trade.operation_id]
        paid = trade.amount_tiyn + trade.buyer_fee_tiyn
        pending = accounts[(trade.buyer_id, CashAccount.Kind.PENDING)]
        if operation.state == Operation.State.CONFIRMED:
            trade.state, trade.settled_at = Trade.State.FINAL, now
            settled.append(trade)
            seller = accounts[(trade.seller_id, CashAccount.Kind.AVAILABLE)]
            legs = [
                (pending, -paid),
                (seller, trade.amount_tiyn - trade.seller_fee_tiyn),
                (fees, trade.buyer_fee_tiyn + trade.seller_fee_tiyn),
            ]
            kind, key = Posting.Kind.TRADE_SETTLED, f"trade.settled:{trade.pk}"
        else:
            trade.state, trade.settled_at = Trade.State.BROKEN, now
            trade.reason = (operation.failure_code or "failed")[:64]
            broken.append(trade)
            buyer = accounts[(trade.buyer_id, CashAccount.Kind.AVAILABLE)]
            legs = [(pending, -paid), (buyer, paid)]
            kind, key = Posting.Kind.TRADE_BROKEN, f"trade.broken:{trade.pk}"
        entries.append(Entry(kind=kind, key=key, reference=f"trade:{trade.pk}", legs=legs))
    # Plain UPDATEs rather than bulk_update: its CASE per row and column costs more to build
    # than the rest of a settlement of hundreds of trades. Every settled trade gets the same
    # values, and broken ones only differ by their reason (a handful of failure codes).
    if settled:
        Trade.objects.filter(pk__in=[t.pk for t in settled]).update(
            state=Trade.State.FINAL, settled_at=now
        )
    by_reason: dict[str, list[int]] = defaultdict(list)
    for trade in broken:
        by_reason[trade.reason].append(trade.pk)
    for reason, ids in by_reason.items():
        Trade.objects.filter(pk__in=ids).update(
            state=Trade.State.BROKEN, settled_at=now, reason=reason
        )
    postings_write_in_transaction(entries)
    if settled:
        audit_record_many(
            actor=None,
            action=AuditAction.EXCHANGE_TRADE_SETTLED,
            records=[(trade, _details(trade)) for trade in settled],
        )
    if broken:
        audit_record_many(
            actor=None,
            action=AuditAction.EXCHANGE_TRADE_BROKEN,
            records=[(trade, {**_details(trade), "reason": trade.reason}) for trade in broken],
        )


def _details(trade: Trade) -> dict[str, int | str]:
    return {
        "market": trade.market_id,
        "seq": trade.seq,
        "operation": trade.operation_id,
        "units": int(trade.quantity),
        "price": trade.price,
        "amount_tiyn": trade.amount_tiyn,
    }
