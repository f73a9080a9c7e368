"""`/meet` free text: every piece lands in exactly one field, nothing is guessed silently."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.meet_text import MeetText, parse_meet_text

WAW = ZoneInfo("Europe/Warsaw")
NOW = datetime(2026, 3, 13, 10, 0, tzinfo=WAW)  # Friday


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(WAW)


CASES: list[tuple[str, MeetText]] = [
    (
        'Jane Doe tomorrow 3pm 45m "Demo"',
        MeetText("Jane Doe", at("2026-03-14T15:00+01:00"), 45, "Demo", ()),
    ),
    (
        "Jane Doe tomorrow 3pm 45m Demo",
        MeetText("Jane Doe Demo", at("2026-03-14T15:00+01:00"), 45, None, ()),
    ),
    (
        "“Quarterly review” Acme friday 2pm 1h",
        MeetText("Acme", at("2026-03-13T14:00+01:00"), 60, "Quarterly review", ()),
    ),
    (
        "Jan Kowalski jutro o 15 pół godziny „Prezentacja”",
        MeetText("Jan Kowalski", at("2026-03-14T15:00+01:00"), 30, "Prezentacja", ()),
    ),
    (
        "Jane Doe, tomorrow 3pm, 1h30, “Quarterly review”",
        MeetText("Jane Doe", at("2026-03-14T15:00+01:00"), 90, "Quarterly review", ()),
    ),
    (
        "«Kickoff» Acme next week 2h",
        MeetText("Acme", at("2026-03-16T09:00+01:00"), 120, "Kickoff", ()),
    ),
    (
        'Acme Corp next week 2h "Kickoff" extra',
        MeetText("Acme Corp extra", at("2026-03-16T09:00+01:00"), 120, "Kickoff", ()),
    ),
    ('Jane tomorrow "Demo" 3pm', MeetText("Jane", at("2026-03-14T15:00+01:00"), None, "Demo", ())),
    (
        'Jane "Demo"   tomorrow   3pm',
        MeetText("Jane", at("2026-03-14T15:00+01:00"), None, "Demo", ()),
    ),
    ('"  Demo   call  " Jane', MeetText("Jane", None, None, "Demo call", ())),
    ('Jane "unterminated title', MeetText("Jane", None, None, "unterminated title", ())),
    ('Jane "Demo" "Other"', MeetText("Jane", None, None, "Demo", ('"Other"',))),
    ('""', MeetText(None, None, None, None, ())),
    ("“Demo”", MeetText(None, None, None, "Demo", ())),
    ("", MeetText(None, None, None, None, ())),
    ("    ", MeetText(None, None, None, None, ())),
    ("   Jane    Doe   ", MeetText("Jane Doe", None, None, None, ())),
    ("jutro o 15", MeetText(None, at("2026-03-14T15:00+01:00"), None, None, ())),
    ("45m", MeetText(None, None, 45, None, ())),
    ("Jane Doe tomorrow 25pm", MeetText("Jane Doe", None, None, None, ("tomorrow 25pm",))),
    ("Acme at 3xx", MeetText("Acme", None, None, None, ("at 3xx",))),
    ("Acme tomorrow at 3xx", MeetText("Acme", None, None, None, ("tomorrow at 3xx",))),
    ("Jane o 3xx", MeetText("Jane", None, None, None, ("o 3xx",))),
    ("Jane 13pm", MeetText("Jane", None, None, None, ("13pm",))),
    ("Jane tomorrow 3:75", MeetText("Jane", None, None, None, ("tomorrow 3:75",))),
    ("tomorrow 3pm 4pm Jane", MeetText("Jane", None, None, None, ("tomorrow 3pm 4pm",))),
    ("Jane tomorrow friday", MeetText("Jane", None, None, None, ("tomorrow friday",))),
    (
        "Jane tomorrow Acme friday",
        MeetText("Jane Acme", at("2026-03-14T09:00+01:00"), None, None, ("friday",)),
    ),
    ("Jane 5th", MeetText("Jane", None, None, None, ("5th",))),
    ("Jane the 5th", MeetText("Jane", at("2026-04-05T09:00+02:00"), None, None, ())),
    ("Jane 45m 30m", MeetText("Jane", None, 45, None, ("30m",))),
    ("Jane 1h 2h", MeetText("Jane", None, 60, None, ("2h",))),
    ("Jane 48h", MeetText("Jane", None, None, None, ("48h",))),
    ("Jane 25h", MeetText("Jane", None, None, None, ("25h",))),
    ("Jane 1.33h", MeetText("Jane", None, None, None, ("1.33h",))),
    ("Jane Doe 0m", MeetText("Jane Doe", None, None, None, ("0m",))),
    ("3M tomorrow 10am 1h", MeetText("3M", at("2026-03-14T10:00+01:00"), 60, None, ())),
    ("Sun", MeetText("Sun", None, None, None, ())),
    (
        "Sun Corp friday 2pm 90 minutes",
        MeetText("Sun Corp", at("2026-03-13T14:00+01:00"), 90, None, ()),
    ),
    ("Wed Corp", MeetText("Wed Corp", None, None, None, ())),
    ("Deal 2024 in 2 hours", MeetText("Deal 2024", at("2026-03-13T12:00+01:00"), None, None, ())),
    (
        "Jane for an hour tomorrow at noon",
        MeetText("Jane", at("2026-03-14T12:00+01:00"), 60, None, ()),
    ),
    (
        "Jane tomorrow 3pm for 45 minutes",
        MeetText("Jane", at("2026-03-14T15:00+01:00"), 45, None, ()),
    ),
    (
        "Ticket #1234 w piątek o 10 na godzinę",
        MeetText("Ticket #1234", at("2026-03-20T10:00+01:00"), 60, None, ()),
    ),
    ("Jane na 2 godziny jutro", MeetText("Jane", at("2026-03-14T09:00+01:00"), 120, None, ())),
    (
        "Jane przez półtorej godziny w poniedziałek o 9",
        MeetText("Jane", at("2026-03-16T09:00+01:00"), 90, None, ()),
    ),
    (
        "Jane an hour and a half in 3 days",
        MeetText("Jane", at("2026-03-16T09:00+01:00"), 90, None, ()),
    ),
    (
        "Jane Doe half an hour in 3 days",
        MeetText("Jane Doe", at("2026-03-16T09:00+01:00"), 30, None, ()),
    ),
    (
        'Jane 03.12 14:00 "Kickoff"',
        MeetText("Jane", at("2026-12-03T14:00+01:00"), None, "Kickoff", ()),
    ),
    (
        "Acme Sp. z o.o. jutro o 10 2 godziny",
        MeetText("Acme Sp. z o.o.", at("2026-03-14T10:00+01:00"), 120, None, ()),
    ),
    (
        "Maja Nowak 3 maja o 12 na godzinę",
        MeetText("Maja Nowak", at("2026-05-03T12:00+02:00"), 60, None, ()),
    ),
    ("Jane godzina 30 minut", MeetText("Jane", None, 60, None, ("30 minut",))),
    (
        "Jan Kowalski za 2 godziny 30 minut",
        MeetText("Jan Kowalski", at("2026-03-13T12:30+01:00"), None, None, ()),
    ),
    (
        "Jan Kowalski za 2 godziny, 30 minut",
        MeetText("Jan Kowalski", at("2026-03-13T12:00+01:00"), 30, None, ()),
    ),
    ("Jane at 3", MeetText("Jane", at("2026-03-13T15:00+01:00"), None, None, ())),  # business hours
    ("Jane at 03:00", MeetText("Jane", at("2026-03-14T03:00+01:00"), None, None, ())),
    (
        "Jane, Acme – 2026-12-03 14:00 – 1h",
        MeetText("Jane, Acme", at("2026-12-03T14:00+01:00"), 60, None, ()),
    ),
    (
        "Johnson & Johnson next monday 11am",
        MeetText("Johnson & Johnson", at("2026-03-16T11:00+01:00"), None, None, ()),
    ),
    ("Jane 10:30-11:30", MeetText("Jane", None, None, None, ("10:30-11:30",))),
    ("Jane tomorrow 3-4pm", MeetText("Jane", None, None, None, ("tomorrow 3-4pm",))),
    ("Jane jutro 15:00 – 16:00", MeetText("Jane", None, None, None, ("jutro 15:00 – 16:00",))),
    ("ACME-42 tomorrow 3pm", MeetText("ACME-42", at("2026-03-14T15:00+01:00"), None, None, ())),
    ("Room 5-10 jutro o 9", MeetText("Room 5-10", at("2026-03-14T09:00+01:00"), None, None, ())),
    ("Jane - tomorrow 3pm - 1h", MeetText("Jane", at("2026-03-14T15:00+01:00"), 60, None, ())),
    (
        "<@U123ABC> tomorrow 3pm",
        MeetText("<@U123ABC>", at("2026-03-14T15:00+01:00"), None, None, ()),
    ),
    ("Jane 2.1 tomorrow", MeetText("Jane", None, None, None, ("2.1 tomorrow",))),
    # undecided, past, repeated or ranged: reported whole, never half-read
    ("Jane tomorrow or friday", MeetText("Jane", None, None, None, ("tomorrow or friday",))),
    ("Jane tuesday/wednesday 3pm", MeetText("Jane", None, None, None, ("tuesday/wednesday 3pm",))),
    ("Jane yesterday 3pm", MeetText("Jane", None, None, None, ("yesterday 3pm",))),
    ("Jane every monday 10am", MeetText("Jane", None, None, None, ("every monday 10am",))),
    ("Jan w weekend", MeetText("Jan", None, None, None, ("w weekend",))),
    ("Jan jutro między 10 a 12", MeetText("Jan", None, None, None, ("jutro między 10 a 12",))),
    ("Jane tomorrow 20 to 4", MeetText("Jane", at("2026-03-14T15:40+01:00"), None, None, ())),
    # a bare number after a day is an unmarked hour: reported, not left at 09:00
    ("Jan jutro 15", MeetText("Jan", None, None, None, ("jutro 15",))),
    ("Acme monday 9", MeetText("Acme", None, None, None, ("monday 9",))),
    ("Jan jutro 15 min", MeetText("Jan", at("2026-03-14T09:00+01:00"), 15, None, ())),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_parse_meet_text(text: str, expected: MeetText) -> None:
    result = parse_meet_text(text, NOW)
    assert result == expected
    if result.start is not None:
        assert result.start.utcoffset() == expected.start.utcoffset()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("duration", "minutes"),
    [
        ("45m", 45), ("45 m", 45), ("45min", 45), ("45 min", 45), ("45 min.", 45), ("45 mins", 45),
        ("45 minutes", 45), ("1 minute and", None), ("1h", 60), ("1 h", 60), ("2h", 120),
        ("1hr", 60), ("3 hrs", 180), ("1 hour", 60), ("2 hours", 120), ("1h30", 90),
        ("1h30m", 90), ("1h 30m", 90), ("1h 30 min", 90), ("1 hour 30 minutes", 90),
        ("2 hours and 15 minutes", 135), ("1.5h", 90), ("1,5h", 90), ("1.5 hours", 90),
        ("0.75h", 45), ("0.5 h", 30), ("90 minutes", 90), ("an hour", 60), ("a hour", 60),
        ("one hour", 60), ("two hours", 120), ("half an hour", 30), ("half hour", 30),
        ("a half hour", 30), ("half-hour", 30), ("an hour and a half", 90),
        ("2 and a half hours", 150), ("a quarter of an hour", 15), ("fifteen minutes", 15),
        ("forty five minutes", 45), ("for 45 minutes", 45), ("for an hour", 60),
        ("pół godziny", 30), ("pol godziny", 30), ("godzina", 60), ("godzinę", 60),
        ("1 godzina", 60), ("2 godziny", 120), ("dwie godziny", 120), ("5 godzin", 300),
        ("30 minut", 30), ("20 minut", 20), ("1 minuta", None), ("półtorej godziny", 90),
        ("poltorej godziny", 90), ("półtora godziny", 90), ("kwadrans", 15),
        ("trzy kwadranse", 45), ("1,5 godziny", 90), ("1 godz.", 60), ("2 godz", 120),
        ("na 45 minut", 45), ("na godzinę", 60),
        ("przez godzinę", 60), ("przez 2 godziny", 120), ("24h", 1440), ("1440 minutes", 1440),
    ],
)  # fmt: skip
def test_durations(duration: str, minutes: int | None) -> None:
    result = parse_meet_text(f"Jane {duration}", NOW)
    if minutes is None:
        assert result.duration_minutes is None
    else:
        assert result == MeetText("Jane", None, minutes, None, ())


@pytest.mark.parametrize("duration", ["1m", "3m", "4 min", "2 minutes"])
def test_tiny_durations_stay_in_the_query(duration: str) -> None:
    assert parse_meet_text(f"Jane {duration}", NOW) == MeetText(
        f"Jane {duration}", None, None, None, ()
    )


def test_english_only_leaves_polish_words_in_the_query() -> None:
    result = parse_meet_text("Jan jutro o 15 3pm", NOW, ("en",))
    assert result == MeetText("Jan jutro o 15", at("2026-03-13T15:00+01:00"), None, None, ())


def test_start_is_in_the_zone_of_now() -> None:
    now = datetime(2026, 6, 15, 14, 30, tzinfo=ZoneInfo("America/New_York"))
    result = parse_meet_text('Jane Doe tomorrow 3pm 45m "Demo"', now)
    assert result.start is not None
    assert result.start.isoformat() == "2026-06-16T15:00:00-04:00"
    assert result.start.tzinfo is now.tzinfo


def test_result_is_frozen() -> None:
    result = parse_meet_text("Jane", NOW)
    with pytest.raises(AttributeError):
        result.title = "x"  # type: ignore[misc]
