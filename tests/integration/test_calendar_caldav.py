"""CalDavCalendar against a real Radicale server started in-process on loopback."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from caldav.davclient import DAVClient
from icalendar import Calendar

from adapters.caldav_calendar import CalDavCalendar
from handlers.calendars import (
    CalendarAuthError,
    CalendarError,
    CalendarEvent,
    CalendarNotFoundError,
    CalendarPort,
    Guest,
)
from tests.support.radicale_server import RadicaleServer

USER = "host@example.com"
PASSWORD = "s3cret-pw"
START = datetime(2026, 5, 4, 13, 0, tzinfo=UTC)


def meeting(**changes: Any) -> CalendarEvent:
    ev = CalendarEvent(
        meeting_id=5,
        uid="meeting-5@meetline.example",
        sequence=0,
        title="Onboarding",
        description="Steps:\n1. Accounts",
        start_utc=START,
        end_utc=START + timedelta(hours=1),
        timezone="Europe/Warsaw",
        location="Office, ul. Długa 1",
        organizer_email=USER,
        organizer_name="Hanna Host",
        attendees=(Guest("jane@acme.example", "Jane Żółć"), Guest("bob@acme.example")),
    )
    return dataclasses.replace(ev, **changes)


@pytest.fixture
def dav(tmp_path: Path) -> Iterator[RadicaleServer]:
    with RadicaleServer(tmp_path, users={USER: PASSWORD}) as server:
        server.make_calendar(USER, PASSWORD, "Work")
        yield server


@pytest.fixture
def cal(dav: RadicaleServer) -> CalDavCalendar:
    return CalDavCalendar(dav.url, USER, PASSWORD, policy=dav.policy)


def stored_events(dav: RadicaleServer, name: str = "Work") -> list[Any]:
    """The VEVENTs in the user's calendar, read by an independent CalDAV client."""
    with DAVClient(dav.url, username=USER, password=PASSWORD) as client:
        [calendar] = [c for c in client.principal().calendars() if c.get_display_name() == name]
        out = []
        for obj in calendar.get_events():
            parsed = Calendar.from_ical(obj.data)
            assert "METHOD" not in parsed  # forbidden in calendar resources (RFC 4791)
            out.extend(parsed.walk("VEVENT"))
        return out


def test_it_is_a_calendar_port(cal: CalDavCalendar) -> None:
    port: CalendarPort = cal
    assert port.provider == "caldav"
    assert port.sends_invitations is False


def test_create_update_cancel_round_trip(cal: CalDavCalendar, dav: RadicaleServer) -> None:
    created = cal.create_event(meeting(join_url="https://zoom.us/j/77"))
    assert created.sends_invitations is False
    assert created.join_url == "https://zoom.us/j/77"
    assert created.etag
    [event] = stored_events(dav)
    assert str(event["UID"]) == "meeting-5@meetline.example"
    assert int(event["SEQUENCE"]) == 0
    assert event.start == START
    assert event.end == START + timedelta(hours=1)
    assert str(event["SUMMARY"]) == "Onboarding"
    assert str(event["LOCATION"]) == "Office, ul. Długa 1"
    assert "https://zoom.us/j/77" in str(event["DESCRIPTION"])
    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:jane@acme.example", "mailto:bob@acme.example"]
    assert attendees[0].params["CN"] == "Jane Żółć"
    assert str(event["ORGANIZER"]) == f"mailto:{USER}"

    moved = meeting(
        sequence=1, start_utc=START + timedelta(days=1), end_utc=START + timedelta(days=1, hours=2)
    )
    updated = cal.update_event(created.event_id, moved)
    assert updated.event_id == created.event_id
    assert updated.etag != created.etag
    [event] = stored_events(dav)
    assert int(event["SEQUENCE"]) == 1  # the use case's value, not bumped again by the library
    assert event.start == START + timedelta(days=1)

    cal.cancel_event(created.event_id, moved)
    assert stored_events(dav) == []
    cal.cancel_event(created.event_id, moved)  # already gone: fine
    with pytest.raises(CalendarNotFoundError):
        cal.update_event(created.event_id, moved)


def test_saving_the_same_uid_again_never_duplicates(
    cal: CalDavCalendar, dav: RadicaleServer
) -> None:
    first = cal.create_event(meeting())
    again = cal.create_event(meeting())
    changed = cal.create_event(meeting(title="Onboarding (retry with new title)"))
    assert first.event_id == again.event_id == changed.event_id
    [event] = stored_events(dav)
    assert str(event["SUMMARY"]) == "Onboarding (retry with new title)"


