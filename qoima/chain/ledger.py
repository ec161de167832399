"""The token ledger in the database: balances from confirmed events, reservations of requests.

A holder's ``TokenBalance.amount`` moves only when the indexer applies a confirmed Transfer;
``reserved`` is what requested movements from that holder hold back meanwhile. A request
reserves its units in its own transaction (``reserve``); they are released when the indexer
applies the movement's Transfer (the balance falls in the same statement set) or when the
operation fails (``release_failed``). A reorg that takes an applied Transfer away reserves its
units again until it is mined anew or fails. So ``amount - reserved`` is what a new request may
move, and no unit is promised twice.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qoima import locks
from qoima.errors import InvalidInput
from qoima.rows import insert_sql

from .amounts import format_units
from .contracts import ZERO_ADDRESS
from .fields import Uint256Add, sqlite_text, uint256_value
from .kinds import reserving_kinds
from .models import Attempt, ComplianceEvent, Hold, Operation, PlatformToken, TokenBalance

# Operation ids are 64-bit; larger refs were recorded by something else and match none.
MAX_OPERATION_ID = 2**63 - 1

Deltas = dict[tuple[str, str], int]


# ------------------------------------------------------------------------------ requests


class InsufficientBalance(InvalidInput):
    """A request asks for more units than the holder has available.

    The message names the holder as people know it (IIN / BIN or name, never the wallet's
    address) and the amounts in the asset's units, in the language of the request that raises
    it; the units stay on the exception for callers that say it their own way.
    """

    def __init__(
        self, *, chain_id: int, token: str, holder: str, available: int, needed: int
    ) -> None:
        found = PlatformToken.objects.filter(chain_id=chain_id, address=token).first()
        decimals, symbol = (found.decimals, found.symbol) if found else (0, "")
        super().__init__(
            _("%(holder)s has %(available)s available; %(needed)s are needed.")
            % {
                "holder": wallet_owner_name(holder),
                "available": format_units(available, decimals, symbol=symbol),
                "needed": format_units(needed, decimals, symbol=symbol),
            },
            field="amount",
            code="insufficient_balance",
        )
        self.holder, self.available, self.needed = holder, available, needed
        self.decimals, self.symbol = decimals, symbol


def wallet_owner_name(address: str) -> str:
    """Who holds a wallet, as people know them: a holder's or an issuer's IIN / BIN and name."""
    from qoima.custody.models import Wallet  # custody builds on the chain app, not the reverse

    wallet = Wallet.objects.filter(address=address).select_related("holder", "organisation").first()
    if wallet is not None and wallet.holder is not None:
        return f"{wallet.holder.full_name} ({wallet.holder.identification_number})"
    if wallet is not None and wallet.organisation is not None:
        owner = wallet.organisation
        return f"{owner.legal_name} ({owner.identification_number})"
    return str(_("A wallet outside the platform"))


def available_units(*, chain_id: int, token_address: str, holder: str) -> int:
    """What ``holder`` may move of a token now (balance less reservations), read unlocked.

    For answering early; ``reserve`` decides under its locks.
    """
    row = (
        TokenBalance.objects.filter(chain_id=chain_id, token_address=token_address, holder=holder)
        .values_list("amount", "reserved")
        .first()
    )
    return max(int(row[0]) - int(row[1]), 0) if row else 0


def reserve(*, chain_id: int, needs: dict[tuple[str, str], tuple[int, int]]) -> None:
    """Reserve units per (token, holder): (checked, forced) amounts.

    Checked units must be available (balance less what is already reserved). Forced units (a
    forced transfer on a legal order) need only the balance: the order takes precedence over
    the holder's own pending movements, which then fail on-chain and release theirs. Rows are
    locked in the platform's order (``qoima.locks``), in one statement, so concurrent requests
    and index steps of overlapping holders cannot deadlock.
    """
    rows = locks.lock_balances(chain_id=chain_id, keys=needs)
    for key in sorted(needs):
        checked, forced = needs[key]
        row = rows.get(key)
        _reservable(chain_id, row, key, checked, forced)
        assert row is not None
        TokenBalance.objects.filter(pk=row.pk).update(
            reserved=Uint256Add(F("reserved"), uint256_value(checked + forced))
        )


def _reservable(
    chain_id: int, row: TokenBalance | None, key: tuple[str, str], checked: int, forced: int
) -> None:
    """Raise InsufficientBalance unless the locked balance ``row`` of ``key`` (token, holder)
    can reserve ``checked`` units more of what is available and ``forced`` of its amount."""
    amount = int(row.amount) if row else 0
    available = amount - int(row.reserved) if row else 0
    if row is None or checked > available or forced > amount:
        token, holder = key
        raise InsufficientBalance(
            chain_id=chain_id,
            token=token,
            holder=holder,
            available=max(available, 0),
            needed=checked + forced,
        )


def release_failed(*, chain_id: int, operations: Iterable[Operation]) -> None:
    """Give back what failed operations (locked by the caller) still hold."""
    holding = [op for op in operations if op.holding]
    deltas: Deltas = defaultdict(int)
    for operation in holding:
        deltas[(operation.token_address, operation.sender)] -= int(operation.amount or 0)
    Operation.objects.filter(pk__in=[op.pk for op in holding]).update(holding=False)
    _update(chain_id, "reserved", deltas)


def hold_place(*, chain_id: int, key: str, token_address: str, holder: str, units: int) -> Hold:
    """Set units aside under ``key`` (once: the same key again returns the first hold)."""
    existing = Hold.objects.filter(key=key).first()
    if existing is not None:
        return existing
    reserve(chain_id=chain_id, needs={(token_address, holder): (units, 0)})
    return Hold.objects.create(
        chain_id=chain_id, key=key, token_address=token_address, holder=holder, amount=units
    )


def hold_place_sql(
    *,
    chain_id: int,
    key: str,
    token_address: str,
    holder: str,
    units: int,
    locked: tuple[int, int, int],
) -> list[tuple[str, list[Any]]]:
    """The statements of a new hold (a ``key`` never used), for a caller that has locked the
    holder's balance row — ``locked`` is its (id, amount, reserved) — and sends its statements
    at once (``qoima.rows.execute_all``). Raises InsufficientBalance as ``reserve`` does."""
    row_id, amount, reserved = locked
    if units > amount - reserved:
        raise InsufficientBalance(
            chain_id=chain_id,
            token=token_address,
            holder=holder,
            available=max(amount - reserved, 0),
            needed=units,
        )
    table = connection.ops.quote_name(TokenBalance._meta.db_table)
    hold = Hold(
        chain_id=chain_id, key=key, token_address=token_address, holder=holder, amount=units
    )
    return [
        (
            f"UPDATE {table} SET reserved = reserved + %s WHERE id = %s",  # noqa: S608
            [Decimal(units), row_id],
        ),
        insert_sql([hold]),
    ]


def hold_release(*, key: str) -> Hold | None:
    """Give the units of an open hold back; returns it, or None if it was not open."""
    hold = locks.lock_open_hold(key)
    if hold is None:
        return None
    Hold.objects.filter(pk=hold.pk).update(released_at=timezone.now())
    _update(hold.chain_id, "reserved", {(hold.token_address, hold.holder): -int(hold.amount)})
    return hold


def holds_take(
    *, groups: Mapping[str, int | None], token_address: str, holders: Iterable[str]
) -> None:
    """Take units off open holds, per group (a key and the keys below it, ``<key>:...``):
    ``groups`` maps each to the units to take, or None for all it still holds. The units leave
    ``reserved`` here; a caller moving them into a transfer requests it in the same
    transaction, which reserves them again, so nothing can take them in between. A hold taken
    to nothing is released (its amount then says what it last held). Raises IntegrityError
    when a group holds fewer units than asked for. ``holders`` (of ``token_address``) are the
    holders of the groups' holds: they find them through the index of open holds.
    """
    holds = locks.lock_open_holds(groups, token_address=token_address, holders=holders)
    released, reduced, deltas = _taken(holds, groups)
    if released:
        Hold.objects.filter(pk__in=released).update(released_at=timezone.now())
    if reduced and _postgres():
        with connection.cursor() as cursor:
            cursor.execute(*_holds_reduced_sql(reduced))
    elif reduced:
        Hold.objects.bulk_update(reduced, ["amount"])
    if deltas:
        _update(holds[0].chain_id, "reserved", deltas)


def holds_moved_sql(
    *,
    chain_id: int,
    holds: list[Hold],
    groups: Mapping[str, int | None],
    balances: list[TokenBalance],
    needs: dict[tuple[str, str], tuple[int, int]],
) -> list[tuple[str, list[Any]]]:
    """PostgreSQL: ``holds_take`` of ``groups`` and ``reserve`` of ``needs`` together, as the
    statements of a caller that has locked the groups' open ``holds``
    (``locks.open_holds_lock_sql``) and the ``balances`` rows of both
    (``locks.balances_lock_sql``) and sends its statements at once: units taken off a hold
    into a transfer never leave ``reserved``. Raises as both do."""
    released, reduced, deltas = _taken(holds, groups)
    rows = {(row.token_address, row.holder): row for row in balances}
    for key, delta in deltas.items():
        row = rows.get(key)
        if row is None:
            raise IntegrityError("a reserved change for a holder without a balance row")
        row.reserved = int(row.reserved) + delta
    for key, (checked, forced) in sorted(needs.items()):
        row = rows.get(key)
        _reservable(chain_id, row, key, checked, forced)
        assert row is not None
        deltas[key] = deltas.get(key, 0) + checked + forced
    statements = []
    if released:
        table = connection.ops.quote_name(Hold._meta.db_table)
        statements.append(
            (
                f"UPDATE {table} SET released_at = %s WHERE id = ANY(%s)",  # noqa: S608
                [timezone.now(), released],
            )
        )
    if reduced:
        statements.append(_holds_reduced_sql(reduced))
    changed = [(rows[key].pk, Decimal(delta)) for key, delta in sorted(deltas.items()) if delta]
    if changed:
        statements.append(
            (
                f"UPDATE {_table()} AS b SET reserved = b.reserved + v.delta FROM "  # noqa: S608
                "unnest(%s::bigint[], %s::numeric[]) AS v(id, delta) WHERE b.id = v.id",
                [[pk for pk, _delta in changed], [delta for _pk, delta in changed]],
            )
        )
    return statements


def _taken(
    holds: list[Hold], groups: Mapping[str, int | None]
) -> tuple[list[int], list[Hold], Deltas]:
    """What taking ``groups`` off their open ``holds`` does: the holds released, those reduced
    (with their new amounts), and the change of each (token, holder)'s ``reserved``."""
    left = dict(groups)
    released: list[int] = []
    reduced: list[Hold] = []
    deltas: Deltas = defaultdict(int)
    for hold in holds:
        group = next(g for g in groups if hold.key == g or hold.key.startswith(f"{g}:"))
        wanted = left[group]
        amount = int(hold.amount)
        taken = amount if wanted is None else min(wanted, amount)
        if not taken:
            continue
        if wanted is not None:
            left[group] = wanted - taken
        deltas[(hold.token_address, hold.holder)] -= taken
        if taken == amount:
            released.append(hold.pk)
        else:
            hold.amount = amount - taken
            reduced.append(hold)
    if any(units for units in left.values()):
        raise IntegrityError("a hold was asked for more units than it holds")
    return released, reduced, deltas


