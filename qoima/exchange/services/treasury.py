"""Tenge in and out: bank statements imported and matched to members, receipts handled by
hand, withdrawals requested, approved, paid, cancelled or refused.

Every use case commits on its own, writes its audit entry in the same transaction and is safe
to call twice: the same statement file is refused, a line the bank already reported is passed
over, and an action already done returns what it did.

Statement files come in two layouts:

* SWIFT MT940 as the bank exports it (``:25:`` the platform's IBAN, ``:61:`` each movement,
  ``:86:`` its purpose); the bank reference of ``:61:`` (after ``//``), else the customer
  reference, identifies a movement.
* CSV, UTF-8 (a byte-order mark is allowed), comma-separated, a header row naming the columns
  ``date,amount,currency,bank_reference,payer_name,payer_iban,purpose`` in any order: ``date``
  as ``YYYY-MM-DD``, ``amount`` with a point and no grouping (``1234.50``; a debit is
  negative), ``currency`` ``KZT``.

Only credits in tenge count; debits are the platform's own payments (recorded when a
withdrawal is paid) and are passed over. A file with any line in another currency is refused
whole, so that nobody is credited tenge for dollars.
"""

import csv
import datetime
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import mt940
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import iban as iban_numbers
from stdnum.exceptions import ValidationError as NumberInvalid

from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.errors import Conflict, InvalidInput, NotAllowed, NotFound
from qoima.participants.models import HolderProfile, Role, User
from qoima.participants.selectors import user_role
from qoima.text import text_optional

from ..models import (
    BankAccount,
    CashAccount,
    Member,
    Posting,
    StatementImport,
    StatementLine,
    Withdrawal,
)
from ..money import MAX_TIYN, format_tenge, tiyn_from_text
from ..selectors.cash import member_of
from .cash import (
    Entry,
    member_accounts,
    member_ensure_in_transaction,
    platform_account,
    postings_write_in_transaction,
    reference_is_valid,
)

CURRENCY = "KZT"
CSV_COLUMNS = (
    "date",
    "amount",
    "currency",
    "bank_reference",
    "payer_name",
    "payer_iban",
    "purpose",
)
# A payment reference anywhere in a purpose, however the payer spaced or cased it around.
_REFERENCE_IN_TEXT = re.compile(r"(?<![0-9A-Z])Q[0-9]{9}(?![0-9])")
_BANK_REFERENCE = re.compile(r"[0-9A-Za-z/\-.:_]{1,64}")


# ------------------------------------------------------------------------------ members


@transaction.atomic(durable=True)
def member_join(*, actor: User) -> Member:
    """The actor's exchange member, opened with its accounts and payment reference on first
    use: a verified holder's, or an issuer's (for its staff)."""
    role = user_role(actor)
    if role == Role.HOLDER:
        holder = HolderProfile.objects.filter(user=actor).first()
        if holder is None or holder.verification_status != HolderProfile.Status.VERIFIED:
            raise NotAllowed(_("Only a verified holder can deposit and withdraw tenge."))
        existing = Member.objects.filter(holder=holder).first()
        member = existing or member_ensure_in_transaction(holder=holder)
    elif role == Role.ISSUER_STAFF and actor.organisation is not None:
        existing = Member.objects.filter(organisation=actor.organisation).first()
        member = existing or member_ensure_in_transaction(organisation=actor.organisation)
    else:
        raise NotAllowed(_("Only holders and issuers hold tenge on the platform."))
    if existing is None:
        audit_record(
            actor=actor,
            action=AuditAction.EXCHANGE_MEMBER_JOINED,
            obj=member,
            details={"payment_reference": member.payment_reference},
        )
    return member


def _member_for_use(actor: User) -> Member:
    member = member_of(actor)
    if member is None:
        raise NotAllowed(_("Open your cash account first."))
    if member.holder_id is not None:
        holder = HolderProfile.objects.get(pk=member.holder_id)
        if holder.verification_status != HolderProfile.Status.VERIFIED:
            raise NotAllowed(_("Only a verified holder can deposit and withdraw tenge."))
    return member


