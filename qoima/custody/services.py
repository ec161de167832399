"""Custodial wallets: opened for verified holders, allowlisted on-chain while they may hold."""

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature
from web3 import Web3

from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.chain.manager import operation_request
from qoima.chain.models import Operation, TokenBalance
from qoima.errors import Conflict, InvalidInput, NotAllowed, NotFound
from qoima.participants.models import HolderProfile, Organisation, Role, User
from qoima.participants.selectors import user_role
from qoima.text import text_required
from qoima.transactions import in_transaction

from .keys import key_encrypt, key_reencrypt
from .models import Wallet, WalletLink


@in_transaction
def holder_wallet_open_in_transaction(*, holder: HolderProfile, actor: User | None) -> Wallet:
    """The holder's custodial wallet, opened with a new key the first time it is asked for."""
    return _wallet_open(owner={"holder": holder}, actor=actor)


@in_transaction
def organisation_wallet_open_in_transaction(
    *, organisation: Organisation, actor: User | None
) -> Wallet:
    """The issuer's custodial wallet, where its minted units arrive and distributions leave."""
    return _wallet_open(owner={"organisation": organisation}, actor=actor)


def _wallet_open(*, owner: dict[str, Any], actor: User | None) -> Wallet:
    existing = Wallet.objects.filter(kind=Wallet.Kind.CUSTODIAL, **owner).first()
    if existing is not None:
        return existing
    account = Account.create()
    wallet = Wallet.objects.create(
        kind=Wallet.Kind.CUSTODIAL,
        address=account.address,
        encrypted_key=key_encrypt(bytes(account.key)),
        **owner,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CUSTODY_WALLET_OPENED,
        obj=wallet,
        details={"address": wallet.address},
    )
    return wallet


@in_transaction
def wallet_allowlist_set_in_transaction(
    *, wallet: Wallet, allowed: bool, event: str, actor: User | None, purpose: str = ""
) -> Operation:
    """Put the wallet on the allowlist (or take it off) on-chain, through the manager.

    ``event`` names the decision that asks for it (a verification, a suspension), so the same
    decision never asks twice and a later one asks again.
    """
    kind = Operation.Kind.ALLOWLIST if allowed else Operation.Kind.DELIST
    operation = operation_request(
        kind=kind,
        account=wallet.address,
        idempotency_key=f"custody.{kind}:{wallet.pk}:{event}",
        purpose=purpose,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CUSTODY_WALLET_ALLOWLIST
        if allowed
        else AuditAction.CUSTODY_WALLET_DELIST,
        obj=wallet,
        details={"address": wallet.address, "operation": operation.pk},
    )
    return operation


def wallet_keys_reencrypt() -> int:
    """Re-encrypt every custodial key under the newest encryption key; returns how many."""
    count = 0
    for pk in Wallet.objects.filter(kind=Wallet.Kind.CUSTODIAL).values_list("pk", flat=True):
        with transaction.atomic(durable=True):
            wallet = locks.lock_row(Wallet, pk)
            assert wallet.encrypted_key is not None
            Wallet.objects.filter(pk=pk).update(
                encrypted_key=key_reencrypt(bytes(wallet.encrypted_key))
            )
            audit_record(actor=None, action=AuditAction.CUSTODY_KEY_REENCRYPTED, obj=wallet)
        count += 1
    return count


# ------------------------------------------------------------------------------ external wallets

LINK_TTL = datetime.timedelta(minutes=30)


def _verified_holder(actor: User) -> HolderProfile:
    holder = HolderProfile.objects.filter(user=actor).first()
    if holder is None or holder.verification_status != HolderProfile.Status.VERIFIED:
        raise NotAllowed(_("Only a verified holder links an external wallet."))
    return holder


