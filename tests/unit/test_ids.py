"""Ids from Slack payloads are parsed in one place and bounded."""

from __future__ import annotations

import pytest

from handlers.ids import MAX_ID, parse_id, parse_prefixed_id
from handlers.meetings import AttendeeKind, AttendeeRef


@pytest.mark.parametrize("value", [1, "1", "42", MAX_ID, str(MAX_ID)])
def test_positive_ids_in_range_parse(value: object) -> None:
    assert parse_id(value) == int(str(value))


@pytest.mark.parametrize(
    "value",
    [
        0,
        -1,
        "-1",
        "0",
        MAX_ID + 1,
        str(MAX_ID + 1),
        10**30,
        "1" * 5000,
        "",
        " 1",
        "1e3",
        "²",
        "١٢",
        "12a",
        1.0,
        None,
        True,
        [1],
    ],
)
def test_everything_else_is_no_id(value: object) -> None:
    assert parse_id(value) is None


def test_prefixed_ids_need_their_prefix() -> None:
    assert parse_prefixed_id("r:12", "r") == 12
    assert parse_prefixed_id("c:12", "r") is None
    assert parse_prefixed_id("r:99999999999999999999", "r") is None
    assert parse_prefixed_id(None, "r") is None


def test_contact_values_stay_contacts_so_junk_is_answered_as_missing() -> None:
    ref = AttendeeRef.decode("c:" + "9" * 31)
    assert ref is not None and ref.kind is AttendeeKind.CONTACT and parse_id(ref.ref) is None
    assert AttendeeRef.decode("u:U123") == AttendeeRef(AttendeeKind.USER, "U123")
    assert AttendeeRef.decode("x:1") is None and AttendeeRef.decode("c:") is None
