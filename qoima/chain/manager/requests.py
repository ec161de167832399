"""Requests: the one service every part of the platform calls to act on-chain.

A request is written in the caller's own database transaction, so the caller's row and the
operation commit together or not at all; nothing else is needed for it to reach the chain.
The caller's idempotency key makes a repeated request return the operation it made the first
time; the same key for a different action is refused.
"""

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from eth_utils import to_checksum_address
from web3 import Web3

from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record_many
from qoima.errors import Conflict, InvalidInput
from qoima.rows import insert_sql

from ..contracts import MAX_UINT256
from ..kinds import KINDS, KindRule, Reservation, cancellable_kinds
from ..ledger import release_failed, reserve
from ..models import Operation
from ..reasons import REASONS
from .settlement import has_settlement_handler, operations_settled

ADDRESS_FIELDS = ("token_address", "sender", "receiver", "account")
FIELDS = (*ADDRESS_FIELDS, "amount", "reason_hash", "payload")


@dataclass(frozen=True)
class OperationRequest:
    """One on-chain action asked for; which fields a kind needs is its rule's (``kinds``)."""

    kind: str
    idempotency_key: str
    token_address: str = ""
    sender: str = ""
    receiver: str = ""
    account: str = ""
    amount: int | None = None
    reason_hash: bytes | str = b""
    payload: Mapping[str, Any] = field(default_factory=dict)
    purpose: str = ""


def operation_request(**fields: Any) -> Operation:
    """Ask for one on-chain action; returns at once. See ``operations_request``."""
    return operations_request(requests=[OperationRequest(**fields)])[0]


def operations_request(*, requests: Sequence[OperationRequest]) -> list[Operation]:
    """Ask for on-chain actions in the caller's transaction; returns their operations at once.

    Units a movement takes from its sender are reserved now. Either every request is taken or,
    on bad input, none is and the error names the first bad request's field.
    """
    if not requests:
        return []
    wanted = [_normalised(request, i, len(requests)) for i, request in enumerate(requests)]
    for attempt in range(2):
        try:
            with transaction.atomic():
                operations = _create(wanted)
        except IntegrityError:
            # The same key committed concurrently: look again, and the other request wins.
            if attempt:
                raise
        else:
            break
    enqueue_batch()
    return operations


@transaction.atomic
def operations_cancel(*, addresses: Sequence[str], code: str) -> list[Operation]:
    """Fail the movements to or from these addresses that no transaction carries yet, giving
    back what they reserved; returns them. Those already in a transaction may still land.
    ``code`` says why (one of reasons.REASONS, without parameters)."""
    cancelled = list(
        locks.operations_for_update(
            Operation.objects.filter(
                Q(sender__in=addresses) | Q(receiver__in=addresses),
                state=Operation.State.PENDING,
                kind__in=cancellable_kinds(),
            ),
            skip_locked=True,
        )
    )
    if not cancelled:
        return []
    with translation.override("en"):
        reason = str(REASONS[code])
    failure = {
        "state": Operation.State.FAILED,
        "failure_code": code,
        "failure_params": {},
        "failure_reason": reason,
        "updated_at": timezone.now(),
    }
    Operation.objects.filter(pk__in=[op.pk for op in cancelled]).update(**failure)
    for operation in cancelled:
        for name, value in failure.items():
            setattr(operation, name, value)
    release_failed(chain_id=settings.CHAIN_ID, operations=cancelled)
    audit_record_many(
        actor=None,
        action=AuditAction.OPERATION_FAILED,
        records=[(op, {"code": code}) for op in cancelled],
    )
    operations_settled(cancelled)
    return cancelled


# The chain's tasks module answers this by enqueueing ``chain_batch`` on commit. The manager
# only says that a batch is wanted: its tasks import it, so it must not import them back.
batch_wanted = Signal()


def enqueue_batch(countdown: float = 0) -> None:
    """Once the caller's transaction commits, ask a worker to batch what is pending.

    Never raises: the sweep finds the work anyway if the message is lost or cannot be sent.
    """
    batch_wanted.send(sender=Operation, countdown=countdown)


def _create(wanted: list[dict[str, Any]]) -> list[Operation]:
    _keys_checked(wanted)
    keys = [w["idempotency_key"] for w in wanted]
    existing = {op.idempotency_key: op for op in Operation.objects.filter(idempotency_key__in=keys)}
    for values in wanted:
        known = existing.get(values["idempotency_key"])
        if known is not None and any(getattr(known, f) != v for f, v in values.items()):
            raise Conflict(
                _("This idempotency key was used for another action."), field="idempotency_key"
            )
    new = [_operation(values) for values in wanted if values["idempotency_key"] not in existing]
    # The keys first: a concurrent request with the same key waits here and then finds this
    # one's operation, instead of being refused for the units this one reserved.
    created = {op.idempotency_key: op for op in Operation.objects.bulk_create(new)}
    _reserve(new)
    return [existing.get(key) or created[key] for key in keys]


