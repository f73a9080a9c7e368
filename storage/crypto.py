"""Encryption at rest for tokens and passwords, keyed by SECRET_KEY.

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography` authenticates as well as encrypts,
so a tampered or foreign value fails loudly instead of decrypting to garbage.

SECRET_KEY holds one or more keys separated by commas: the first encrypts, every one
decrypts (MultiFernet), so an operator rotates by putting a new key in front, running
`meetline rotate-keys`, then dropping the old one. Each purpose (stored tokens, sign-in
links, …) gets its own key derived with HKDF under its own label, so a value sealed for
one purpose is never accepted for another (a sign-in link cannot be replayed as a stored
token, nor the reverse). The token label is the original one, so data stored before
labels were split still decrypts.
"""

from __future__ import annotations

import base64
import math
from collections import Counter

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "enc1:"

# HKDF labels, one per purpose. Never reuse a label for a new purpose.
TOKENS = "secrets-v1"  # stored credentials: calendar tokens, Slack installations, OAuth flows
SIGNIN_LINKS = "signin-link-v1"  # the sealed App Home sign-in links
FORM_DESTINATIONS = "form-destination-v1"  # the /meet form's channel and thread (bot.form_seal)

MIN_KEY_CHARS = 43  # urlsafe base64 of 32 bytes without padding; 64 hex digits pass too
MIN_BITS_PER_CHAR = 3.0  # rejects "aaaa…", "abab…" and other obviously weak values
KEY_HINT = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class SecretBoxError(Exception):
    """A stored secret cannot be decrypted (wrong SECRET_KEY or tampered value)."""


def _bits_per_char(key: str) -> float:
    counts = Counter(key)
    return -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())


def parse_secret_keys(value: str | None) -> list[str]:
    """The keys in SECRET_KEY (first = current), or ValueError naming what is wrong.

    A key must carry at least 32 random bytes: in practice 43+ characters of
    `secrets.token_urlsafe(32)` or 64 hex digits. Length alone lets "aaaa…" through,
    so the character distribution must also look random enough (>= 3 bits a character).
    """
    if not value or not value.strip():
        raise ValueError(f"SECRET_KEY is empty; {KEY_HINT}")
    keys = [k.strip() for k in value.split(",")]
    for position, key in enumerate(keys, start=1):
        which = "SECRET_KEY" if len(keys) == 1 else f"SECRET_KEY (key {position} of {len(keys)})"
        if not key:
            raise ValueError(f"{which} is empty: separate several keys with single commas")
        if len(key) < MIN_KEY_CHARS:
            raise ValueError(
                f"{which} must be at least 32 random bytes ({MIN_KEY_CHARS}+ characters), "
                f"got {len(key)} characters; {KEY_HINT}"
            )
        if _bits_per_char(key) < MIN_BITS_PER_CHAR:
            raise ValueError(
                f"{which} does not look random (too few different characters); {KEY_HINT}"
            )
    if len(set(keys)) != len(keys):
        raise ValueError("SECRET_KEY names the same key twice")
    return keys


def derived_key(key: str, purpose: str) -> bytes:
    """32 bytes for `purpose` alone, from one key of SECRET_KEY (or another secret)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"meetline", info=purpose.encode()
    ).derive(key.encode())


def _fernet(key: str, purpose: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derived_key(key, purpose)))


class SecretBox:
    """Encrypts with the first key of SECRET_KEY and decrypts with any, for one purpose."""

    def __init__(self, secret_key: str, purpose: str = TOKENS) -> None:
        if not secret_key:
            raise ValueError("SECRET_KEY is required to store secrets")
        keys = parse_secret_keys(secret_key)
        self._fernet = MultiFernet([_fernet(k, purpose) for k in keys])

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

    def rotate(self, value: str | None) -> str | None:
        """`value` re-encrypted with the first key (plain text is encrypted; None stays)."""
        if value is None:
            return None
        if not self.is_encrypted(value):
            return self.encrypt(value)
        try:
            return PREFIX + self._fernet.rotate(value[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SecretBoxError(
                "a stored secret could not be decrypted with any key in SECRET_KEY"
            ) from None
