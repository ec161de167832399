"""Every row lock the platform takes, in one place and in one order.

Two transactions deadlock when each holds a row the other waits for. They cannot when every
transaction takes its locks in one global order, so every ``SELECT ... FOR UPDATE`` of the
platform is here (a test refuses one anywhere else), and the order is:

1. The worker's own rows: the indexer's cursor, the batcher, a signing key. Each is one
   per chain (or key) and held for a whole step, so it serialises that worker.
2. Chain transactions, by id.
3. Business rows, each kind by primary key, in this order: enforcement act, application,
   distribution, redemption, holder profile, wallet, wallet link, then the other participant
   rows (organisation, permit, user); then the exchange's: market, order, order change, trade,
   withdrawal, statement line, member; then holds (by key).
4. Operations, by id. A request only inserts new ones (their unique idempotency key is the
   one wait two requests can share, and both take it before anything below); the indexer,
   the confirmer and a cancellation lock existing ones in id order.
5. Token balances, by (token address, holder address) in code-point order, the order of
   Python's ``sorted`` and of ``COLLATE "C"``. A request reserves its senders' rows in that
   order; the indexer locks every row a step touches, senders and receivers together, in
   that order before it changes any (it inserts missing receivers' rows first: an insert of a
   new row waits only for another insert of the same row, and only the indexer inserts).
6. Cash accounts, last of all (the ledger's triggers move their balances, so a posting locks
   its accounts first, sorted, in one statement through ``lock_cash_accounts``). Last because
   a trade touches both ledgers: the matcher moves a seller's units from the order's hold to
   the trade's transfer (holds, then balances) before it moves the buyer's cash, and the
   confirmer hands a failed trade's transfer to its settlement holding the seller's balance
   (it has just released the units), which then returns the buyer's cash.

The audit log is outside the order: ``audit_record`` only inserts (an unsealed entry), so it
takes no lock and may come anywhere in a transaction. The audit head is the sealer's lock
alone, taken in a transaction of its own that locks nothing else (qoima/audit/services.py).

The confirmer hands final operations to their purpose's settlement handlers, which lock that
purpose's business rows (applications, redemptions) after the operations, and for failed
ones after the balances they release: that part of the order is not followed yet (see the
README's lock-order notes).

Rows of one kind are always taken in a sorted order (by pk, or by key), in one statement
where there are many, never one round trip per row. Every lock is ``FOR NO KEY UPDATE``: no
locking transaction changes a row's key, and so none blocks another transaction's insert or
update that only refers to the row (its foreign-key check takes ``FOR KEY SHARE``). A
suspension locking a holder would otherwise wait behind, and deadlock with, a transfer request
that has reserved the holder's units and records a transfer naming the holder.
"""

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, models
from django.db.models import QuerySet

from qoima.audit.models import AuditHead
from qoima.chain.models import (
    Batcher,
    ChainTransaction,
    Hold,
    IndexerCursor,
    Operation,
    PlatformToken,
    SigningKey,
    TokenBalance,
)
from qoima.custody.models import Wallet
from qoima.exchange.models import CashAccount, Market, Member, Order
from qoima.participants.models import HolderProfile

M = TypeVar("M", bound=models.Model)

Key = tuple[str, str]


# ------------------------------------------------------------------------------ 1. worker


def lock_indexer_cursor(pk: int) -> IndexerCursor:
    return IndexerCursor.objects.select_for_update(no_key=True).get(pk=pk)


def lock_batcher(pk: int) -> Batcher:
    return Batcher.objects.select_for_update(no_key=True).get(pk=pk)


def lock_signing_key(**lookup: Any) -> SigningKey:
    """A signing key, by pk or by (chain_id, address): one transaction builds for a key."""
    return SigningKey.objects.select_for_update(no_key=True).get(**lookup)


# --------------------------------------------------------------------- 2. chain transactions


def lock_chain_transaction(pk: int) -> ChainTransaction:
    return ChainTransaction.objects.select_for_update(no_key=True).get(pk=pk)


def chain_transactions_for_update(
    queryset: QuerySet[ChainTransaction], *, skip_locked: bool = False
) -> QuerySet[ChainTransaction]:
    """Chain transactions of ``queryset``, locked in id order as they are read."""
    return queryset.select_for_update(skip_locked=skip_locked, no_key=True).order_by("pk")


# ------------------------------------------------------------------------------ 3. business rows


def lock_row(model: type[M], pk: Any) -> M:
    """One business row (application, distribution, redemption, holder, wallet, participant
    rows) by primary key; ``model.DoesNotExist`` when there is none."""
    return model._default_manager.select_for_update(no_key=True).get(pk=pk)


def rows_for_update(queryset: QuerySet[M]) -> QuerySet[M]:
    """Business rows of ``queryset``, locked in pk order as they are read."""
    return queryset.select_for_update(no_key=True).order_by("pk")


