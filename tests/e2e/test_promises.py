"""What a booking promised still happens after an edit: reminders and the outcome prompt,
each exactly once, through the real app, the real SMTP server and the worker under a
test clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers.jobs import JobKind
from storage.models import JobModel
from tests.e2e.forms import meet_values
from tests.e2e.test_manage_flow import book, button, open_edit_form
from tests.e2e.test_schedule_flow import contacts, in_days, jane, open_form, submit
from tests.e2e.test_team_flow import admin_settings
from tests.support.blockkit import assert_all_views_valid
from tests.support.slack_requests import block_actions, select_value
from tests.support.smtp_sink import plain_body
from tests.support.stack import HOST, Stack


def edit(stack: Stack, **changes: Any) -> dict[str, Any]:
    """Save the edit form with `book`'s values and `changes`; the ack's confirmation."""
    fields: dict[str, Any] = {
        "record": jane(stack),
        "day": in_days(4),
        "at": "10:00",
        "duration": "30",
        "title": "Pricing call",
        "attendees": contacts(stack, "Jane Doe"),
        "reminders": [("1", "hours")],
    }
    answer = submit(stack, open_edit_form(stack), meet_values(**(fields | changes))).json()
    assert answer["response_action"] == "update", answer
    return answer  # type: ignore[no-any-return]


def reminder_mails_at(stack: Stack, due: datetime) -> list[str]:
    """Run the worker just after `due`; the subjects of the reminder mails it sent."""
    stack.smtp.clear()
    stack.clock.set(due + timedelta(minutes=1))
    stack.run_worker()
    return [str(m.message["Subject"]) for m in stack.smtp.messages]


def test_a_title_edit_keeps_the_reminder_and_the_outcome_prompt_exactly_once(
    stack: Stack,
) -> None:
    booked = book(stack)
    answer = edit(stack, title="Pricing call, v2")
    lines = answer["view"]["blocks"][0]["text"]["text"].splitlines()  # one fact a line
    assert "Title changed: Pricing call → Pricing call, v2" in lines
    assert "1 reminder email is scheduled." in lines and "scheduled for" not in str(lines)
    dm = stack.slack.wait_for("chat.postMessage", count=2)[-1].args
    assert dm["text"].splitlines() == lines
    (meeting,) = stack.meetings_json()
    assert [(r["offset_minutes"], r["status"]) for r in meeting["reminders"]] == [(60, "pending")]
    stack.run_worker()  # the updated invitations

    due = datetime.fromisoformat(meeting["reminders"][0]["due_at"])
    (subject,) = reminder_mails_at(stack, due)
    assert subject.startswith("Reminder: Pricing call, v2 at ")
    assert stack.smtp.messages[0].rcpt_tos == ("jane@acme.example",)
    assert reminder_mails_at(stack, due + timedelta(minutes=10)) == []  # exactly once

    stack.slack.clear()
    stack.clock.set(datetime.fromisoformat(booked["end"]) + timedelta(minutes=5))
    stack.run_worker()
    stack.run_worker()
    (prompt,) = stack.slack.calls("chat.postMessage")
    assert prompt.args["channel"] == HOST and "Pricing call, v2" in prompt.args["text"]
    assert_all_views_valid(stack.slack)


def test_adding_a_reminder_keeps_the_first_and_removing_one_removes_only_it(
    stack: Stack,
) -> None:
    book(stack)
    answer = edit(stack, reminders=[("1", "hours"), ("1", "days")])
    text = answer["view"]["blocks"][0]["text"]["text"]
    assert "\nReminders changed.\n" in text and text.endswith("\n2 reminder emails are scheduled.")
    edit(stack, reminders=[("1", "days")])
    (meeting,) = stack.meetings_json()
    assert [r["offset_minutes"] for r in meeting["reminders"]] == [1440]
    stack.run_worker()

    start = datetime.fromisoformat(meeting["start"])
    assert len(reminder_mails_at(stack, start - timedelta(days=1))) == 1
    assert reminder_mails_at(stack, start - timedelta(hours=1)) == []  # the removed one


@pytest.mark.both_databases
def test_a_meeting_moved_away_and_back_reminds_once_at_its_time(stack: Stack) -> None:
    first = datetime.fromisoformat(book(stack)["start"])
    edit(stack, day=in_days(5))
    answer = edit(stack, day=in_days(4))  # back: the first reminder's job is queued again
    assert "1 reminder email is scheduled." in answer["view"]["blocks"][0]["text"]["text"]
    stack.run_worker()
    assert len(reminder_mails_at(stack, first - timedelta(hours=1))) == 1
    assert reminder_mails_at(stack, first + timedelta(days=1) - timedelta(hours=1)) == []


def test_adding_a_reminder_to_an_untouched_meeting_keeps_the_existing_one(stack: Stack) -> None:
    book(stack)
    edit(stack, reminders=[("1", "hours"), ("2", "hours")])
    (meeting,) = stack.meetings_json()
    start = datetime.fromisoformat(meeting["start"])
    stack.run_worker()
    assert len(reminder_mails_at(stack, start - timedelta(hours=2))) == 1
    assert len(reminder_mails_at(stack, start - timedelta(hours=1))) == 1


def test_a_reminder_whose_time_passed_while_the_worker_was_down_is_dropped(
    stack: Stack,
) -> None:
    booked = book(stack)
    stack.smtp.clear()
    stack.clock.set(datetime.fromisoformat(booked["end"]) + timedelta(hours=1))
    stack.run_worker()
    assert stack.smtp.messages == []  # no "upcoming meeting" after it ended
    (meeting,) = stack.meetings_json()
    assert [r["status"] for r in meeting["reminders"]] == ["dropped"]
    with stack.services.sessions() as session:
        (job,) = session.scalars(select(JobModel).where(JobModel.kind == JobKind.REMIND)).all()
        assert job.status == "dropped" and "already started" in (job.last_error or "")
    (prompt,) = stack.slack.calls("chat.postMessage")[1:]  # the outcome prompt still comes
    assert prompt.args["channel"] == HOST


def test_a_late_reminder_says_how_soon_in_each_readers_language(stack: Stack) -> None:
    values = meet_values(
        record=jane(stack),
        day=in_days(4),
        at="10:00",
        title="Pricing call",
        attendees=contacts(stack, "Jane Doe", "Zofia Żółć"),
        reminders=[("1", "days")],
    )
    assert submit(stack, open_form(stack), values).json()["response_action"] == "update"
    stack.run_worker()
    (meeting,) = stack.meetings_json()
    stack.smtp.clear()
    stack.clock.set(datetime.fromisoformat(meeting["start"]) - timedelta(minutes=10))
    stack.run_worker()
    bodies = {m.rcpt_tos[0]: plain_body(m) for m in stack.smtp.wait_for(2)}
    assert bodies["jane@acme.example"].startswith("Your meeting starts in 10 minutes.")
    assert bodies["zofia@acme.example"].startswith("Spotkanie zaczyna się za 10 minut.")
    assert [r["status"] for r in stack.meetings_json()[0]["reminders"]] == ["sent"]


def outcome_labels(message: dict[str, Any]) -> list[str]:
    return [
        e["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("outcome_")
    ]


def test_the_prompt_nudge_and_digest_offer_the_workspaces_own_outcomes(stack: Stack) -> None:
    assert admin_settings(stack, outcomes="Demo booked\nUmowa złożona") == {}
    stack.slack.clear()
    end = datetime.fromisoformat(book(stack)["end"])
    ours = ["Completed", "Rescheduled", "No show", "Canceled", "Demo Booked", "Umowa Złożona"]

    stack.slack.clear()
    stack.clock.set(end + timedelta(minutes=5))
    stack.run_worker()
    (prompt,) = stack.slack.calls("chat.postMessage")
    assert outcome_labels(prompt.args) == ours
    stack.clock.set(end + timedelta(days=4))
    stack.run_worker()
    nudge = stack.slack.calls("chat.postMessage")[-1].args
    assert nudge["text"].startswith("Reminder:") and outcome_labels(nudge) == ours
    stack.clock.set(stack.clock.now() + timedelta(days=4))
    stack.run_worker()
    digest = stack.slack.calls("chat.postMessage")[-1].args
    assert "still need an outcome" in digest["text"] and outcome_labels(digest) == ours

    (meeting,) = stack.meetings_json()
    clicked = button(digest, "outcome_custom_5")
    assert clicked["text"]["text"] == "Umowa Złożona"
    stack.client.interact(
        block_actions(
            clicked["action_id"],
            clicked["value"],
            block_id=f"digest_outcome_{meeting['id']}",
            user_id=HOST,
        )
    )
    stack.slack.wait_for("chat.update")
    assert stack.meetings_json()[0]["outcome"] == "UMOWA_ZŁOŻONA"
    assert_all_views_valid(stack.slack)


def cancel_from_the_confirmation(stack: Stack) -> str:
    """Click Cancel on the confirmation DM; the text the message then shows."""
    cancel = button(stack.slack.wait_for("chat.postMessage")[0].args, "meeting_cancel")
    stack.client.interact(
        block_actions(cancel["action_id"], cancel["value"], block_id="manage", user_id=HOST)
    )
    return str(stack.slack.wait_for("chat.update")[-1].args["blocks"])


def test_the_cancellation_message_says_whether_any_attendee_is_emailed(stack: Stack) -> None:
    values = meet_values(
        record=jane(stack),
        day=in_days(4),
        at="10:00",
        title="Call John",
        attendees=contacts(stack, "John Nomail"),
    )
    assert submit(stack, open_form(stack), values).json()["response_action"] == "update"
    stack.run_worker()
    text = cancel_from_the_confirmation(stack)
    assert "No attendee was emailed" in text and "Attendees get a cancellation" not in text
    assert_all_views_valid(stack.slack)


def test_invited_attendees_are_said_to_get_the_cancellation(stack: Stack) -> None:
    book(stack)
    text = cancel_from_the_confirmation(stack)
    assert "Attendees get a cancellation" in text and "No attendee" not in text


def test_an_outcome_set_in_the_edit_form_shows_in_the_outcome_dm(stack: Stack) -> None:
    """The DM that asked how it went shows the outcome recorded from the Edit form, as a
    click on its own buttons would, instead of offering buttons for it."""
    booked = book(stack)
    stack.clock.set(datetime.fromisoformat(booked["end"]) + timedelta(minutes=5))
    stack.run_worker()
    stack.run_worker()

    def outcome_dm() -> dict[str, Any]:
        (dm,) = [
            m
            for m in stack.slack.messages()
            if {b.get("block_id") for b in m.get("blocks") or []} & {"outcome", "outcome_set"}
        ]
        return dm

    assert "outcome" in {b["block_id"] for b in outcome_dm()["blocks"]}  # the buttons
    values = meet_values(
        record=jane(stack),
        day=in_days(4),
        at="10:00",
        title="Pricing call",
        attendees=contacts(stack, "Jane Doe"),
        reminders=[("1", "hours")],
    )
    values["outcome"] = {"outcome_select": select_value("COMPLETED")}
    answer = submit(stack, open_edit_form(stack), values).json()
    assert answer["response_action"] == "update", answer
    stack.wait_until(lambda: "outcome_set" in {b["block_id"] for b in outcome_dm()["blocks"]})
    blocks = {b["block_id"]: b for b in outcome_dm()["blocks"]}
    assert "outcome" not in blocks  # no buttons left for an outcome already recorded
    assert blocks["outcome_set"]["text"]["text"] == "Outcome: *Completed*"
    assert blocks["outcome_set"]["accessory"]["text"]["text"] == "Change"
    assert_all_views_valid(stack.slack)
