"""`/meet timeline <record>` (`handlers.record_history` and `bot.views.timeline_views`) on
real storage: a record's meetings newest first with host (assigned to), organizer (created
by), outcome and time; never another workspace's; valid Block Kit, also in Polish.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from bot.views.timeline_views import timeline_reply
from handlers.domain import UserProfile
from handlers.editing import ManageMeeting
from handlers.i18n import translator
from handlers.meetings import AttendeeKind, AttendeeRef, Meeting, MeetingRequest
from handlers.ports import CalendarConnectionInfo
from handlers.record_history import record_history
from handlers.scheduling import ScheduleMeeting
from storage.meetings import SqlMeetingRepository
from storage.records import SqlRecordRepository
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.support.blockkit import validate_blocks
from tests.support.clock import MutableClock
from tests.support.sql_storage import sql_storage

TEAM, OTHER = "T0001", "T0002"
ORGANIZER, HOST = "U1", "U2"
RECORDS = """type,id,name,email,phone,timezone,associations
contact,jane,Jane Doe,jane@acme.example,,America/New_York,
contact,john,John Roe,john@acme.example,,Europe/Warsaw,
"""
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class People:
    users = {
        ORGANIZER: UserProfile(
            TEAM,
            ORGANIZER,
            name="Olga",
            email="olga@meetline.example",
            seat="enterprise",
            is_admin=True,
        ),
        HOST: UserProfile(
            TEAM, HOST, name="Anna", email="anna@meetline.example", seat="enterprise"
        ),
    }

    def user(self, team_id: str, user_id: str) -> UserProfile | None:
        return self.users.get(user_id) if team_id == TEAM else None


class Calendars:
    """The CalendarDirectory port: the host has a connected calendar (booking on behalf needs one)."""

    def connection_for(self, team_id: str, user_id: str) -> CalendarConnectionInfo | None:
        return CalendarConnectionInfo(provider="caldav", sends_invitations=False)

    def zoom_available(self) -> bool:
        return False


@dataclass
class World:
    records: SqlRecordRepository
    meetings: SqlMeetingRepository
    uow: SqlUnitOfWorkFactory
    clock: MutableClock

    def manage(self) -> ManageMeeting:
        return ManageMeeting(self.uow, People(), self.clock, calendars=Calendars())

    def request(self, record: str, title: str, key: str) -> MeetingRequest:
        found = self.records.search(TEAM, record, limit=1)[0]
        return MeetingRequest(
            idempotency_key=key, team_id=TEAM, organizer_id=ORGANIZER, host_id=HOST,
            timezone="Europe/Warsaw", record_id=found.id, title=title, day=date(2026, 12, 3),
            start_time=time(15, 0), duration_minutes=45,
            attendees=(AttendeeRef(AttendeeKind.CONTACT, str(found.id)),),
        )  # fmt: skip

    def book(self, record: str, title: str, key: str) -> Meeting:
        schedule = ScheduleMeeting(self.uow, People(), self.clock, calendars=Calendars())
        return schedule(self.request(record, title, key)).meeting


@pytest.fixture
def world(migrated_url: str) -> Iterator[World]:
    with sql_storage(migrated_url, RECORDS, TEAM, OTHER) as sql:
        uow = SqlUnitOfWorkFactory(sql.sessions)
        yield World(sql.records, SqlMeetingRepository(sql.sessions), uow, MutableClock(NOW))


def texts(reply: dict[str, Any]) -> list[str]:
    validate_blocks(reply["blocks"])
    return [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section"]


def buttons(reply: dict[str, Any]) -> list[str]:
    return [
        e["text"]["text"]
        for b in reply["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]


def test_a_records_meetings_are_listed_newest_first_with_host_organizer_and_outcome(
    world: World,
) -> None:
    first = world.book("Jane", "Intro call", "k1")
    world.clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    moved = replace(
        world.request("Jane", "Demo for Acme", "k1"), host_id=HOST, start_time=time(16, 0)
    )
    world.manage().edit(first.id, moved, People.users[ORGANIZER])
    world.meetings.set_outcome(
        TEAM, first.id, "COMPLETED", HOST, datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    )
    world.book("John", "Other record", "k2")

    history = record_history(world.records, world.meetings, TEAM, "jane")
    assert history is not None and history.record.name == "Jane Doe"
    assert [e.kind for e in history.entries] == [
        "outcome_set",
        "meeting_rescheduled",
        "meeting_scheduled",
    ]
    assert set(history.meetings) == {first.id}

    reply = timeline_reply("jane", history)
    assert reply["text"] == "Timeline of Jane Doe"
    assert reply["blocks"][0]["text"]["text"] == "Timeline: Jane Doe"
    at_four = "<!date^1796310000^{date_short_pretty} at {time}|2026-12-03 15:00 UTC>"
    people = "assigned to <@U2> · created by <@U1>"
    assert texts(reply) == [
        f"*:white_check_mark: Outcome* · Demo for Acme: Completed\n{at_four} · {people}",
        f"*:arrows_counterclockwise: Rescheduled* · Demo for Acme\n{at_four} · {people} · outcome Completed",
        "*:calendar: Scheduled* · Intro call\n<!date^1796306400^{date_short_pretty} at {time}|2026-12-03 14:00 UTC>"
        f" · {people} · outcome Completed",
    ]


def test_a_cancelled_meeting_stays_on_the_timeline(world: World) -> None:
    meeting = world.book("Jane", "Intro call", "k1")
    world.manage().cancel(meeting.id, People.users[ORGANIZER])
    history = record_history(world.records, world.meetings, TEAM, "Jane Doe")
    assert history is not None
    assert [e.kind for e in history.entries] == ["meeting_cancelled", "meeting_scheduled"]
    cancelled, _ = texts(timeline_reply("Jane Doe", history))
    assert cancelled.startswith("*:x: Cancelled* · Intro call")


def test_another_workspaces_meetings_never_show(world: World) -> None:
    world.book("Jane", "Ours", "k1")
    theirs = record_history(world.records, world.meetings, OTHER, "Jane")
    assert theirs is not None and theirs.entries == () and theirs.meetings == {}
    reply = timeline_reply("Jane", theirs)
    assert texts(reply) == ["No meetings on this record yet."]
    assert buttons(reply) == ["Schedule a meeting on this record"]  # on their own record


def test_no_match_and_no_query_say_what_to_do(world: World) -> None:
    assert record_history(world.records, world.meetings, TEAM, "Nobody Known") is None
    assert timeline_reply("Nobody <!here>", None) == {
        "text": "No record matches “Nobody &lt;!here&gt;”."
    }
    assert timeline_reply("", None) == {"text": "Which record? Try `/meet timeline Jane Doe`."}


def test_the_timeline_in_polish(world: World) -> None:
    world.book("Jane", "Intro call", "k1")
    history = record_history(world.records, world.meetings, TEAM, "Jane")
    reply = timeline_reply("Jane", history, t=translator("pl"))
    assert reply["text"] == "Historia: Jane Doe"
    assert texts(reply) == [
        "*:calendar: Zaplanowane* · Intro call\n<!date^1796306400^{date_short_pretty} o {time}|2026-12-03 14:00 UTC>"
        " · przypisane do <@U2> · utworzone przez <@U1> · wynik: Zaplanowane"
    ]