def _link_message(*, holder: HolderProfile, address: str, domain: str, uri: str, nonce: str) -> str:
    """The EIP-4361 message the holder signs: the platform's domain, the address, what signing
    means (naming the holder), and the nonce that makes it good for this request only."""
    issued = timezone.now()
    statement = (
        f"I link this address to {holder.full_name} ({holder.identification_number}) on "
        "Qoima, the digital platform for storage and exchange of backed digital assets."
    )
    return (
        f"{domain} wants you to sign in with your Ethereum account:\n"
        f"{address}\n\n"
        f"{statement}\n\n"
        f"URI: {uri}\n"
        "Version: 1\n"
        f"Chain ID: {settings.CHAIN_ID}\n"
        f"Nonce: {nonce}\n"
        f"Issued At: {issued.isoformat(timespec='seconds')}\n"
        f"Expiration Time: {(issued + LINK_TTL).isoformat(timespec='seconds')}"
    )


def _address_taken(address: str, holder: HolderProfile) -> bool:
    """Whether another participant holds the address: a wallet of theirs, or their live link."""
    # The holder's own external wallet, linked before, may be linked again; a custodial one
    # (the platform held its key) never becomes external.
    wallet = Wallet.objects.filter(address=address).exclude(
        holder=holder, encrypted_key__isnull=True
    )
    links = WalletLink.objects.filter(
        address=address, state__in=[WalletLink.State.SIGNED, WalletLink.State.APPROVED]
    ).exclude(holder=holder)
    return wallet.exists() or links.exists()


@transaction.atomic(durable=True)
def wallet_link_request(*, actor: User, address: str, domain: str, uri: str) -> WalletLink:
    """A verified holder asks to link an address they control; returns the message to sign."""
    holder = _verified_holder(actor)
    address = address.strip()
    if not Web3.is_address(address):
        raise InvalidInput(_("%(value)s is not an address.") % {"value": address}, field="address")
    address = Web3.to_checksum_address(address)
    if _address_taken(address, holder):
        raise InvalidInput(
            _("This address belongs to another participant of the platform."),
            field="address",
            code="address_taken",
        )
    if WalletLink.objects.filter(
        holder=holder,
        address=address,
        state__in=[WalletLink.State.SIGNED, WalletLink.State.APPROVED],
    ).exists():
        raise Conflict(_("This address is linked already, or waits for compliance."))
    nonce = secrets.token_hex(8)
    link = WalletLink.objects.create(
        holder=holder,
        address=address,
        nonce=nonce,
        message=_link_message(holder=holder, address=address, domain=domain, uri=uri, nonce=nonce),
        expires_at=timezone.now() + LINK_TTL,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CUSTODY_WALLET_LINK_REQUESTED,
        obj=link,
        details={"address": address},
    )
    return link


@transaction.atomic(durable=True)
def wallet_link_sign(*, actor: User, link_id: int, signature: str) -> WalletLink:
    """The holder hands in the signature of the link's message; it must be the address's."""
    holder = _verified_holder(actor)
    link = locks.rows_for_update(WalletLink.objects.filter(pk=link_id, holder=holder)).first()
    if link is None:
        raise NotFound()
    if link.state != WalletLink.State.AWAITING_SIGNATURE:
        raise Conflict(
            _("This request was signed already: its nonce cannot be used again."),
            code="nonce_used",
        )
    if link.expires_at < timezone.now():
        link.state = WalletLink.State.EXPIRED
        link.save(update_fields=["state"])
        raise Conflict(_("This request has expired; ask for a new message to sign."))
    try:
        signer = Account.recover_message(encode_defunct(text=link.message), signature=signature)
    except (ValueError, TypeError, LookupError, BadSignature):
        # Malformed hex or a signature too short: not this address's signature either.
        signer = ""
    if signer != link.address:
        raise InvalidInput(
            _("This is not the signature of this message by %(address)s.")
            % {"address": link.address},
            field="signature",
            code="signature_mismatch",
        )
    if _address_taken(link.address, holder):
        raise InvalidInput(
            _("This address belongs to another participant of the platform."),
            field="address",
            code="address_taken",
        )
    link.signature, link.state = signature, WalletLink.State.SIGNED
    try:
        with transaction.atomic():
            link.save(update_fields=["signature", "state"])
    except IntegrityError:
        # Another holder's link of the address was signed meanwhile: the address is theirs.
        raise InvalidInput(
            _("This address belongs to another participant of the platform."),
            field="address",
            code="address_taken",
        ) from None
    audit_record(
        actor=actor,
        action=AuditAction.CUSTODY_WALLET_LINK_SIGNED,
        obj=link,
        details={"address": link.address, "nonce": link.nonce},
    )
    return link


