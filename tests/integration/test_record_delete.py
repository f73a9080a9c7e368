"""A record deleted at its source (`SqlRecordRepository.delete_external` and
`mirror_page(deleted=...)`, on SQLite and PostgreSQL) is kept, marked deleted: no picker,
search or booking offers it any more, but the meetings booked on it keep their links and
its timeline stays readable; the same external id imported again brings it back with
its history. In the caller's workspace only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.views.timeline_views import timeline_reply
from handlers.domain import UserProfile
from handlers.editing import ManageMeeting
from handlers.errors import ValidationFailed
from handlers.record_history import record_history
from handlers.records_csv import parse_records_csv
from storage.meetings import SqlMeetingRepository
from storage.models import RecordModel
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.integration.test_record_merge import (
    HOST,
    MERGED_AT,
    NOW,
    OTHER,
    RECORDS,
    TEAM,
    People,
    World,
)
from tests.integration.test_record_timeline import Calendars
from tests.support.blockkit import validate_blocks
from tests.support.clock import MutableClock
from tests.support.sql_storage import sql_storage


@pytest.fixture
def world(migrated_url: str) -> Iterator[World]:
    with sql_storage(migrated_url, RECORDS, TEAM, OTHER) as sql:
        yield World(
            sql.records,
            SqlMeetingRepository(sql.sessions),
            SqlUnitOfWorkFactory(sql.sessions),
            sql.sessions,
        )


def names(world: World, query: str, team: str = TEAM) -> list[str]:
    return [r.name for r in world.records.search(team, query)]


def deleted_at(world: World, external: str, team: str = TEAM) -> object:
    with world.sessions() as session:
        return session.execute(
            select(RecordModel.deleted_at).where(
                RecordModel.team_id == team, RecordModel.external_id == external
            )
        ).scalar_one()


def test_a_deleted_contact_leaves_every_picker_but_keeps_its_meetings_and_timeline(
    world: World,
) -> None:
    jane, acme = world.id("jane"), world.id("acme")
    booked = world.book("Booked with Jane", "jane", "jane", "john")
    timeline = world.timeline("jane")
    assert timeline != []

    assert world.records.mirror_page(TEAM, (), deleted=["jane", "nobody"], at=MERGED_AT) == 0

    assert world.records.get(TEAM, jane) is None
    assert world.records.get_many(TEAM, [jane, acme]).keys() == {acme}
    assert "Jane Doe" not in names(world, "jane")
    assert "Jane Doe" not in names(world, "jane@acme")  # the full-text tiers
    assert "Jane Doe" not in names(world, "")  # the recent list
    assert "Jane Doe" not in [r.name for r in world.records.associations(TEAM, acme)]
    assert world.records.associations(TEAM, jane) == []
    assert world.records.existing_external_ids(TEAM, ["jane", "john"]) == {"john"}
    # her meeting still names her, as its record and as an attendee
    (meeting,) = world.meetings.list_meetings(TEAM)
    assert meeting.id == booked.id and meeting.record_id == jane
    assert meeting.record_ids == booked.record_ids and jane in meeting.record_ids
    invited = {a.email: a.record_id for a in meeting.attendees}
    assert invited == {"jane@acme.example": jane, "john@acme.example": world.id("john")}
    assert world.timeline("jane") == timeline

    history = record_history(world.records, world.meetings, TEAM, "Jane Doe")
    assert history is not None and history.deleted and history.record.id == jane
    assert [e.meeting_id for e in history.entries] == [booked.id]
    reply = timeline_reply("Jane Doe", history)
    validate_blocks(reply["blocks"])
    assert "Deleted in HubSpot" in str(reply["blocks"]) and "book_on_record" not in str(reply)
    # a live record that matches comes first; nothing matches in another workspace
    assert record_history(world.records, world.meetings, TEAM, "Jane").record.name == "Jane D."  # type: ignore[union-attr]
    assert world.records.deleted_named(OTHER, "Jane Doe") is None

    with pytest.raises(ValidationFailed):
        world.book("Again with Jane", "jane")


def test_a_deletion_seen_again_writes_nothing_and_stays_in_its_workspace(
    world: World,
) -> None:
    assert world.records.delete_external(TEAM, ["jane"]) == 1
    first = deleted_at(world, "jane")
    assert first is not None
    assert world.records.delete_external(TEAM, ["jane"]) == 0
    assert deleted_at(world, "jane") == first
    assert deleted_at(world, "jane", OTHER) is None
    assert "Jane Doe" in names(world, "jane", OTHER)
    assert world.records.get(OTHER, world.id("jane", OTHER)) is not None


def test_a_deleted_record_imported_again_comes_back_with_its_history(world: World) -> None:
    jane = world.id("jane")
    booked = world.book("Booked with Jane", "jane", "jane")
    timeline = world.timeline("jane")
    world.records.delete_external(TEAM, ["jane", "acme"])
    assert "Acme" not in names(world, "acme")

    result = world.records.import_rows(TEAM, parse_records_csv(RECORDS))
    assert (result.created, result.updated) == (0, 5)

    assert world.id("jane") == jane and deleted_at(world, "jane") is None
    assert world.records.get(TEAM, jane) is not None
    assert "Jane Doe" in names(world, "jane")
    assert "Jane Doe" in names(world, "acme")  # her company's name is in her terms again
    assert "Jane Doe" in [r.name for r in world.records.associations(TEAM, world.id("acme"))]
    (meeting,) = world.meetings.list_meetings(TEAM)
    assert meeting.id == booked.id and meeting.record_ids == booked.record_ids
    assert world.timeline("jane") == timeline
    history = record_history(world.records, world.meetings, TEAM, "Jane Doe")
    assert history is not None and not history.deleted


def test_an_edit_keeps_a_deleted_record_and_a_restore_finds_its_attendees_linked(
    world: World,
) -> None:
    """Jane, the meeting's record and invited, is deleted at the source: the meeting's
    edit reads her (only her, only in her workspace), keeps her as its record and as an
    attendee, and once she is restored her meeting is hers as before."""
    jane, john = world.id("jane"), world.id("john")
    booked = world.book("Booked with Jane", "jane", "jane", "john")
    world.records.delete_external(TEAM, ["jane"])
    manage = ManageMeeting(world.uow, People(), MutableClock(NOW), calendars=Calendars())
    actor = UserProfile(TEAM, HOST)

    found = manage.to_edit(booked.id, actor)
    assert found.deleted == {jane} and found.records[jane].name == "Jane Doe"
    assert found.records[jane].email == "jane@acme.example"
    # a live record, another workspace's deleted one, junk: none of them
    assert world.records.deleted_among(TEAM, [john, world.id("jane", OTHER), -1]) == {}
    world.records.delete_external(OTHER, ["jane"])
    assert world.records.deleted_among(OTHER, [jane]) == {}

    again = replace(world.request("Booked with Jane", "jane", "jane", "john"), title="Moved")
    edited = manage.edit(booked.id, again, actor).meeting
    assert (edited.title, edited.record_id) == ("Moved", jane)
    assert {a.email: a.record_id for a in edited.attendees} == {
        "jane@acme.example": jane,
        "john@acme.example": john,
    }
    with pytest.raises(ValidationFailed):  # still nothing new on her
        world.book("Another with Jane", "jane")

    world.records.import_rows(TEAM, parse_records_csv(RECORDS))
    (meeting,) = world.meetings.list_meetings(TEAM)
    assert meeting.record_id == jane and meeting.title == "Moved"
    assert [a.record_id for a in meeting.attendees if a.email == "jane@acme.example"] == [jane]
    assert manage.to_edit(booked.id, actor).deleted == frozenset()