def operations_insert_sql(
    *, requests: Sequence[OperationRequest]
) -> tuple[list[Operation], tuple[str, list[Any]]]:
    """PostgreSQL, for a caller that sends its statements at once (``qoima.rows``): the
    operations of ``requests`` and the statement inserting them, which returns their ids in
    their order (``operations_numbered``). The requests are checked as ``operations_request``
    checks them, and their keys must be new: one the platform has seen fails the insert (the
    unique key), and with it the caller's transaction. The caller reserves their units in the
    same transaction (``reservation_needs``, and the ledger's ``holds_moved_sql``)."""
    wanted = [_normalised(request, i, len(requests)) for i, request in enumerate(requests)]
    _keys_checked(wanted)
    operations = [_operation(values) for values in wanted]
    enqueue_batch()
    return operations, insert_sql(operations, returning_pk=True)


def operations_numbered(operations: list[Operation], inserted: list[tuple[Any, ...]]) -> None:
    """Give the operations of ``operations_insert_sql`` the ids its statement returned."""
    for operation, (pk,) in zip(operations, inserted, strict=True):
        operation.pk = pk
        # Saved, as ``bulk_create`` leaves the operations it makes.
        operation._state.adding, operation._state.db = False, connection.alias


def reservation_needs(operations: Iterable[Operation]) -> dict[tuple[str, str], tuple[int, int]]:
    """What new operations reserve, per (token, sender): (checked, forced) units, as the
    ledger's ``reserve`` takes them."""
    needs: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for op in operations:
        if op.holding:
            assert op.amount is not None
            forced = KINDS[op.kind].reserves == Reservation.BALANCE
            needs[(op.token_address, op.sender)][forced] += int(op.amount)
    return {key: (checked, forced) for key, (checked, forced) in needs.items()}


def _reserve(operations: list[Operation]) -> None:
    needs = reservation_needs(operations)
    if needs:
        reserve(chain_id=settings.CHAIN_ID, needs=needs)


def _operation(values: dict[str, Any]) -> Operation:
    return Operation(**values, holding=KINDS[values["kind"]].reserves != Reservation.NONE)


def _keys_checked(wanted: list[dict[str, Any]]) -> None:
    keys = [w["idempotency_key"] for w in wanted]
    if len(set(keys)) != len(keys):
        raise InvalidInput(_("Each request needs its own idempotency key."))


# ------------------------------------------------------------------------------ validation


def _normalised(request: OperationRequest, index: int, count: int) -> dict[str, Any]:
    """The operation's column values, or InvalidInput naming the field."""

    def bad(message: Any, name: str) -> InvalidInput:
        return InvalidInput(message, field=name if count == 1 else f"{index}.{name}")

    kind = _kind_checked(request, bad)
    values: dict[str, Any] = {
        "kind": request.kind,
        "chain_id": settings.CHAIN_ID,
        "idempotency_key": request.idempotency_key,
        "purpose": request.purpose,
    }
    values |= {name: _value(name, getattr(request, name), kind, bad) for name in FIELDS}
    # A movement between two parties needs two different ones.
    if {"sender", "receiver"} <= kind.needs and values["sender"] == values["receiver"]:
        raise bad(_("The sender and the receiver are the same address."), "receiver")
    return values


def _kind_checked(request: OperationRequest, bad: Any) -> KindRule:
    """The request's kind, once its kind, idempotency key and purpose are known to be good."""
    kind = KINDS.get(request.kind)
    if kind is None:
        raise bad(_("Unknown kind of on-chain action."), "kind")
    if not request.idempotency_key or len(request.idempotency_key) > 128:
        raise bad(_("An idempotency key of 1 to 128 characters is required."), "idempotency_key")
    if request.purpose and not has_settlement_handler(request.purpose):
        raise bad(_("Unknown purpose."), "purpose")
    return kind


def _value(name: str, given: Any, kind: KindRule, bad: Any) -> Any:
    """A field's column value: checked when the kind uses it, empty when it does not."""
    if not given and given != 0:
        if name in kind.needs:
            raise bad(_("This field is required for this action."), name)
        return {"amount": None, "payload": {}}.get(name, "")
    if name not in kind.needs | kind.may:
        raise bad(_("This field is not used by this action."), name)
    if name == "payload":
        checked = kind.payload(given) if kind.payload is not None else None
        if checked is None:
            raise bad(kind.payload_error, name)
        return checked
    return _field(name, given, bad)


def _field(name: str, given: Any, bad: Any) -> Any:
    if name in ADDRESS_FIELDS:
        address = _checksummed(given) if isinstance(given, str) else None
        if address is None:
            raise bad(_("%(value)s is not an address.") % {"value": given}, name)
        return address
    if name == "amount":
        if isinstance(given, bool) or not isinstance(given, int) or not 0 < given <= MAX_UINT256:
            raise bad(_("The amount must be a whole number above zero."), name)
        return Decimal(given)
    return _bytes32(given, name, bad)


@functools.lru_cache(maxsize=4096)
def _checksummed(given: str) -> str | None:
    """The address checksummed, None when it is not one. Kept: each costs a hash, and the
    same few addresses come again and again (the matcher's trades name its members' wallets
    and the market's token, three for every trade)."""
    return to_checksum_address(given) if Web3.is_address(given) else None


def _bytes32(given: Any, name: str, bad: Any) -> str:
    raw = given
    if isinstance(given, str):
        try:
            raw = bytes.fromhex(given.removeprefix("0x"))
        except ValueError:
            raw = b""
    if not isinstance(raw, bytes) or len(raw) != 32:
        raise bad(_("A hash of 32 bytes is required."), name)
    return "0x" + raw.hex()
