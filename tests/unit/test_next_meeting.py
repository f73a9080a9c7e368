"""`/meet next`: the use case against the in-memory ports (tests.fakes), and its reply as
Slack shows it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.views.next_meeting_views import next_meeting_reply
from handlers.domain import UserProfile
from handlers.i18n import translator
from handlers.meetings import Attendee, AttendeeKind, Location, LocationKind, Meeting
from handlers.next_meeting import NextMeeting, NextUp
from tests.fakes import InMemoryMeetings, InMemoryUsers, Store
from tests.support.blockkit import validate_blocks
from tests.support.clock import MutableClock

NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # a Monday
TEAM, ME, OTHER = "T1", "UME", "UOTHER"


def meeting(meeting_id: int, starts_in: timedelta, **changes: Any) -> Meeting:
    start = NOW + starts_in
    base = Meeting(
        id=meeting_id,
        team_id=TEAM,
        uid=f"m{meeting_id}@meetline",
        sequence=0,
        title=f"Meeting {meeting_id}",
        start_utc=start,
        end_utc=start + timedelta(minutes=30),
        timezone="America/New_York",
        duration_minutes=30,
        location=Location(),
        host_id=ME,
        organizer_id=ME,
    )
    return replace(base, **changes)


def next_meeting(*meetings: Meeting, zone: str | None = "Europe/Warsaw") -> NextUp:
    """What the use case answers ME, given these stored meetings and ME's stored zone."""
    store = Store(meetings={m.id: m for m in meetings})
    if zone is not None:
        store.users[(TEAM, ME)] = UserProfile(TEAM, ME, timezone=zone)
    return NextMeeting(InMemoryMeetings(store), InMemoryUsers(store), MutableClock(NOW))(TEAM, ME)


def test_the_soonest_of_my_meetings_in_my_zone() -> None:
    later, sooner = meeting(1, timedelta(days=2)), meeting(2, timedelta(hours=3), host_id=OTHER)
    assert next_meeting(later, sooner) == NextUp(sooner, "Europe/Warsaw")


def test_a_meeting_under_way_is_still_next() -> None:
    under_way = meeting(1, timedelta(minutes=-10))
    assert next_meeting(under_way, meeting(2, timedelta(hours=1))).meeting == under_way


def test_never_someone_elses_another_workspaces_an_ended_or_a_cancelled_meeting() -> None:
    others = (
        meeting(1, timedelta(hours=1), host_id=OTHER, organizer_id=OTHER),
        meeting(2, timedelta(hours=1), team_id="T2"),
        meeting(3, timedelta(hours=-2)),
        meeting(4, timedelta(hours=1), status="cancelled"),
    )
    assert next_meeting(*others) == NextUp(None, "Europe/Warsaw")


def test_a_caller_never_seen_reads_the_meetings_own_zone() -> None:
    assert next_meeting(meeting(1, timedelta(hours=1)), zone=None).timezone == "America/New_York"
    assert next_meeting(zone=None) == NextUp(None, "UTC")


def booked() -> Meeting:
    return meeting(
        1,
        timedelta(hours=6),
        title="Demo <!channel>",
        host_id=OTHER,
        location=Location(LocationKind.VIDEO, "", "google_meet"),
        join_url="https://meet.example/abc",
        attendees=[
            Attendee(AttendeeKind.CONTACT, "Jane Doe", "jane@acme.example", record_id=1),
            Attendee(AttendeeKind.USER, "Me", None, slack_user_id=ME),
        ],
    )


def test_reply_says_what_when_in_my_zone_with_whom_and_where() -> None:
    reply = next_meeting_reply(NextUp(booked(), "Europe/Warsaw"), ME)
    validate_blocks(reply["blocks"])
    text = reply["blocks"][0]["text"]["text"]
    assert text.splitlines() == [
        "*Demo &lt;!channel&gt;*",
        "Monday, January 7, 2030, 4:00 PM–4:30 PM (Europe/Warsaw)",  # 15:00 UTC
        "With: host <@UOTHER>, Jane Doe",
        "Where: Google Meet: https://meet.example/abc",
    ]
    assert reply["text"].startswith("Your next meeting: Demo &lt;!channel&gt;, Monday")


def test_reply_without_a_place_still_gives_the_link() -> None:
    reply = next_meeting_reply(NextUp(replace(booked(), location=Location()), "UTC"), ME)
    assert reply["blocks"][0]["text"]["text"].splitlines()[-1] == "Join: https://meet.example/abc"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "No upcoming meetings. Run `/meet` to schedule one."),
        ("pl", "Brak nadchodzących spotkań. Uruchom `/meet`, aby zaplanować spotkanie."),
    ],
)
def test_nothing_coming_up_hints_at_meet(language: str, expected: str) -> None:
    reply = next_meeting_reply(NextUp(None, "UTC"), ME, t=translator(language))
    validate_blocks(reply["blocks"])
    assert reply["text"] == expected


def test_reply_in_polish() -> None:
    reply = next_meeting_reply(NextUp(booked(), "Europe/Warsaw"), ME, t=translator("pl"))
    validate_blocks(reply["blocks"])
    lines = reply["blocks"][0]["text"]["text"].splitlines()
    assert lines[1] == "poniedziałek, 7 stycznia 2030, 16:00–16:30 (Europe/Warsaw)"
    assert lines[2] == "Uczestnicy: prowadzi <@UOTHER>, Jane Doe"
    assert reply["text"].startswith("Twoje najbliższe spotkanie: ")
