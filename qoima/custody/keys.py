"""Private keys at rest: encrypted with Fernet (AES-128-CBC and HMAC-SHA256), never stored plain.

``CUSTODY_ENCRYPTION_KEYS`` lists Fernet keys, newest first: new keys are encrypted with the
first, and any of them decrypts, so a key is rotated by putting a new one in front, running
``python manage.py reencryptkeys``, then dropping the old one.
"""

from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@cache
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.CUSTODY_ENCRYPTION_KEYS))


def key_encrypt(private_key: bytes) -> bytes:
    return cipher().encrypt(private_key)


def key_decrypt(token: bytes) -> bytes:
    return cipher().decrypt(bytes(token))


def key_reencrypt(token: bytes) -> bytes:
    """The same key under the newest encryption key."""
    return cipher().rotate(bytes(token))
