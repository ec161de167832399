"""The cash ledger's steps, shared by the use cases that move tenge (deposits, withdrawals,
orders, trades). Each runs inside its caller's transaction; none commits on its own."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction

from qoima import locks
from qoima.participants.models import HolderProfile, Organisation, User
from qoima.rows import execute_all, insert_statements

from ..models import CashAccount, Leg, Member, Posting

# Payment references: "Q" and nine digits, the last a Luhn check digit, so that a mistyped
# reference in a bank transfer's purpose matches nobody rather than somebody else.
REFERENCE_PREFIX = "Q"


@dataclass(frozen=True)
class Entry:
    """One posting to write: its legs as (account id, tiyn), summing to zero."""

    kind: str
    key: str
    reference: str
    legs: Sequence[tuple[int, int]]
    actor: User | None = None


def luhn_digit(digits: str) -> str:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def reference_is_valid(reference: str) -> bool:
    body = reference[len(REFERENCE_PREFIX) :]
    return (
        reference.startswith(REFERENCE_PREFIX)
        and len(body) == 9
        and body.isdigit()
        and luhn_digit(body[:-1]) == body[-1]
    )


def _new_reference() -> str:
    body = "".join(str(secrets.randbelow(10)) for _ in range(8))
    return f"{REFERENCE_PREFIX}{body}{luhn_digit(body)}"


def member_ensure_in_transaction(
    *, holder: HolderProfile | None = None, organisation: Organisation | None = None
) -> Member:
    """The exchange member of a holder or an issuer, with its three accounts; made on first
    use. Safe to call concurrently: the one-to-one and the accounts' unique keys decide."""
    owner: dict[str, HolderProfile | Organisation | None] = (
        {"holder": holder} if holder is not None else {"organisation": organisation}
    )
    member = Member.objects.filter(**owner).first()
    if member is None:
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    member = Member.objects.create(payment_reference=_new_reference(), **owner)
                    CashAccount.objects.bulk_create(
                        [CashAccount(member=member, kind=kind) for kind in CashAccount.MEMBER_KINDS]
                    )
                break
            except IntegrityError:
                # Another request made this member first, or the reference was taken.
                member = Member.objects.filter(**owner).first()
                if member is not None:
                    break
        if member is None:
            raise RuntimeError("no free payment reference found")
    return member


def member_accounts(member: Member) -> dict[str, CashAccount]:
    return {account.kind: account for account in member.cash_accounts.all()}


def platform_account(kind: str) -> CashAccount:
    """One of the platform's accounts (omnibus, fees, settlement), made on first use."""
    account = CashAccount.objects.filter(member__isnull=True, kind=kind).first()
    if account is None:
        try:
            with transaction.atomic():
                account = CashAccount.objects.create(member=None, kind=kind)
        except IntegrityError:
            account = CashAccount.objects.get(member__isnull=True, kind=kind)
    return account


def postings_write_in_transaction(entries: Sequence[Entry]) -> list[Posting]:
    """Write postings: their accounts locked in pk order first, then every leg, then the
    headers (the database checks each header's legs sum to zero, and refuses a member's
    balance below zero with an IntegrityError)."""
    if not entries:
        return []
    locks.lock_cash_accounts(account for entry in entries for account, _amount in entry.legs)
    postings, statements = postings_sql(entries)
    # Every leg, then every header, in one round trip (the matcher's step writes hundreds).
    execute_all(statements)
    for posting in postings:
        posting._state.adding, posting._state.db = False, connection.alias
    return postings


def posting_sql(entry: Entry) -> list[tuple[str, list[Any]]]:
    """The statements that write ``entry`` — its legs, then its header, as the triggers want —
    for a caller that has locked its accounts already and sends its statements at once
    (``qoima.rows.execute_all``)."""
    return postings_sql([entry])[1]


def postings_sql(entries: Sequence[Entry]) -> tuple[list[Posting], list[tuple[str, list[Any]]]]:
    """The postings of ``entries`` and the statements that write them (see ``posting_sql``)."""
    postings = [
        Posting(kind=e.kind, key=e.key, reference=e.reference, actor=e.actor) for e in entries
    ]
    legs = [
        Leg(posting_id=posting.pk, account_id=account, amount=amount)
        for posting, entry in zip(postings, entries, strict=True)
        for account, amount in entry.legs
        if amount
    ]
    return postings, [*insert_statements(legs), *insert_statements(postings)]