def _iban_clean(text: str) -> str:
    """The IBAN in compact form; InvalidInput unless it is a Kazakh IBAN whose check digits
    are right."""
    compact = iban_numbers.compact(text_optional(text) or "")
    if not compact.startswith("KZ"):
        raise InvalidInput(
            _("Enter a Kazakh IBAN: KZ followed by 18 characters."), field="iban", code="iban"
        )
    try:
        return str(iban_numbers.validate(compact))
    except NumberInvalid:
        raise InvalidInput(
            _("This IBAN is not valid: check it against your bank's details."),
            field="iban",
            code="iban",
        ) from None


@transaction.atomic(durable=True)
def bank_account_add(*, actor: User, iban: str, holder_name: str) -> BankAccount:
    """Register a bank account of the actor's member; the same IBAN again returns it."""
    member = _member_for_use(actor)
    compact = _iban_clean(iban)
    name = (text_optional(holder_name) or "").strip()
    if not name:
        raise InvalidInput(_("Enter the account holder's name."), field="holder_name")
    if len(name) > 200:
        raise InvalidInput(_("The name is too long."), field="holder_name")
    existing = BankAccount.objects.filter(member=member, iban=compact).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            account = BankAccount.objects.create(
                member=member, iban=compact, holder_name=name, added_by=actor
            )
    except IntegrityError:
        return BankAccount.objects.get(member=member, iban=compact)
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_BANK_ACCOUNT_ADDED,
        obj=account,
        details={"member": member.payment_reference, "iban": compact, "holder_name": name},
    )
    return account


# ------------------------------------------------------------------------------ statements


@dataclass(frozen=True)
class StatementRow:
    """One movement of a statement as its file gave it (an amount in tiyn, negative debits)."""

    bank_reference: str
    value_date: datetime.date
    amount: int
    currency: str
    payer_name: str
    payer_iban: str
    purpose: str


def _file_error(message: Any) -> InvalidInput:
    return InvalidInput(message, field="file", code="statement_unreadable")


def _tiyn(amount: Decimal, where: str) -> int:
    tiyn = amount * 100
    if tiyn != tiyn.to_integral_value() or abs(tiyn) > MAX_TIYN or tiyn == 0:
        raise _file_error(
            _("The amount of %(where)s is not a whole number of tiyn or is out of range.")
            % {"where": where}
        )
    return int(tiyn)


def _bank_reference(text: str, where: str) -> str:
    reference = (text or "").strip()
    if not _BANK_REFERENCE.fullmatch(reference) or reference.upper() == "NONREF":
        raise _file_error(_("%(where)s has no bank reference.") % {"where": where})
    return reference


def _mt940_rows(text: str) -> list[StatementRow]:
    statements = mt940.models.Transactions()
    try:
        statements.parse(text)
    except Exception as error:
        raise _file_error(
            _("This is not an MT940 statement the platform can read: %(error)s")
            % {"error": str(error)[:200]}
        ) from None
    account = str(statements.data.get("account_identification") or "").replace(" ", "")
    if settings.EXCHANGE_BANK_IBAN not in account:
        raise _file_error(
            _("This statement is of account %(account)s, not of the platform's %(iban)s.")
            % {"account": account or "?", "iban": settings.EXCHANGE_BANK_IBAN}
        )
    rows = []
    for number, transaction_ in enumerate(statements, start=1):
        data = transaction_.data
        where = _("line %(number)s") % {"number": number}
        amount = data.get("amount")
        if amount is None or data.get("date") is None:
            raise _file_error(_("%(where)s has no amount or date.") % {"where": where})
        reference = data.get("bank_reference") or data.get("customer_reference") or ""
        rows.append(
            StatementRow(
                bank_reference=_bank_reference(reference, str(where)),
                value_date=datetime.date(data["date"].year, data["date"].month, data["date"].day),
                amount=_tiyn(Decimal(amount.amount), str(where)),
                currency=str(amount.currency or data.get("currency") or "").upper(),
                payer_name="",
                payer_iban="",
                purpose=" ".join(str(data.get("transaction_details") or "").split())[:500],
            )
        )
    if not rows:
        raise _file_error(_("The statement holds no movements."))
    return rows


