"""The one mapper from domain errors to what Slack shows (bot.errors), and the outcome
rule it words: host or admin of the meeting's own workspace."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.errors import error_text, modal_errors
from handlers.domain import UserProfile
from handlers.errors import DomainError, Field, NotAllowed, NotFound, Reason, ValidationFailed
from handlers.i18n import translator
from handlers.meetings import Location, Meeting
from handlers.outcomes import RecordOutcome
from handlers.workspace import WorkspaceSettings
from tests.support.clock import MutableClock

EN = translator("en")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def view(*block_ids: str) -> dict[str, Any]:
    return {"blocks": [{"type": "section", "block_id": "notices"}]
            + [{"type": "input", "block_id": b} for b in block_ids]}


def test_field_errors_land_on_their_blocks() -> None:
    error = ValidationFailed({Field.PHONE: "Enter the phone number.", Field.REMINDER_2: "A number.",
                              Field.TITLE: "Give it a title."})
    shown = modal_errors(error, view("record", "title", "loc_phone", "rem_amount_0", "rem_amount_1"), EN)
    assert shown == {"loc_phone": "Enter the phone number.", "rem_amount_1": "A number.", "title": "Give it a title."}


def test_date_and_time_find_their_revised_blocks() -> None:
    error = ValidationFailed({Field.DATE: "In the future.", Field.TIME: "Pick a time."})
    assert modal_errors(error, view("record", "date_2", "time_2"), EN) == {
        "date_2": "In the future.", "time_2": "Pick a time."}


def test_a_field_not_shown_joins_the_fallback_block() -> None:
    error = ValidationFailed({Field.RECORD: "Pick a record.", Field.VIDEO: "Pick the provider."})
    assert modal_errors(error, view("title", "record"), EN) == {"record": "Pick a record. Pick the provider."}
    assert modal_errors(error, view("title", "attendees"), EN) == {"title": "Pick a record. Pick the provider."}


def test_errors_of_no_field_go_to_the_fallback_block() -> None:
    assert modal_errors(NotFound("This meeting no longer exists."), view("title", "record"), EN) == {
        "record": "This meeting no longer exists."}
    refused = NotAllowed(Reason.EDIT_MEETING)
    assert modal_errors(refused, view("types", "durations"), EN, fallback=Field.DURATIONS) == {
        "durations": "Only the host, the organizer or a Meetline admin can edit this meeting."}


def test_refusals_are_worded_by_the_bot_in_the_readers_language() -> None:
    assert error_text(NotAllowed(Reason.SET_OUTCOME, host="UHOST"), EN) == (
        "Only <@UHOST>, the host, or a Meetline admin can set the outcome of this meeting.")
    assert error_text(NotAllowed(Reason.CHANGE_OUTCOME, host="UHOST"), EN) == (
        "Only <@UHOST>, the host, or a Meetline admin can change the outcome.")
    assert "<@UHOST>" in error_text(NotAllowed(Reason.CHANGE_OUTCOME, host="UHOST"), translator("pl"))
    assert error_text(DomainError("That outcome is not offered any more."), EN) == (
        "That outcome is not offered any more.")


# ----------------------------------------------------------------- host or admin


@dataclass
class Meetings:
    """The repository's contract for the outcome use case: team-scoped reads."""

    meeting: Meeting
    outcomes: list[str]

    def get(self, team_id: str, meeting_id: int) -> Meeting | None:
        m = self.meeting
        return m if m.team_id == team_id and m.id == meeting_id else None

    def set_outcome(self, team_id: str, meeting_id: int, outcome: str, actor: str, at: datetime) -> bool:
        assert team_id == self.meeting.team_id
        self.outcomes.append(outcome)
        self.meeting = replace(self.meeting, outcome=outcome)
        return True


def a_meeting() -> Meeting:
    return Meeting(id=7, team_id="T1", uid="m7@meetline", sequence=0, title="Demo", start_utc=NOW,
                   end_utc=NOW + timedelta(minutes=30), timezone="UTC", duration_minutes=30,
                   location=Location(), host_id="UHOST", organizer_id="UORG", attendees=[], reminders=[])


def record(meetings: Meetings, actor: UserProfile) -> Meeting:
    return RecordOutcome(meetings, MutableClock(NOW))(7, "COMPLETED", actor).meeting  # type: ignore[arg-type]


def test_the_host_and_an_admin_record_an_outcome() -> None:
    meetings = Meetings(a_meeting(), [])
    assert record(meetings, UserProfile(team_id="T1", slack_user_id="UHOST")).outcome == "COMPLETED"
    assert record(meetings, UserProfile(team_id="T1", slack_user_id="UADM", is_admin=True)).outcome == "COMPLETED"
    assert meetings.outcomes == ["COMPLETED", "COMPLETED"]


def test_a_member_who_is_not_the_host_cannot_record_an_outcome() -> None:
    meetings = Meetings(a_meeting(), [])
    for who in ("UORG", "UOTHER"):  # the organizer did not hold the meeting
        with pytest.raises(NotAllowed) as refused:
            record(meetings, UserProfile(team_id="T1", slack_user_id=who))
        assert refused.value.reason is Reason.SET_OUTCOME and refused.value.host == "UHOST"
    with pytest.raises(NotAllowed):
        RecordOutcome(meetings, MutableClock(NOW)).to_change(  # type: ignore[arg-type]
            7, UserProfile(team_id="T1", slack_user_id="UOTHER"))
    assert meetings.outcomes == []


def test_another_workspace_cannot_record_an_outcome_even_as_its_host_or_admin() -> None:
    meetings = Meetings(a_meeting(), [])
    for who in (UserProfile(team_id="T2", slack_user_id="UHOST"),
                UserProfile(team_id="T2", slack_user_id="UADM", is_admin=True)):
        with pytest.raises(NotFound):
            record(meetings, who)
        with pytest.raises(NotFound):
            RecordOutcome(meetings, MutableClock(NOW)).to_change(7, who)  # type: ignore[arg-type]
    assert meetings.outcomes == []


@dataclass
class Workspaces:
    """Each workspace's settings, as the outcome use case reads them (built once, it
    must offer the clicking actor's workspace's outcomes, not one fixed list)."""

    custom: dict[str, tuple[str, ...]]

    def get(self, team_id: str) -> WorkspaceSettings:
        return WorkspaceSettings(custom_outcomes=self.custom.get(team_id, ()))

    def save(self, team_id: str, settings: WorkspaceSettings) -> None:
        raise AssertionError("the outcome use case never changes settings")


def test_the_outcomes_offered_are_the_actors_workspaces() -> None:
    meetings = Meetings(a_meeting(), [])
    use_case = RecordOutcome(meetings, MutableClock(NOW),  # type: ignore[arg-type]
                             workspaces=Workspaces({"T1": ("DEMO_GIVEN",), "T2": ("UPSELL",)}))
    host = UserProfile(team_id="T1", slack_user_id="UHOST")
    assert use_case(7, "DEMO_GIVEN", host).meeting.outcome == "DEMO_GIVEN"
    with pytest.raises(DomainError, match="not offered"):
        use_case(7, "UPSELL", host)  # another workspace's own outcome
    assert use_case(7, "SCHEDULED", host).meeting.outcome == "SCHEDULED"  # back to undecided, always offered
    assert meetings.outcomes == ["DEMO_GIVEN", "SCHEDULED"]
