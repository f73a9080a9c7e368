"""Ids that come back from Slack (action values, option values, private_metadata).

Slack returns whatever a client sends, so an id is untrusted text: it is parsed here,
bounded to what a database integer key can hold, and only then looked up, always
together with the caller's workspace. Anything else is "no such id", answered like a
missing record, never an error page.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1  # the largest BIGINT; SQLite raises OverflowError beyond it
_MAX_DIGITS = len(str(MAX_ID))


def parse_id(value: object) -> int | None:
    """A positive integer id from an int or a short string of ASCII digits, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        if not (0 < len(value) <= _MAX_DIGITS) or not value.isascii() or not value.isdigit():
            return None
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


def parse_prefixed_id(value: object, prefix: str) -> int | None:
    """`r:42` with prefix "r" -> 42; anything else (other prefix, junk, huge) -> None."""
    if not isinstance(value, str) or not value.startswith(f"{prefix}:"):
        return None
    return parse_id(value[len(prefix) + 1 :])