def lock_cash_accounts(ids: Iterable[int]) -> None:
    """The cash accounts a posting is about to move, locked in pk order in one statement."""
    wanted = sorted(set(ids))
    if wanted:
        list(_cash_accounts_locked(wanted))


def cash_accounts_lock_sql(ids: Iterable[int]) -> tuple[str, list[Any]]:
    """PostgreSQL: ``lock_cash_accounts``'s statement (``ids`` not empty), for a caller that
    sends it with others in one round trip."""
    sql, params = _cash_accounts_locked(sorted(set(ids))).query.sql_with_params()
    return sql, list(params)


def _cash_accounts_locked(wanted: list[int]) -> QuerySet[CashAccount, int]:
    return (
        CashAccount.objects.select_for_update(no_key=True)
        .filter(pk__in=wanted)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def lock_open_hold(key: str) -> Hold | None:
    """The open hold under ``key``, locked; None when there is none."""
    open_holds = Hold.objects.filter(key=key, released_at__isnull=True)
    return open_holds.select_for_update(no_key=True).first()


def lock_open_holds(
    groups: Iterable[str], *, token_address: str, holders: Iterable[str]
) -> list[Hold]:
    """The open holds of each group, locked in key order in one statement: a group is a key
    and the keys below it (``<group>:...``), as an order's first hold and its amendments'.
    The holds are ``holders``' of ``token_address`` (found through the open holds' index)."""
    wanted = sorted(set(groups))
    if not wanted:
        return []
    return list(_open_holds_locked(wanted, token_address, holders))


def open_holds_lock_sql(
    groups: Iterable[str], *, token_address: str, holders: Iterable[str]
) -> tuple[str, list[Any]]:
    """PostgreSQL: ``lock_open_holds``'s statement, for a caller that sends it with others in
    one round trip; ``rows_as(Hold, rows)`` gives its rows as holds. ``groups`` is not empty."""
    # Written out, not compiled from ``_open_holds_locked``: compiling its conditions, two per
    # group, cost a matcher step more than running it. The same rows in the same order.
    wanted = sorted(set(groups))
    columns = ", ".join(_columns("h", Hold))
    sql = (
        f"SELECT {columns} FROM {connection.ops.quote_name(Hold._meta.db_table)} AS h "  # noqa: S608
        "WHERE (h.key = ANY(%s) OR h.key LIKE ANY(%s)) AND h.chain_id = %s "
        "AND h.token_address = %s AND h.holder = ANY(%s) AND h.released_at IS NULL "
        "ORDER BY h.key FOR NO KEY UPDATE OF h"
    )
    below = [f"{connection.ops.prep_for_like_query(group)}:%" for group in wanted]
    return sql, [wanted, below, settings.CHAIN_ID, token_address, sorted(set(holders))]


def _open_holds_locked(
    wanted: list[str], token_address: str, holders: Iterable[str]
) -> QuerySet[Hold]:
    matching = models.Q()
    for group in wanted:
        matching |= models.Q(key=group) | models.Q(key__startswith=f"{group}:")
    open_holds = Hold.objects.filter(
        matching,
        chain_id=settings.CHAIN_ID,
        token_address=token_address,
        holder__in=sorted(set(holders)),
        released_at__isnull=True,
    )
    return open_holds.select_for_update(no_key=True).order_by("key")


@dataclass(frozen=True)
class Placing:
    """What a holder's order placement reads, its rows locked: the holder's profile, and the
    cash accounts a buy holds from or the token balance a sell reserves."""

    # The new order's id, drawn from its sequence so every row can name it before the inserts.
    order_id: int
    holder_id: int
    verification_status: str
    wallet: str
    member_id: int
    # An order of the member's with this client order id already exists.
    resubmitted: bool
    market: Market
    # A buy's: kind -> (account id, balance).
    accounts: dict[str, tuple[int, int]]
    # A sell's: (balance row id, amount, reserved).
    balance: tuple[int, int, int] | None
    # Compliance froze the wallet.
    wallet_frozen: bool = False


@functools.cache
def _columns(alias: str, model: type[models.Model]) -> list[str]:
    return [f"{alias}.{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields]


def _instance(model: type[M], values: Sequence[Any]) -> M:
    """A model instance from its columns as a plain cursor read them, each converted as the ORM
    converts it."""
    converted = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(model._meta.concrete_fields, values, strict=True)
    ]
    names = [field.attname for field in model._meta.concrete_fields]
    return model.from_db(connection.alias, names, converted)


def lock_holder_placing(
    *, user_id: int, market_id: int, buying: bool, client_order_id: str
) -> Placing | None:
    """PostgreSQL: a holder's placement in one statement — the market (unlocked), the holder's
    profile, wallet and member, and the profile and the wallet locked with the member's
    available and held cash accounts (a buy) or the wallet's balance of the market's token (a
    sell), in this module's order: profile, wallet, then balance or accounts (one row each,
    accounts by pk). The wallet is locked so that a placement waiting for a freeze reads the
    wallet as the freeze left it (a row the statement only joins would be read as it was when
    the statement began). None when the user has no such rows yet (no member, wallet or
    balance): the general path decides."""
    table = {
        name: connection.ops.quote_name(model._meta.db_table)
        for name, model in {
            "order": Order,
            "profile": HolderProfile,
            "member": Member,
            "account": CashAccount,
            "market": Market,
            "token": PlatformToken,
            "wallet": Wallet,
            "balance": TokenBalance,
        }.items()
    }
    market_columns, token_columns = _columns("mk", Market), _columns("t", PlatformToken)
    if buying:
        held = (
            f"JOIN {table['account']} AS a ON a.member_id = m.id AND a.kind IN (%s, %s)",
            "a.id, a.kind, a.balance, NULL, NULL, NULL",
            "ORDER BY a.id FOR NO KEY UPDATE OF p, w, a",
        )
        held_params: list[Any] = [CashAccount.Kind.AVAILABLE, CashAccount.Kind.HELD]
    else:
        held = (
            f"JOIN {table['balance']} AS b ON b.chain_id = %s AND b.token_address = t.address "
            "AND b.holder = w.address",
            "NULL, NULL, NULL, b.id, b.amount, b.reserved",
            "FOR NO KEY UPDATE OF p, w, b",
        )
        held_params = [settings.CHAIN_ID]
    sql = (
        f"SELECT (SELECT nextval(pg_get_serial_sequence('{Order._meta.db_table}', 'id'))), "  # noqa: S608
        f"p.id, p.verification_status, w.address, m.id, EXISTS (SELECT 1 FROM {table['order']} "
        "AS o WHERE o.member_id = m.id AND o.client_order_id = %s), "
        f"{held[1]}, {', '.join(market_columns + token_columns)}, w.frozen "
        f"FROM {table['profile']} AS p JOIN {table['member']} AS m ON m.holder_id = p.id "
        f"JOIN {table['wallet']} AS w ON w.holder_id = p.id AND w.kind = %s "
        f"JOIN {table['market']} AS mk ON mk.id = %s "
        f"JOIN {table['token']} AS t ON t.id = mk.token_id "
        f"{held[0]} WHERE p.user_id = %s {held[2]}"
    )
    params = [client_order_id, Wallet.Kind.CUSTODIAL, market_id, *held_params, user_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]
    split = 12 + len(market_columns)
    market = _instance(Market, first[12:split])
    market.token = _instance(PlatformToken, first[split:-1])
    return Placing(
        order_id=first[0],
        holder_id=first[1],
        verification_status=first[2],
        wallet=first[3],
        member_id=first[4],
        resubmitted=first[5],
        market=market,
        accounts={row[7]: (row[6], int(row[8])) for row in rows if row[6] is not None},
        balance=(first[9], int(first[10]), int(first[11])) if first[9] is not None else None,
        wallet_frozen=bool(first[-1]),
    )


def lock_market(pk: int) -> Market:
    """A market: its matcher holds it for a whole step, so the book has one writer."""
    return market_for_update_query(pk).get()


def market_for_update_query(pk: int) -> QuerySet[Market]:
    """The statement of ``lock_market``, for a caller that sends it with others."""
    return Market.objects.select_for_update(no_key=True).filter(pk=pk)


def orders_for_update(ids: Iterable[int]) -> list[Order]:
    """Orders by id, locked in id order in one statement (the matcher's, after matching, and
    before anything below them)."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(orders_for_update_query(wanted))


def orders_for_update_query(ids: Iterable[int]) -> QuerySet[Order]:
    """The statement of ``orders_for_update``, for a caller that sends it with others."""
    return (
        Order.objects.select_for_update(no_key=True).filter(pk__in=sorted(set(ids))).order_by("pk")
    )


# ------------------------------------------------------------------------------ 4. operations


def operations_for_update(
    queryset: QuerySet[Operation], *, skip_locked: bool = False
) -> QuerySet[Operation]:
    """Operations of ``queryset``, locked in id order as they are read. ``skip_locked``
    passes over rows another transaction holds (a claim never waits)."""
    return queryset.select_for_update(skip_locked=skip_locked, no_key=True).order_by("pk")


def operations_lock_sql() -> str:
    """The locking part of a statement that flips operations in one round trip: a CTE
    ``locked(id)`` of the ``o`` rows joined and filtered by the caller, in id order."""
    return "ORDER BY o.id FOR NO KEY UPDATE OF o"


# ------------------------------------------------------------------------------ 5. balances


def _balance_table() -> str:
    return connection.ops.quote_name(TokenBalance._meta.db_table)


def lock_balances(*, chain_id: int, keys: Iterable[Key]) -> dict[Key, TokenBalance]:
    """Lock the balance rows of ``keys`` (token, holder) in code-point order, in one
    statement; returns the rows that exist."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    if connection.vendor != "postgresql":
        # SQLite has no row locks: its one writer at a time is the order.
        rows = TokenBalance.objects.filter(
            chain_id=chain_id,
            token_address__in={token for token, _ in wanted},
            holder__in={holder for _, holder in wanted},
        )
        found = {(row.token_address, row.holder): row for row in rows}
        return {key: found[key] for key in wanted if key in found}
    sql, params = balances_lock_sql(chain_id=chain_id, keys=wanted)
    return {(row.token_address, row.holder): row for row in TokenBalance.objects.raw(sql, params)}


def balances_lock_sql(*, chain_id: int, keys: Iterable[Key]) -> tuple[str, list[Any]]:
    """PostgreSQL: ``lock_balances``'s statement, also for a caller that sends it with others
    in one round trip (``rows_as(TokenBalance, rows)`` gives its rows)."""
    wanted = sorted(set(keys))
    columns = ", ".join(_columns("b", TokenBalance))
    sql = (
        f"SELECT {columns} FROM {_balance_table()} AS b JOIN "  # noqa: S608
        "unnest(%s::text[], %s::text[]) AS v(token_address, holder) "
        "ON b.token_address = v.token_address AND b.holder = v.holder WHERE b.chain_id = %s "
        'ORDER BY b.token_address COLLATE "C", b.holder COLLATE "C" FOR NO KEY UPDATE OF b'
    )
    return sql, [[token for token, _ in wanted], [holder for _, holder in wanted], chain_id]


def rows_as(model: type[M], rows: Iterable[Sequence[Any]]) -> list[M]:
    """Rows of a model's columns in its fields' order (as the statements here select them),
    read by a plain cursor, as instances."""
    return [_instance(model, row) for row in rows]


def locked_balances_cte(*columns: tuple[str, str]) -> str:
    """A CTE ``locked(id, <columns>)`` for a statement that changes many balances in one round
    trip: the rows named by its first parameters, arrays of chain ids, token addresses,
    holders and then one array per (name, SQL type) of ``columns``, locked one by one in the
    order of the arrays, which the caller sorts by (token, holder) in code-point order. Each
    row is found through the unique index, never by scanning the table."""
    names = ", ".join(name for name, _type in columns)
    arrays = ", ".join(f"%s::{sql_type}[]" for _name, sql_type in columns)
    picked = ", ".join(f"v.{name}" for name, _type in columns)
    return (
        f"WITH locked AS (SELECT l.id, {picked} FROM "  # noqa: S608
        f"unnest(%s::bigint[], %s::text[], %s::text[], {arrays}) "
        f"AS v(chain_id, token_address, holder, {names}) CROSS JOIN LATERAL "
        f"(SELECT b.id FROM {_balance_table()} AS b WHERE b.chain_id = v.chain_id "
        "AND b.token_address = v.token_address AND b.holder = v.holder "
        "FOR NO KEY UPDATE) AS l)"
    )


def balances_insert_missing(*, chain_id: int, rises: dict[Key, int]) -> set[Key]:
    """Insert, with their amount, the balance rows of holders who have none yet, in the
    platform's order; returns the keys inserted (a backfill's receivers are mostly new, and
    need no second statement). The others exist, for ``locked_balances_cte`` to lock. An
    insert waits only for another insert of the same row, and only the indexer inserts."""
    new = sorted(rises)
    if not new:
        return set()
    sql = (
        f"INSERT INTO {_balance_table()} (chain_id, token_address, holder, amount) "  # noqa: S608
        "SELECT %s, v.token_address, v.holder, v.amount FROM unnest(%s::text[], %s::text[], "
        '%s::numeric[]) AS v(token_address, holder, amount) ORDER BY v.token_address COLLATE "C", '
        'v.holder COLLATE "C" ON CONFLICT (chain_id, token_address, holder) DO NOTHING '
        "RETURNING token_address, holder"
    )
    params: list[Any] = [
        chain_id,
        [token for token, _ in new],
        [holder for _, holder in new],
        [Decimal(rises[key]) for key in new],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(token, holder) for token, holder in cursor.fetchall()}


# ------------------------------------------------------------------------------ the sealer's


def lock_audit_head(*, skip_locked: bool = False, **defaults: Any) -> AuditHead | None:
    """The audit head (created on first use), locked: only the sealer takes it, alone in its
    transaction. With ``skip_locked``, None when another sealer holds it."""
    AuditHead.objects.get_or_create(id=1, defaults=defaults)
    return (
        AuditHead.objects.select_for_update(skip_locked=skip_locked, no_key=True)
        .filter(id=1)
        .first()
    )
