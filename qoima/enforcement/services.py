"""Acts of enforcement: asked for by a compliance officer on a legal basis, confirmed by a second
officer where the act needs four eyes, carried to the chain by the transaction manager.

What an act does at once, in the transaction that decides it:

- a wallet's freeze marks the wallet frozen, cancels its owner's open orders and withdraws the
  movements to or from it that no transaction carries yet;
- a freeze of units takes them out of what the holder may move (the operation reserves them),
  and cancels the holder's open sell orders of the asset;
- a forced transfer reserves the units from the balance (a legal order takes precedence over
  the holder's own pending movements) and cancels the holder's open sell orders of the asset;
- a pause halts the asset's market (or every market), cancelling their open orders.

What waits for the chain's confirmation (``settlement``): a wallet's release, the end of a
pause (markets resume then), the act's own state.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from web3 import Web3

from issuance.documents import document_store
from issuance.notifications import notify, officers
from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.chain.amounts import format_units, units_from_text
from qoima.chain.ledger import wallet_owner_name
from qoima.chain.manager import (
    OperationRequest,
    operation_request,
    operations_cancel,
    operations_request,
)
from qoima.chain.models import Operation, PlatformToken, TokenBalance
from qoima.custody.models import Wallet
from qoima.custody.selectors import wallet_allowlist_latest
from qoima.custody.services import (
    holder_wallet_open_in_transaction,
    organisation_wallet_open_in_transaction,
)
from qoima.errors import Conflict, InvalidInput, NotAllowed, NotFound
from qoima.exchange.models import Market, Order
from qoima.exchange.services.markets import (
    market_halt_in_transaction,
)
from qoima.exchange.services.orders import orders_cancel_for_owner_in_transaction
from qoima.participants.models import HolderProfile, Role, User
from qoima.participants.selectors import user_role
from qoima.text import text_required

from . import selectors
from .models import EnforcementAct, LegalBasis

K = EnforcementAct.Kind
S = EnforcementAct.State

# Acts a second officer must confirm before anything is carried out.
FOUR_EYES = frozenset({K.FORCED_TRANSFER, K.PAUSE_PLATFORM, K.UNPAUSE_PLATFORM, K.RECOVER_WALLET})
# What each act names besides its legal basis.
NEEDS_WALLET = frozenset(
    {
        K.FREEZE_WALLET,
        K.UNFREEZE_WALLET,
        K.FREEZE_UNITS,
        K.UNFREEZE_UNITS,
        K.FORCED_TRANSFER,
        K.RECOVER_WALLET,
    }
)
NEEDS_ASSET = frozenset(
    {K.FREEZE_UNITS, K.UNFREEZE_UNITS, K.FORCED_TRANSFER, K.PAUSE_ASSET, K.UNPAUSE_ASSET}
)
NEEDS_AMOUNT = frozenset({K.FREEZE_UNITS, K.UNFREEZE_UNITS, K.FORCED_TRANSFER})

OPERATION_KINDS = {
    K.FREEZE_WALLET: Operation.Kind.FREEZE,
    K.UNFREEZE_WALLET: Operation.Kind.UNFREEZE,
    K.FREEZE_UNITS: Operation.Kind.FREEZE_TOKENS,
    K.UNFREEZE_UNITS: Operation.Kind.UNFREEZE_TOKENS,
    K.FORCED_TRANSFER: Operation.Kind.FORCED_TRANSFER,
    K.PAUSE_ASSET: Operation.Kind.PAUSE,
    K.UNPAUSE_ASSET: Operation.Kind.UNPAUSE,
    K.PAUSE_PLATFORM: Operation.Kind.PAUSE,
    K.UNPAUSE_PLATFORM: Operation.Kind.UNPAUSE,
}

PURPOSE = "enforcement.act"


@dataclass(frozen=True)
class BasisData:
    """The legal basis as the officer gives it: the document and what identifies it."""

    kind: str
    number: str
    issued_on: datetime.date | None
    authority: str
    document: UploadedFile | None


@dataclass(frozen=True)
class ActData:
    """What an act names: its subject (a holder's or issuer's IIN / BIN, and the address when
    they have several wallets), the asset, the units, and the receiver of a forced transfer."""

    kind: str
    reason: str
    subject: str = ""
    address: str = ""
    token_address: str = ""
    amount: str = ""
    receiver: str = ""


def _require_officer(actor: User) -> None:
    if user_role(actor) != Role.COMPLIANCE_OFFICER:
        raise NotAllowed()


# ------------------------------------------------------------------------------ the basis


def _basis_create(officer: User, data: BasisData) -> LegalBasis:
    """The legal basis, refused without a document or with one that is not what it says."""
    if data.kind not in LegalBasis.Kind.values:
        raise InvalidInput(_("Choose the kind of legal document."), field="basis_kind")
    number = text_required(
        data.number,
        field="basis_number",
        message=_("Give the number of the legal document."),
        max_length=64,
    )
    authority = text_required(
        data.authority,
        field="basis_authority",
        message=_("Give the court, officer or body that issued the document."),
        max_length=255,
    )
    if data.issued_on is None:
        raise InvalidInput(_("Give the date of the legal document."), field="basis_issued_on")
    if data.issued_on > timezone.localdate():
        raise InvalidInput(
            _("A legal document cannot be dated in the future."), field="basis_issued_on"
        )
    if data.document is None:
        raise InvalidInput(
            _("Every act needs its legal basis: upload the document (PDF, PNG or JPEG)."),
            field="basis_document",
            code="legal_basis_missing",
        )
    try:
        stored = document_store(data.document)
    except InvalidInput as error:
        raise InvalidInput(error.message, field="basis_document", code=error.code) from None
    return LegalBasis.objects.create(
        kind=data.kind,
        number=number,
        issued_on=data.issued_on,
        authority=authority,
        document=stored.name,
        document_sha256=stored.sha256,
        document_content_type=stored.content_type,
        document_original_name=(data.document.name or "")[:255],
        uploaded_by=officer,
    )


# ------------------------------------------------------------------------------ what it names


def _wallet_of(subject: str, address: str) -> Wallet:
    """The wallet an act is about: the participant's by IIN / BIN, the one at ``address`` when
    given (it must be theirs), else their custodial wallet."""
    subject = subject.strip()
    wallets = Wallet.objects.filter(
        Q(holder__identification_number=subject) | Q(organisation__identification_number=subject)
    ).select_related("holder", "organisation")
    if not subject or not wallets.exists():
        raise InvalidInput(_("No participant with this IIN / BIN holds a wallet."), field="subject")
    if address.strip():
        found = (
            wallets.filter(address=Web3.to_checksum_address(address.strip())).first()
            if Web3.is_address(address.strip())
            else None
        )
        if found is None:
            raise InvalidInput(
                _("This participant holds no wallet at this address."), field="address"
            )
        return found
    custodial = wallets.filter(kind=Wallet.Kind.CUSTODIAL).first()
    return custodial or wallets.order_by("pk").first()  # type: ignore[return-value]


def _token(address: str) -> PlatformToken:
    address = address.strip()
    token = (
        PlatformToken.objects.filter(
            chain_id=settings.CHAIN_ID, address=Web3.to_checksum_address(address)
        ).first()
        if Web3.is_address(address)
        else None
    )
    if token is None:
        raise InvalidInput(_("Choose an asset of the platform."), field="token_address")
    return token


def _named(data: ActData) -> dict[str, object]:
    """The act's subject, asset, units and receiver, checked as far as they can be unlocked."""
    kind = data.kind
    named: dict[str, object] = {}
    if kind in NEEDS_WALLET:
        named["wallet"] = _wallet_of(data.subject, data.address)
    if kind in NEEDS_ASSET:
        token = _token(data.token_address)
        named["token_address"] = token.address
        if kind in NEEDS_AMOUNT:
            named["amount"] = units_from_text(data.amount, token.decimals, field="amount")
    if kind == K.FORCED_TRANSFER:
        receiver = _wallet_of(data.receiver, "")
        if receiver.pk == named["wallet"].pk:  # type: ignore[attr-defined]
            raise InvalidInput(
                _("A forced transfer goes to another participant."), field="receiver"
            )
        named["receiver_wallet"] = receiver
    return named


