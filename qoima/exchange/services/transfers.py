"""Transfers between verified holders, recorded on-chain through the transaction manager."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from web3 import Web3

from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.chain.amounts import format_units, units_from_text
from qoima.chain.ledger import InsufficientBalance, available_units
from qoima.chain.manager import operation_request
from qoima.chain.models import Operation, PlatformToken
from qoima.custody.models import Wallet
from qoima.custody.selectors import custodial_wallet, wallet_allowlisted
from qoima.enforcement.selectors import movement_refusal
from qoima.errors import Conflict, InvalidInput, NotAllowed
from qoima.participants.models import HolderProfile, Role, User
from qoima.participants.selectors import user_role
from qoima.text import text_optional

from ..models import Transfer


def _platform_token(address: str) -> PlatformToken:
    token = (
        PlatformToken.objects.filter(
            chain_id=settings.CHAIN_ID, address=Web3.to_checksum_address(address)
        ).first()
        if Web3.is_address(address)
        else None
    )
    if token is None:
        raise InvalidInput(_("No asset of the platform has this token address."), field="asset")
    return token


def _insufficient(available: int, token: PlatformToken) -> InvalidInput:
    return InvalidInput(
        _("You have %(available)s %(symbol)s available.")
        % {
            "available": format_units(available, token.decimals),
            "symbol": token.symbol,
        },
        field="amount",
        code="insufficient_balance",
    )


@transaction.atomic(durable=True)
def transfer_request(
    *, actor: User, token_address: str, receiver_number: str, amount: str, idempotency_key: str
) -> tuple[Transfer, bool]:
    """A verified holder sends units of an asset to another verified holder, by IIN / BIN.

    Returns the transfer and whether it is new: the same request again under the same
    idempotency key returns the first one; the key with a different request is refused.
    """
    if user_role(actor) != Role.HOLDER:
        raise NotAllowed()
    if not 0 < len(idempotency_key) <= 100:
        raise InvalidInput(
            _("An idempotency key of 1 to 100 characters is required."), field="idempotency_key"
        )
    token = _platform_token(token_address)
    units = units_from_text(amount, token.decimals)
    receiver_number = text_optional(receiver_number)
    existing = (
        Transfer.objects.select_related("receiver")
        .filter(requested_by=actor, idempotency_key=idempotency_key)
        .first()
    )
    if existing is not None:
        same = (existing.token_address, existing.receiver.identification_number, existing.amount)
        if same != (token.address, receiver_number, units):
            raise Conflict(
                _("This idempotency key was used for another transfer."), field="idempotency_key"
            )
        return existing, False

    # The sender's profile is locked, as a placement locks it, so a freeze or a suspension of
    # the sender comes before (and the transfer sees it) or after (and withdraws the transfer).
    sender = locks.rows_for_update(HolderProfile.objects.filter(user=actor)).first()
    if sender is None or sender.verification_status != HolderProfile.Status.VERIFIED:
        raise NotAllowed(_("Only a verified holder can transfer assets."))
    sender_wallet = custodial_wallet(sender)
    if sender_wallet is None:
        raise InvalidInput(_("The holder's wallet is being opened; try again shortly."))
    # The amount is checked against the sender before the receiver is looked up: until the
    # sender could make the transfer, the answer is the same whoever the IIN / BIN belongs to
    # (an IIN encodes its holder's birth date; whether it is a verified holder is not shown).
    available = available_units(
        chain_id=settings.CHAIN_ID, token_address=token.address, holder=sender_wallet.address
    )
    if units > available:
        raise _insufficient(available, token)
    receiver = HolderProfile.objects.filter(
        identification_number=receiver_number, verification_status=HolderProfile.Status.VERIFIED
    ).first()
    if receiver is None:
        raise InvalidInput(_("No verified holder has this IIN / BIN."), field="to")
    if receiver.pk == sender.pk:
        raise InvalidInput(_("A transfer goes to another holder."), field="to")
    receiver_wallet = custodial_wallet(receiver)
    if receiver_wallet is None:
        raise InvalidInput(_("The holder's wallet is being opened; try again shortly."))
    refusal = movement_refusal(
        token_address=token.address, wallets=[sender_wallet, receiver_wallet]
    )
    if refusal:
        raise Conflict(refusal, code="movement_restricted")
    try:
        operation = operation_request(
            kind=Operation.Kind.TRANSFER,
            token_address=token.address,
            sender=sender_wallet.address,
            receiver=receiver_wallet.address,
            amount=units,
            idempotency_key=f"exchange.transfer:{actor.pk}:{idempotency_key}",
        )
    except InsufficientBalance as short:
        raise _insufficient(short.available, token) from None
    try:
        with transaction.atomic():
            created = Transfer.objects.create(
                sender=sender,
                receiver=receiver,
                token_address=token.address,
                amount=units,
                operation=operation,
                requested_by=actor,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        # The same request committed concurrently (its operation is this one): that one won.
        return Transfer.objects.get(requested_by=actor, idempotency_key=idempotency_key), False
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_TRANSFER_REQUESTED,
        obj=created,
        details={
            "token": token.address,
            "from": sender.identification_number,
            "to": receiver.identification_number,
            "units": units,
            "operation": operation.pk,
        },
    )
    return created, True


@transaction.atomic(durable=True)
def transfer_to_own_wallet(
    *, actor: User, wallet_id: int, token_address: str, amount: str, idempotency_key: str
) -> Operation:
    """A holder sends units from their custodial wallet to their own linked external wallet:
    a recorded transfer, like any other. The way back is the holder's own: a plain ERC-20
    ``transfer`` signed in their software, which the indexer records."""
    if user_role(actor) != Role.HOLDER:
        raise NotAllowed()
    if not 0 < len(idempotency_key) <= 100:
        raise InvalidInput(
            _("An idempotency key of 1 to 100 characters is required."), field="idempotency_key"
        )
    holder = locks.rows_for_update(HolderProfile.objects.filter(user=actor)).first()
    if holder is None or holder.verification_status != HolderProfile.Status.VERIFIED:
        raise NotAllowed(_("Only a verified holder can transfer assets."))
    own = Wallet.objects.filter(pk=wallet_id, holder=holder, kind=Wallet.Kind.EXTERNAL).first()
    if own is None or not wallet_allowlisted(own):
        raise InvalidInput(
            _("Choose one of your linked wallets that compliance has approved."), field="wallet"
        )
    custodial = custodial_wallet(holder)
    if custodial is None:
        raise InvalidInput(_("The holder's wallet is being opened; try again shortly."))
    token = _platform_token(token_address)
    units = units_from_text(amount, token.decimals)
    refusal = movement_refusal(token_address=token.address, wallets=[custodial, own])
    if refusal:
        raise Conflict(refusal, code="movement_restricted")
    try:
        operation = operation_request(
            kind=Operation.Kind.TRANSFER,
            token_address=token.address,
            sender=custodial.address,
            receiver=own.address,
            amount=units,
            idempotency_key=f"exchange.own-wallet:{actor.pk}:{idempotency_key}",
        )
    except InsufficientBalance as short:
        raise _insufficient(short.available, token) from None
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_TRANSFER_REQUESTED,
        obj=operation,
        details={
            "token": token.address,
            "sender": custodial.address,
            "receiver": own.address,
            "units": units,
        },
    )
    return operation