def _holds_reduced_sql(reduced: list[Hold]) -> tuple[str, list[Any]]:
    table = connection.ops.quote_name(Hold._meta.db_table)
    return (
        f"UPDATE {table} AS h SET amount = v.amount FROM "  # noqa: S608
        "unnest(%s::bigint[], %s::numeric[]) AS v(id, amount) WHERE h.id = v.id",
        [[h.pk for h in reduced], [Decimal(h.amount) for h in reduced]],
    )


# ------------------------------------------------------------------------------ the indexer


def movements_apply(*, chain_id: int, movements: Iterable[tuple[Any, ...]], sign: int) -> None:
    """Apply (sign 1) or take back (sign -1) Transfers: (token, sender, receiver, amount, ref).

    A movement that carries the reference of a reserving operation of the same token settles
    that operation's reservation with it; taken back, it holds the units again unless the
    operation has failed meanwhile. Each operation's ``holding`` flag says which side it is
    on, so reading the same events again (a re-index) never releases anything twice.
    """
    movements = list(movements)
    refs = {
        int(ref): token
        for token, _sender, _receiver, _amount, ref in movements
        if ref is not None and int(ref) <= MAX_OPERATION_ID
    }
    # Operations first, then balances: the confirmer takes its locks in the same order.
    reserved: Deltas = defaultdict(int)
    for token, holder, amount in _flip_holding(refs, holding=sign < 0):
        reserved[(token, holder)] -= int(amount or 0) * sign
    amounts: Deltas = defaultdict(int)
    for token, sender, receiver, amount, _ref in movements:
        units = int(amount) * sign
        if sender != ZERO_ADDRESS:
            amounts[(token, sender)] -= units
        if receiver != ZERO_ADDRESS:
            amounts[(token, receiver)] += units
    if _postgres():
        _balances_apply(chain_id, amounts, reserved)
    else:
        balances_add(chain_id, amounts)
        _update(chain_id, "reserved", reserved)