# ------------------------------------------------------------------------------ use cases


@transaction.atomic(durable=True)
def act_request(*, officer: User, data: ActData, basis: BasisData) -> EnforcementAct:
    """A compliance officer asks for an act on its legal basis. Acts that need four eyes wait
    for a second officer; the others are carried out at once."""
    _require_officer(officer)
    if data.kind not in K.values:
        raise InvalidInput(_("Choose the act."), field="kind")
    reason = text_required(
        data.reason,
        field="reason",
        message=_("Give the reason for the act, as the legal document states it."),
        multiline=True,
        max_length=2000,
    )
    named = _named(data)
    legal_basis = _basis_create(officer, basis)
    # Every act starts waiting; carrying it out (at once, or on a second officer's word) sends
    # it to the chain.
    act = EnforcementAct.objects.create(
        kind=data.kind,
        state=S.AWAITING_CONFIRMATION,
        legal_basis=legal_basis,
        reason=reason,
        requested_by=officer,
        **named,
    )
    audit_record(
        actor=officer,
        action=AuditAction.ENFORCEMENT_ACT_REQUESTED,
        obj=act,
        details=_details(act),
    )
    if act.kind in FOUR_EYES:
        # Checked now, so a request nobody could carry out is refused before it waits.
        _check(act)
        notify(
            users=[user for user in officers() if user.pk != officer.pk],
            subject=_("Act to confirm: %(kind)s"),
            body=_("%(officer)s asked for %(kind)s; a second officer must confirm it."),
            kind=act.get_kind_display(),
            officer=officer.get_username(),
        )
        return act
    _carry_out(act, actor=officer)
    return act


