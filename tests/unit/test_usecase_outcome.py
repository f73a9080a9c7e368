"""RecordOutcome against in-memory ports: the outcome, its timeline entries and the
meeting read back come from one unit of work with one commit; a repeat changes nothing."""

from __future__ import annotations

import pytest

from handlers.domain import UserProfile
from handlers.errors import DomainError
from handlers.outcomes import RecordOutcome
from handlers.scheduling import ScheduleMeeting
from tests.unit.usecases import HOST, TEAM, World


def booked(world: World) -> int:
    meeting = ScheduleMeeting(world.uow, world.people, world.clock)(world.request()).meeting
    world.uow.commits = 0
    return meeting.id


def test_recording_an_outcome_logs_it_on_every_record_and_reads_the_meeting_back() -> None:
    world = World()
    meeting_id = booked(world)
    result = RecordOutcome(world.uow, world.clock)(meeting_id, "COMPLETED", UserProfile(TEAM, HOST))
    assert result.changed and result.meeting.outcome == "COMPLETED" and world.uow.commits == 1
    for record in (world.jane, world.nomail):
        entry = world.uow.meetings.timeline(TEAM, record.id)[0]
        assert (entry.kind, entry.data["outcome"], entry.data["previous"]) == (
            "outcome_set",
            "COMPLETED",
            "SCHEDULED",
        )


def test_the_same_outcome_twice_is_one_change() -> None:
    world = World()
    meeting_id = booked(world)
    record = RecordOutcome(world.uow, world.clock)
    record(meeting_id, "NO_SHOW", UserProfile(TEAM, HOST))
    again = record(meeting_id, "NO_SHOW", UserProfile(TEAM, HOST))
    assert not again.changed and again.meeting.outcome == "NO_SHOW"
    assert [e.kind for e in world.uow.meetings.timeline(TEAM, world.jane.id)].count(
        "outcome_set"
    ) == 1


def test_an_outcome_not_offered_writes_nothing() -> None:
    world = World()
    meeting_id = booked(world)
    with pytest.raises(DomainError, match="not offered"):
        RecordOutcome(world.uow, world.clock)(meeting_id, "UPSELL", UserProfile(TEAM, HOST))
    assert world.uow.store.meetings[meeting_id].outcome == "SCHEDULED" and world.uow.commits == 0
