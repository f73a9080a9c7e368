"""A record merged into another in its source (`SqlRecordRepository.mirror_page`, on
SQLite and PostgreSQL): what Meetline holds of the merged-away record (meetings it was
booked on, its links and attendee rows, its timeline, its associations) moves to the
record kept, nothing twice, in the caller's workspace only; a merge seen again changes
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.views.timeline_views import timeline_reply
from handlers.domain import RecordKind, RecordRow, UserProfile
from handlers.meetings import AttendeeKind, AttendeeRef, Meeting, MeetingRequest
from handlers.record_history import record_history
from handlers.scheduling import ScheduleMeeting
from storage.meetings import SqlMeetingRepository
from storage.models import RecordModel
from storage.records import SqlRecordRepository
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.integration.test_record_timeline import Calendars
from tests.support.blockkit import validate_blocks
from tests.support.clock import MutableClock
from tests.support.sql_storage import sql_storage

TEAM, OTHER = "T0001", "T0002"
HOST = "U1"
RECORDS = """type,id,name,email,phone,timezone,associations
company,acme,Acme,,,,
company,acme-old,Acme Old Name,,,,
contact,jane,Jane Doe,jane@acme.example,,Europe/Warsaw,acme
contact,twin,Jane D.,jane.d@acme.example,,,acme-old;jane
contact,john,John Roe,john@acme.example,,,acme-old
"""
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
MERGED_AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class People:
    def user(self, team_id: str, user_id: str) -> UserProfile | None:
        return UserProfile(team_id, user_id, name="Anna", email="anna@x.example", seat="enterprise")


@dataclass
class World:
    records: SqlRecordRepository
    meetings: SqlMeetingRepository
    uow: SqlUnitOfWorkFactory
    sessions: sessionmaker[Session]

    def id(self, external: str, team: str = TEAM) -> int:
        with self.sessions() as session:
            return int(
                session.execute(
                    select(RecordModel.id).where(
                        RecordModel.team_id == team, RecordModel.external_id == external
                    )
                ).scalar_one()
            )

    def book(self, title: str, record: str, *attendees: str, team: str = TEAM) -> Meeting:
        schedule = ScheduleMeeting(self.uow, People(), MutableClock(NOW), calendars=Calendars())
        return schedule(self.request(title, record, *attendees, team=team)).meeting

    def request(self, title: str, record: str, *attendees: str, team: str = TEAM) -> MeetingRequest:
        """The form of a meeting on `record` with these contacts (external ids) invited."""
        return MeetingRequest(
            idempotency_key=f"{team}:{title}", team_id=team, organizer_id=HOST, host_id=HOST,
            timezone="Europe/Warsaw", record_id=self.id(record, team), title=title,
            day=date(2026, 12, 3), start_time=time(15, 0), duration_minutes=30,
            attendees=tuple(
                AttendeeRef(AttendeeKind.CONTACT, str(self.id(a, team))) for a in attendees
            ),
        )  # fmt: skip

    def merge(self, gone: str, kept: str, rows: tuple[RecordRow, ...] = ()) -> int:
        return self.records.mirror_page(TEAM, rows, merged=[(gone, kept)], at=MERGED_AT)

    def timeline(self, external: str) -> list[tuple[str, int | None]]:
        entries = self.meetings.timeline(TEAM, self.id(external))
        return sorted((e.kind, e.meeting_id) for e in entries)

    def dump(self) -> object:
        """Everything a merge could touch, to compare before and after."""
        meetings = sorted(
            (m.id, m.record_id, tuple(m.record_ids), tuple(a.record_id for a in m.attendees))
            for team in (TEAM, OTHER)
            for m in self.meetings.list_meetings(team)
        )
        records = sorted(
            (
                team,
                r.external_id,
                sorted(a.external_id for a in self.records.associations(team, r.id)),
            )
            for team in (TEAM, OTHER)
            for r in self.records.search(team, "a", limit=50) + self.records.search(team, "j")
        )
        timelines = [
            (team, r.external_id, len(self.meetings.timeline(team, r.id)))
            for team in (TEAM, OTHER)
            for r in self.records.search(team, "j")
        ]
        return meetings, records, sorted(timelines)


@pytest.fixture
def world(migrated_url: str) -> Iterator[World]:
    with sql_storage(migrated_url, RECORDS, TEAM, OTHER) as sql:
        yield World(
            sql.records,
            SqlMeetingRepository(sql.sessions),
            SqlUnitOfWorkFactory(sql.sessions),
            sql.sessions,
        )


def test_a_merged_away_contact_hands_its_meetings_timeline_and_links_to_the_kept_one(
    world: World,
) -> None:
    jane, twin = world.id("jane"), world.id("twin")
    on_twin = world.book("Booked with the twin", "twin", "twin")
    on_jane = world.book("Booked with Jane", "jane", "jane")
    both = world.book("Both of them", "jane", "jane", "twin", "john")

    assert world.merge("twin", "jane") == 1

    by_id = {m.id: m for m in world.meetings.list_meetings(TEAM)}
    assert by_id[on_twin.id].record_id == jane
    assert by_id[on_twin.id].record_ids == [jane]
    assert [a.record_id for a in by_id[on_twin.id].attendees] == [jane]
    assert by_id[on_jane.id].record_ids == [jane]
    # once, not twice: the meeting had both; the twin's row keeps the address it was
    # invited at (reminders, a later edit's cancellation) without a record; John as he was
    assert sorted(by_id[both.id].record_ids) == sorted([jane, world.id("john")])
    assert [(a.record_id, a.email) for a in by_id[both.id].attendees] == [
        (jane, "jane@acme.example"),
        (None, "jane.d@acme.example"),
        (world.id("john"), "john@acme.example"),
    ]
    assert [a.email for a in by_id[on_twin.id].attendees] == ["jane.d@acme.example"]
    # each meeting's entry once, and the merge itself
    assert world.timeline("jane") == sorted(
        [
            ("meeting_scheduled", on_twin.id),
            ("meeting_scheduled", on_jane.id),
            ("meeting_scheduled", both.id),
            ("record_merged", None),
        ]
    )
    # the twin's company comes along, the twin itself does not (no record with itself)
    linked = {r.external_id for r in world.records.associations(TEAM, jane)}
    assert linked == {"acme", "acme-old"}
    assert world.records.get(TEAM, twin) is None
    assert [r.name for r in world.records.search(TEAM, "jane")] == ["Jane Doe"]
    # the old company's name now finds Jane, as a company of hers
    assert "Jane Doe" in [r.name for r in world.records.search(TEAM, "acme old")]

    history = record_history(world.records, world.meetings, TEAM, "Jane Doe")
    assert history is not None
    reply = timeline_reply("Jane Doe", history)
    validate_blocks(reply["blocks"])
    text = str(reply["blocks"])
    assert "Booked with the twin" in text and "Booked with Jane" in text
    assert ":twisted_rightwards_arrows: Merged into this record* · Jane D." in text

    before = world.dump()
    assert world.merge("twin", "jane") == 0  # the same merge seen again
    assert world.dump() == before


def test_a_merged_company_moves_its_contacts_and_their_search_terms(world: World) -> None:
    assert world.merge("acme-old", "acme") == 1
    john = world.id("john")
    assert {r.external_id for r in world.records.associations(TEAM, john)} == {"acme"}
    assert [r.company for r in world.records.search(TEAM, "john")] == ["Acme"]
    assert "John Roe" not in [r.name for r in world.records.search(TEAM, "old name")]
    assert {r.external_id for r in world.records.associations(TEAM, world.id("acme"))} == {
        "jane",
        "twin",
        "john",
    }


def test_a_kept_record_not_stored_yet_is_stored_first_from_the_same_page(
    world: World,
) -> None:
    """HubSpot may give the merged record a new id: both old ones are merged into it."""
    booked = world.book("With the twin", "twin", "twin")
    merged = RecordRow(
        0, RecordKind.CONTACT, "jane-new", "Jane Doe-Smith", "jane@acme.example", None, None
    )
    count = world.records.mirror_page(
        TEAM, [merged], merged=[("jane", "jane-new"), ("twin", "jane-new")], at=MERGED_AT
    )
    assert count == 2
    kept = world.id("jane-new")
    (meeting,) = [m for m in world.meetings.list_meetings(TEAM) if m.id == booked.id]
    assert meeting.record_id == kept and meeting.record_ids == [kept]
    assert [r.external_id for r in world.records.search(TEAM, "jane")] == ["jane-new"]
    assert {r.external_id for r in world.records.associations(TEAM, kept)} == {
        "acme",
        "acme-old",
    }


def test_a_merge_never_reaches_another_workspace_nor_a_record_it_does_not_know(
    world: World,
) -> None:
    ours = world.book("Ours", "twin", "twin")
    theirs = world.book("Theirs", "twin", "twin", team=OTHER)
    before = world.dump()
    # the kept record is unknown here (only the other workspace has such an id), or
    # of another kind: nothing moves, nothing is deleted
    assert world.records.mirror_page(TEAM, [], merged=[("twin", "nobody")], at=MERGED_AT) == 0
    assert world.merge("twin", "acme") == 0
    assert world.dump() == before

    assert world.merge("twin", "jane") == 1
    (kept,) = [m for m in world.meetings.list_meetings(TEAM) if m.id == ours.id]
    assert kept.record_id == world.id("jane")
    (other,) = world.meetings.list_meetings(OTHER)
    assert other.id == theirs.id and other.record_id == world.id("twin", OTHER)
    assert [r.name for r in world.records.search(OTHER, "jane")] == ["Jane D.", "Jane Doe"]
    assert world.meetings.timeline(OTHER, world.id("twin", OTHER)) != []