def compliance_apply(*, chain_id: int, events: Iterable[ComplianceEvent], sign: int) -> None:
    """Apply (sign 1) or take back (sign -1) confirmed freezes and releases of units.

    Each moves the holder's ``frozen`` and ``reserved`` together, so frozen units are never
    available. A freeze the platform asked for stops holding its units once its event is
    applied (its operation is the one of that token, holder and amount carried by the event's
    transaction), as a movement's operation does when its Transfer is applied; taken back, it
    holds them again unless it has failed meanwhile. Other acts change no balance.
    """
    frozen: Deltas = defaultdict(int)
    freezes: list[ComplianceEvent] = []
    for event in events:
        if event.kind == ComplianceEvent.Kind.UNITS_FROZEN:
            frozen[(event.contract, event.account)] += int(event.amount or 0) * sign
            freezes.append(event)
        elif event.kind == ComplianceEvent.Kind.UNITS_UNFROZEN:
            frozen[(event.contract, event.account)] -= int(event.amount or 0) * sign
    reserved: Deltas = defaultdict(int, frozen)
    for operation in _freezes_flipped(freezes, holding=sign < 0):
        reserved[(operation.token_address, operation.sender)] -= int(operation.amount or 0) * sign
    _update(chain_id, "frozen", frozen)
    _update(chain_id, "reserved", reserved)


