"""The one mapper from domain errors to what Slack shows (bot.errors), and the outcome
rule it words: host or admin of the meeting's own workspace."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.errors import error_text, modal_errors, tell_error
from handlers.domain import UserProfile
from handlers.errors import DomainError, Field, NotAllowed, NotFound, Reason, ValidationFailed
from handlers.i18n import translator
from handlers.meetings import Meeting
from handlers.outcomes import RecordOutcome
from handlers.workspace import WorkspaceSettings
from tests.fakes import InMemoryUnitOfWorkFactory, a_meeting
from tests.support.clock import MutableClock

EN = translator("en")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def view(*block_ids: str) -> dict[str, Any]:
    return {
        "blocks": [{"type": "section", "block_id": "notices"}]
        + [{"type": "input", "block_id": b} for b in block_ids]
    }


def test_field_errors_land_on_their_blocks() -> None:
    error = ValidationFailed(
        {
            Field.PHONE: "Enter the phone number.",
            Field.ATTENDEES: "Add someone.",
            Field.TITLE: "Give it a title.",
        }
    )
    shown = modal_errors(error, view("record", "title", "attendees", "loc_phone"), EN)
    assert shown == {
        "loc_phone": "Enter the phone number.",
        "attendees": "Add someone.",
        "title": "Give it a title.",
    }


def test_date_and_time_find_their_revised_blocks() -> None:
    error = ValidationFailed({Field.DATE: "In the future.", Field.TIME: "Pick a time."})
    assert modal_errors(error, view("record", "date_2", "time_2"), EN) == {
        "date_2": "In the future.",
        "time_2": "Pick a time.",
    }


def test_a_field_not_shown_joins_the_fallback_block() -> None:
    error = ValidationFailed({Field.RECORD: "Pick a record.", Field.VIDEO: "Pick the provider."})
    assert modal_errors(error, view("title", "record"), EN) == {
        "record": "Pick a record. Pick the provider."
    }
    assert modal_errors(error, view("title", "attendees"), EN) == {
        "title": "Pick a record. Pick the provider."
    }


def test_errors_of_no_field_go_to_the_fallback_block() -> None:
    assert modal_errors(
        NotFound("This meeting no longer exists."), view("title", "record"), EN
    ) == {"record": "This meeting no longer exists."}
    refused = NotAllowed(Reason.EDIT_MEETING)
    assert modal_errors(refused, view("types", "durations"), EN, fallback=Field.DURATIONS) == {
        "durations": "Only the host, the organizer or a Meetline admin can edit this meeting."
    }


def test_refusals_are_worded_by_the_bot_in_the_readers_language() -> None:
    assert error_text(NotAllowed(Reason.SET_OUTCOME, host="UHOST"), EN) == (
        "Only <@UHOST>, the host, or a Meetline admin can set the outcome of this meeting."
    )
    assert error_text(NotAllowed(Reason.CHANGE_OUTCOME, host="UHOST"), EN) == (
        "Only <@UHOST>, the host, or a Meetline admin can change the outcome."
    )
    assert "<@UHOST>" in error_text(
        NotAllowed(Reason.CHANGE_OUTCOME, host="UHOST"), translator("pl")
    )
    assert error_text(DomainError("That outcome is not offered any more."), EN) == (
        "That outcome is not offered any more."
    )


# ----------------------------------------------------------------- host or admin


def stored(meeting: Meeting) -> InMemoryUnitOfWorkFactory:
    uow = InMemoryUnitOfWorkFactory()
    uow.store.meetings[meeting.id] = meeting
    return uow


def record(
    uow: InMemoryUnitOfWorkFactory, actor: UserProfile, outcome: str = "COMPLETED"
) -> Meeting:
    return RecordOutcome(uow, MutableClock(NOW))(7, outcome, actor).meeting


def test_the_host_and_an_admin_record_an_outcome() -> None:
    uow = stored(a_meeting(NOW))
    assert record(uow, UserProfile(team_id="T1", slack_user_id="UHOST")).outcome == "COMPLETED"
    assert (
        record(
            uow, UserProfile(team_id="T1", slack_user_id="UADM", is_admin=True), "NO_SHOW"
        ).outcome
        == "NO_SHOW"
    )
    assert uow.store.meetings[7].outcome == "NO_SHOW" and uow.commits == 2


def test_a_member_who_is_not_the_host_cannot_record_an_outcome() -> None:
    uow = stored(a_meeting(NOW))
    for who in ("UORG", "UOTHER"):  # the organizer did not hold the meeting
        with pytest.raises(NotAllowed) as refused:
            record(uow, UserProfile(team_id="T1", slack_user_id=who))
        assert refused.value.reason is Reason.SET_OUTCOME and refused.value.host == "UHOST"
    with pytest.raises(NotAllowed):
        RecordOutcome(uow, MutableClock(NOW)).to_change(
            7, UserProfile(team_id="T1", slack_user_id="UOTHER")
        )
    assert uow.store.meetings[7].outcome == "SCHEDULED" and uow.commits == 0


def test_another_workspace_cannot_record_an_outcome_even_as_its_host_or_admin() -> None:
    uow = stored(a_meeting(NOW))
    for who in (
        UserProfile(team_id="T2", slack_user_id="UHOST"),
        UserProfile(team_id="T2", slack_user_id="UADM", is_admin=True),
    ):
        with pytest.raises(NotFound):
            record(uow, who)
        with pytest.raises(NotFound):
            RecordOutcome(uow, MutableClock(NOW)).to_change(7, who)
    assert uow.store.meetings[7].outcome == "SCHEDULED" and uow.commits == 0


def test_the_outcomes_offered_are_the_actors_workspaces() -> None:
    """Built once, the use case offers the clicking actor's workspace's outcomes, not one
    fixed list."""
    uow = stored(a_meeting(NOW))
    uow.workspaces.save("T1", WorkspaceSettings(custom_outcomes=("DEMO_GIVEN",)))
    uow.workspaces.save("T2", WorkspaceSettings(custom_outcomes=("UPSELL",)))
    host = UserProfile(team_id="T1", slack_user_id="UHOST")
    assert record(uow, host, "DEMO_GIVEN").outcome == "DEMO_GIVEN"
    with pytest.raises(DomainError, match="not offered"):
        record(uow, host, "UPSELL")  # another workspace's own outcome
    assert (
        record(uow, host, "SCHEDULED").outcome == "SCHEDULED"
    )  # back to undecided, always offered
    assert uow.commits == 2


class Posts:
    """Slack's two posting methods, recorded."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []

    def chat_postEphemeral(self, **kwargs: str) -> None:
        self.sent.append(("ephemeral", kwargs))

    def chat_postMessage(self, **kwargs: str) -> None:
        self.sent.append(("dm", kwargs))


def test_a_clicks_error_goes_where_the_click_happened() -> None:
    refused = NotAllowed(Reason.CANCEL_MEETING)
    posts = Posts()
    tell_error(posts, {"container": {"channel_id": "C1"}}, "U1", refused, EN)  # type: ignore[arg-type]
    tell_error(posts, {"container": {"type": "view"}}, "U1", refused, EN)  # type: ignore[arg-type]
    tell_error(
        posts,  # type: ignore[arg-type]
        {"container": {"type": "view"}},
        "U1",
        refused,
        EN,
        dm_when_no_channel=False,
    )
    tell_error(posts, {"container": {"channel_id": "C1"}}, "U1", DomainError(), EN)  # type: ignore[arg-type]
    text = "Only the host, the organizer or a Meetline admin can cancel this meeting."
    assert posts.sent == [
        ("ephemeral", {"channel": "C1", "user": "U1", "text": text}),
        ("dm", {"channel": "U1", "text": text}),
    ]
