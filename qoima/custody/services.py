"""Custodial wallets: opened for verified holders, allowlisted on-chain while they may hold."""

from typing import Any

from django.db import transaction
from eth_account import Account

from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.chain.manager import operation_request
from qoima.chain.models import Operation
from qoima.participants.models import HolderProfile, Organisation, User
from qoima.transactions import in_transaction

from .keys import key_encrypt, key_reencrypt
from .models import Wallet


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
