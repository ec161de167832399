"""Redemption: a holder asks for the underlying asset, the issuer delivers it or refuses,
and delivered units are burned on-chain. The units are held from the request on, so the
holder cannot move them while the issuer decides."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.chain.amounts import format_units, units_from_text
from qoima.chain.ledger import InsufficientBalance, hold_place, hold_release
from qoima.chain.manager import operation_request, settlement_handler
from qoima.chain.models import Operation
from qoima.custody.selectors import custodial_wallet
from qoima.errors import Conflict, InvalidInput, NotAllowed, NotFound
from qoima.participants.models import HolderProfile, Role, User
from qoima.text import text_required
from qoima.transactions import in_transaction

from .. import access
from ..models import Application, Redemption
from ..notifications import issuer_staff, notify
from .common import locked, require_role

REDEMPTION = "issuance.redemption"


def _hold_key(redemption: Redemption) -> str:
    return f"{REDEMPTION}:{redemption.pk}"


@transaction.atomic(durable=True)
def redemption_request(*, actor: User, application_id: int, amount: str) -> Redemption:
    require_role(actor, Role.HOLDER)
    holder = HolderProfile.objects.filter(user=actor).first()
    if holder is None or holder.verification_status != HolderProfile.Status.VERIFIED:
        raise NotAllowed(_("Only a verified holder can redeem."))
    application = Application.objects.filter(
        pk=application_id, status=Application.Status.ISSUED
    ).first()
    if application is None:
        raise NotFound()
    wallet = custodial_wallet(holder)
    if wallet is None:
        raise InvalidInput(_("Your wallet is being opened; try again shortly."))
    units = units_from_text(amount, application.decimals)
    redemption = Redemption.objects.create(application=application, holder=holder, amount=units)
    try:
        hold_place(
            chain_id=settings.CHAIN_ID,
            key=_hold_key(redemption),
            token_address=application.token_address,
            holder=wallet.address,
            units=units,
        )
    except InsufficientBalance as short:
        raise InvalidInput(
            _("You can redeem at most %(available)s %(symbol)s.")
            % {
                "available": format_units(short.available, application.decimals),
                "symbol": application.symbol,
            },
            field="amount",
            code="redemption_above_balance",
        ) from None
    audit_record(
        actor=actor,
        action=AuditAction.REDEMPTION_REQUESTED,
        obj=redemption,
        details={"application": application.pk, "units": units, "holder": wallet.address},
    )
    notify(
        users=issuer_staff(application.organisation),
        subject=_("Redemption requested: %(name)s"),
        body=_("%(holder)s asks to redeem %(symbol)s; deliver the asset or refuse with a reason."),
        name=application.name,
        symbol=application.symbol,
        holder=holder.full_name,
    )
    return redemption


def _issuer_redemption(actor: User, redemption_id: int) -> Redemption:
    require_role(actor, Role.ISSUER_STAFF)
    redemption = locked(Redemption, redemption_id)
    if not access.redemption_visible(actor, redemption):
        raise NotFound()
    if redemption.status != Redemption.Status.REQUESTED:
        raise Conflict(_("This redemption is already decided."))
    return redemption


@transaction.atomic(durable=True)
def redemption_fulfil(*, actor: User, redemption_id: int, reference: str) -> Redemption:
    """The issuer has delivered the asset or service: the held units are burned on-chain."""
    redemption = _issuer_redemption(actor, redemption_id)
    reference = text_required(
        reference,
        field="reference",
        message=_("Give the reference of what was delivered (an act, a waybill, a contract)."),
        max_length=255,
    )
    wallet = custodial_wallet(redemption.holder)
    assert wallet is not None
    # The hold becomes the burn's own reservation in the same transaction: nothing can take
    # the units in between.
    hold_release(key=_hold_key(redemption))
    redemption.operation = operation_request(
        kind=Operation.Kind.BURN,
        token_address=redemption.application.token_address,
        sender=wallet.address,
        amount=int(redemption.amount),
        idempotency_key=_hold_key(redemption),
        purpose=REDEMPTION,
    )
    redemption.status, redemption.fulfilment_reference = Redemption.Status.BURNING, reference
    redemption.decided_by, redemption.decided_at = actor, timezone.now()
    redemption.save()
    audit_record(
        actor=actor,
        action=AuditAction.REDEMPTION_FULFILLED,
        obj=redemption,
        details={"reference": reference, "operation": redemption.operation.pk},
    )
    _tell_holder(redemption)
    return redemption


@transaction.atomic(durable=True)
def redemption_refuse(*, actor: User, redemption_id: int, reason: str) -> Redemption:
    redemption = _issuer_redemption(actor, redemption_id)
    reason = text_required(
        reason,
        field="reason",
        message=_("Give the reason; the holder will see it."),
        multiline=True,
    )
    hold_release(key=_hold_key(redemption))
    redemption.status, redemption.refusal_reason = Redemption.Status.REFUSED, reason
    redemption.decided_by, redemption.decided_at = actor, timezone.now()
    redemption.save()
    audit_record(
        actor=actor,
        action=AuditAction.REDEMPTION_REFUSED,
        obj=redemption,
        details={"reason": reason},
    )
    _tell_holder(redemption)
    return redemption


def _tell_holder(redemption: Redemption) -> None:
    notify(
        users=[redemption.holder.user],
        subject=_("Your redemption of %(symbol)s: %(status)s"),
        body=_("Your redemption of %(symbol)s is now: %(status)s."),
        symbol=redemption.application.symbol,
        status=Redemption.Status(redemption.status).label,
    )


@settlement_handler(REDEMPTION)
@in_transaction
def redemption_settled(operations: list[Operation]) -> None:
    for operation in operations:
        redemption = locks.rows_for_update(Redemption.objects.filter(operation=operation)).first()
        if redemption is None or redemption.status != Redemption.Status.BURNING:
            continue
        if operation.state == Operation.State.CONFIRMED:
            redemption.status = Redemption.Status.REDEEMED
        else:
            # Why is the burn's failure, put into words for each reader (Redemption.failure).
            redemption.status = Redemption.Status.FAILED
        redemption.save(update_fields=["status"])
        audit_record(
            actor=None,
            action=(
                AuditAction.REDEMPTION_REDEEMED
                if redemption.status == Redemption.Status.REDEEMED
                else AuditAction.REDEMPTION_FAILED
            ),
            obj=redemption,
            details={"operation": operation.pk},
        )
        _tell_holder(redemption)