def _freezes_flipped(events: list[ComplianceEvent], *, holding: bool) -> list[Operation]:
    """Set ``holding`` on the freeze operations these events carried out, where it is not so
    yet (passing over failed ones when it becomes held again); returns those flipped."""
    flipped: list[Operation] = []
    for event in events:
        found = Operation.objects.filter(
            kind=Operation.Kind.FREEZE_TOKENS,
            token_address=event.contract,
            sender=event.account,
            amount=event.amount,
            holding=not holding,
            transaction_id__in=Attempt.objects.filter(tx_hash=event.tx_hash).values(
                "transaction_id"
            ),
        )
        if holding:
            found = found.exclude(state=Operation.State.FAILED)
        operation = locks.operations_for_update(found).first()
        if operation is not None:
            Operation.objects.filter(pk=operation.pk).update(holding=holding)
            flipped.append(operation)
    return flipped


def _balances_apply(chain_id: int, amounts: Deltas, reserved: Deltas) -> None:
    """Change amounts and reservations of a step's balances in one statement, on PostgreSQL.

    Every row it changes, senders and receivers together, is locked first in the order a
    request locks its senders' rows (receivers' rows still missing are inserted first):
    taking the receivers first (an upsert) deadlocked with a request for several senders.
    """
    keys = sorted({key for key, delta in (*amounts.items(), *reserved.items()) if delta})
    if not keys:
        return
    # Holders new to the token get their row with its amount; the rest change below.
    inserted = locks.balances_insert_missing(
        chain_id=chain_id,
        rises={
            key: amounts[key] for key in keys if amounts.get(key, 0) > 0 and not reserved.get(key)
        },
    )
    keys = [key for key in keys if key not in inserted]
    if not keys:
        return
    table = _table()
    sql = (
        f"{locks.locked_balances_cte(('amount', 'numeric'), ('reserved', 'numeric'))} "  # noqa: S608
        f"UPDATE {table} AS b SET amount = b.amount + locked.amount, "
        "reserved = b.reserved + locked.reserved FROM locked WHERE b.id = locked.id"
    )
    rows = [
        (chain_id, *key, Decimal(amounts.get(key, 0)), Decimal(reserved.get(key, 0)))
        for key in keys
    ]
    with connection.cursor() as cursor:
        _execute(cursor, sql, rows)
        if cursor.rowcount != len(keys):
            raise IntegrityError("a balance change for a holder without a balance row")


