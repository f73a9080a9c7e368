"""ScheduleMeeting against in-memory ports: one unit of work, one commit, one meeting per
submission; a refused request writes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from handlers.errors import Field, ValidationFailed
from handlers.jobs import JobKind
from handlers.meetings import AttendeeKind, AttendeeRef, Location, LocationKind
from handlers.scheduling import ScheduleMeeting
from handlers.workspace import WorkspaceSettings
from tests.unit.usecases import HOST, TEAM, World


def schedule(world: World) -> ScheduleMeeting:
    return ScheduleMeeting(world.uow, world.people, world.clock, calendars=world.calendars)


def test_a_booking_stores_the_meeting_its_jobs_and_timeline_in_one_commit() -> None:
    world = World()
    result = schedule(world)(world.request())
    assert result.created and world.uow.commits == 1
    assert result.invited == ("Jane Doe",) and result.not_invited == ("John Nomail",)
    store = world.uow.store
    assert list(store.meetings) == [result.meeting.id]
    invited = sorted(j.payload["email"] for j in store.queued(JobKind.INVITE))
    assert invited == [
        "hanna@meetline.example",
        "jane@acme.example",
    ]  # attendees with an email, and the host
    assert [j.kind for j in store.queued() if j.kind != JobKind.INVITE] == [
        JobKind.REMIND,
        JobKind.OUTCOME,
    ]
    assert {(e.record_id, e.kind) for e in store.timeline} == {
        (world.jane.id, "meeting_scheduled"),
        (world.nomail.id, "meeting_scheduled"),
    }


def test_the_same_submission_twice_is_one_meeting_and_one_set_of_jobs() -> None:
    world = World()
    first = schedule(world)(world.request())
    jobs = list(world.uow.store.jobs)
    again = schedule(world)(world.request(title="Changed in a retry"))
    assert not again.created and again.meeting == first.meeting
    assert world.uow.store.jobs == jobs and world.uow.commits == 1  # the retry committed nothing


def test_a_refused_request_writes_nothing() -> None:
    world = World()
    gone = max(world.uow.store.records) + 1
    with pytest.raises(ValidationFailed) as refused:
        schedule(world)(world.request(record_id=gone, title=""))
    assert set(refused.value.errors) == {Field.RECORD, Field.TITLE}
    assert world.uow.store.meetings == {} and world.uow.store.jobs == [] and world.uow.commits == 0


def test_a_submission_key_of_another_workspace_is_an_expired_form() -> None:
    world = World()
    stored = schedule(world)(world.request(key="shared")).meeting
    world.uow.store.meetings[stored.id] = replace(stored, team_id="T2")  # the key is now T2's
    with pytest.raises(ValidationFailed) as refused:
        schedule(world)(world.request(key="shared"))
    assert refused.value.errors == {
        Field.RECORD: "This form has expired. Close it and run /meet again."
    }
    assert len(world.uow.store.meetings) == 1 and world.uow.commits == 1


def test_a_teammates_submission_key_is_an_expired_form_not_their_meeting() -> None:
    world = World()
    world.teammate("U_MATE")
    schedule(world)(world.request(key="k-of-host"))
    with pytest.raises(ValidationFailed) as refused:
        schedule(world)(world.request(key="k-of-host", organizer_id="U_MATE", host_id="U_MATE"))
    assert refused.value.errors == {
        Field.RECORD: "This form has expired. Close it and run /meet again."
    }
    assert len(world.uow.store.meetings) == 1 and world.uow.commits == 1


def test_teammates_are_looked_up_before_the_unit_of_work_opens() -> None:
    world = World()
    world.teammate("UBOB", name="Bob", email="bob@meetline.example")
    req = world.request(attendees=(AttendeeRef(AttendeeKind.USER, "UBOB"),))
    result = schedule(world)(req)  # WatchfulPeople fails if asked inside the unit
    assert [a.slack_user_id for a in result.meeting.attendees] == ["UBOB"]
    assert {"UBOB", HOST} <= set(world.people.asked)


def test_booking_on_behalf_needs_a_paid_seat_for_the_organizer() -> None:
    world = World()
    world.teammate("UFREE", seat="none")
    world.connect(HOST)
    with pytest.raises(ValidationFailed) as refused:
        schedule(world)(world.request(organizer_id="UFREE"))
    assert Field.HOST in refused.value.errors
    assert world.uow.store.meetings == {}


def test_a_sandbox_workspace_books_only_its_sandbox_users() -> None:
    world = World()
    world.uow.workspaces.save(TEAM, WorkspaceSettings(is_sandbox=True))
    world.teammate("USAND", is_sandbox=True)
    with pytest.raises(ValidationFailed) as refused:
        schedule(world)(world.request())  # contacts are not sandbox users
    assert Field.ATTENDEES in refused.value.errors
    booked = schedule(world)(world.request(attendees=(AttendeeRef(AttendeeKind.USER, "USAND"),)))
    assert booked.created


def test_a_connected_calendar_books_the_event_first_instead_of_mailing() -> None:
    world = World()
    world.connect(HOST)
    result = schedule(world)(world.request())
    assert [j.kind for j in world.uow.store.queued()] == [
        JobKind.CALENDAR_CREATE,
        JobKind.REMIND,
        JobKind.OUTCOME,
    ]
    assert result.created


def test_a_video_link_needs_the_hosts_calendar_of_that_provider() -> None:
    world = World()
    meet = Location(LocationKind.VIDEO, provider="google_meet")
    with pytest.raises(ValidationFailed) as refused:
        schedule(world)(world.request(location=meet))
    assert Field.VIDEO in refused.value.errors
    world.connect(HOST, "google")
    assert schedule(world)(world.request(location=meet)).created