@transaction.atomic(durable=True)
def act_confirm(*, officer: User, act_id: int) -> EnforcementAct:
    """A second officer confirms an act that needs four eyes; it is then carried out."""
    _require_officer(officer)
    act = _awaiting(act_id)
    if act.requested_by_id == officer.pk:
        raise NotAllowed(
            _("You asked for this act; a different officer must confirm it."),
            code="maker_checker",
        )
    act.confirmed_by, act.confirmed_at = officer, timezone.now()
    act.save(update_fields=["confirmed_by", "confirmed_at"])
    audit_record(
        actor=officer,
        action=AuditAction.ENFORCEMENT_ACT_CONFIRMED,
        obj=act,
        details={"requested_by": act.requested_by_id},
    )
    _carry_out(act, actor=officer)
    return act


@transaction.atomic(durable=True)
def act_reject(*, officer: User, act_id: int, reason: str) -> EnforcementAct:
    """An officer turns down an act waiting for confirmation (its requester may withdraw it)."""
    _require_officer(officer)
    reason = text_required(
        reason,
        field="rejection_reason",
        message=_("Give the reason for turning the act down."),
        multiline=True,
        max_length=2000,
    )
    act = _awaiting(act_id)
    act.state, act.rejected_by, act.rejection_reason = S.REJECTED, officer, reason
    act.settled_at = timezone.now()
    act.save(update_fields=["state", "rejected_by", "rejection_reason", "settled_at"])
    audit_record(
        actor=officer,
        action=AuditAction.ENFORCEMENT_ACT_REJECTED,
        obj=act,
        details={"reason": reason},
    )
    return act


def _awaiting(act_id: int) -> EnforcementAct:
    try:
        act = locks.lock_row(EnforcementAct, act_id)
    except EnforcementAct.DoesNotExist:
        raise NotFound() from None
    if act.state != S.AWAITING_CONFIRMATION:
        raise Conflict(
            _("This act is %(state)s; it no longer waits for a decision.")
            % {"state": act.get_state_display()}
        )
    return act


# ------------------------------------------------------------------------------ carrying out


def _check(act: EnforcementAct) -> None:
    """Refuse an act the platform's state does not allow now (read unlocked; ``_carry_out``
    checks again under its locks)."""
    kind = act.kind
    wallet = act.wallet
    if kind == K.RECOVER_WALLET and wallet is not None and wallet.kind == Wallet.Kind.RETIRED:
        raise Conflict(_("This wallet was replaced on recovery already."), field="subject")
    if kind == K.FREEZE_WALLET and wallet is not None and wallet.frozen:
        raise Conflict(_("This wallet is frozen already."), field="subject")
    if kind == K.UNFREEZE_WALLET and wallet is not None:
        if not wallet.frozen:
            raise Conflict(_("This wallet is not frozen."), field="subject")
        if selectors.pending_acts(kind=K.UNFREEZE_WALLET, wallet=wallet).exists():
            raise Conflict(_("This wallet's release is on its way to the chain."), field="subject")
    if kind in (K.PAUSE_ASSET, K.UNPAUSE_ASSET, K.PAUSE_PLATFORM, K.UNPAUSE_PLATFORM):
        _pause_check(act)
    if kind in NEEDS_AMOUNT and wallet is not None:
        _units_check(act, wallet)
    if kind == K.FORCED_TRANSFER and act.receiver_wallet is not None:
        _receiver_check(act.receiver_wallet)


def _pause_check(act: EnforcementAct) -> None:
    token = act.token_address
    pausing = act.kind in (K.PAUSE_ASSET, K.PAUSE_PLATFORM)
    paused = selectors.paused(token)
    if pausing and paused:
        raise Conflict(
            _("This asset is paused already.") if token else _("The platform is paused already.")
        )
    if not pausing:
        if not paused:
            raise Conflict(
                _("This asset is not paused.") if token else _("The platform is not paused.")
            )
        if selectors.pending_acts(kind=act.kind, token_address=token).exclude(pk=act.pk).exists():
            raise Conflict(_("The end of this pause is on its way to the chain."))


