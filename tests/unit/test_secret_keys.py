"""SECRET_KEY: strong keys only, several for rotation, one derived key per purpose."""

from __future__ import annotations

import secrets

import pytest

from storage.crypto import SIGNIN_LINKS, TOKENS, SecretBox, SecretBoxError, parse_secret_keys
from tests.support.server import OTHER_SECRET_KEY, SECRET_KEY


@pytest.mark.parametrize(
    "key",
    [
        secrets.token_urlsafe(32),
        secrets.token_hex(32),
        SECRET_KEY,
        f" {SECRET_KEY} , {OTHER_SECRET_KEY} ",
    ],
    ids=["urlsafe", "hex", "fixed", "two"],
)  # stable ids: xdist workers must agree
def test_random_keys_of_32_bytes_are_accepted(key: str) -> None:
    assert parse_secret_keys(key) == [k.strip() for k in key.split(",")]


@pytest.mark.parametrize(
    "key",
    [
        "",
        "short",
        "test-secret-key-0123456789abcdef",
        secrets.token_urlsafe(31)[:42],
        "a" * 100,
        "abc" * 30,
        f"{SECRET_KEY},",
        f"{SECRET_KEY},{SECRET_KEY}",
    ],
    ids=[
        "empty",
        "short",
        "guessable",
        "31-bytes",
        "a-repeated",
        "abc-repeated",
        "trailing-comma",
        "twice",
    ],
)
def test_weak_empty_or_repeated_keys_are_refused_naming_secret_key(key: str) -> None:
    with pytest.raises(ValueError, match="SECRET_KEY") as caught:
        parse_secret_keys(key)
    assert "\n" not in str(caught.value)
    if len(key) > 8:
        assert key not in str(caught.value)


def test_a_value_sealed_for_one_purpose_is_refused_for_another() -> None:
    token = SecretBox(SECRET_KEY, TOKENS).encrypt("ya29.secret")
    with pytest.raises(SecretBoxError):
        SecretBox(SECRET_KEY, SIGNIN_LINKS).decrypt(token)
    assert SecretBox(SECRET_KEY, TOKENS).decrypt(token) == "ya29.secret"


def test_the_first_key_encrypts_every_key_decrypts_and_rotate_moves_to_the_first() -> None:
    old = SecretBox(SECRET_KEY).encrypt("xoxb-1")
    both = SecretBox(f"{OTHER_SECRET_KEY},{SECRET_KEY}")
    assert both.decrypt(old) == "xoxb-1"
    rotated = both.rotate(old)
    assert rotated != old and SecretBox(OTHER_SECRET_KEY).decrypt(rotated) == "xoxb-1"
    assert SecretBox(OTHER_SECRET_KEY).decrypt(both.encrypt("new")) == "new"
    with pytest.raises(SecretBoxError):
        SecretBox(SECRET_KEY).decrypt(rotated)
    with pytest.raises(SecretBoxError):
        SecretBox(OTHER_SECRET_KEY).rotate(old)  # a value no key reads is an error, not skipped
