"""Save in the /meet form (`handlers.save_meeting.SaveMeeting`) on real storage: a new
meeting is booked once per form however often Save is pressed, calendar conflicts are
warnings in the confirmation (never errors, shown once), and Save on the edit form edits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

import pytest

from handlers.domain import UserProfile
from handlers.editing import ManageMeeting
from handlers.meetings import AttendeeKind, AttendeeRef, MeetingRequest
from handlers.save_meeting import SaveMeeting
from handlers.scheduling import ScheduleMeeting
from storage.meetings import SqlMeetingRepository
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.support.clock import MutableClock
from tests.support.sql_storage import SqlStorage, sql_storage

TEAM, HOST = "T0001", "U1"
ANNA = UserProfile(TEAM, HOST, name="Anna", email="anna@meetline.example", timezone="Europe/Warsaw")
RECORDS = """type,id,name,email,phone,timezone,associations
contact,jane,Jane Doe,jane@acme.example,,America/New_York,
contact,john,John Nomail,,,Europe/Warsaw,
"""


class People:
    def user(self, team_id: str, user_id: str) -> UserProfile | None:
        return ANNA if (team_id, user_id) == (TEAM, HOST) else None


@dataclass
class Conflicts:
    """The ConflictCheck port: what the host's calendar says, and how often it was asked."""

    warnings: tuple[str, ...] = ("You are busy 14:30–15:30.",)
    asked: list[MeetingRequest] = field(default_factory=list)

    def __call__(self, req: MeetingRequest) -> tuple[str, ...]:
        self.asked.append(req)
        return self.warnings


@dataclass
class World:
    save: SaveMeeting
    conflicts: Conflicts
    meetings: SqlMeetingRepository
    request: MeetingRequest


@pytest.fixture
def world(migrated_url: str) -> Iterator[World]:
    with sql_storage(migrated_url, RECORDS, TEAM) as sql:
        yield from _world(sql)


def _world(sql: SqlStorage) -> Iterator[World]:
    sessions, records = sql.sessions, sql.records
    jane, john = records.search(TEAM, "Jane", limit=1)[0], records.search(TEAM, "John", limit=1)[0]
    uow, clock = (
        SqlUnitOfWorkFactory(sessions),
        MutableClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC)),
    )
    conflicts = Conflicts()
    save = SaveMeeting(
        ScheduleMeeting(uow, People(), clock), ManageMeeting(uow, People(), clock), conflicts
    )
    request = MeetingRequest(
        idempotency_key="form-1", team_id=TEAM, organizer_id=HOST, host_id=HOST, timezone="Europe/Warsaw",
        record_id=jane.id, title="Demo", day=date(2026, 12, 3), start_time=time(15, 0), duration_minutes=45,
        attendees=(AttendeeRef(AttendeeKind.CONTACT, str(jane.id)), AttendeeRef(AttendeeKind.CONTACT, str(john.id))),
    )  # fmt: skip
    yield World(save, conflicts, SqlMeetingRepository(sessions), request)


def test_a_new_meeting_is_booked_with_the_conflicts_as_warnings(world: World) -> None:
    result = world.save(world.request, ANNA)
    assert result.created
    assert result.warnings[-1] == "You are busy 14:30–15:30."
    assert (result.invited, result.not_invited) == (("Jane Doe",), ("John Nomail",))
    assert [m.title for m in world.meetings.list_meetings(TEAM)] == ["Demo"]


def test_pressing_save_again_books_nothing_more_and_repeats_no_warning(world: World) -> None:
    first = world.save(world.request, ANNA)
    again = world.save(world.request, ANNA)
    assert not again.created and again.meeting.id == first.meeting.id
    assert "You are busy 14:30–15:30." not in again.warnings
    assert len(world.meetings.list_meetings(TEAM)) == 1


def test_a_free_calendar_adds_no_warning(world: World) -> None:
    world.conflicts.warnings = ()
    result = world.save(world.request, ANNA)
    assert result.created and "You are busy 14:30–15:30." not in result.warnings


def test_save_on_the_edit_form_edits_without_asking_the_calendar_again(world: World) -> None:
    booked = world.save(world.request, ANNA).meeting
    asked = len(world.conflicts.asked)
    moved = replace(world.request, start_time=time(16, 0), title="Demo, moved")
    result = world.save(moved, ANNA, meeting_id=booked.id)
    assert not result.created and result.meeting.id == booked.id
    assert len(world.conflicts.asked) == asked
    stored = world.meetings.get(TEAM, booked.id)
    assert stored is not None and stored.title == "Demo, moved"
    assert stored.start_utc == datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    assert len(world.meetings.list_meetings(TEAM)) == 1