# Per act on units: the room it must fit in, and what the officer reads when it does not.
_UNITS_REFUSALS = {
    K.FREEZE_UNITS: (
        "freeze_exceeds_balance",
        _("%(owner)s has %(room)s that are not frozen; %(units)s cannot be frozen."),
    ),
    K.UNFREEZE_UNITS: (
        "unfreeze_exceeds_frozen",
        _("Only %(room)s of %(owner)s are frozen; %(units)s cannot be released."),
    ),
    K.FORCED_TRANSFER: (
        "forced_exceeds_balance",
        _("%(owner)s holds %(room)s; a forced transfer of %(units)s is not possible."),
    ),
}


def _units_check(act: EnforcementAct, wallet: Wallet) -> None:
    """Units of a freeze within what is not frozen yet, of a release within what is frozen,
    of a forced transfer within the balance (legal orders already on their way counted)."""
    token = PlatformToken.objects.get(chain_id=settings.CHAIN_ID, address=act.token_address)
    row = TokenBalance.objects.filter(
        chain_id=settings.CHAIN_ID, token_address=act.token_address, holder=wallet.address
    ).first()
    amount, frozen = (int(row.amount), int(row.frozen)) if row else (0, 0)
    pending = selectors.pending_units(wallet=wallet, token_address=act.token_address)
    room = {
        K.FREEZE_UNITS: amount - frozen - pending[Operation.Kind.FREEZE_TOKENS],
        K.UNFREEZE_UNITS: frozen - pending[Operation.Kind.UNFREEZE_TOKENS],
        K.FORCED_TRANSFER: amount - pending[Operation.Kind.FORCED_TRANSFER],
    }[K(act.kind)]
    units = int(act.amount or 0)
    if units <= room:
        return

    def shown(value: int) -> str:
        return format_units(max(value, 0), token.decimals, symbol=token.symbol)

    code, message = _UNITS_REFUSALS[K(act.kind)]
    raise InvalidInput(
        message
        % {"owner": wallet_owner_name(wallet.address), "room": shown(room), "units": shown(units)},
        field="amount",
        code=code,
    )


def _receiver_check(receiver: Wallet) -> None:
    holder = receiver.holder
    if holder is not None and holder.verification_status != HolderProfile.Status.VERIFIED:
        raise InvalidInput(
            _("The receiver is not a verified holder: units cannot go to them."), field="receiver"
        )
    # An allowlisting still on its way is enough: compliance's acts reach the chain in the
    # order they were decided, so it lands before the transfer.
    latest = wallet_allowlist_latest(receiver)
    if receiver.frozen or latest is None or latest.kind != Operation.Kind.ALLOWLIST:
        raise InvalidInput(
            _("The receiver's wallet cannot receive units now (frozen or not allowlisted)."),
            field="receiver",
        )


def _carry_out(act: EnforcementAct, *, actor: User) -> None:
    """Lock what the act changes, check it again, make its immediate changes and ask the
    chain for it (the operation's purpose brings the outcome back to ``settlement``)."""
    wallet = act.wallet
    if wallet is not None:
        # The holder's profile first, as a placement locks it: an order is either there for
        # the act to cancel or placed after the act, and then sees it.
        if wallet.holder_id is not None:
            locks.lock_row(HolderProfile, wallet.holder_id)
        wallet = act.wallet = locks.lock_row(Wallet, wallet.pk)
    _check(act)
    kind = act.kind
    owner = _owner(wallet) if wallet is not None else None
    if kind == K.FREEZE_WALLET and wallet is not None and owner is not None:
        Wallet.objects.filter(pk=wallet.pk).update(frozen=True)
        wallet.frozen = True
        orders_cancel_for_owner_in_transaction(owner=owner, reason="wallet_frozen", actor=actor)
        operations_cancel(addresses=[wallet.address], code="WalletFrozen")
    elif kind in (K.FREEZE_UNITS, K.FORCED_TRANSFER) and owner is not None:
        orders_cancel_for_owner_in_transaction(
            owner=owner,
            reason="units_frozen" if kind == K.FREEZE_UNITS else "forced_transfer",
            actor=actor,
            token_address=act.token_address,
            side=Order.Side.SELL,
        )
    elif kind in (K.PAUSE_ASSET, K.PAUSE_PLATFORM):
        _halt_markets(act, actor=actor)
    if kind == K.RECOVER_WALLET and wallet is not None and owner is not None:
        act.operation = _recover(act, wallet, owner, actor=actor)
    else:
        act.operation = operation_request(**_operation_fields(act))
    act.state = S.PENDING
    act.save(update_fields=["operation", "state", "receiver_wallet"])
    audit_record(
        actor=actor,
        action=AuditAction.ENFORCEMENT_ACT_CARRIED_OUT,
        obj=act,
        details={"operation": act.operation.pk},
    )


