"""Encryption at rest for tokens and passwords, keyed by SECRET_KEY.

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography` authenticates as well as encrypts,
so a tampered or foreign value fails loudly instead of decrypting to garbage. The key is
derived with HKDF so any sufficiently long SECRET_KEY string works.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "enc1:"


class SecretBoxError(Exception):
    """A stored secret cannot be decrypted (wrong SECRET_KEY or tampered value)."""


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("SECRET_KEY is required to store secrets")
        raw = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"meetline", info=b"secrets-v1"
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(raw))

    @staticmethod
    def is_encrypted(value: str | None) -> bool:
        return bool(value) and str(value).startswith(PREFIX)

    def encrypt(self, value: str | None) -> str | None:
        if value is None or self.is_encrypted(value):
            return value
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        if value is None or not self.is_encrypted(value):
            return value
        try:
            return self._fernet.decrypt(value[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SecretBoxError("a stored secret could not be decrypted with SECRET_KEY") from None
