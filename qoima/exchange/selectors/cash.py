"""Reads of the tenge ledger: a member's balances, statement, deposits and withdrawals, and the
treasury's queues and overview."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from qoima.errors import InvalidInput
from qoima.participants.models import Role, User
from qoima.participants.selectors import user_role

from ..models import (
    BankAccount,
    CashAccount,
    Leg,
    Member,
    StatementImport,
    StatementLine,
    Withdrawal,
)


def member_of(user: User) -> Member | None:
    """The exchange member a user acts for: a holder's own, an issuer's staff their
    organisation's; None until it has joined."""
    role = user_role(user)
    if role == Role.HOLDER:
        return Member.objects.filter(holder__user=user).first()
    if role == Role.ISSUER_STAFF and user.organisation_id:
        return Member.objects.filter(organisation_id=user.organisation_id).first()
    return None


def member_balances(member: Member) -> dict[str, int]:
    """Tiyn in each of the member's accounts (available, held, pending)."""
    balances = {kind.value: 0 for kind in CashAccount.MEMBER_KINDS}
    for kind, balance in member.cash_accounts.values_list("kind", "balance"):
        balances[kind] = balance
    return balances


def member_legs(member: Member) -> QuerySet[Leg]:
    """Every leg of the member's accounts, newest first, with its posting and account."""
    return (
        Leg.objects.filter(account__member=member)
        .select_related("posting", "account")
        .order_by("-id")
    )


def member_bank_accounts(member: Member) -> QuerySet[BankAccount]:
    return BankAccount.objects.filter(member=member).order_by("created_at", "pk")


def member_withdrawals(member: Member) -> QuerySet[Withdrawal]:
    return (
        Withdrawal.objects.filter(member=member)
        .select_related("bank_account")
        .order_by("-requested_at", "-pk")
    )


def member_deposits(member: Member) -> QuerySet[StatementLine]:
    """Receipts credited to the member: matched by its reference or allocated by hand."""
    return StatementLine.objects.filter(member=member).order_by("-created_at", "-pk")


def legs_older_than(text: str, rows: QuerySet[Leg], size: int) -> tuple[list[Leg], int | None]:
    """A page of the statement, newest first, keyed by leg id rather than numbered; returns
    the rows and the id to ask the next page with."""
    if text:
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise InvalidInput(
                _("The page position must be a positive whole number."), field="before"
            )
        rows = rows.filter(pk__lt=int(text))
    found = list(rows[: size + 1])
    return found[:size], (found[size - 1].pk if len(found) > size else None)


# ------------------------------------------------------------------------------ treasury


@dataclass(frozen=True)
class Queue:
    count: int
    oldest: datetime.datetime | None


def _queue(queryset: QuerySet[Any], field: str) -> Queue:
    found = queryset.aggregate(count=Count("pk"), oldest=Min(field))
    return Queue(found["count"], found["oldest"])


def treasury_queues() -> dict[str, Queue]:
    """What waits for the treasury: receipts nobody was matched to, withdrawals to pay and
    withdrawals awaiting a second officer's approval."""
    lines = StatementLine.objects.filter(state=StatementLine.State.UNALLOCATED)
    withdrawals = Withdrawal.objects.all()
    return {
        "unallocated": _queue(lines, "created_at"),
        "to_pay": _queue(
            withdrawals.filter(state__in=[Withdrawal.State.REQUESTED, Withdrawal.State.APPROVED]),
            "requested_at",
        ),
        "awaiting_second": _queue(
            withdrawals.filter(state=Withdrawal.State.AWAITING_SECOND), "requested_at"
        ),
    }


def unallocated_lines() -> QuerySet[StatementLine]:
    return StatementLine.objects.filter(state=StatementLine.State.UNALLOCATED).order_by(
        "created_at", "pk"
    )


def open_withdrawals() -> QuerySet[Withdrawal]:
    """Withdrawals the treasury acts on, oldest first."""
    return (
        Withdrawal.objects.filter(state__in=Withdrawal.OPEN_STATES)
        .select_related("bank_account", "member", "approved_by", "requested_by")
        .order_by("requested_at", "pk")
    )


def statement_imports() -> QuerySet[StatementImport]:
    return StatementImport.objects.select_related("imported_by").order_by("-imported_at", "-pk")


@dataclass(frozen=True)
class LedgerOverview:
    platform: list[tuple[str, int]]
    members: list[tuple[str, int]]
    member_count: int
    total: int


def ledger_overview() -> LedgerOverview:
    """The platform's accounts, the members' accounts summed by kind, and the sum of every
    balance (zero while the ledger holds)."""
    labels = dict(CashAccount.Kind.choices)
    platform = dict(CashAccount.objects.filter(member__isnull=True).values_list("kind", "balance"))
    members = dict(
        CashAccount.objects.filter(member__isnull=False)
        .values("kind")
        .annotate(total=Sum("balance"))
        .values_list("kind", "total")
    )
    return LedgerOverview(
        platform=[(str(labels[k]), platform.get(k, 0)) for k in CashAccount.PLATFORM_KINDS],
        members=[(str(labels[k]), members.get(k) or 0) for k in CashAccount.MEMBER_KINDS],
        member_count=Member.objects.count(),
        total=sum(platform.values()) + sum(v or 0 for v in members.values()),
    )