def _recover(act: EnforcementAct, old: Wallet, owner: Q, *, actor: User) -> Operation:
    """Replace a wallet whose key is lost or compromised: the old one is retired and delisted,
    the owner gets a new custodial wallet (or, for an external wallet, their custodial one
    receives), and every unfrozen unit of the old address moves there by a forced transfer on
    the recovery's legal basis (as ERC-3643's recovery does). Frozen units stay frozen where
    the freeze named them until it is released. Returns the first of the act's operations."""
    orders_cancel_for_owner_in_transaction(owner=owner, reason="wallet_recovered", actor=actor)
    operations_cancel(addresses=[old.address], code="WalletRecovered")
    Wallet.objects.filter(pk=old.pk).update(kind=Wallet.Kind.RETIRED, frozen=True)
    if old.holder is not None:
        new = holder_wallet_open_in_transaction(holder=old.holder, actor=actor)
    else:
        assert old.organisation is not None
        new = organisation_wallet_open_in_transaction(organisation=old.organisation, actor=actor)
    act.receiver_wallet = new
    reason = act.legal_basis.reason_hash
    key = f"{PURPOSE}:{act.pk}"
    requests = [
        OperationRequest(
            kind=Operation.Kind.DELIST, account=old.address, idempotency_key=key, purpose=PURPOSE
        ),
        OperationRequest(
            kind=Operation.Kind.ALLOWLIST,
            account=new.address,
            idempotency_key=f"{key}:allowlist",
            purpose=PURPOSE,
        ),
    ]
    balances = TokenBalance.objects.filter(
        chain_id=settings.CHAIN_ID, holder=old.address, amount__gt=0
    ).order_by("token_address")
    for row in balances:
        units = int(row.amount) - int(row.frozen)
        if units > 0:
            requests.append(
                OperationRequest(
                    kind=Operation.Kind.FORCED_TRANSFER,
                    token_address=row.token_address,
                    sender=old.address,
                    receiver=new.address,
                    amount=units,
                    reason_hash=reason,
                    idempotency_key=f"{key}:{row.token_address}",
                    purpose=PURPOSE,
                )
            )
    return operations_request(requests=requests)[0]


def _owner(wallet: Wallet) -> Q:
    """The wallet's owner as a condition on an order's member."""
    if wallet.holder_id is not None:
        return Q(member__holder_id=wallet.holder_id)
    return Q(member__organisation_id=wallet.organisation_id)


def _halt_markets(act: EnforcementAct, *, actor: User) -> None:
    markets = Market.objects.filter(status=Market.Status.OPEN)
    if act.token_address:
        markets = markets.filter(token__address=act.token_address)
    reason = "asset_paused" if act.token_address else "platform_paused"
    for pk in sorted(markets.values_list("pk", flat=True)):
        market = locks.lock_market(pk)
        if market.status == Market.Status.OPEN:
            market_halt_in_transaction(market=market, reason=reason, actor=actor)


def _operation_fields(act: EnforcementAct) -> dict[str, object]:
    kind = OPERATION_KINDS[K(act.kind)]
    fields: dict[str, object] = {
        "kind": kind,
        "idempotency_key": f"{PURPOSE}:{act.pk}",
        "reason_hash": act.legal_basis.reason_hash,
        "purpose": PURPOSE,
    }
    if act.token_address:
        fields["token_address"] = act.token_address
    if act.amount is not None:
        fields["amount"] = int(act.amount)
    if act.wallet is not None:
        party = "account" if act.kind in (K.FREEZE_WALLET, K.UNFREEZE_WALLET) else "sender"
        fields[party] = act.wallet.address
    if act.receiver_wallet is not None:
        fields["receiver"] = act.receiver_wallet.address
    return fields


def _details(act: EnforcementAct) -> dict[str, object]:
    basis = act.legal_basis
    return {
        "kind": act.kind,
        "wallet": act.wallet.address if act.wallet else "",
        "receiver_wallet": act.receiver_wallet.address if act.receiver_wallet else "",
        "token": act.token_address,
        "units": int(act.amount) if act.amount is not None else None,
        "reason": act.reason,
        "legal_basis": {
            "kind": basis.kind,
            "number": basis.number,
            "issued_on": basis.issued_on.isoformat(),
            "authority": basis.authority,
            "sha256": basis.document_sha256,
        },
    }