def _csv_rows(text: str) -> list[StatementRow]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = {(name or "").strip() for name in reader.fieldnames or []}
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        raise _file_error(
            _("The CSV file lacks the columns %(columns)s (it needs %(all)s).")
            % {"columns": ", ".join(missing), "all": ",".join(CSV_COLUMNS)}
        )
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = {(key or "").strip(): (value or "").strip() for key, value in raw.items()}
        where = _("line %(number)s") % {"number": number}
        try:
            value_date = datetime.date.fromisoformat(row["date"])
            amount = Decimal(row["amount"])
        except (ValueError, InvalidOperation):
            raise _file_error(
                _("%(where)s: write the date as YYYY-MM-DD and the amount as 1234.50.")
                % {"where": where}
            ) from None
        if not amount.is_finite():
            raise _file_error(_("%(where)s has no amount.") % {"where": where})
        rows.append(
            StatementRow(
                bank_reference=_bank_reference(row["bank_reference"], str(where)),
                value_date=value_date,
                amount=_tiyn(amount, str(where)),
                currency=row["currency"].upper(),
                payer_name=row["payer_name"][:200],
                payer_iban=row["payer_iban"].replace(" ", "")[:34],
                purpose=" ".join(row["purpose"].split())[:500],
            )
        )
    if not rows:
        raise _file_error(_("The statement holds no movements."))
    return rows


def _statement_rows(*, content: bytes, file_format: str) -> list[StatementRow]:
    """The movements of a statement file; InvalidInput when it cannot be read or holds a
    currency other than tenge."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise _file_error(_("The file is not UTF-8 text.")) from None
    if file_format == StatementImport.Format.MT940:
        rows = _mt940_rows(text)
    elif file_format == StatementImport.Format.CSV:
        rows = _csv_rows(text)
    else:
        raise InvalidInput(_("Choose the statement's format."), field="format")
    foreign = sorted({row.currency for row in rows if row.currency != CURRENCY})
    if foreign:
        raise InvalidInput(
            _("The statement holds amounts in %(currencies)s; only tenge (KZT) is accepted.")
            % {"currencies": ", ".join(foreign)},
            field="file",
            code="foreign_currency",
        )
    return rows


def _reference_in_purpose(purpose: str) -> str | None:
    """The first valid payment reference written in a transfer's purpose."""
    for found in _REFERENCE_IN_TEXT.findall(purpose.upper()):
        if reference_is_valid(found):
            return str(found)
    return None


def _require_treasury(actor: User) -> None:
    if user_role(actor) != Role.TREASURY_OFFICER:
        raise NotAllowed()


