"""Encryption at rest with the keys of MESSAGE_ENCRYPTION_KEYS (newest first)."""

from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.MESSAGE_ENCRYPTION_KEYS))


def encrypt_text(text: str) -> str:
    return _current().encrypt(text.encode()).decode()


def decrypt_text(token: str) -> str:
    return _current().decrypt(token.encode()).decode()


def encrypt_bytes(data: bytes) -> bytes:
    return _current().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    return _current().decrypt(token)


def rotate(token: bytes) -> bytes:
    """The same plaintext, encrypted again with the newest key (any configured key decrypts)."""
    return _current().rotate(token)
