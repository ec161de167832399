"""Custodial keys at rest: rotated from one wrapping key to the next by the audited command,
and wrapped by whatever implements KeyWrapper (a KMS or an HSM) when configured to."""

import io
import os

import pytest
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.management import call_command
from eth_account import Account

from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry
from qoima.custody.keys import key_decrypt
from qoima.participants.models import Role
from tests.factories import HolderProfileFactory, make_user, valid_iins

pytestmark = pytest.mark.django_db


def holder_wallets(count):
    officer = make_user(Role.COMPLIANCE_OFFICER)
    from django.db import transaction

    from qoima.custody.services import holder_wallet_open_in_transaction

    wallets = []
    for number in valid_iins(count, start=900):
        holder = HolderProfileFactory(identification_number=number)
        with transaction.atomic():
            wallets.append(holder_wallet_open_in_transaction(holder=holder, actor=officer))
    return wallets


def readable(wallet):
    wallet.refresh_from_db()
    try:
        key = key_decrypt(bytes(wallet.encrypted_key))
    except InvalidToken:
        return False
    return Account.from_key(key).address == wallet.address


def test_a_new_key_in_front_the_command_then_dropping_the_old_one(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CUSTODY_ENCRYPTION_KEYS = [old]
    wallets = holder_wallets(3)
    settings.CUSTODY_ENCRYPTION_KEYS = [new, old]
    assert all(readable(w) for w in wallets)
    out = io.StringIO()
    call_command("reencryptkeys", stdout=out)
    assert "3 keys re-encrypted" in out.getvalue()
    assert AuditEntry.objects.filter(action=AuditAction.CUSTODY_KEY_REENCRYPTED).count() == 3
    settings.CUSTODY_ENCRYPTION_KEYS = [new]
    assert all(readable(w) for w in wallets)
    settings.CUSTODY_ENCRYPTION_KEYS = [old]
    assert not any(readable(w) for w in wallets)


class VersionedKeys:
    """A stand-in for a KMS: named key versions, the version stored beside each ciphertext
    (as KMS ciphertext blobs carry their key's id), the newest used for new keys."""

    versions: dict[str, bytes] = {}
    current = ""

    def wrap(self, private_key: bytes) -> bytes:
        nonce = os.urandom(12)
        sealed = AESGCM(self.versions[self.current]).encrypt(nonce, private_key, None)
        return self.current.encode() + b":" + nonce + sealed

    def unwrap(self, wrapped: bytes) -> bytes:
        version, body = bytes(wrapped).split(b":", 1)
        return AESGCM(self.versions[version.decode()]).decrypt(body[:12], body[12:], None)

    def rewrap(self, wrapped: bytes) -> bytes:
        return self.wrap(self.unwrap(wrapped))


def test_a_kms_or_hsm_plugs_in_through_the_key_wrapper_setting(settings):
    VersionedKeys.versions = {"v1": AESGCM.generate_key(bit_length=256)}
    VersionedKeys.current = "v1"
    settings.CUSTODY_KEY_WRAPPER = f"{__name__}.VersionedKeys"
    wallets = holder_wallets(2)
    assert all(bytes(w.encrypted_key).startswith(b"v1:") for w in wallets)
    assert all(readable(w) for w in wallets)

    VersionedKeys.versions["v2"] = AESGCM.generate_key(bit_length=256)
    VersionedKeys.current = "v2"
    call_command("reencryptkeys", stdout=io.StringIO())
    del VersionedKeys.versions["v1"]
    for wallet in wallets:
        wallet.refresh_from_db()
        assert bytes(wallet.encrypted_key).startswith(b"v2:")
        assert readable(wallet)