@transaction.atomic(durable=True)
def statement_import(
    *, actor: User, file_name: str, content: bytes, file_format: str
) -> StatementImport:
    """Read a bank statement: each credit naming a member's payment reference is deposited
    to it (omnibus -> member available); every other credit waits in the platform's
    settlement account for a person. A line already imported is passed over; the same file
    twice is refused."""
    _require_treasury(actor)
    if len(content) > settings.EXCHANGE_STATEMENT_MAX_BYTES:
        raise InvalidInput(_("The file is too large."), field="file")
    sha256 = hashlib.sha256(content).hexdigest()
    if StatementImport.objects.filter(sha256=sha256).exists():
        raise InvalidInput(
            _("This statement file was imported already."), field="file", code="duplicate_file"
        )
    rows = _statement_rows(content=content, file_format=file_format)
    try:
        with transaction.atomic():
            statement = StatementImport.objects.create(
                sha256=sha256,
                file_name=(file_name or "statement")[:255],
                format=file_format,
                imported_by=actor,
            )
    except IntegrityError:
        raise InvalidInput(
            _("This statement file was imported already."), field="file", code="duplicate_file"
        ) from None

    credits: dict[str, StatementRow] = {}
    skipped = 0
    for row in rows:
        if row.amount < 0 or row.bank_reference in credits:
            skipped += 1
        else:
            credits[row.bank_reference] = row
    known = set(
        StatementLine.objects.filter(bank_reference__in=list(credits)).values_list(
            "bank_reference", flat=True
        )
    )
    skipped += len(known)
    fresh = [row for reference, row in credits.items() if reference not in known]
    wanted = {_reference_in_purpose(row.purpose) for row in fresh} - {None}
    members = {m.payment_reference: m for m in Member.objects.filter(payment_reference__in=wanted)}
    available = {
        account.member_id: account.pk
        for account in CashAccount.objects.filter(
            member__in=members.values(), kind=CashAccount.Kind.AVAILABLE
        )
    }
    omnibus = platform_account(CashAccount.Kind.OMNIBUS).pk
    settlement = platform_account(CashAccount.Kind.SETTLEMENT).pk

    entries, lines = [], []
    for row in fresh:
        member = members.get(_reference_in_purpose(row.purpose) or "")
        credited = available[member.pk] if member is not None else settlement
        entry = Entry(
            kind=Posting.Kind.DEPOSIT if member else Posting.Kind.DEPOSIT_UNALLOCATED,
            key=f"statement_line:{row.bank_reference}:received",
            reference=f"statement_line:{row.bank_reference}"[:64],
            legs=[(omnibus, -row.amount), (credited, row.amount)],
            actor=actor,
        )
        entries.append(entry)
        lines.append((row, member))
    try:
        with transaction.atomic():
            postings = postings_write_in_transaction(entries)
            created = StatementLine.objects.bulk_create(
                [
                    StatementLine(
                        statement=statement,
                        bank_reference=row.bank_reference,
                        value_date=row.value_date,
                        amount=row.amount,
                        payer_name=row.payer_name,
                        payer_iban=row.payer_iban,
                        purpose=row.purpose,
                        state=(
                            StatementLine.State.MATCHED
                            if member
                            else StatementLine.State.UNALLOCATED
                        ),
                        member=member,
                        posting=posting,
                    )
                    for (row, member), posting in zip(lines, postings, strict=True)
                ]
            )
    except IntegrityError:
        # Another import of an overlapping statement committed these lines first.
        raise Conflict(
            _("Another statement with the same movements is being imported; try again.")
        ) from None
    statement.matched_count = sum(1 for line in created if line.member_id)
    statement.unallocated_count = len(created) - statement.matched_count
    statement.skipped_count = skipped
    statement.save(update_fields=["matched_count", "unallocated_count", "skipped_count"])
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_STATEMENT_IMPORTED,
        obj=statement,
        details={
            "sha256": sha256,
            "format": file_format,
            "file_name": statement.file_name,
            "matched": statement.matched_count,
            "unallocated": statement.unallocated_count,
            "passed_over": skipped,
            "credited_tiyn": sum(line.amount for line in created),
        },
    )
    return statement


def _unallocated_line(line_id: int) -> StatementLine:
    try:
        return locks.lock_row(StatementLine, line_id)
    except StatementLine.DoesNotExist:
        raise NotFound() from None


def _receipt_handled(
    line: StatementLine, *, actor: User, kind: str, to_account: int, state: str, note: str
) -> None:
    """An unallocated receipt leaves the settlement account, to a member or back to the bank
    (returned to its payer), and the line says by whom and when."""
    [posting] = postings_write_in_transaction(
        [
            Entry(
                kind=kind,
                key=f"statement_line:{line.bank_reference}:handled",
                reference=f"statement_line:{line.bank_reference}"[:64],
                legs=[
                    (platform_account(CashAccount.Kind.SETTLEMENT).pk, -line.amount),
                    (to_account, line.amount),
                ],
                actor=actor,
            )
        ]
    )
    line.state = state
    line.handled_posting = posting
    line.handled_by = actor
    line.handled_at = timezone.now()
    line.note = (text_optional(note) or "")[:500]
    line.save()


