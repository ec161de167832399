"""Operation kinds: each kind's rules in one declaration.

Everything the transaction manager and the ledger know about a kind of on-chain action is in
its ``KindRule`` in ``KINDS``: the fields a request needs and may carry, the key that signs it,
what it reserves and moves in the ledger, how it is batched, the call that carries it, whether
a holder's suspension cancels it, which reverts name one of its parties, and whether it is
addressed to the registry. The manager reads these rules and nothing else about a kind.

A new kind is an ``Operation.Kind`` choice, its entry here, and its tests.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from eth_utils import to_checksum_address

from .contracts import MAX_UINT256, AssetData, DocumentData, encode_call, to_bytes32
from .models import Operation


class Signer(StrEnum):
    """Whose key signs the transaction: the registry role the contract function needs."""

    OPERATOR = "operator"
    COMPLIANCE = "compliance"


class Batching(StrEnum):
    """How operations of a kind share a transaction."""

    # Each operation is its own transaction.
    ALONE = "alone"
    # Consecutive pending operations of the kind share one, so compliance acts keep their order.
    CONSECUTIVE = "consecutive"
    # Operations of one token share one, whatever comes between them: the chain checks each
    # against the balance, so their order does not matter.
    PER_TOKEN = "per_token"  # noqa: S105 (a batching mode, not a secret)


class Reservation(StrEnum):
    """What a request of the kind holds back from its sender's balance until it lands."""

    NONE = "none"
    # Units the sender has available (balance less what is already reserved).
    AVAILABLE = "available"
    # Units of the balance alone: a legal order takes precedence over the holder's own
    # pending movements, which then fail on-chain and release theirs.
    BALANCE = "balance"


@dataclass(frozen=True)
class PartyRevert:
    """A revert that names the one party a batch could not move: the error's ``argument`` is
    an address, and an operation is that party's when one of ``fields`` holds it. Only the
    operations it names fail; the others are sent again."""

    error: str
    argument: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Call:
    function: str
    to: str
    data: str


@dataclass(frozen=True)
class Contracts:
    """Where calls go: a token's own address, or the platform registry's."""

    registry: str

    def token(self, address: str, function: str, *args: Any) -> Call:
        data = encode_call("BackedAssetToken", function, list(args))
        return Call(function, to_checksum_address(address), data)

    def registry_call(self, function: str, *args: Any) -> Call:
        data = encode_call("PlatformRegistry", function, list(args))
        return Call(function, to_checksum_address(self.registry), data)


CallBuilder = Callable[[list[Operation], Contracts], Call]


MALFORMED_PAYLOAD = _("The action's data is incomplete or malformed.")


@dataclass(frozen=True)
class KindRule:
    """Everything the platform knows about one kind of on-chain action."""

    # Request fields the kind needs; every other field must be left empty, except ``may``.
    needs: frozenset[str]
    # The function and call data that carry a group of its operations (one contract).
    call: CallBuilder
    signer: Signer = Signer.OPERATOR
    batching: Batching = Batching.ALONE
    reserves: Reservation = Reservation.NONE
    # Whether it moves units: one Transfer on-chain carrying the operation's id.
    moves: bool = False
    # Whether a holder's suspension fails it while no transaction carries it yet: movements
    # the holder's own standing decides.
    holder_cancels: bool = False
    # Whether it is addressed to the registry, so it waits until the registry is deployed.
    to_registry: bool = False
    # Whether its receipt names a token it created (the registry's AssetIssued).
    issues_token: bool = False
    may: frozenset[str] = frozenset()
    party_reverts: tuple[PartyRevert, ...] = field(default=())
    # The kind's payload, checked as its contract function will read it: the stored form, or
    # None when it is malformed (then ``payload_error`` says so).
    payload: Callable[[Any], dict[str, Any] | None] | None = None
    payload_error: Promise = MALFORMED_PAYLOAD

    @property
    def keeps_order(self) -> bool:
        """Compliance acts reach the chain in the order they were decided: a later decision
        about an address must land after an earlier one."""
        return self.signer == Signer.COMPLIANCE

    def party_revert(self, error: str) -> PartyRevert | None:
        """How this error names a party of the kind's operations, or None when it names none."""
        return next((p for p in self.party_reverts if p.error == error), None)


# ------------------------------------------------------------------------------ reverts


def _standing(*fields: str) -> tuple[PartyRevert, ...]:
    """A frozen or delisted address in one of these fields."""
    return (
        PartyRevert("RegistryFrozen", "account", fields),
        PartyRevert("RegistryNotAllowlisted", "account", fields),
    )


# The sender's balance is short, or frozen beyond what it moves.
_SHORT_SENDER = (
    PartyRevert("BackedAssetInsufficientUnfrozenBalance", "account", ("sender",)),
    PartyRevert("ERC20InsufficientBalance", "sender", ("sender",)),
)


