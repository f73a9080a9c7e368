"""After booking: edit (reschedule), cancel and App Home, through the real app."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers.jobs import JobKind
from handlers.meetings import Attendee, AttendeeKind
from storage.models import JobModel, TimelineEntryModel
from tests.e2e.forms import meet_values
from tests.e2e.test_next_meeting import OTHER_TEAM, store_meeting
from tests.e2e.test_schedule_flow import (
    WARSAW,
    calendar_part,
    contacts,
    in_days,
    jane,
    open_form,
    submit,
)
from tests.support.blockkit import assert_all_views_valid
from tests.support.slack_requests import block_actions, event_body
from tests.support.stack import HOST, TEAMMATE, Stack
from tests.support.view_state import LabelledForm


def book(stack: Stack) -> dict[str, Any]:
    view = open_form(stack)
    values = meet_values(
        record=jane(stack),
        day=in_days(4),
        at="10:00",
        duration="30",
        title="Pricing call",
        attendees=contacts(stack, "Jane Doe"),
        reminders=[("1", "hours")],
    )
    assert submit(stack, view, values).json()["response_action"] == "update"
    stack.run_worker()
    stack.smtp.wait_for(2)
    (meeting,) = stack.meetings_json()
    return meeting


def button(message: dict[str, Any], prefix: str) -> dict[str, Any]:
    return next(
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith(prefix)
    )


def open_edit_form(stack: Stack) -> dict[str, Any]:
    """Click Edit on the first confirmation DM; the edit form as Slack shows it."""
    confirmation = stack.slack.wait_for("chat.postMessage")[0].args
    edit = button(confirmation, "meeting_edit")
    opened = len(stack.slack.calls("views.open"))
    stack.client.interact(
        block_actions(edit["action_id"], edit["value"], block_id="manage", user_id=HOST)
    )
    stack.slack.wait_for("views.open", count=opened + 1)
    form = stack.slack.wait_for(
        "views.update", predicate=lambda c: "Edit" in json.dumps(c.args["view"]["title"])
    )
    return form[-1].view | {"id": stack.slack.calls("views.open")[-1].body["view"]["id"]}


def test_edit_reschedules_reinvites_the_affected_and_cancels_the_removed(stack: Stack) -> None:
    meeting = book(stack)
    stack.smtp.clear()
    view = open_edit_form(stack)
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["date"]["element"]["initial_date"] == in_days(4).isoformat()
    assert blocks["time"]["element"]["initial_time"] == "10:00"
    assert blocks["rem_0"]["elements"][0]["initial_option"]["value"] == "1"

    values = meet_values(
        record=jane(stack),
        day=in_days(5),
        at="14:00",
        duration="30",
        title="Pricing call",
        attendees=contacts(stack, "Zofia Żółć"),
        reminders=[("1", "hours")],
    )
    resp = submit(stack, view, values)
    assert resp.json()["response_action"] == "update"
    said = resp.json()["view"]["blocks"][0]["text"]["text"].splitlines()
    assert said[1].startswith("Time changed: <!date^") and "Attendees changed." in said
    (edited,) = stack.meetings_json()
    assert edited["id"] == meeting["id"] and edited["uid"] == meeting["uid"]
    assert edited["sequence"] == 1
    new_start = datetime.combine(
        in_days(5), datetime.strptime("14:00", "%H:%M").time(), WARSAW
    ).astimezone(UTC)
    assert edited["start"] == new_start.isoformat()
    assert [r["due_at"] for r in edited["reminders"]] == [
        (new_start - timedelta(hours=1)).isoformat()
    ]

    stack.run_worker()
    mails = stack.smtp.wait_for(3)
    by_rcpt = {m.rcpt_tos[0]: calendar_part(m.message) for m in mails}
    assert set(by_rcpt) == {"zofia@acme.example", "anna@meetline.example", "jane@acme.example"}
    assert by_rcpt["jane@acme.example"][0] == "CANCEL"
    assert by_rcpt["zofia@acme.example"][0] == "REQUEST"
    subjects = {m.rcpt_tos[0]: str(m.message["Subject"]) for m in mails}
    assert subjects["zofia@acme.example"].startswith(
        "Zmienione zaproszenie:"
    )  # her record's language
    assert subjects["anna@meetline.example"].startswith(
        "Updated invitation sent:"
    )  # her organizer copy
    for _method, cal in by_rcpt.values():
        event = cal.walk("VEVENT")[0]
        assert str(event["UID"]) == meeting["uid"] and int(str(event["SEQUENCE"])) == 1
    with stack.services.sessions() as session:
        kinds = [
            e.kind
            for e in session.scalars(select(TimelineEntryModel).order_by(TimelineEntryModel.id))
        ]
        assert "meeting_scheduled" in kinds and "meeting_rescheduled" in kinds  # history kept
        old_reminders = session.scalars(
            select(JobModel).where(JobModel.kind == JobKind.REMIND)
        ).all()
        assert sorted(j.status for j in old_reminders) == ["cancelled", "queued"]
    assert_all_views_valid(stack.slack)


def test_a_guest_forged_from_another_meeting_or_workspace_is_refused_on_attendees(
    stack: Stack,
) -> None:
    """A guest (an address only) is looked up among the edited meeting's own attendees:
    the reference of another meeting's guest, in this workspace or another, added to the
    edit form's attendees is refused next to the field, and nothing is stored or mailed."""
    booked = book(stack)
    eve = Attendee(AttendeeKind.CONTACT, "Eve Elsewhere", "eve@elsewhere.example")
    ola = Attendee(AttendeeKind.CONTACT, "Ola Other", "ola@other.example")
    store_meeting(stack, "Eve's call", timedelta(days=2), attendees=(eve,))
    store_meeting(stack, "Their call", timedelta(days=2), team=OTHER_TEAM, attendees=(ola,))
    stack.smtp.clear()

    view = open_edit_form(stack)
    form = LabelledForm(view)
    form.type_text("Title", "Pricing call, with guests")
    shown = form.values["attendees"]["attendee_select"]["selected_options"]
    for forged in (eve, ola):
        option = {
            "text": {"type": "plain_text", "text": f"Guest: {forged.email}"},
            "value": f"e:{forged.guest_ref()}",
        }
        form.values["attendees"]["attendee_select"]["selected_options"] = [*shown, option]
        answer = submit(stack, view, form.values).json()
        assert answer == {
            "response_action": "errors",
            "errors": {
                "attendees": "One of the email guests is not invited to this meeting. Remove it."
            },
        }
    [meeting] = [m for m in stack.meetings_json() if m["id"] == booked["id"]]
    assert (meeting["title"], meeting["sequence"]) == ("Pricing call", 0)
    assert [a["email"] for a in meeting["attendees"]] == ["jane@acme.example"]
    stack.run_worker()
    assert stack.smtp.messages == []
    assert_all_views_valid(stack.slack)