@transaction.atomic(durable=True)
def receipt_allocate(
    *, actor: User, line_id: int, payment_reference: str, note: str = ""
) -> StatementLine:
    """Credit an unmatched receipt to the member with this payment reference (settlement ->
    member available); done already for that member, it returns the line."""
    _require_treasury(actor)
    reference = (text_optional(payment_reference) or "").strip().upper()
    line = _unallocated_line(line_id)
    member = Member.objects.filter(payment_reference=reference).first()
    if member is None:
        raise InvalidInput(_("No member has this payment reference."), field="payment_reference")
    if line.state == StatementLine.State.ALLOCATED and line.member_id == member.pk:
        return line
    if line.state != StatementLine.State.UNALLOCATED:
        raise Conflict(_("This receipt was handled already."))
    line.member = member
    _receipt_handled(
        line,
        actor=actor,
        kind=Posting.Kind.DEPOSIT_ALLOCATED,
        to_account=member_accounts(member)[CashAccount.Kind.AVAILABLE].pk,
        state=StatementLine.State.ALLOCATED,
        note=note,
    )
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_RECEIPT_ALLOCATED,
        obj=line,
        details={
            "bank_reference": line.bank_reference,
            "amount_tiyn": line.amount,
            "member": member.payment_reference,
            "note": line.note,
        },
    )
    return line


@transaction.atomic(durable=True)
def receipt_return(
    *, actor: User, line_id: int, return_reference: str, note: str = ""
) -> StatementLine:
    """Record that an unmatched receipt was sent back to its payer, with the bank's reference
    of the return (settlement -> omnibus)."""
    _require_treasury(actor)
    reference = _payment_reference_text(return_reference, field="return_reference")
    line = _unallocated_line(line_id)
    if line.state == StatementLine.State.RETURNED and line.return_reference == reference:
        return line
    if line.state != StatementLine.State.UNALLOCATED:
        raise Conflict(_("This receipt was handled already."))
    if StatementLine.objects.filter(return_reference=reference).exists():
        raise InvalidInput(
            _("This bank reference is recorded for another return."), field="return_reference"
        )
    line.return_reference = reference
    _receipt_handled(
        line,
        actor=actor,
        kind=Posting.Kind.RECEIPT_RETURNED,
        to_account=platform_account(CashAccount.Kind.OMNIBUS).pk,
        state=StatementLine.State.RETURNED,
        note=note,
    )
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_RECEIPT_RETURNED,
        obj=line,
        details={
            "bank_reference": line.bank_reference,
            "amount_tiyn": line.amount,
            "return_reference": reference,
            "note": line.note,
        },
    )
    return line


def _payment_reference_text(text: str, *, field: str) -> str:
    reference = (text_optional(text) or "").strip()
    if not _BANK_REFERENCE.fullmatch(reference):
        raise InvalidInput(
            _("Enter the bank's reference of the payment: up to 64 letters, digits and / - . :"),
            field=field,
        )
    return reference


# ------------------------------------------------------------------------------ withdrawals


def _needs_second_officer(amount: int) -> bool:
    return amount > settings.EXCHANGE_WITHDRAWAL_SECOND_OFFICER_TIYN


