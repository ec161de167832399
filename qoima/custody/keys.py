"""Private keys at rest: wrapped by a key wrapper, never stored plain.

Everything that stores or reads a custodial key goes through ``key_encrypt``, ``key_decrypt``
and ``key_reencrypt``, which ask the wrapper named by ``CUSTODY_KEY_WRAPPER``. Anything that
implements ``KeyWrapper`` can be that wrapper: a cloud KMS (envelope encryption: the KMS
wraps a data key, or encrypts the key itself), an HSM through PKCS#11, or Vault's transit
engine (docs/keys.md says how). The embedded default, ``fernet_keys``, encrypts with the Fernet
keys in ``CUSTODY_ENCRYPTION_KEYS`` (AES-128-CBC and HMAC-SHA256), newest first: new keys are
encrypted with the first, and any of them decrypts, so a key is rotated by putting a new one
in front, running ``python manage.py reencryptkeys``, then dropping the old one.
"""

from collections.abc import Sequence
from functools import cache
from typing import Protocol

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.utils.module_loading import import_string


class KeyWrapper(Protocol):
    """What the platform needs of whatever guards its custodial keys."""

    def wrap(self, private_key: bytes) -> bytes:
        """The private key, encrypted under the current wrapping key; what is stored."""
        ...

    def unwrap(self, wrapped: bytes) -> bytes:
        """The private key back, from what ``wrap`` returned under this or an older key."""
        ...

    def rewrap(self, wrapped: bytes) -> bytes:
        """The same private key under the current wrapping key (rotation). An HSM or KMS may
        do this without the key ever leaving it."""
        ...


class FernetKeys:
    """The embedded default: Fernet keys from the environment, newest first."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._cipher = MultiFernet([Fernet(key) for key in keys])

    def wrap(self, private_key: bytes) -> bytes:
        return self._cipher.encrypt(private_key)

    def unwrap(self, wrapped: bytes) -> bytes:
        return self._cipher.decrypt(bytes(wrapped))

    def rewrap(self, wrapped: bytes) -> bytes:
        return self._cipher.rotate(bytes(wrapped))


@cache
def _fernet(keys: tuple[str, ...]) -> FernetKeys:
    return FernetKeys(keys)


def fernet_keys() -> FernetKeys:
    """The embedded default's wrapper, from ``CUSTODY_ENCRYPTION_KEYS``."""
    return _fernet(tuple(settings.CUSTODY_ENCRYPTION_KEYS))


def wrapper() -> KeyWrapper:
    """The configured wrapper: ``CUSTODY_KEY_WRAPPER`` names a callable that returns one."""
    factory = import_string(settings.CUSTODY_KEY_WRAPPER)
    made: KeyWrapper = factory()
    return made


def key_encrypt(private_key: bytes) -> bytes:
    return wrapper().wrap(private_key)


def key_decrypt(token: bytes) -> bytes:
    return wrapper().unwrap(bytes(token))


def key_reencrypt(token: bytes) -> bytes:
    """The same key under the newest wrapping key."""
    return wrapper().rewrap(bytes(token))
