"""An act's outcome on-chain, handed over by the transaction manager in the transaction that
makes its operation final. Safe to run twice (a reorg can take a confirmation back and give it
again): each act changes state once."""

from django.db.models import Q
from django.utils import timezone

from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.chain.manager import settlement_handler
from qoima.chain.models import Operation
from qoima.custody.models import Wallet
from qoima.exchange.models import Market
from qoima.exchange.services.markets import market_resume_in_transaction

from . import selectors
from .models import EnforcementAct
from .services import PURPOSE

K = EnforcementAct.Kind
S = EnforcementAct.State


@settlement_handler(PURPOSE)
def acts_settled(operations: list[Operation]) -> None:
    """Settle the acts whose operations these are: an act is confirmed once every operation it
    asked for is (a recovery asks for several), and failed as soon as one fails."""
    acts = sorted({pk for pk in map(_act_of, operations) if pk is not None})
    given = {operation.pk: operation for operation in operations}
    for pk in acts:
        act = locks.lock_row(EnforcementAct, pk)
        if act.state != S.PENDING:
            continue
        key = f"{PURPOSE}:{pk}"
        own = [
            given.get(operation.pk, operation)
            for operation in Operation.objects.filter(
                Q(idempotency_key=key) | Q(idempotency_key__startswith=f"{key}:")
            ).order_by("pk")
        ]
        failed = next((op for op in own if op.state == Operation.State.FAILED), None)
        if failed is not None:
            _failed(act, failed)
        elif all(op.state == Operation.State.CONFIRMED for op in own):
            _confirmed(act)


def _act_of(operation: Operation) -> int | None:
    """The act an operation was asked for by: its key is the purpose, the act's id, and for an
    act of several operations what each is."""
    purpose, _, rest = operation.idempotency_key.partition(":")
    number = rest.split(":", 1)[0]
    return int(number) if purpose == PURPOSE and number.isdigit() else None


def _confirmed(act: EnforcementAct) -> None:
    act.state, act.settled_at = S.CONFIRMED, timezone.now()
    act.save(update_fields=["state", "settled_at"])
    if act.kind == K.UNFREEZE_WALLET and act.wallet_id is not None:
        Wallet.objects.filter(pk=act.wallet_id).update(frozen=False)
    elif act.kind in (K.UNPAUSE_ASSET, K.UNPAUSE_PLATFORM):
        _resume_markets(act.token_address)
    audit_record(actor=None, action=AuditAction.ENFORCEMENT_ACT_SETTLED, obj=act, details={})


def _failed(act: EnforcementAct, operation: Operation) -> None:
    act.state, act.settled_at = S.FAILED, timezone.now()
    act.save(update_fields=["state", "settled_at"])
    # What was done at once for an act the chain refused is undone: the wallet is not frozen,
    # the market not paused.
    if act.kind == K.FREEZE_WALLET and act.wallet_id is not None:
        Wallet.objects.filter(pk=act.wallet_id).update(frozen=False)
    elif act.kind in (K.PAUSE_ASSET, K.PAUSE_PLATFORM):
        _resume_markets(act.token_address)
    audit_record(
        actor=None,
        action=AuditAction.ENFORCEMENT_ACT_FAILED,
        obj=act,
        details={"code": operation.failure_code},
    )


def _resume_markets(token_address: str) -> None:
    """Open the markets the pause halted, unless another pause still holds them."""
    if selectors.paused():
        return
    reasons = ["asset_paused", "platform_paused"]
    markets = Market.objects.filter(status=Market.Status.HALTED, halt_reason__in=reasons)
    if token_address:
        markets = markets.filter(token__address=token_address)
    for pk in sorted(markets.values_list("pk", flat=True)):
        market = locks.lock_market(pk)
        token = market.token.address
        if market.status == Market.Status.HALTED and not selectors.paused(token):
            market_resume_in_transaction(market=market, actor=None)
