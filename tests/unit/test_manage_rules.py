"""Who may open a meeting for editing or cancel it (ManageMeeting.to_edit / cancel): the
host, the organizer or an admin of the meeting's own workspace; everyone else gets a
refusal the bot words (bot.errors)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.errors import error_text
from handlers.domain import Record, RecordKind, UserProfile
from handlers.editing import ManageMeeting
from handlers.errors import NotAllowed, NotFound, Reason
from handlers.i18n import translator
from handlers.meetings import Attendee, AttendeeKind, Meeting
from tests.fakes import FakePeople, InMemoryUnitOfWorkFactory, a_meeting
from tests.support.clock import MutableClock

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
JANE = Record(5, RecordKind.CONTACT, "p5", "Jane Doe")
MEETING = a_meeting(
    NOW,
    record_id=5,
    record_ids=[5, 6],
    attendees=[Attendee(AttendeeKind.CONTACT, "Jane Doe", "jane@x.test", record_id=5)],
)


def manage(meeting: Meeting = MEETING) -> ManageMeeting:
    """Team-scoped reads, as the repositories answer them: record 6 was deleted."""
    uow = InMemoryUnitOfWorkFactory()
    uow.store.meetings[meeting.id] = meeting
    uow.store.records[JANE.id] = ("T1", JANE)
    return ManageMeeting(uow, FakePeople(), MutableClock(NOW))


@pytest.mark.parametrize(
    "who",
    [
        UserProfile("T1", "UHOST"),
        UserProfile("T1", "UORG"),
        UserProfile("T1", "UADM", is_admin=True),
    ],
)
def test_host_organizer_and_admin_open_the_edit_form(who: UserProfile) -> None:
    found = manage().to_edit(7, who)
    assert found.meeting == MEETING and found.records == {5: JANE}  # record 6 was deleted


def test_a_teammate_may_neither_edit_nor_cancel() -> None:
    teammate = UserProfile("T1", "UOTHER", locale="pl-PL")
    with pytest.raises(NotAllowed) as edit:
        manage().to_edit(7, teammate)
    with pytest.raises(NotAllowed) as cancel:
        manage().cancel(7, teammate)
    assert (edit.value.reason, cancel.value.reason) == (Reason.EDIT_MEETING, Reason.CANCEL_MEETING)
    assert "can cancel this meeting" in error_text(cancel.value, translator("en"))


def test_another_workspace_finds_nothing_even_as_host_or_admin() -> None:
    for who in (UserProfile("T2", "UHOST"), UserProfile("T2", "UADM", is_admin=True)):
        with pytest.raises(NotFound, match="cancelled or no longer exists"):
            manage().to_edit(7, who)
        with pytest.raises(NotFound, match="no longer exists"):
            manage().cancel(7, who)


def test_a_cancelled_meeting_cannot_be_edited_and_cancelling_again_changes_nothing() -> None:
    cancelled = replace(MEETING, status="cancelled")
    with pytest.raises(NotFound):
        manage(cancelled).to_edit(7, UserProfile("T1", "UHOST"))
    assert manage(cancelled).cancel(7, UserProfile("T1", "UHOST")).meeting == cancelled
