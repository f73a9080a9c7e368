"""The /meet form says how it read the typed time, so a misreading or an assumption
(business hours, "po południu" = 15:00, a zone named in the text) is seen before Save;
a weekday that contradicts the date fills in nothing and says why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.views.meet_modal import meet_form_view
from bot.views.meet_state import from_draft
from handlers.domain import UserProfile
from handlers.i18n import translator
from handlers.meet_form import MeetFormDraft, draft_meet_form
from tests.fakes import InMemoryRecords, Store
from tests.support.blockkit import validate_modal

NOW = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)  # Monday; Europe switches to summer time on the 29th
WARSAW_PL = UserProfile("T1", "U1", name="Anna", timezone="Europe/Warsaw", locale="pl-PL")
LONDON_EN = UserProfile("T1", "U2", name="Jane", timezone="Europe/London", locale="en-GB")


def draft(text: str, user: UserProfile) -> MeetFormDraft:
    return draft_meet_form(text, NOW, user, InMemoryRecords(Store()), "T1")


@pytest.mark.parametrize(
    ("text", "user", "reading", "start"),
    [
        (
            "Jan jutro o trzeciej",
            WARSAW_PL,
            "Odczytano „jutro o trzeciej” jako wt. 24 mar, 15:00.",
            "2026-03-24T15:00+01:00",
        ),
        ("Jan po południu", WARSAW_PL, "Odczytano „po południu” jako pon. 23 mar, 15:00.", None),
        (
            "Jane at 3",
            LONDON_EN,
            "Read “at 3” as Mon 23 Mar, 3:00\u202fPM.",
            "2026-03-23T15:00+00:00",
        ),
        (
            "Jane tomorrow 4pm CET",
            LONDON_EN,
            "Read “tomorrow 4pm CET” as Tue 24 Mar, 4:00\u202fPM CET, that is Tue 24 Mar,"
            " 3:00\u202fPM your time.",
            "2026-03-24T15:00+00:00",
        ),
        (
            "Jan w niedzielę o 12 UTC",
            WARSAW_PL,
            "Odczytano „w niedzielę o 12 UTC” jako niedz. 29 mar, 12:00 UTC, czyli niedz. 29 mar,"
            " 14:00 Twojego czasu.",
            "2026-03-29T14:00+02:00",
        ),
    ],
)
def test_the_form_says_how_the_time_was_read(
    text: str, user: UserProfile, reading: str, start: str | None
) -> None:
    result = draft(text, user)
    assert result.reading == reading
    assert result.start is not None
    if start is not None:
        assert result.start.isoformat(timespec="minutes") == start
    assert not [n for n in result.notices if "read" in n or "odczyta" in n]


@pytest.mark.parametrize(
    ("text", "user", "notice"),
    [
        (
            "Jane monday, march 31 3pm",
            LONDON_EN,
            "“monday, march 31 3pm”: the weekday does not match the date, so no time was filled in.",
        ),
        (
            "Jan poniedziałek 31 marca o 15",
            WARSAW_PL,
            "„poniedziałek 31 marca o 15”: dzień tygodnia nie zgadza się z datą, więc godzina nie"
            " została wpisana.",
        ),
    ],
)
def test_a_weekday_that_contradicts_the_date_fills_in_nothing(
    text: str, user: UserProfile, notice: str
) -> None:
    result = draft(text, user)
    assert result.start is None and result.reading is None
    assert notice in result.notices


def test_two_times_joined_by_or_are_left_for_the_user() -> None:
    result = draft("Jane tomorrow or friday", LONDON_EN)
    assert result.start is None
    assert result.notices[0] == "Could not read “tomorrow or friday” as a time or duration."


def test_the_reading_is_shown_by_the_start_time_in_the_modal() -> None:
    result = draft("Jane tomorrow 4pm CET", LONDON_EN)
    state = from_draft(result, channel=None, attendees=(), associated=(), record=None)
    view = meet_form_view(state, t=translator("en"))
    validate_modal(view)
    hints = [b["hint"]["text"] for b in view["blocks"] if b.get("block_id") == "time"]
    assert hints == [
        "Read “tomorrow 4pm CET” as Tue 24 Mar, 4:00 PM CET, that is Tue 24 Mar,"
        " 3:00 PM your time. In your Slack time zone, Europe/London."
    ]
