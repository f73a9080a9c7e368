"""Month-name dates in layouts the grammar does not read ("20-March-2026", "March, 20"):
`parse_when` hands them to dateparser (`handlers.when.fallback`) and keeps its answer
only when it agrees with the text, placed with our own DST policy.

The layouts are the ones people paste from e-mails and spreadsheets; every expected
instant is written out by hand.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.when import parse_when

WAW = ZoneInfo("Europe/Warsaw")
NYC = ZoneInfo("America/New_York")
FRI_WAW = datetime(2026, 3, 13, 10, 0, tzinfo=WAW)  # Friday 13 March, CET
SUN_NYC = datetime(2026, 3, 1, 10, 0, tzinfo=NYC)  # a week before the US spring-forward


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat(timespec="minutes")


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("20-March-2026", "2026-03-20T09:00+01:00"),
        ("20-March", "2026-03-20T09:00+01:00"),
        ("March, 20", "2026-03-20T09:00+01:00"),
        ("March, 20, 2027", "2027-03-20T09:00+01:00"),
        ("march,20,2025", "2025-03-20T09:00+01:00"),
        ("20-March-26", "2026-03-20T09:00+01:00"),
        ("5-Mar", "2027-03-05T09:00+01:00"),  # already past this year: next year's
        ("20-marca-2026", "2026-03-20T09:00+01:00"),
        ("5-lipca", "2026-07-05T09:00+02:00"),  # summer time in July
        ("20-March-2026 at 4:15 pm", "2026-03-20T16:15+01:00"),
        ("20-marca-2026 o 9:05", "2026-03-20T09:05+01:00"),
        ("March, 20, 2027 3pm", "2027-03-20T15:00+01:00"),
    ],
)
def test_month_name_layouts_the_grammar_lacks_are_read(phrase: str, expected: str) -> None:
    assert iso(parse_when(phrase, FRI_WAW)) == expected


@pytest.mark.parametrize(
    "phrase",
    [
        "31-February-2026",  # no such day: dateparser would move it, we do not
        "March 99",  # no day at all
        "20-March-2027 at noon",  # a time the fallback cannot point to in the text
        "20. März",  # German is not a language of the workspace
    ],
)
def test_what_the_fallback_cannot_verify_is_left_to_the_user(phrase: str) -> None:
    assert parse_when(phrase, FRI_WAW) is None


def test_only_the_workspace_languages_month_names_are_tried() -> None:
    assert parse_when("5-lipca", FRI_WAW, ("en",)) is None
    assert parse_when("20-March", FRI_WAW, ("pl",)) is None
    assert parse_when("20-March", FRI_WAW, ("de",)) is None


def test_a_fallback_time_in_the_spring_forward_gap_is_the_instant_after_it() -> None:
    """02:30 does not exist on 8 March 2026 in New York; like the grammar, 03:30 EDT."""
    assert iso(parse_when("8-March-2026 2:30am", SUN_NYC)) == "2026-03-08T03:30-04:00"


def test_a_fallback_time_in_the_fall_back_hour_is_its_first_occurrence() -> None:
    assert iso(parse_when("1-November-2026 1:30am", SUN_NYC)) == "2026-11-01T01:30-04:00"


def test_the_fallback_answers_in_nows_zone() -> None:
    assert iso(parse_when("20-March-2026 at 4:15 pm", SUN_NYC)) == "2026-03-20T16:15-04:00"


def test_todays_date_without_a_year_is_today_in_every_layout() -> None:
    assert iso(parse_when("March 13", FRI_WAW)) == "2026-03-13T09:00+01:00"  # the grammar
    assert iso(parse_when("13-March", FRI_WAW)) == "2026-03-13T09:00+01:00"  # the fallback


def test_a_yearless_29_february_waits_for_the_next_leap_year() -> None:
    assert iso(parse_when("29-February", FRI_WAW)) == "2028-02-29T09:00+01:00"
