"""Scheduling end to end: the modal's submission, the rules, one meeting per submission,
invitations through a real SMTP server, the timeline, mentions and the outcome prompt."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from storage.models import JobModel, TimelineEntryModel
from tests.e2e.forms import meet_values, rich_text_with_mentions
from tests.support.blockkit import assert_all_views_valid
from tests.support.slack_requests import block_actions, view_submission
from tests.support.smtp_sink import ics_bytes
from tests.support.stack import GONE, HOST, TEAMMATE, Stack

WARSAW = ZoneInfo("Europe/Warsaw")


def open_form(stack: Stack, text: str = "") -> dict[str, Any]:
    """`/meet TEXT`: the full form this command brought (not an earlier one)."""
    count = len(stack.slack.calls("views.update"))
    stack.client.command(text, user_id=HOST)
    view = stack.slack.wait_for("views.update", count=count + 1)[-1].view
    return view | {"id": stack.slack.wait_for("views.open")[-1].body["view"]["id"]}


def submit(stack: Stack, view: dict[str, Any], values: dict[str, Any], user: str = HOST) -> Any:
    payload = view_submission(
        view["id"],
        "meet_form",
        values,
        private_metadata=view["private_metadata"],
        view=view,
        user_id=user,
    )
    return stack.client.interact(payload)


def reshape(
    stack: Stack, view: dict[str, Any], values: dict[str, Any], action_id: str, block_id: str
) -> dict[str, Any]:
    """The user picks something that changes the form's shape (a dispatch action)."""
    count = len(stack.slack.calls("views.update"))
    current = view | {"state": {"values": values}}
    stack.client.interact(
        block_actions(
            action_id,
            block_id=block_id,
            view=current,
            selected_option=values[block_id][action_id]["selected_option"],
            user_id=HOST,
        )
    )
    updated = stack.slack.wait_for("views.update", count=count + 1)[-1].view
    return updated | {"id": view["id"]}


def in_days(days: int) -> date:
    return (datetime.now(WARSAW) + timedelta(days=days)).date()


def jane(stack: Stack) -> tuple[str, str]:
    return (f"r:{stack.record_id('Jane Doe')}", "Contact: Jane Doe")


def contacts(stack: Stack, *names: str) -> list[tuple[str, str]]:
    return [(f"c:{stack.record_id(n)}", n) for n in names]


def calendar_part(message: EmailMessage) -> tuple[str, icalendar.Calendar]:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return str(part.get_param("method")), icalendar.Calendar.from_ical(ics_bytes(part))
    raise AssertionError("no text/calendar part")


@pytest.mark.both_databases
def test_save_books_one_meeting_and_mails_invitations(stack: Stack) -> None:
    view = open_form(stack, "Jane Doe")
    values = meet_values(
        record=jane(stack),
        day=in_days(3),
        at="10:30",
        duration="45",
        title="Demo for Acme",
        attendees=contacts(stack, "Jane Doe", "John Nomail"),
        location="phone",
        detail="+48 22 123 45 67",
        reminders=[("1", "days"), ("30", "minutes")],
        description="Agenda: pricing",
        include_description=True,
    )
    first = submit(stack, view, values)
    assert first.status == 200
    assert first.json()["response_action"] == "update"
    assert "John Nomail" in json.dumps(first.json())  # named as not invited
    again = submit(stack, view, values)  # Slack retry / double click
    assert again.status == 200
    meetings = stack.meetings_json()
    assert len(meetings) == 1
    meeting = meetings[0]
    start = datetime.combine(in_days(3), datetime.strptime("10:30", "%H:%M").time(), WARSAW)
    assert meeting["start"] == start.astimezone(UTC).isoformat()
    assert meeting["duration_minutes"] == 45
    assert meeting["location"] == {"kind": "phone", "detail": "+48 22 123 45 67", "provider": None}
    assert sorted(r["offset_minutes"] for r in meeting["reminders"]) == [30, 1440]
    dm = stack.slack.wait_for("chat.postMessage")
    assert len(dm) == 1 and "John Nomail" in dm[0].args["text"]

    stack.run_worker()
    mails = stack.smtp.wait_for(2)
    rcpts = sorted(r for m in mails for r in m.rcpt_tos)
    assert rcpts == ["anna@meetline.example", "jane@acme.example"]
    method, cal = calendar_part(mails[0].message)
    assert method == "REQUEST"
    event = cal.walk("VEVENT")[0]
    assert str(event["UID"]) == meeting["uid"]
    assert int(str(event["SEQUENCE"])) == 0
    assert event.decoded("DTSTART") == start.astimezone(UTC)
    assert "Agenda: pricing" in str(event["DESCRIPTION"])
    assert "mailto:anna@meetline.example" in str(event["ORGANIZER"])
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:jane@acme.example"]
    stack.run_worker()
    assert len(stack.smtp.messages) == 2  # nothing sent twice
    assert_all_views_valid(stack.slack)