def _flip_holding(
    refs: dict[int, str], *, holding: bool
) -> list[tuple[str, str, int | Decimal | None]]:
    """Set ``holding`` on the reserving operations among ``refs`` (id: token) that are not so
    yet, locking them; returns (token, sender, amount) of each one flipped.

    Becoming held again (a reorg took its Transfer away) passes over failed operations: they
    gave their units back already. PostgreSQL does it in one statement with the ids as an
    array (a backfill flips tens of thousands); elsewhere through the ORM.
    """
    if not refs:
        return []
    kinds = reserving_kinds()
    if _postgres():
        table = connection.ops.quote_name(Operation._meta.db_table)
        # The rows are locked in id order first, as the confirmer locks them.
        sql = (
            f"WITH locked AS (SELECT o.id FROM {table} AS o "  # noqa: S608
            "JOIN unnest(%s::bigint[], %s::text[]) AS r(id, token) "
            "ON o.id = r.id AND o.token_address = r.token "
            "WHERE o.holding = %s AND o.kind = ANY(%s) AND (NOT %s OR o.state <> 'failed') "
            f"{locks.operations_lock_sql()}) "
            f"UPDATE {table} AS o SET holding = %s FROM locked WHERE o.id = locked.id "
            "RETURNING o.token_address, o.sender, o.amount"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql, [list(refs), list(refs.values()), not holding, kinds, holding, holding]
            )
            return list(cursor.fetchall())
    flipped: list[tuple[str, str, int | Decimal | None]] = []
    ids = list(refs)
    for start in range(0, len(ids), 500):
        chunk = locks.operations_for_update(
            Operation.objects.filter(
                pk__in=ids[start : start + 500], kind__in=kinds, holding=not holding
            )
        )
        if holding:
            chunk = chunk.exclude(state=Operation.State.FAILED)
        rows = [
            (pk, token, sender, amount)
            for pk, token, sender, amount in chunk.values_list(
                "pk", "token_address", "sender", "amount"
            )
            if refs[pk] == token
        ]
        Operation.objects.filter(pk__in=[row[0] for row in rows]).update(holding=holding)
        flipped += [(token, sender, amount) for _pk, token, sender, amount in rows]
    return flipped


def balances_add(chain_id: int, deltas: Deltas) -> None:
    """Add each delta to its holder's balance in two statements, not a read and a write each.

    A range of a busy token touches tens of thousands of holders. Rises are an upsert; falls
    are an update, because a database checks the row it would insert (negative here) before
    it sees the conflict, and a fall needs an existing row anyway.
    """
    rises = {key: delta for key, delta in deltas.items() if delta > 0}
    falls = {key: delta for key, delta in deltas.items() if delta < 0}
    if rises:
        values = (
            "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::numeric[]) "
            "AS v(chain_id, token_address, holder, amount) ORDER BY token_address, holder"
            if _postgres()
            else "VALUES (%s, %s, %s, %s)"
        )
        sql = (
            f"INSERT INTO {_table()} AS b (chain_id, token_address, holder, amount) "
            f"{values} ON CONFLICT (chain_id, token_address, holder) "
            f"DO UPDATE SET amount = {_plus('b.amount', 'excluded.amount')}"
        )
        with connection.cursor() as cursor:
            _execute(cursor, sql, _rows(chain_id, rises))
    _update(chain_id, "amount", falls)


def _update(chain_id: int, column: str, deltas: Deltas) -> None:
    """Add deltas to a column of existing rows; a missing row is an error, never skipped."""
    deltas = {key: delta for key, delta in deltas.items() if delta}
    if not deltas:
        return
    table = _table()
    # Only the model's own table and column names are interpolated; values are parameters.
    if _postgres():
        # The rows are locked in the platform's order first (qoima/locks.py).
        sql = (
            f"{locks.locked_balances_cte(('delta', 'numeric'))} "  # noqa: S608
            f"UPDATE {table} AS b SET {column} = b.{column} + locked.delta FROM locked "
            "WHERE b.id = locked.id"
        )
    else:
        sql = (
            f"UPDATE {table} SET {column} = {_plus(column, '%s')} "  # noqa: S608
            "WHERE chain_id = %s AND token_address = %s AND holder = %s"
        )
    rows = _rows(chain_id, deltas)
    if not _postgres():
        rows = [(delta, chain, token, holder) for chain, token, holder, delta in rows]
    with connection.cursor() as cursor:
        _execute(cursor, sql, rows)
        if cursor.rowcount != len(deltas):
            raise IntegrityError(f"a {column} change for a holder without a balance row")


def _table() -> str:
    return connection.ops.quote_name(TokenBalance._meta.db_table)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _plus(left: str, right: str) -> str:
    """SQL adding two uint256 values (see fields.py: SQLite's are text, added by a function)."""
    return f"{left} + {right}" if _postgres() else f"uint256_add({left}, {right})"


def _rows(chain_id: int, deltas: Deltas) -> list[tuple[Any, ...]]:
    postgres = _postgres()
    return [
        (chain_id, token, holder, Decimal(delta) if postgres else sqlite_text(delta))
        for (token, holder), delta in sorted(deltas.items())
    ]


def _execute(cursor: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Run ``sql`` for every row: PostgreSQL takes one array per column in one statement;
    SQLite, local and in-process (one writer at a time), takes the rows one by one."""
    if _postgres():
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
    else:
        cursor.executemany(sql, rows)
