"""The issuer sends units to verified holders, one at a time or by a CSV file of many rows.

A file is checked whole before anything moves: every bad row is reported with its line
number, and a file with any bad row moves nothing. A good file becomes one transfer request
per row, all in one transaction, which the transaction manager batches on-chain.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.chain.amounts import units_from_text
from qoima.chain.ledger import InsufficientBalance, available_units
from qoima.chain.manager import OperationRequest, operations_request, settlement_handler
from qoima.chain.models import Operation
from qoima.custody.models import Wallet
from qoima.custody.selectors import organisation_wallet
from qoima.errors import ApplicationError, Conflict, InvalidInput
from qoima.participants.identifiers import validate_identification_number
from qoima.participants.models import HolderProfile, User
from qoima.text import text_optional
from qoima.transactions import in_transaction

from .. import access
from ..models import Application, Distribution, DistributionLine
from ..notifications import notify
from ..selectors import AMOUNT, PROBLEMS
from .common import issuer_application, locked

DISTRIBUTION = "issuance.distribution"
LOOKUP_CHUNK = 5_000


@dataclass(frozen=True)
class Line:
    line: int
    holder: HolderProfile
    wallet: str
    units: int


def _issued(actor: User, application_id: int) -> Application:
    application = issuer_application(actor, application_id)
    if application.status not in access.DISTRIBUTABLE:
        raise Conflict(_("Units can be sent once the asset is issued."))
    return application


def _idempotency_key(key: str) -> str:
    if not 0 < len(key) <= 100:
        raise InvalidInput(
            _("An idempotency key of 1 to 100 characters is required."), field="idempotency_key"
        )
    return key


def _existing(application: Application, key: str) -> Distribution | None:
    return Distribution.objects.filter(application=application, idempotency_key=key).first()


def _ensure_available(application: Application, units: int) -> None:
    sender = organisation_wallet(application.organisation)
    if sender is None:
        raise InvalidInput(_("The issuer has no wallet."))
    available = available_units(
        chain_id=settings.CHAIN_ID, token_address=application.token_address, holder=sender.address
    )
    if units > available:
        raise InsufficientBalance(
            chain_id=settings.CHAIN_ID,
            token=application.token_address,
            holder=sender.address,
            available=available,
            needed=units,
        )


@transaction.atomic(durable=True)
def distribution_send(
    *, actor: User, application_id: int, receiver: str, amount: str, idempotency_key: str
) -> Distribution:
    """Send units to one verified holder, named by IIN / BIN or holder id."""
    application = _issued(actor, application_id)
    key = _idempotency_key(idempotency_key)
    existing = _existing(application, key)
    if existing is not None:
        return existing
    units = units_from_text(amount, application.decimals)
    # As for transfers: the amount is checked against the issuer's wallet before the holder
    # is looked up, so an over-balance send does not tell whether the holder exists.
    _ensure_available(application, units)
    receiver = text_optional(receiver)
    holders = _holders([receiver])
    found = holders.get(receiver)
    problem = _holder_problem(receiver, found)
    if problem:
        raise InvalidInput(PROBLEMS[problem], field="receiver")
    assert found is not None
    distribution = Distribution.objects.create(
        application=application,
        created_by=actor,
        idempotency_key=key,
        row_count=1,
        total_units=units,
        status=Distribution.Status.SENDING,
    )
    wallet = _wallets([found]).get(found.pk)
    if wallet is None:
        raise InvalidInput(PROBLEMS["no_wallet"], field="receiver")
    _request(distribution, [Line(1, found, wallet, units)])
    return distribution


# Issuance's tasks module answers this by enqueueing the file's check on commit: the tasks
# import these services, so these services must not import them back.
distribution_uploaded = Signal()


@transaction.atomic(durable=True)
def distribution_upload(
    *, actor: User, application_id: int, upload: UploadedFile, idempotency_key: str
) -> Distribution:
    """Take a CSV file of (IIN / BIN or holder id, amount) rows; a worker checks and sends it."""
    application = _issued(actor, application_id)
    key = _idempotency_key(idempotency_key)
    existing = _existing(application, key)
    if existing is not None:
        return existing
    limit = settings.ISSUANCE_DISTRIBUTION_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise InvalidInput(
            _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)},
            field="file",
        )
    content = b"".join(upload.chunks())
    try:
        with transaction.atomic():
            distribution = Distribution.objects.create(
                application=application,
                created_by=actor,
                idempotency_key=key,
                file_name=(upload.name or "")[:255],
                content=content,
            )
    except IntegrityError:
        found = _existing(application, key)
        assert found is not None
        return found
    audit_record(
        actor=actor,
        action=AuditAction.DISTRIBUTION_UPLOADED,
        obj=distribution,
        details={
            "application": application.pk,
            "file": distribution.file_name,
            "bytes": len(content),
        },
    )
    distribution_uploaded.send(sender=Distribution, distribution=distribution)
    return distribution


@transaction.atomic(durable=True)
def distribution_process(*, distribution_id: int) -> Distribution:
    """Check an uploaded file whole; send it if every row is good, refuse it otherwise."""
    distribution = locked(Distribution, distribution_id)
    if distribution.status != Distribution.Status.VALIDATING:
        return distribution
    lines, errors = _check(distribution)
    if not errors:
        try:
            with transaction.atomic():
                _request(distribution, lines)
        except InsufficientBalance as short:
            errors = [_error(0, "short", needed=int(short.needed), available=int(short.available))]
    if errors:
        distribution.status, distribution.errors = Distribution.Status.INVALID, errors
        distribution.row_count = max(distribution.row_count, len(lines))
        distribution.save(update_fields=["status", "errors", "row_count"])
        audit_record(
            actor=None,
            action=AuditAction.DISTRIBUTION_REFUSED,
            obj=distribution,
            details={"errors": len(errors)},
        )
    notify(
        users=[distribution.created_by],
        subject=_("Distribution of %(name)s: %(status)s"),
        body=_("Your file %(file)s: %(status)s."),
        name=distribution.application.name,
        file=distribution.file_name,
        status=Distribution.Status(distribution.status).label,
    )
    return distribution


def _rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    text = content.decode("utf-8-sig")
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if any(cell.strip() for cell in row):
            yield number, [cell.strip() for cell in row]


def _error(
    line: int, *problems: str | tuple[str, dict[str, object]], **params: object
) -> dict[str, object]:
    listed = [
        {"code": problem, "params": params}
        if isinstance(problem, str)
        else {"code": problem[0], "params": problem[1]}
        for problem in problems
    ]
    return {"line": line, "problems": listed}


def _check(distribution: Distribution) -> tuple[list[Line], list[dict[str, object]]]:
    """Every good row as a line and every bad one as an error; the file as a whole too."""
    application = distribution.application
    errors: list[dict[str, object]] = []
    try:
        rows = list(_rows(bytes(distribution.content or b"")))
    except (UnicodeDecodeError, csv.Error):
        return [], [_error(0, "not_csv")]
    first = rows[0][1] if rows else []
    if rows and not _is_amount(first[1] if len(first) > 1 else ""):
        rows = rows[1:]  # a header row
    limit = settings.ISSUANCE_DISTRIBUTION_MAX_ROWS
    if not rows:
        errors.append(_error(0, "no_rows"))
    if len(rows) > limit:
        return [], [_error(0, "too_many_rows", count=len(rows), limit=limit)]
    holders = _holders([row[0] for _n, row in rows if row])
    wallets = _wallets([h for key, h in holders.items() if _holder_problem(key, h) is None])
    lines: list[Line] = []
    total = 0
    for number, row in rows:
        if len(row) != 2:
            errors.append(_error(number, "columns"))
            continue
        holder = holders.get(row[0])
        problem = _holder_problem(row[0], holder) or (
            None if holder is None or holder.pk in wallets else "no_wallet"
        )
        try:
            units = units_from_text(row[1], application.decimals, localized=False)
        except ApplicationError:
            amount = (AMOUNT, {"text": row[1][:100], "decimals": application.decimals})
            errors.append(_error(number, *([problem] if problem else []), amount))
            continue
        if problem:
            errors.append(_error(number, problem))
            continue
        assert holder is not None
        lines.append(Line(number, holder, wallets[holder.pk], units))
        total += units
    distribution.row_count, distribution.total_units = len(rows), total
    return lines, errors


def _is_amount(text: str) -> bool:
    """Whether a cell reads as a number at all: a first row whose amount does not is a header."""
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _holders(keys: list[str]) -> dict[str, HolderProfile]:
    """Holders by what a row names them with: a 12-digit IIN / BIN, or a holder id."""
    numbers = sorted({key for key in keys if len(key) == 12 and key.isdigit()})
    ids = sorted({int(key) for key in keys if key.isdigit() and len(key) < 12})
    found: dict[str, HolderProfile] = {}
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[start : start + LOOKUP_CHUNK]
        for holder in HolderProfile.objects.filter(identification_number__in=chunk):
            found[holder.identification_number] = holder
    for start in range(0, len(ids), LOOKUP_CHUNK):
        for holder in HolderProfile.objects.filter(pk__in=ids[start : start + LOOKUP_CHUNK]):
            found[str(holder.pk)] = holder
    return found


def _holder_problem(key: str, holder: HolderProfile | None) -> str | None:
    """What is wrong with the holder a row names, as a code of PROBLEMS."""
    if holder is None:
        try:
            validate_identification_number(key)
        except ValidationError:
            if len(key) == 12:
                return "check_digit"
        return "unknown_holder"
    if holder.verification_status != HolderProfile.Status.VERIFIED:
        return "not_verified"
    return None


def _wallets(holders: list[HolderProfile]) -> dict[int, str]:
    ids = [h.pk for h in holders]
    wallets: dict[int, str] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        rows = Wallet.objects.filter(
            holder_id__in=ids[start : start + LOOKUP_CHUNK], kind=Wallet.Kind.CUSTODIAL
        ).values_list("holder_id", "address")
        wallets.update(dict(rows))
    return wallets


def _request(distribution: Distribution, lines: list[Line]) -> None:
    application = distribution.application
    sender = organisation_wallet(application.organisation)
    if sender is None:
        raise InvalidInput(_("The issuer has no wallet."))
    operations = operations_request(
        requests=[
            OperationRequest(
                kind=Operation.Kind.TRANSFER,
                token_address=application.token_address,
                sender=sender.address,
                receiver=line.wallet,
                amount=line.units,
                idempotency_key=f"{DISTRIBUTION}:{distribution.pk}:{line.line}",
                purpose=DISTRIBUTION,
            )
            for line in lines
        ]
    )
    DistributionLine.objects.bulk_create(
        [
            DistributionLine(
                distribution=distribution,
                line=line.line,
                holder=line.holder,
                amount=line.units,
                operation=operation,
            )
            for line, operation in zip(lines, operations, strict=True)
        ],
        batch_size=5_000,
    )
    distribution.status = Distribution.Status.SENDING
    distribution.save(update_fields=["status", "row_count", "total_units"])
    audit_record(
        actor=distribution.created_by,
        action=AuditAction.DISTRIBUTION_REQUESTED,
        obj=distribution,
        details={"rows": len(lines), "units": sum(line.units for line in lines)},
    )


@settlement_handler(DISTRIBUTION)
@in_transaction
def distribution_settled(operations: list[Operation]) -> None:
    """A distribution is done when every one of its transfers is final."""
    touched = set(
        DistributionLine.objects.filter(operation__in=[op.pk for op in operations]).values_list(
            "distribution_id", flat=True
        )
    )
    for distribution_id in sorted(touched):
        unfinished = DistributionLine.objects.filter(
            distribution_id=distribution_id,
            operation__state__in=[Operation.State.PENDING, Operation.State.SUBMITTED],
        ).exists()
        if not unfinished:
            done = Distribution.objects.filter(
                pk=distribution_id, status=Distribution.Status.SENDING
            ).update(status=Distribution.Status.DONE)
            if done:
                audit_record(
                    actor=None,
                    action=AuditAction.DISTRIBUTION_DONE,
                    obj=Distribution.objects.get(pk=distribution_id),
                    details={"operations": [op.pk for op in operations]},
                )