@transaction.atomic(durable=True)
def withdrawal_request(
    *, actor: User, bank_account_id: int, amount: str | int, idempotency_key: str = ""
) -> tuple[Withdrawal, bool]:
    """The member asks for tenge to be paid to one of its own bank accounts: the amount is
    held at once (available -> held). Returns the withdrawal and whether it is new; the same
    idempotency key again returns the first one."""
    member = _member_for_use(actor)
    if len(idempotency_key) > 100:
        raise InvalidInput(_("The idempotency key is too long."), field="idempotency_key")
    tiyn = amount if isinstance(amount, int) else tiyn_from_text(amount)
    if not 0 < tiyn <= MAX_TIYN:
        raise InvalidInput(_("The amount must be above zero."), field="amount")
    if idempotency_key:
        existing = Withdrawal.objects.filter(
            requested_by=actor, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            if (existing.bank_account_id, existing.amount) != (bank_account_id, tiyn):
                raise Conflict(
                    _("This idempotency key was used for another withdrawal."),
                    field="idempotency_key",
                )
            return existing, False
    bank_account = BankAccount.objects.filter(pk=bank_account_id, member=member).first()
    if bank_account is None:
        raise InvalidInput(
            _("Withdrawals are paid only to a bank account registered to you."),
            field="bank_account",
            code="iban_not_yours",
        )
    accounts = member_accounts(member)
    available, held = accounts[CashAccount.Kind.AVAILABLE], accounts[CashAccount.Kind.HELD]
    # The available balance is read under the account's lock: two requests at once are
    # serialised here, and the second sees what the first left.
    locks.lock_cash_accounts([available.pk, held.pk])
    available.refresh_from_db(fields=["balance"])
    if available.balance < tiyn:
        raise InvalidInput(
            _("You have %(available)s available to withdraw.")
            % {"available": format_tenge(available.balance)},
            field="amount",
            code="insufficient_cash",
        )
    try:
        with transaction.atomic():
            withdrawal = Withdrawal.objects.create(
                member=member,
                bank_account=bank_account,
                amount=tiyn,
                state=(
                    Withdrawal.State.AWAITING_SECOND
                    if _needs_second_officer(tiyn)
                    else Withdrawal.State.REQUESTED
                ),
                requested_by=actor,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        # The same request committed concurrently: that one holds the cash.
        return Withdrawal.objects.get(requested_by=actor, idempotency_key=idempotency_key), False
    postings_write_in_transaction(
        [
            Entry(
                kind=Posting.Kind.WITHDRAWAL_HELD,
                key=f"withdrawal:{withdrawal.pk}:held",
                reference=f"withdrawal:{withdrawal.pk}",
                legs=[(available.pk, -tiyn), (held.pk, tiyn)],
                actor=actor,
            )
        ]
    )
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_WITHDRAWAL_REQUESTED,
        obj=withdrawal,
        details={
            "member": member.payment_reference,
            "amount_tiyn": tiyn,
            "iban": bank_account.iban,
            "second_officer": withdrawal.state == Withdrawal.State.AWAITING_SECOND,
        },
    )
    return withdrawal, True


def _locked_withdrawal(withdrawal_id: int) -> Withdrawal:
    try:
        return locks.lock_row(Withdrawal, withdrawal_id)
    except Withdrawal.DoesNotExist:
        raise NotFound() from None


def _release_in_transaction(withdrawal: Withdrawal, actor: User, state: str) -> None:
    accounts = member_accounts(withdrawal.member)
    postings_write_in_transaction(
        [
            Entry(
                kind=Posting.Kind.WITHDRAWAL_RELEASED,
                key=f"withdrawal:{withdrawal.pk}:released",
                reference=f"withdrawal:{withdrawal.pk}",
                legs=[
                    (accounts[CashAccount.Kind.HELD].pk, -withdrawal.amount),
                    (accounts[CashAccount.Kind.AVAILABLE].pk, withdrawal.amount),
                ],
                actor=actor,
            )
        ]
    )
    withdrawal.state = state
    withdrawal.closed_by = actor
    withdrawal.closed_at = timezone.now()


@transaction.atomic(durable=True)
def withdrawal_cancel(*, actor: User, withdrawal_id: int) -> Withdrawal:
    """The member takes back a withdrawal not paid yet: the cash is available again."""
    member = member_of(actor)
    withdrawal = _locked_withdrawal(withdrawal_id)
    if member is None or withdrawal.member_id != member.pk:
        raise NotFound()
    if withdrawal.state == Withdrawal.State.CANCELLED:
        return withdrawal
    if withdrawal.state not in Withdrawal.OPEN_STATES:
        raise Conflict(
            _("This withdrawal is %(state)s: it can no longer be cancelled.")
            % {"state": withdrawal.get_state_display()}
        )
    _release_in_transaction(withdrawal, actor, Withdrawal.State.CANCELLED)
    withdrawal.save()
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_WITHDRAWAL_CANCELLED,
        obj=withdrawal,
        details={"member": member.payment_reference, "amount_tiyn": withdrawal.amount},
    )
    return withdrawal