def test_rules_put_each_error_next_to_its_field(stack: Stack) -> None:
    view = open_form(stack)
    past = meet_values(
        record=jane(stack),
        day=in_days(-1),
        at="10:00",
        attendees=[],
        location="phone",
        detail="12",
        title=" ",
    )
    view = reshape(stack, view, past, "location_kind_select", "location_kind")
    assert "loc_phone" in [b["block_id"] for b in view["blocks"]]
    resp = submit(stack, view, past)
    errors = resp.json()["errors"]
    assert set(errors) == {"date", "attendees", "loc_phone", "title"}
    assert "future" in errors["date"]
    none = meet_values(
        record=None,
        day=None,
        at=None,
        attendees=contacts(stack, "Jane Doe"),
        location="in_person",
        detail="",
    )
    view = reshape(stack, view, none, "location_kind_select", "location_kind")
    errors = submit(stack, view, none).json()["errors"]
    assert set(errors) == {"record", "date", "time", "loc_address"}
    assert stack.meetings_json() == []


def test_a_wall_time_skipped_by_dst_is_refused(stack: Stack) -> None:
    view = open_form(stack)
    # Europe/Warsaw springs forward on the last Sunday of March: 02:30 does not exist.
    year = datetime.now(WARSAW).year + 1
    last_sunday = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)
    values = meet_values(
        record=jane(stack), day=last_sunday, at="02:30", attendees=contacts(stack, "Jane Doe")
    )
    errors = submit(stack, view, values).json()["errors"]
    assert "does not exist" in errors["time"]


def test_reminders_already_past_are_dropped_with_a_warning(stack: Stack) -> None:
    view = open_form(stack)
    soon = datetime.now(WARSAW) + timedelta(hours=2)
    values = meet_values(
        record=jane(stack),
        day=soon.date(),
        at=soon.strftime("%H:%M"),
        attendees=contacts(stack, "Jane Doe"),
        reminders=[("1", "days"), ("15", "minutes")],
    )
    resp = submit(stack, view, values)
    assert resp.json()["response_action"] == "update"
    assert "dropped" in json.dumps(resp.json())
    (meeting,) = stack.meetings_json()
    assert [r["offset_minutes"] for r in meeting["reminders"]] == [15]


@pytest.mark.both_databases
def test_mail_server_down_delays_invitations_and_loses_none(stack: Stack) -> None:
    view = open_form(stack)
    values = meet_values(
        record=jane(stack), day=in_days(5), at="09:00", attendees=contacts(stack, "Jane Doe")
    )
    stack.smtp.stop()
    resp = submit(stack, view, values)
    assert resp.status == 200 and resp.elapsed < 3
    stats = stack.run_worker()
    assert stats.retried == 2 and stack.smtp.messages == []  # both invitations wait for the server
    stack.smtp.start()
    stack.clock.advance(minutes=5)
    stack.run_worker()
    assert sorted(r for m in stack.smtp.wait_for(2) for r in m.rcpt_tos) == [
        "anna@meetline.example",
        "jane@acme.example",
    ]
    stack.clock.advance(hours=2)
    stack.run_worker()
    assert len(stack.smtp.messages) == 2


def test_timeline_mentions_and_outcome_prompt(stack: Stack) -> None:
    view = open_form(stack)
    notes = rich_text_with_mentions("Bring the <!channel> contract", TEAMMATE, GONE, "UOUTSIDE")
    values = meet_values(
        record=jane(stack),
        day=in_days(2),
        at="11:00",
        attendees=contacts(stack, "Jane Doe"),
        notes=notes,
        associated=[(f"r:{stack.record_id('Acme renewal')}", "Deal")],
    )
    assert submit(stack, view, values).json()["response_action"] == "update"
    (meeting,) = stack.meetings_json()
    with stack.services.sessions() as session:
        entries = session.scalars(select(TimelineEntryModel)).all()
        assert sorted(e.record_id for e in entries) == sorted(
            [stack.record_id("Jane Doe"), stack.record_id("Acme renewal")]
        )
        assert all(e.actor_user_id == HOST and e.data["host"] == HOST for e in entries)
    stack.slack.clear()
    stack.run_worker()
    dms = stack.slack.wait_for("chat.postMessage")
    assert [c.args["channel"] for c in dms] == [TEAMMATE]
    assert "&lt;!channel&gt;" in json.dumps(dms[0].args["blocks"])

    # After the end, the host is asked for the outcome.
    stack.clock.set(datetime.fromisoformat(meeting["end"]) + timedelta(minutes=1))
    stack.slack.clear()
    stack.run_worker()
    prompt = stack.slack.wait_for("chat.postMessage")[0]
    assert prompt.args["channel"] == HOST
    buttons = [e for b in prompt.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == [
        "Completed",
        "Rescheduled",
        "No show",
        "Canceled",
    ]
    completed = next(b for b in buttons if b["action_id"].startswith("outcome_completed"))

    other = stack.client.interact(
        block_actions(
            completed["action_id"], completed["value"], block_id="outcome", user_id=TEAMMATE
        )
    )
    assert other.status == 200
    assert "Only" in stack.slack.wait_for("chat.postEphemeral")[0].args["text"]
    assert stack.meetings_json()[0]["outcome"] == "SCHEDULED"

    for _ in range(2):  # a double click records one outcome
        stack.client.interact(
            block_actions(
                completed["action_id"], completed["value"], block_id="outcome", user_id=HOST
            )
        )
    stack.slack.wait_for("chat.update", count=2)
    assert stack.meetings_json()[0]["outcome"] == "COMPLETED"
    with stack.services.sessions() as session:
        kinds = [e.kind for e in session.scalars(select(TimelineEntryModel))]
        assert kinds.count("outcome_set") == 2  # one per associated record, once
        assert session.scalars(select(JobModel).where(JobModel.status == "failed")).all() == []
    assert_all_views_valid(stack.slack)
