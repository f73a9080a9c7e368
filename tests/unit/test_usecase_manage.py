"""ManageMeeting.edit and .cancel against in-memory ports: each is one unit of work with
one commit; what attendees see decides SEQUENCE and who is mailed; refusals write nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

import pytest

from handlers.domain import UserProfile
from handlers.editing import ManageMeeting
from handlers.errors import Field, NotAllowed, NotFound, ValidationFailed
from handlers.jobs import JobKind
from handlers.meetings import Attendee, AttendeeKind, AttendeeRef, Meeting
from handlers.scheduling import ScheduleMeeting
from tests.unit.usecases import HOST, TEAM, World


def manage(world: World) -> ManageMeeting:
    return ManageMeeting(world.uow, world.people, world.clock, calendars=world.calendars)


def booked(world: World, *, invited: bool = True) -> Meeting:
    """A booked meeting whose invitations went out (the worker marks them)."""
    meeting = ScheduleMeeting(world.uow, world.people, world.clock, calendars=world.calendars)(
        world.request()
    ).meeting
    if invited:
        for attendee in meeting.attendees:
            if attendee.email:
                world.uow.meetings.mark_invited(TEAM, meeting.id, attendee.email, 0)
    world.uow.commits = 0
    return world.uow.meetings.get(TEAM, meeting.id) or meeting


def host() -> UserProfile:
    return UserProfile(TEAM, HOST)


def invitations(world: World, method: str = "REQUEST") -> list[tuple[str, int]]:
    return sorted(
        (j.payload["email"], j.payload["sequence"])
        for j in world.uow.store.queued(JobKind.INVITE)
        if j.payload.get("method", "REQUEST") == method
    )


# -- edit ----------------------------------------------------------------------------


def test_moving_a_meeting_reinvites_everyone_and_moves_its_jobs_in_one_commit() -> None:
    world = World()
    meeting = booked(world)
    before = {j.dedupe_key for j in world.uow.store.queued(JobKind.REMIND)}
    result = manage(world).edit(meeting.id, world.request(start_time=time(14, 0)), host())
    assert world.uow.commits == 1 and result.meeting.sequence == 1
    assert [i for i in invitations(world) if i[1] == 1] == [
        ("hanna@meetline.example", 1),
        ("jane@acme.example", 1),
    ]
    reminders = world.uow.store.queued(JobKind.REMIND)
    assert (
        len(reminders) == 1 and reminders[0].dedupe_key not in before
    )  # the old one was cancelled
    assert world.uow.meetings.timeline(TEAM, world.jane.id)[0].kind == "meeting_rescheduled"


def test_an_edit_after_a_reminder_went_out_keeps_it_sent_and_says_nothing_was_dropped() -> None:
    world = World()
    meeting = booked(world)
    world.clock.set(meeting.reminders[0].due_at + timedelta(minutes=5))
    world.uow.meetings.set_reminder_status(TEAM, meeting.id, 60, "sent")
    result = manage(world).edit(meeting.id, world.request(title="Demo v2"), host())
    assert [(r.offset_minutes, r.status) for r in result.meeting.reminders] == [(60, "sent")]
    assert result.warnings == ()  # not "the reminder was dropped: that time has passed"


def test_adding_an_attendee_invites_them_and_the_host_not_the_others() -> None:
    world = World()
    meeting = booked(world)
    world.teammate("UBOB", name="Bob", email="bob@meetline.example")
    attendees = (
        AttendeeRef(AttendeeKind.CONTACT, str(world.jane.id)),
        AttendeeRef(AttendeeKind.USER, "UBOB"),
    )
    result = manage(world).edit(meeting.id, world.request(attendees=attendees), host())
    assert result.meeting.sequence == 1
    assert [i for i in invitations(world) if i[1] == 1] == [
        ("bob@meetline.example", 1),
        ("hanna@meetline.example", 1),
    ]
    assert world.uow.meetings.timeline(TEAM, world.jane.id)[0].kind == "meeting_updated"


def test_removing_an_invited_attendee_sends_them_a_cancellation() -> None:
    world = World()
    meeting = booked(world)
    world.uow.records.add(TEAM, "Kim Other", "kim@acme.example")
    kim = world.uow.records.search(TEAM, "Kim")[0]
    manage(world).edit(
        meeting.id,
        world.request(attendees=(AttendeeRef(AttendeeKind.CONTACT, str(kim.id)),)),
        host(),
    )
    assert invitations(world, "CANCEL") == [("jane@acme.example", 1)]


def test_an_edit_by_someone_else_is_refused_and_writes_nothing() -> None:
    world = World()
    meeting = booked(world)
    stranger = world.teammate("USTRANGER")
    with pytest.raises(NotAllowed):
        manage(world).edit(
            meeting.id, world.request(start_time=time(14, 0), organizer_id="USTRANGER"), stranger
        )
    assert world.uow.meetings.get(TEAM, meeting.id) == meeting and world.uow.commits == 0


def test_an_edit_that_breaks_a_rule_writes_nothing() -> None:
    world = World()
    meeting = booked(world)
    with pytest.raises(ValidationFailed) as refused:
        manage(world).edit(meeting.id, world.request(title=""), host())
    assert Field.TITLE in refused.value.errors
    assert world.uow.meetings.get(TEAM, meeting.id) == meeting and world.uow.commits == 0


def test_a_cancelled_or_foreign_meeting_cannot_be_edited() -> None:
    world = World()
    meeting = booked(world)
    foreign = UserProfile("T2", HOST)
    with pytest.raises(NotFound):
        manage(world).edit(meeting.id, world.request(team_id="T2"), foreign)
    manage(world).cancel(meeting.id, host())
    with pytest.raises(NotFound):
        manage(world).edit(meeting.id, world.request(), host())


def test_an_associated_record_deleted_at_its_source_stays_linked_through_an_edit() -> None:
    world = World()
    acme = world.uow.records.add(TEAM, "Acme Inc")
    meeting = ScheduleMeeting(world.uow, world.people, world.clock, calendars=world.calendars)(
        world.request(associated_record_ids=(acme.id,))
    ).meeting
    del world.uow.store.records[acme.id]  # deleted in the CRM: it reads as unknown now
    edited = manage(world).edit(
        meeting.id, world.request(title="Demo v2", associated_record_ids=(acme.id,)), host()
    )
    assert edited.meeting.title == "Demo v2" and acme.id in edited.meeting.record_ids
    # Adding it to another meeting is still refused: it is no longer there to pick.
    with pytest.raises(ValidationFailed) as refused:
        ScheduleMeeting(world.uow, world.people, world.clock, calendars=world.calendars)(
            world.request(key="k2", associated_record_ids=(acme.id,))
        )
    assert Field.ASSOCIATED in refused.value.errors


def test_a_meeting_whose_record_was_deleted_at_its_source_is_edited_keeping_it() -> None:
    """Jane, the meeting's record and a contact invited, is deleted in the CRM: the edit
    form still names her (marked deleted), an edit that leaves her keeps her as the record
    and keeps her invited, but nothing new may be booked on her."""
    world = World()
    meeting = booked(world)
    world.uow.records.delete_external(TEAM, [world.jane.external_id])

    found = manage(world).to_edit(meeting.id, host())
    assert found.deleted == {world.jane.id} and found.records[world.jane.id].name == "Jane Doe"
    edited = manage(world).edit(meeting.id, world.request(title="Demo v2"), host()).meeting
    assert edited.title == "Demo v2" and edited.record_id == world.jane.id
    assert world.jane.id in edited.record_ids
    jane = [a for a in edited.attendees if a.email == "jane@acme.example"]
    assert [a.record_id for a in jane] == [world.jane.id]
    assert invitations(world, "CANCEL") == []  # nobody was uninvited

    with pytest.raises(ValidationFailed) as refused:
        ScheduleMeeting(world.uow, world.people, world.clock, calendars=world.calendars)(
            world.request(key="k2")
        )
    assert {Field.RECORD, Field.ATTENDEES} <= refused.value.errors.keys()


def test_an_edit_cannot_make_a_deleted_record_the_meetings_record() -> None:
    """Only the meeting's own record is kept when deleted: another meeting that merely
    invited Jane cannot be moved onto her once she is gone."""
    world = World()
    other = ScheduleMeeting(world.uow, world.people, world.clock, calendars=world.calendars)(
        world.request(key="k2", record_id=world.nomail.id)
    ).meeting
    world.uow.records.delete_external(TEAM, [world.jane.external_id])
    with pytest.raises(ValidationFailed) as refused:
        manage(world).edit(other.id, world.request(key="k3"), host())
    assert Field.RECORD in refused.value.errors and Field.ATTENDEES not in refused.value.errors
    kept = manage(world).edit(other.id, world.request(key="k3", record_id=world.nomail.id), host())
    assert kept.meeting.record_id == world.nomail.id


def with_guest(world: World, meeting: Meeting) -> AttendeeRef:
    """Kim, invited to `meeting`, is left with an address only (no record, no Slack
    user: what a CRM merge leaves of a duplicate). How the edit form names her."""
    kim = Attendee(AttendeeKind.CONTACT, "Kim Walk-in", "kim@walkin.example", invited_sequence=0)
    world.uow.store.meetings[meeting.id] = replace(meeting, attendees=[*meeting.attendees, kim])
    ref = kim.guest_ref()
    assert ref is not None
    return AttendeeRef(AttendeeKind.EMAIL, ref)


def test_an_edit_that_keeps_a_guest_sends_her_the_update_not_a_cancellation() -> None:
    world = World()
    meeting = booked(world)
    kim = with_guest(world, meeting)
    attendees = (*world.request().attendees, kim)
    edited = (
        manage(world)
        .edit(meeting.id, world.request(title="Demo v2", attendees=attendees), host())
        .meeting
    )
    assert [(a.name, a.email, a.record_id) for a in edited.attendees][-1] == (
        "Kim Walk-in",
        "kim@walkin.example",
        None,
    )
    assert ("kim@walkin.example", 1) in invitations(world)
    assert invitations(world, "CANCEL") == []


def test_an_edit_that_leaves_a_guest_out_cancels_her_invitation() -> None:
    world = World()
    meeting = booked(world)
    with_guest(world, meeting)
    edited = manage(world).edit(meeting.id, world.request(title="Demo v2"), host()).meeting
    assert "kim@walkin.example" not in [a.email for a in edited.attendees]
    assert invitations(world, "CANCEL") == [("kim@walkin.example", 1)]


def test_a_guest_of_another_meeting_or_a_made_up_one_is_refused_and_writes_nothing() -> None:
    """A guest is found only among the edited meeting's own attendees: another meeting's
    guest, a made-up reference and any guest in a new booking are refused on the field."""
    world = World()
    meeting = booked(world)
    other = ScheduleMeeting(world.uow, world.people, world.clock, calendars=world.calendars)(
        world.request(key="k2")
    ).meeting
    theirs = with_guest(world, other)
    before, world.uow.commits = world.uow.meetings.get(TEAM, meeting.id), 0
    made_up = AttendeeRef(AttendeeKind.EMAIL, "0123456789abcdef0123")
    for forged in (theirs, made_up):
        with pytest.raises(ValidationFailed) as refused:
            manage(world).edit(
                meeting.id, world.request(title="Demo v2", attendees=(forged,)), host()
            )
        assert refused.value.errors[Field.ATTENDEES] == (
            "One of the email guests is not invited to this meeting. Remove it."
        )
    assert world.uow.meetings.get(TEAM, meeting.id) == before and world.uow.commits == 0
    with pytest.raises(ValidationFailed) as new_booking:
        ScheduleMeeting(world.uow, world.people, world.clock, calendars=world.calendars)(
            world.request(key="k3", attendees=(theirs,))
        )
    assert Field.ATTENDEES in new_booking.value.errors


# -- cancel --------------------------------------------------------------------------


def test_cancelling_mails_the_invited_drops_the_jobs_and_logs_it_in_one_commit() -> None:
    world = World()
    meeting = booked(world)
    cancelled = manage(world).cancel(meeting.id, host()).meeting
    assert world.uow.commits == 1
    assert cancelled.status == "cancelled" and cancelled.outcome == "CANCELED"
    assert invitations(world, "CANCEL") == [("hanna@meetline.example", 1), ("jane@acme.example", 1)]
    assert (
        world.uow.store.queued(JobKind.REMIND) == []
        and world.uow.store.queued(JobKind.OUTCOME) == []
    )
    assert world.uow.meetings.timeline(TEAM, world.jane.id)[0].kind == "meeting_cancelled"


def test_only_people_who_got_the_invitation_get_its_cancellation() -> None:
    world = World()
    meeting = booked(world, invited=False)
    assert manage(world).cancel(meeting.id, host()).told == ()  # the confirmation says so
    assert invitations(world, "CANCEL") == [
        ("hanna@meetline.example", 1)
    ]  # the host keeps the event


def test_cancelling_twice_succeeds_and_changes_nothing_more() -> None:
    world = World()
    meeting = booked(world)
    manage(world).cancel(meeting.id, host())
    jobs = list(world.uow.store.jobs)
    again = manage(world).cancel(meeting.id, host()).meeting
    assert again.status == "cancelled"
    assert world.uow.store.jobs == jobs


def test_a_cancel_by_someone_else_or_of_an_unknown_meeting_is_refused() -> None:
    world = World()
    meeting = booked(world)
    stranger = world.teammate("USTRANGER")
    with pytest.raises(NotAllowed):
        manage(world).cancel(meeting.id, stranger)
    with pytest.raises(NotFound, match="This meeting no longer exists."):
        manage(world).cancel(meeting.id + 1, host())
    with pytest.raises(NotFound):
        manage(world).cancel(meeting.id, UserProfile("T2", HOST))
    assert world.uow.meetings.get(TEAM, meeting.id) == meeting and world.uow.commits == 0


def test_a_calendar_that_sends_invitations_gets_the_cancel_instead_of_our_mail() -> None:
    world = World()
    meeting = booked(world)
    world.uow.meetings.set_calendar_event(TEAM, meeting.id, "google", "ev1", None)
    world.connect(HOST, "google", sends_invitations=True)
    told = manage(world).cancel(meeting.id, host()).told
    assert invitations(world, "CANCEL") == []
    assert told == tuple(a.name for a in meeting.attendees if a.email)  # by the calendar
    assert [j.kind for j in world.uow.store.queued(JobKind.CALENDAR_CANCEL)] == [
        JobKind.CALENDAR_CANCEL
    ]