@transaction.atomic(durable=True)
def wallet_link_decide(
    *, officer: User, link_id: int, approve: bool, reason: str = ""
) -> WalletLink:
    """Compliance approves a signed link (the address becomes the holder's external wallet,
    allowlisted on-chain) or refuses it with a reason."""
    if user_role(officer) != Role.COMPLIANCE_OFFICER:
        raise NotAllowed()
    link = locks.rows_for_update(WalletLink.objects.filter(pk=link_id)).first()
    if link is None:
        raise NotFound()
    if link.state != WalletLink.State.SIGNED:
        raise Conflict(_("This link does not wait for a decision."))
    link.decided_by, link.decided_at = officer, timezone.now()
    if not approve:
        link.refusal = text_required(
            reason,
            field="reason",
            message=_("Give the reason for refusing the link."),
            multiline=True,
        )
        link.state = WalletLink.State.REFUSED
        link.save(update_fields=["state", "refusal", "decided_by", "decided_at"])
        audit_record(
            actor=officer,
            action=AuditAction.CUSTODY_WALLET_LINK_REFUSED,
            obj=link,
            details={"reason": link.refusal},
        )
        return link
    if _address_taken(link.address, link.holder):
        raise Conflict(_("This address belongs to another participant of the platform."))
    wallet, _created = Wallet.objects.update_or_create(
        address=link.address,
        defaults={"holder": link.holder, "kind": Wallet.Kind.EXTERNAL},
    )
    link.wallet, link.state = wallet, WalletLink.State.APPROVED
    link.save(update_fields=["wallet", "state", "decided_by", "decided_at"])
    audit_record(
        actor=officer,
        action=AuditAction.CUSTODY_WALLET_LINK_APPROVED,
        obj=link,
        details={"address": link.address, "wallet": wallet.pk},
    )
    wallet_allowlist_set_in_transaction(
        wallet=wallet, allowed=True, event=f"linked-{link.pk}", actor=officer
    )
    return link


@transaction.atomic(durable=True)
def wallet_unlink(*, actor: User, wallet_id: int) -> Wallet:
    """The holder (or compliance) ends a link: the address leaves the allowlist and the
    holder's wallets. Refused while it holds units, which would be stranded there."""
    role = user_role(actor)
    wallet = Wallet.objects.filter(pk=wallet_id, kind=Wallet.Kind.EXTERNAL).first()
    if wallet is None or (role == Role.HOLDER and wallet.holder_id != _verified_holder(actor).pk):
        raise NotFound()
    if role not in (Role.HOLDER, Role.COMPLIANCE_OFFICER):
        raise NotAllowed()
    wallet = locks.lock_row(Wallet, wallet.pk)
    held = TokenBalance.objects.filter(
        chain_id=settings.CHAIN_ID, holder=wallet.address, amount__gt=0
    ).exists()
    if held:
        raise Conflict(
            _("The wallet still holds units: send them back to your custodial wallet first."),
            code="wallet_not_empty",
        )
    Wallet.objects.filter(pk=wallet.pk).update(kind=Wallet.Kind.RETIRED)
    WalletLink.objects.filter(wallet=wallet).update(state=WalletLink.State.UNLINKED)
    wallet_allowlist_set_in_transaction(
        wallet=wallet, allowed=False, event=f"unlinked-{wallet.pk}", actor=actor
    )
    return wallet
