"""Booking from where the rep already is: a message about the customer (the "Schedule a
meeting" message shortcut), a record's timeline (its button), and the outcome set in
the Edit form, as a CRM's meeting dialog has it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from tests.e2e.forms import meet_values
from tests.e2e.test_manage_flow import book, button
from tests.e2e.test_schedule_flow import WARSAW, contacts, jane, open_form, submit
from tests.e2e.test_team_flow import admin_settings
from tests.support.blockkit import assert_all_views_valid, validate_blocks
from tests.support.slack_requests import block_actions, message_shortcut, select_value
from tests.support.stack import HOST, TEAMMATE, Stack

THREAD = "1765000000.000100"


def opened_form(stack: Stack, count: int) -> dict[str, Any]:
    """The form a click or shortcut opened: the views.update after the views.open."""
    opened = stack.slack.wait_for("views.open", count=count + 1)[-1]
    form = stack.slack.wait_for(
        "views.update",
        predicate=lambda c: (
            c.args["view"].get("callback_id") == "meet_form"
            and "record" in json.dumps(c.args["view"]["blocks"])
            and c.args.get("view_id") == opened.body["view"]["id"]
        ),
    )[-1]
    return form.view | {"id": opened.body["view"]["id"]}


def blocks_by_id(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"]}


def test_a_message_shortcut_books_from_the_message_and_answers_in_its_thread(
    stack: Stack,
) -> None:
    count = len(stack.slack.calls("views.open"))
    message = {
        "user": TEAMMATE,
        "ts": "1765000100.000200",
        "thread_ts": THREAD,
        "text": "<@U2> says Jane Doe wants a demo tomorrow at 3pm, 45 min. <https://acme.example|Site>",
    }
    stack.client.interact(message_shortcut("schedule_from_message", message, "C42", HOST))
    view = opened_form(stack, count)
    blocks = blocks_by_id(view)
    assert blocks["record"]["element"]["initial_option"]["value"] == jane(stack)[0]
    tomorrow = (datetime.now(WARSAW) + timedelta(days=1)).date()
    assert blocks["date"]["element"]["initial_date"] == tomorrow.isoformat()
    assert blocks["time"]["element"]["initial_time"] == "15:00"
    assert blocks["duration"]["element"]["initial_option"]["value"] == "45"
    assert "notices" not in blocks  # everything in the message was read

    values = meet_values(
        record=jane(stack),
        day=tomorrow,
        at="15:00",
        duration="45",
        title="Demo for Jane",
        attendees=contacts(stack, "Jane Doe"),
    )
    assert submit(stack, view, values).json()["response_action"] == "update"
    posted = stack.slack.wait_for("chat.postMessage", count=2)
    (thread,) = [c.args for c in posted if c.args["channel"] == "C42"]
    (dm,) = [c.args for c in posted if c.args["channel"] != "C42"]
    assert thread["thread_ts"] == THREAD and "Demo for Jane" in thread["text"]
    validate_blocks(thread["blocks"])
    # The channel (maybe shared with the customer) gets no Edit/Cancel; the DM has them.
    assert "meeting_edit" not in json.dumps(thread["blocks"])
    assert "meeting_edit" in json.dumps(dm["blocks"]) and "thread_ts" not in dm
    (meeting,) = stack.meetings_json()
    assert meeting["duration_minutes"] == 45 and meeting["organizer"] == HOST
    assert_all_views_valid(stack.slack)


def test_a_forged_channel_or_thread_books_the_meeting_but_posts_nothing_there(
    stack: Stack,
) -> None:
    """The metadata comes back as the member's client sent it. A channel and thread this
    server did not seal for them (bot.form_seal) still book the meeting, with its DM, but
    the bot posts nothing where they point."""
    # A /meet form (typed in C1, no message) made to name a thread in another channel.
    typed = open_form(stack)
    meta = json.loads(typed["private_metadata"])
    forged = typed | {"private_metadata": json.dumps(meta | {"ch": "CGENERAL", "th": THREAD})}
    # A genuine shortcut form, its thread swapped for a message the member never saw.
    count = len(stack.slack.calls("views.open"))
    message = {"user": TEAMMATE, "ts": THREAD, "text": "Jane Doe wants a demo"}
    stack.client.interact(message_shortcut("schedule_from_message", message, "C42", HOST))
    shortcut = opened_form(stack, count)
    meta = json.loads(shortcut["private_metadata"])
    assert (meta["ch"], meta["th"]) == ("C42", THREAD) and "cs" in meta
    swapped = shortcut | {"private_metadata": json.dumps(meta | {"th": "1765000999.000100"})}

    tomorrow = (datetime.now(WARSAW) + timedelta(days=1)).date()
    for at, title, view in (
        ("10:00", "Forged channel", forged),
        ("12:00", "Other thread", swapped),
    ):
        values = meet_values(
            record=jane(stack),
            day=tomorrow,
            at=at,
            title=title,
            attendees=contacts(stack, "Jane Doe"),
        )
        assert submit(stack, view, values).json()["response_action"] == "update"
    # Each Save posts in the thread first (when it may), then DMs the booker.
    posted = stack.slack.wait_for("chat.postMessage", count=2)
    assert [(c.args["channel"], "thread_ts" in c.args) for c in posted] == [(HOST, False)] * 2
    assert sorted(m["title"] for m in stack.meetings_json()) == ["Forged channel", "Other thread"]


def test_a_message_naming_no_record_says_so_and_guesses_nothing(stack: Stack) -> None:
    count = len(stack.slack.calls("views.open"))
    message = {"user": TEAMMATE, "ts": "1765000300.000100", "text": "Can We talk Friday?"}
    stack.client.interact(message_shortcut("schedule_from_message", message, "C42", HOST))
    view = opened_form(stack, count)
    blocks = blocks_by_id(view)
    assert "initial_option" not in blocks["record"]["element"]
    assert "names no record" in json.dumps(blocks["notices"])


def test_the_timeline_reply_books_another_meeting_on_its_record(stack: Stack) -> None:
    book(stack)
    reply = stack.client.command("timeline Jane Doe", user_id=HOST).json()
    validate_blocks(reply["blocks"])
    schedule = button(reply, "book_on_record")
    count = len(stack.slack.calls("views.open"))
    stack.client.interact(
        block_actions(schedule["action_id"], schedule["value"], block_id="book", user_id=HOST)
    )
    blocks = blocks_by_id(opened_form(stack, count))
    assert blocks["record"]["element"]["initial_option"]["value"] == jane(stack)[0]
    attendees = blocks["attendees"]["element"]["initial_options"]
    assert [o["value"] for o in attendees] == [contacts(stack, "Jane Doe")[0][0]]

    # A value not of this workspace (forged, or a record deleted since) picks nothing.
    count = len(stack.slack.calls("views.open"))
    stack.client.interact(
        block_actions("book_on_record", "r:999999", block_id="book", user_id=HOST)
    )
    blocks = blocks_by_id(opened_form(stack, count))
    assert "initial_option" not in blocks["record"]["element"]
    assert "no longer exists" in json.dumps(blocks["notices"])
    assert_all_views_valid(stack.slack)


def test_the_edit_form_records_the_outcome_with_the_workspaces_own(stack: Stack) -> None:
    assert admin_settings(stack, outcomes="Demo booked") == {}
    meeting = book(stack)
    confirmation = stack.slack.wait_for("chat.postMessage")[0].args
    edit = button(confirmation, "meeting_edit")
    count = len(stack.slack.calls("views.open"))
    stack.client.interact(
        block_actions(edit["action_id"], edit["value"], block_id="manage", user_id=HOST)
    )
    view = opened_form(stack, count)
    outcome = blocks_by_id(view)["outcome"]["element"]
    assert outcome["initial_option"]["value"] == "SCHEDULED"
    offered = {o["value"]: o["text"]["text"] for o in outcome["options"]}
    assert offered["COMPLETED"] == "Completed" and offered["DEMO_BOOKED"] == "Demo Booked"

    start = datetime.fromisoformat(meeting["start"]).astimezone(WARSAW)
    values = meet_values(
        record=jane(stack),
        day=start.date(),
        at=start.strftime("%H:%M"),
        duration="30",
        title="Pricing call",
        attendees=contacts(stack, "Jane Doe"),
        reminders=[("1", "hours")],
    )
    values["outcome"] = {"outcome_select": select_value("DEMO_BOOKED")}
    saved = submit(stack, view, values).json()
    assert saved["response_action"] == "update", saved
    (stored,) = stack.meetings_json()
    assert stored["outcome"] == "DEMO_BOOKED" and stored["title"] == "Pricing call"
    timeline = stack.services.meetings.timeline("T0001", stack.record_id("Jane Doe"))
    assert [e.data.get("outcome") for e in timeline if e.kind == "outcome_set"] == ["DEMO_BOOKED"]
    assert_all_views_valid(stack.slack)
