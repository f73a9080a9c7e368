"""Workspace isolation in the repositories themselves, on SQLite and PostgreSQL: every
read and write by id takes the workspace, and another workspace's id behaves exactly
like an unknown one; jobs carry the workspace of their meeting."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from handlers.jobs import JobKind
from handlers.meetings import (
    Attendee,
    AttendeeKind,
    JobSpec,
    Location,
    MeetingUpdate,
    NewMeeting,
    TimelineSpec,
)
from handlers.records_csv import import_records
from storage.db import make_engine, make_session_factory
from storage.jobs import SqlJobQueue
from storage.meetings import SqlMeetingRepository
from storage.models import TimelineEntryModel
from storage.records import SqlRecordRepository

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
CSV = "type,id,name,email,phone,timezone,associations\ncontact,jane,Jane,jane@x.example,,,\n"


@dataclass
class Repos:
    engine: Engine
    records: SqlRecordRepository
    meetings: SqlMeetingRepository
    jobs: SqlJobQueue

    def timeline_rows(self) -> int:
        with self.records._sessions() as session:  # noqa: SLF001
            return int(session.scalar(select(func.count()).select_from(TimelineEntryModel)) or 0)


@pytest.fixture
def repos(migrated_url: str) -> Iterator[Repos]:
    engine = make_engine(migrated_url)
    sessions = make_session_factory(engine)
    try:
        yield Repos(
            engine,
            SqlRecordRepository(sessions),
            SqlMeetingRepository(sessions),
            SqlJobQueue(sessions, engine.dialect.name),
        )
    finally:
        engine.dispose()


def new_meeting(team: str, record_id: int, key: str) -> NewMeeting:
    return NewMeeting(
        team_id=team,
        idempotency_key=key,
        uid=f"{key}@meetline",
        title=f"{team} secret",
        start_utc=T0,
        end_utc=T0 + timedelta(minutes=30),
        timezone="UTC",
        duration_minutes=30,
        location=Location(),
        host_id="UHOST",
        organizer_id="UHOST",
        record_id=record_id,
        attendees=(Attendee(AttendeeKind.CONTACT, "Jane", "jane@x.example", record_id=record_id),),
        record_ids=(record_id,),
        reminders=(),
    )


def book(repos: Repos, team: str, record_id: int, key: str) -> int:
    spec = TimelineSpec(record_id, "meeting_scheduled", T0, "UHOST", {"title": f"{team} secret"})
    meeting, created = repos.meetings.create(
        new_meeting(team, record_id, key),
        lambda mid: [JobSpec(JobKind.REMIND, {"meeting_id": mid}, T0, f"r:{mid}")],
        [spec],
    )
    assert created
    return meeting.id


def test_another_workspaces_ids_read_and_write_nothing(repos: Repos) -> None:
    import_records(repos.records, "T1", CSV)
    import_records(repos.records, "T2", CSV)
    jane1 = repos.records.search("T1", "Jane")[0].id
    jane2 = repos.records.search("T2", "Jane")[0].id
    mid = book(repos, "T1", jane1, "k1")

    assert repos.meetings.get("T1", mid) is not None
    assert repos.meetings.get("T2", mid) is None
    assert repos.meetings.by_idempotency_key("T2", "k1") is None
    assert [m.id for m in repos.meetings.list_meetings("T2")] == []
    assert [e.meeting_id for e in repos.meetings.timeline("T1", jane1)] == [mid]
    assert repos.meetings.timeline("T2", jane1) == []
    rows = repos.timeline_rows()
    assert repos.meetings.set_outcome("T2", mid, "COMPLETED", "UB", T0) is False
    repos.meetings.set_calendar_event("T2", mid, "google", "evil", "https://evil.example")
    repos.meetings.mark_invited("T2", mid, "jane@x.example", 9)
    stolen = replace(new_meeting("T2", jane2, "k1"), title="overwritten")
    with pytest.raises(LookupError):
        repos.meetings.update(MeetingUpdate(mid, stolen, 1), [], (), [])
    kept = repos.meetings.get("T1", mid)
    assert kept is not None and kept.title == "T1 secret" and kept.outcome == "SCHEDULED"
    assert kept.calendar_event_id is None and kept.attendees[0].invited_sequence is None
    assert repos.timeline_rows() == rows
    for junk in (10**30, 2**63, -1, 0):
        assert repos.meetings.get("T1", junk) is None and repos.meetings.timeline("T1", junk) == []
        assert repos.meetings.set_outcome("T1", junk, "COMPLETED", "U", T0) is False


def test_a_meeting_cannot_be_linked_to_another_workspaces_records(repos: Repos) -> None:
    import_records(repos.records, "T1", CSV)
    import_records(repos.records, "T2", CSV)
    jane1 = repos.records.search("T1", "Jane")[0].id
    jane2 = repos.records.search("T2", "Jane")[0].id
    with pytest.raises(LookupError):
        repos.meetings.create(new_meeting("T2", jane1, "k2"), lambda mid: [], [])
    assert repos.meetings.list_every_team() == [] and repos.timeline_rows() == 0
    mid = book(repos, "T2", jane2, "k3")
    current = repos.meetings.get("T2", mid)
    assert current is not None
    grab = replace(new_meeting("T2", jane2, "k3"), record_ids=(jane2, jane1))
    with pytest.raises(LookupError):
        repos.meetings.update(
            MeetingUpdate(mid, grab, 1), [], (), [TimelineSpec(jane1, "x", T0, "U")]
        )
    assert repos.meetings.timeline("T1", jane1) == [] and repos.timeline_rows() == 1


def test_a_submission_key_of_another_workspace_is_not_handed_back(repos: Repos) -> None:
    import_records(repos.records, "T1", CSV)
    import_records(repos.records, "T2", CSV)
    book(repos, "T1", repos.records.search("T1", "Jane")[0].id, "shared-key")
    with pytest.raises(LookupError):
        repos.meetings.create(
            new_meeting("T2", repos.records.search("T2", "Jane")[0].id, "shared-key"),
            lambda mid: [],
            [],
        )


def test_claimed_jobs_carry_the_workspace_of_their_meeting(repos: Repos) -> None:
    import_records(repos.records, "T1", CSV)
    mid = book(repos, "T1", repos.records.search("T1", "Jane")[0].id, "k4")
    repos.jobs.enqueue("cleanup", {}, T0)
    claimed = {j.kind: j for j in repos.jobs.claim("w", T0 + timedelta(minutes=1))}
    assert claimed[JobKind.REMIND].team_id == "T1" and claimed[JobKind.REMIND].payload == {
        "meeting_id": mid
    }
    assert claimed["cleanup"].team_id == ""