# A freeze beyond the unfrozen balance, or a release beyond the frozen units.
_FREEZE_EXCEEDS = (PartyRevert("BackedAssetFreezeExceedsBalance", "account", ("sender",)),)


# ------------------------------------------------------------------------------ calls


def _amount(operation: Operation) -> int:
    return int(operation.amount) if operation.amount is not None else 0


def _hex_bytes(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def _reason(operation: Operation) -> bytes:
    return _hex_bytes(operation.reason_hash) if operation.reason_hash else b""


def _issue_asset(operations: list[Operation], to: Contracts) -> Call:
    payload = operations[0].payload
    asset = AssetData(**payload["asset"])
    documents = [
        DocumentData(d["name"], d["uri"], _hex_bytes(d["sha256"])) for d in payload["documents"]
    ]
    return to.registry_call("issueAsset", asset.as_tuple(), [d.as_tuple() for d in documents])


def _issue_payload(given: Any) -> dict[str, Any] | None:
    """An asset's data and documents, checked as the contract will read them."""
    try:
        asset = AssetData(**given["asset"])
        documents = [
            DocumentData(d["name"], d["uri"], bytes.fromhex(d["sha256"].removeprefix("0x")))
            for d in given["documents"]
        ]
        to_bytes32(asset.asset_id)
        ok = (
            0 <= asset.decimals <= 255
            and 0 < asset.cap <= MAX_UINT256
            and all(len(d.sha256) == 32 and to_bytes32(d.name) for d in documents)
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if not ok:
        return None
    return {
        "asset": {name: getattr(asset, name) for name in AssetData.__dataclass_fields__},
        "documents": [
            {"name": d.name, "uri": d.uri, "sha256": "0x" + d.sha256.hex()} for d in documents
        ],
    }


def _anchor_payload(given: Any) -> dict[str, Any] | None:
    """The audit log's head: the number of its newest sealed entry and that entry's hash."""
    try:
        seq, root = given["seq"], given["root"]
        ok = (
            isinstance(seq, int)
            and not isinstance(seq, bool)
            and 0 < seq <= MAX_UINT256
            and isinstance(root, str)
            and len(_hex_bytes(root)) == 32
        )
    except (KeyError, TypeError, ValueError):
        return None
    return {"seq": seq, "root": "0x" + root.removeprefix("0x").lower()} if ok else None


def _anchor_audit(operations: list[Operation], to: Contracts) -> Call:
    head = operations[0].payload
    return to.registry_call("anchorAudit", head["seq"], _hex_bytes(head["root"]))


def _mint(operations: list[Operation], to: Contracts) -> Call:
    op = operations[0]
    return to.token(op.token_address, "mint", op.receiver, _amount(op), op.pk)


def _burn(operations: list[Operation], to: Contracts) -> Call:
    op = operations[0]
    return to.token(op.token_address, "burn", op.sender, _amount(op), op.pk)


def _transfer(operations: list[Operation], to: Contracts) -> Call:
    first = operations[0]
    token = first.token_address
    if len(operations) == 1:
        args = (first.sender, first.receiver, _amount(first), first.pk)
        return to.token(token, "recordTransfer", *args)
    receivers = [op.receiver for op in operations]
    amounts = [_amount(op) for op in operations]
    refs = [op.pk for op in operations]
    if len({op.sender for op in operations}) == 1:
        # One sender (a distribution) takes the cheaper one-sender batch.
        return to.token(token, "recordTransfersFrom", first.sender, receivers, amounts, refs)
    senders = [op.sender for op in operations]
    return to.token(token, "recordTransfers", senders, receivers, amounts, refs)


def _forced_transfer(operations: list[Operation], to: Contracts) -> Call:
    op = operations[0]
    args = (op.sender, op.receiver, _amount(op), op.pk, _reason(op))
    return to.token(op.token_address, "forcedTransfer", *args)


def _allowlisted(allowed: bool) -> CallBuilder:
    def build(operations: list[Operation], to: Contracts) -> Call:
        return to.registry_call("setAllowlistedBatch", [op.account for op in operations], allowed)

    return build


def _frozen(frozen: bool) -> CallBuilder:
    def build(operations: list[Operation], to: Contracts) -> Call:
        op = operations[0]
        return to.registry_call("setFrozen", op.account, frozen, _reason(op))

    return build


def _partial(function: str) -> CallBuilder:
    def build(operations: list[Operation], to: Contracts) -> Call:
        op = operations[0]
        return to.token(op.token_address, function, op.sender, _amount(op), _reason(op))

    return build


def _paused(function: str) -> CallBuilder:
    """A pause of one token when it names one, else of the whole platform (the registry)."""

    def build(operations: list[Operation], to: Contracts) -> Call:
        op = operations[0]
        if op.token_address:
            return to.token(op.token_address, function, _reason(op))
        return to.registry_call(function, _reason(op))

    return build


# ------------------------------------------------------------------------------ the kinds

K = Operation.Kind
_MOVEMENT = frozenset({"token_address", "amount"})

KINDS: Mapping[str, KindRule] = {
    K.ISSUE_ASSET: KindRule(
        needs=frozenset({"payload"}),
        call=_issue_asset,
        to_registry=True,
        issues_token=True,
        payload=_issue_payload,
        payload_error=_("The asset's data or documents are incomplete or malformed."),
    ),
    K.AUDIT_ANCHOR: KindRule(
        needs=frozenset({"payload"}),
        call=_anchor_audit,
        to_registry=True,
        payload=_anchor_payload,
    ),
    K.MINT: KindRule(
        needs=_MOVEMENT | {"receiver"},
        call=_mint,
        moves=True,
        holder_cancels=True,
        party_reverts=(*_standing("receiver"),),
    ),
    K.BURN: KindRule(
        needs=_MOVEMENT | {"sender"},
        call=_burn,
        reserves=Reservation.AVAILABLE,
        moves=True,
        holder_cancels=True,
        party_reverts=(*_standing("sender"), *_SHORT_SENDER),
    ),
    K.TRANSFER: KindRule(
        needs=_MOVEMENT | {"sender", "receiver"},
        call=_transfer,
        batching=Batching.PER_TOKEN,
        reserves=Reservation.AVAILABLE,
        moves=True,
        holder_cancels=True,
        party_reverts=(*_standing("sender", "receiver"), *_SHORT_SENDER),
    ),
    # A legal order: the holder's own standing does not cancel it.
    K.FORCED_TRANSFER: KindRule(
        needs=_MOVEMENT | {"sender", "receiver", "reason_hash"},
        call=_forced_transfer,
        signer=Signer.COMPLIANCE,
        reserves=Reservation.BALANCE,
        moves=True,
        party_reverts=(*_standing("sender", "receiver"), *_SHORT_SENDER),
    ),
    K.ALLOWLIST: KindRule(
        needs=frozenset({"account"}),
        call=_allowlisted(True),
        signer=Signer.COMPLIANCE,
        batching=Batching.CONSECUTIVE,
        to_registry=True,
        party_reverts=_standing("account"),
    ),
    K.DELIST: KindRule(
        needs=frozenset({"account"}),
        call=_allowlisted(False),
        signer=Signer.COMPLIANCE,
        batching=Batching.CONSECUTIVE,
        to_registry=True,
        party_reverts=_standing("account"),
    ),
    K.FREEZE: KindRule(
        needs=frozenset({"account", "reason_hash"}),
        call=_frozen(True),
        signer=Signer.COMPLIANCE,
        to_registry=True,
        party_reverts=_standing("account"),
    ),
    K.UNFREEZE: KindRule(
        needs=frozenset({"account", "reason_hash"}),
        call=_frozen(False),
        signer=Signer.COMPLIANCE,
        to_registry=True,
        party_reverts=_standing("account"),
    ),
    # A freeze of units names their holder as its sender: it takes them out of what the
    # holder may move, as a movement does, from the moment it is asked for. Like a legal
    # order's transfer it needs only the balance; the holder's own pending movements then fail
    # on-chain. Once its TokensFrozen is applied the units count as frozen instead (ledger).
    K.FREEZE_TOKENS: KindRule(
        needs=_MOVEMENT | {"sender", "reason_hash"},
        call=_partial("freezePartialTokens"),
        signer=Signer.COMPLIANCE,
        reserves=Reservation.BALANCE,
        party_reverts=_FREEZE_EXCEEDS,
    ),
    K.UNFREEZE_TOKENS: KindRule(
        needs=_MOVEMENT | {"sender", "reason_hash"},
        call=_partial("unfreezePartialTokens"),
        signer=Signer.COMPLIANCE,
        party_reverts=_FREEZE_EXCEEDS,
    ),
    # A pause names a token, or none for the whole platform.
    K.PAUSE: KindRule(
        needs=frozenset({"reason_hash"}),
        may=frozenset({"token_address"}),
        call=_paused("pause"),
        signer=Signer.COMPLIANCE,
    ),
    K.UNPAUSE: KindRule(
        needs=frozenset({"reason_hash"}),
        may=frozenset({"token_address"}),
        call=_paused("unpause"),
        signer=Signer.COMPLIANCE,
    ),
}


def kinds_where(test: Callable[[KindRule], bool]) -> list[str]:
    """The kinds whose rule passes ``test``, in declaration order (for ``kind__in`` filters)."""
    return [str(kind) for kind, kind_rule in KINDS.items() if test(kind_rule)]


def reserving_kinds() -> list[str]:
    """Kinds that take units from their sender (and hold them back until they land)."""
    return kinds_where(lambda r: r.reserves != Reservation.NONE)


def moving_kinds() -> list[str]:
    """Kinds that move units, each with one Transfer on-chain carrying the operation's id."""
    return kinds_where(lambda r: r.moves)


def cancellable_kinds() -> list[str]:
    """Kinds a holder's suspension fails while no transaction carries them yet."""
    return kinds_where(lambda r: r.holder_cancels)