def test_only_host_organizer_or_admin_may_edit_or_cancel(stack: Stack) -> None:
    book(stack)
    confirmation = stack.slack.wait_for("chat.postMessage")[0].args
    for prefix in ("meeting_edit", "meeting_cancel"):
        b = button(confirmation, prefix)
        stack.client.interact(
            block_actions(b["action_id"], b["value"], block_id="manage", user_id=TEAMMATE)
        )
    refusals = stack.slack.wait_for("chat.postEphemeral", count=2)
    assert all("Only the host" in c.args["text"] for c in refusals)
    assert stack.meetings_json()[0]["status"] == "scheduled"


@pytest.mark.both_databases
def test_cancel_sends_cancellations_drops_jobs_and_is_idempotent(stack: Stack) -> None:
    book(stack)
    stack.smtp.clear()
    confirmation = stack.slack.wait_for("chat.postMessage")[0].args
    cancel = button(confirmation, "meeting_cancel")
    assert cancel["confirm"]["confirm"]["text"] == "Cancel meeting"
    for _ in range(2):
        stack.client.interact(
            block_actions(cancel["action_id"], cancel["value"], block_id="manage", user_id=HOST)
        )
    stack.slack.wait_for("chat.update")
    (meeting,) = stack.meetings_json()
    assert meeting["status"] == "cancelled" and meeting["outcome"] == "CANCELED"
    assert meeting["reminders"] == []
    stack.run_worker()
    mails = stack.smtp.wait_for(2)
    assert sorted(m.rcpt_tos[0] for m in mails) == ["anna@meetline.example", "jane@acme.example"]
    for m in mails:
        method, cal = calendar_part(m.message)
        assert method == "CANCEL" and str(cal.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    # Time passes: no reminder and no outcome prompt for a cancelled meeting.
    stack.clock.set(datetime.fromisoformat(meeting["end"]) + timedelta(hours=1))
    stack.slack.clear()
    stack.run_worker()
    assert len(stack.smtp.messages) == 2
    assert stack.slack.calls("chat.postMessage") == []
    assert_all_views_valid(stack.slack)


def test_app_home_lists_upcoming_and_waiting_meetings(stack: Stack) -> None:
    meeting = book(stack)
    stack.client.post(
        event_body({"type": "app_home_opened", "user": HOST, "tab": "home"}, event_id="EvH1"),
        "application/json",
    )
    home = stack.slack.wait_for("views.publish")[-1].args["view"]
    ids = [b["block_id"] for b in home["blocks"]]
    assert f"up_{meeting['id']}" in ids and "awaiting_none" in ids
    assert_all_views_valid(stack.slack)


def test_timeline_command_shows_the_records_meetings(stack: Stack) -> None:
    book(stack)
    reply = stack.client.command("timeline Jane Doe", user_id=HOST).json()
    assert reply["response_type"] == "ephemeral"
    text = json.dumps(reply["blocks"])
    assert "Timeline: Jane Doe" in text and "Pricing call" in text
    assert (
        "assigned to <@U1>" in text and "created by <@U1>" in text and "outcome Scheduled" in text
    )
    missing = stack.client.command("timeline Nobody Such", user_id=HOST).json()
    assert "No record matches" in missing["text"]
    from tests.support.blockkit import validate_blocks

    validate_blocks(reply["blocks"])


def test_unanswered_outcome_gets_one_nudge_then_a_daily_digest(stack: Stack) -> None:
    meeting = book(stack)
    end = datetime.fromisoformat(meeting["end"])
    stack.clock.set(end + timedelta(minutes=5))
    stack.slack.clear()
    stack.run_worker()
    assert [c.args["channel"] for c in stack.slack.calls("chat.postMessage")] == [
        HOST
    ]  # the prompt
    # Nothing more that day; the next working morning in the host's zone: one nudge.
    stack.clock.advance(hours=2)
    stack.run_worker()
    assert len(stack.slack.calls("chat.postMessage")) == 1
    stack.clock.set(end + timedelta(days=4))
    stack.run_worker()
    posts = stack.slack.calls("chat.postMessage")
    assert len(posts) == 2 and posts[1].args["text"].startswith("Reminder:")
    nudge_at = stack.clock.now()
    stack.clock.set(nudge_at + timedelta(days=4))
    stack.run_worker()
    digest = stack.slack.calls("chat.postMessage")[-1].args
    assert "still need an outcome" in digest["text"]
    b = button(digest, "outcome_completed")
    stack.client.interact(
        block_actions(
            b["action_id"], b["value"], block_id=f"digest_outcome_{meeting['id']}", user_id=HOST
        )
    )
    updated = stack.slack.wait_for("chat.update")[-1].args
    assert "All caught up" in json.dumps(updated["blocks"])
    stack.clock.advance(days=3)
    count = len(stack.slack.calls("chat.postMessage"))
    stack.run_worker()
    assert (
        len(stack.slack.calls("chat.postMessage")) == count
    )  # the digest stops once all are answered
    assert_all_views_valid(stack.slack)


@pytest.mark.both_databases
def test_reminder_emails_follow_a_rescheduled_meeting(stack: Stack) -> None:
    def pricing_call(days: int) -> dict[str, Any]:
        return meet_values(
            record=jane(stack),
            day=in_days(days),
            at="10:00",
            duration="30",
            title="Pricing call",
            attendees=contacts(stack, "Jane Doe"),
            reminders=[("1", "hours")],
            description="Bring the Q3 numbers",
            include_description=True,
        )

    view = open_form(stack)
    values = pricing_call(4)
    assert submit(stack, view, values).json()["response_action"] == "update"
    stack.run_worker()
    stack.smtp.wait_for(2)
    (meeting,) = stack.meetings_json()
    first_due = datetime.fromisoformat(meeting["reminders"][0]["due_at"])

    # Move the meeting one day later before the first reminder is due.
    edit_view = open_edit_form(stack)
    assert (
        submit(
            stack,
            edit_view,
            values | pricing_call(5),
        ).json()["response_action"]
        == "update"
    )
    stack.run_worker()  # the updated invitations
    stack.smtp.clear()

    stack.clock.set(first_due + timedelta(minutes=1))
    stack.run_worker()
    assert stack.smtp.messages == []  # nothing at the old time

    (moved,) = stack.meetings_json()
    stack.clock.set(datetime.fromisoformat(moved["reminders"][0]["due_at"]) + timedelta(minutes=1))
    stack.run_worker()
    (mail,) = stack.smtp.wait_for(1)
    assert mail.rcpt_tos == ("jane@acme.example",)
    plain = mail.message.get_body(("plain",))
    assert plain is not None
    body = plain.get_content()
    assert "Bring the Q3 numbers" in body
    start_ny = datetime.fromisoformat(moved["start"]).astimezone(ZoneInfo("America/New_York"))
    assert start_ny.strftime("%-I:%M") in body and "America/New_York" in body  # in Jane's own zone
    stack.clock.advance(minutes=10)
    stack.run_worker()
    assert len(stack.smtp.messages) == 1  # exactly once