def test_awkward_uids_stay_idempotent(cal: CalDavCalendar, dav: RadicaleServer) -> None:
    ev = meeting(uid="meeting/5+x@meetline.example")
    first = cal.create_event(ev)
    second = cal.create_event(ev)
    assert first.event_id == second.event_id
    assert [str(e["UID"]) for e in stored_events(dav)] == ["meeting/5+x@meetline.example"]


def test_named_calendar_is_used(dav: RadicaleServer) -> None:
    dav.make_calendar(USER, PASSWORD, "Meetings")
    cal = CalDavCalendar(dav.url, USER, PASSWORD, calendar_name="Meetings", policy=dav.policy)
    assert sorted(cal.calendar_names()) == ["Meetings", "Work"]
    cal.create_event(meeting())
    assert stored_events(dav, "Work") == []
    assert len(stored_events(dav, "Meetings")) == 1


def test_free_busy_only_knows_the_connected_user(cal: CalDavCalendar, dav: RadicaleServer) -> None:
    cal.create_event(meeting())
    # Events made by other clients count too; free (transparent) and cancelled ones don't.
    with DAVClient(dav.url, username=USER, password=PASSWORD) as client:
        [calendar] = client.principal().calendars()
        for uid, hour, extra in (
            ("other-1", 16, ""),
            ("free-1", 17, "TRANSP:TRANSPARENT\r\n"),
            ("gone-1", 18, "STATUS:CANCELLED\r\n"),
        ):
            calendar.add_event(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
                f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
                f"DTSTART:20260504T{hour}0000Z\r\nDTEND:20260504T{hour}3000Z\r\n"
                f"SUMMARY:{uid}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
            )
    answer = cal.free_busy(
        ["HOST@example.com", "jane@acme.example"],
        START - timedelta(hours=1),
        START + timedelta(hours=8),
    )
    busy = answer["HOST@example.com"]
    assert busy is not None
    assert [(b.start, b.end) for b in busy] == [
        (START, START + timedelta(hours=1)),
        (START + timedelta(hours=3), START + timedelta(hours=3, minutes=30)),
    ]
    assert answer["jane@acme.example"] is None


def test_free_busy_clips_to_the_window(cal: CalDavCalendar) -> None:
    cal.create_event(meeting())
    answer = cal.free_busy([USER], START + timedelta(minutes=30), START + timedelta(hours=2))
    busy = answer[USER]
    assert busy is not None
    assert [(b.start, b.end) for b in busy] == [
        (START + timedelta(minutes=30), START + timedelta(hours=1))
    ]


def test_check_connection(dav: RadicaleServer) -> None:
    CalDavCalendar(dav.url, USER, PASSWORD, policy=dav.policy).check_connection()
    with pytest.raises(CalendarAuthError):
        CalDavCalendar(dav.url, USER, "wrong", policy=dav.policy).check_connection()
    with pytest.raises(CalendarError) as caught:
        CalDavCalendar(
            dav.url, USER, PASSWORD, calendar_name="Nope", policy=dav.policy
        ).check_connection()
    assert caught.value.transient is False
    assert not isinstance(caught.value, CalendarAuthError)


def test_wrong_password_on_a_write_is_an_auth_error(dav: RadicaleServer) -> None:
    with pytest.raises(CalendarAuthError):
        CalDavCalendar(dav.url, USER, "wrong", policy=dav.policy).create_event(meeting())


def test_server_down_is_transient(tmp_path: Path) -> None:
    with RadicaleServer(tmp_path, users={USER: PASSWORD}) as server:
        url, policy = server.url, server.policy
    cal = CalDavCalendar(url, USER, PASSWORD, timeout=2, policy=policy)
    with pytest.raises(CalendarError) as caught:
        cal.check_connection()
    assert caught.value.transient is True
    with pytest.raises(CalendarError) as caught:
        cal.create_event(meeting())
    assert caught.value.transient is True


def test_open_server_without_auth(tmp_path: Path) -> None:
    with RadicaleServer(tmp_path) as server:
        server.make_calendar("anyone@example.com", "", "Cal")
        cal = CalDavCalendar(server.url, "anyone@example.com", "", policy=server.policy)
        cal.check_connection()
        result = cal.create_event(meeting(organizer_email="anyone@example.com"))
        assert "anyone@example.com" in result.event_id
