"""The pure parts of calendar booking and sync: what goes into the event, how a Zoom
link is recognised, how a calendar's description is read back, and how free/busy turns
into warnings (with fake ports, no network)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from handlers.availability import Availability
from handlers.calendar_booking import CalendarAccount, calendar_event, zoom_meeting_id
from handlers.calendar_sync import bucket_of, plain_description
from handlers.calendars import BusyInterval, CalendarError
from handlers.domain import UserProfile
from handlers.meetings import Attendee, AttendeeKind, Location, LocationKind, Meeting
from tests.support.clock import MutableClock

START = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # 10:00 in Warsaw


def meeting(**changes: Any) -> Meeting:
    base = Meeting(
        id=7,
        team_id="T1",
        uid="u-7@meetline",
        sequence=2,
        title="Demo",
        start_utc=START,
        end_utc=START + timedelta(minutes=45),
        timezone="Europe/Warsaw",
        duration_minutes=45,
        location=Location(LocationKind.VIDEO, provider="google_meet"),
        host_id="U1",
        organizer_id="U1",
        description="Agenda",
        attendees=[
            Attendee(AttendeeKind.CONTACT, "Jane", "jane@acme.example"),
            Attendee(AttendeeKind.CONTACT, "John", None),
            Attendee(AttendeeKind.USER, "Anna", "ANNA@meetline.example"),
        ],
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_the_event_names_the_host_as_organizer_and_leaves_out_who_cannot_be_invited() -> None:
    ev = calendar_event(meeting(), ("anna@meetline.example", "Anna"), "google", None)
    assert [g.email for g in ev.attendees] == ["jane@acme.example"]
    assert (ev.uid, ev.sequence, ev.want_video, ev.location) == (
        "u-7@meetline",
        2,
        "google_meet",
        "",
    )
    # Meet is Google's: a CalDAV calendar gets no conference request.
    assert (
        calendar_event(meeting(), ("anna@meetline.example", ""), "caldav", None).want_video is None
    )
    zoom = meeting(location=Location(LocationKind.VIDEO, provider="zoom"))
    ev = calendar_event(
        zoom, ("anna@meetline.example", ""), "google", "https://us02web.zoom.us/j/81234567890?pwd=x"
    )
    assert (
        ev.join_url == ev.location == "https://us02web.zoom.us/j/81234567890?pwd=x"
        and ev.want_video is None
    )


def test_the_zoom_meeting_is_found_from_the_stored_event_or_the_link() -> None:
    assert (
        zoom_meeting_id(meeting(calendar_provider="zoom", calendar_event_id="81234567890"))
        == "81234567890"
    )
    assert (
        zoom_meeting_id(
            meeting(
                calendar_provider="google",
                calendar_event_id="abc",
                join_url="https://us02web.zoom.us/j/81234567890?pwd=x",
            )
        )
        == "81234567890"
    )
    assert zoom_meeting_id(meeting(join_url="https://meet.google.com/abc-defg-hij")) is None
    assert zoom_meeting_id(meeting(join_url="https://zoom.us.evil.example/j/81234567890")) is None


def test_descriptions_read_back_without_our_link_and_without_html() -> None:
    url = "https://us02web.zoom.us/j/1?pwd=x"
    assert plain_description(f"Agenda: pricing\n\n{url}", url) == "Agenda: pricing"
    assert plain_description("Agenda<br>Q&amp;A", None) == "Agenda\nQ&A"
    assert plain_description("", url) == ""


def test_sync_buckets_are_five_minutes() -> None:
    assert bucket_of(START) == bucket_of(START + timedelta(minutes=4, seconds=59))
    assert bucket_of(START + timedelta(minutes=5)) == bucket_of(START) + 1


class FakeCalendar:
    def __init__(self, answer: dict[str, list[BusyInterval] | None] | Exception) -> None:
        self.answer = answer

    def free_busy(self, emails: Sequence[str], start: datetime, end: datetime) -> dict[str, Any]:
        if isinstance(self.answer, Exception):
            raise self.answer
        return {e: self.answer.get(e) for e in emails}


class FakeAccounts:
    def __init__(self, calendar: FakeCalendar) -> None:
        self.cal = calendar

    def account(self, team_id: str, user_id: str) -> CalendarAccount | None:
        return CalendarAccount(1, team_id, user_id, "google", "anna@meetline.example", True)

    def calendar(self, account: CalendarAccount, *, interactive: bool = False) -> FakeCalendar:
        assert interactive
        return self.cal


class People:
    def user(self, team_id: str, user_id: str) -> UserProfile | None:
        return {
            "U1": UserProfile("T1", "U1", "Anna", "anna@meetline.example", "Europe/Warsaw"),
            "U2": UserProfile("T1", "U2", "Bob", "bob@meetline.example", "Europe/London"),
            "U3": UserProfile("T1", "U3", "Cleo", "cleo@meetline.example"),
        }.get(user_id)


def availability(answer: dict[str, list[BusyInterval] | None] | Exception) -> Availability:
    return Availability(
        FakeAccounts(FakeCalendar(answer)),  # type: ignore[arg-type]
        People(),
        MutableClock(START - timedelta(days=1)),
    )


def test_conflicts_are_told_in_the_hosts_zone_and_unknown_is_never_free() -> None:
    busy = {
        "anna@meetline.example": [
            BusyInterval(START - timedelta(minutes=30), START + timedelta(minutes=15)),
            BusyInterval(START + timedelta(minutes=15), START + timedelta(minutes=30)),
        ],
        "bob@meetline.example": [],
        "cleo@meetline.example": None,
    }
    report = availability(busy).check(
        "T1",
        "U1",
        ["U2", "U3"],
        START,
        START + timedelta(minutes=45),
        working_hours=(time(9), time(17)),
    )
    assert report.warnings == ("You are busy 09:30–10:30.", "Could not read Cleo's calendar.")
    assert report.suggestions[0] == START + timedelta(minutes=30)  # 10:30, right after the clash
    assert (
        availability({"anna@meetline.example": []}).conflicts(
            "T1", "U1", [], START, START + timedelta(hours=1)
        )
        == []
    )
    down = availability(CalendarError("down", transient=True))
    assert down.conflicts("T1", "U1", [], START, START + timedelta(hours=1)) == [
        "Could not read your calendar to check for conflicts."
    ]