@transaction.atomic(durable=True)
def withdrawal_approve(*, actor: User, withdrawal_id: int) -> Withdrawal:
    """A treasury officer approves a large withdrawal; another officer then pays it."""
    _require_treasury(actor)
    withdrawal = _locked_withdrawal(withdrawal_id)
    if withdrawal.state == Withdrawal.State.APPROVED and withdrawal.approved_by_id == actor.pk:
        return withdrawal
    if withdrawal.state != Withdrawal.State.AWAITING_SECOND:
        raise Conflict(
            _("This withdrawal is %(state)s: it does not await an approval.")
            % {"state": withdrawal.get_state_display()}
        )
    withdrawal.state = Withdrawal.State.APPROVED
    withdrawal.approved_by = actor
    withdrawal.approved_at = timezone.now()
    withdrawal.save()
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_WITHDRAWAL_APPROVED,
        obj=withdrawal,
        details={"amount_tiyn": withdrawal.amount},
    )
    return withdrawal


@transaction.atomic(durable=True)
def withdrawal_pay(*, actor: User, withdrawal_id: int, bank_reference: str) -> Withdrawal:
    """The treasury officer records the bank's payment of a withdrawal (held -> omnibus). A
    withdrawal above the threshold is paid only after another officer approved it."""
    _require_treasury(actor)
    reference = _payment_reference_text(bank_reference, field="bank_reference")
    withdrawal = _locked_withdrawal(withdrawal_id)
    if withdrawal.state == Withdrawal.State.PAID and withdrawal.bank_reference == reference:
        return withdrawal
    if withdrawal.state == Withdrawal.State.AWAITING_SECOND:
        raise Conflict(
            _("A second treasury officer must approve this withdrawal before it is paid.")
        )
    if withdrawal.state not in (Withdrawal.State.REQUESTED, Withdrawal.State.APPROVED):
        raise Conflict(
            _("This withdrawal is %(state)s: it cannot be paid.")
            % {"state": withdrawal.get_state_display()}
        )
    if withdrawal.approved_by_id == actor.pk:
        raise NotAllowed(
            _("You approved this withdrawal: a different treasury officer must pay it.")
        )
    if Withdrawal.objects.filter(bank_reference=reference).exists():
        raise InvalidInput(
            _("This bank reference is recorded for another payment."), field="bank_reference"
        )
    accounts = member_accounts(withdrawal.member)
    postings_write_in_transaction(
        [
            Entry(
                kind=Posting.Kind.WITHDRAWAL_PAID,
                key=f"withdrawal:{withdrawal.pk}:paid",
                reference=f"withdrawal:{withdrawal.pk}",
                legs=[
                    (accounts[CashAccount.Kind.HELD].pk, -withdrawal.amount),
                    (platform_account(CashAccount.Kind.OMNIBUS).pk, withdrawal.amount),
                ],
                actor=actor,
            )
        ]
    )
    withdrawal.state = Withdrawal.State.PAID
    withdrawal.bank_reference = reference
    withdrawal.paid_by = actor
    withdrawal.paid_at = timezone.now()
    withdrawal.save()
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_WITHDRAWAL_PAID,
        obj=withdrawal,
        details={
            "amount_tiyn": withdrawal.amount,
            "bank_reference": reference,
            "approved_by": withdrawal.approved_by_id,
        },
    )
    return withdrawal


@transaction.atomic(durable=True)
def withdrawal_refuse(*, actor: User, withdrawal_id: int, reason: str) -> Withdrawal:
    """The treasury officer refuses a withdrawal it will not pay; the cash is available again."""
    _require_treasury(actor)
    why = (text_optional(reason) or "").strip()
    if not why:
        raise InvalidInput(_("Say why the withdrawal is refused."), field="reason")
    withdrawal = _locked_withdrawal(withdrawal_id)
    if withdrawal.state == Withdrawal.State.REFUSED:
        return withdrawal
    if withdrawal.state not in Withdrawal.OPEN_STATES:
        raise Conflict(
            _("This withdrawal is %(state)s: it can no longer be refused.")
            % {"state": withdrawal.get_state_display()}
        )
    _release_in_transaction(withdrawal, actor, Withdrawal.State.REFUSED)
    withdrawal.reason = why[:500]
    withdrawal.save()
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_WITHDRAWAL_REFUSED,
        obj=withdrawal,
        details={"amount_tiyn": withdrawal.amount, "reason": withdrawal.reason},
    )
    return withdrawal
