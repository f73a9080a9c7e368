"""What a customer receives, read from the SMTP server: the invitation, its update, the
reminder and the cancellation each name the host by their full Slack name and are in the
language the form chose for the contact; the host's own copy is the organizer's.

The form proposes the contact's language (their record's, else the host's), shows it
("Invitation in: Polski"), and the rep may change it; without a connected calendar the
form and the confirmation say the meeting goes out by email, with a Connect button.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from tests.e2e.forms import click, meet_values
from tests.e2e.test_manage_flow import book, button
from tests.e2e.test_polish import OLA, add_polish_user
from tests.e2e.test_promises import edit
from tests.e2e.test_schedule_flow import contacts, in_days, jane, open_form, submit
from tests.e2e.test_team_flow import set_user
from tests.support.blockkit import assert_all_views_valid
from tests.support.server import SECRET_KEY
from tests.support.slack_requests import block_actions
from tests.support.smtp_sink import ReceivedMail, calendar_part, plain_body
from tests.support.stack import HOST, Stack, running_stack

ZOFIA = "zofia@acme.example"
HOST_EMAIL = "anna@meetline.example"


@pytest.fixture
def stack(seeded_url: str, tmp_path: Path) -> Iterator[Stack]:
    """The served app with `SECRET_KEY` set, so calendars can be connected (and the form
    offers to when the host has none)."""
    with running_stack(seeded_url, tmp_path, {"SECRET_KEY": SECRET_KEY}, seeded=True) as running:
        yield running


def blocks_of(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"]}


def zofia_demo(stack: Stack, days: int, at: str) -> dict[str, Any]:
    """ "Demo" with Zofia in `days` at `at` (Warsaw), one reminder an hour before."""
    values: dict[str, Any] = meet_values(
        record=(f"r:{stack.record_id('Zofia Żółć')}", "Contact: Zofia Żółć"),
        day=in_days(days),
        at=at,
        title="Demo",
        attendees=contacts(stack, "Zofia Żółć"),
        reminders=[("1", "hours")],
    )
    return values


def organizer_cn(mail: ReceivedMail) -> str:
    return str(Calendar.from_ical(calendar_part(mail)).walk("VEVENT")[0]["ORGANIZER"].params["CN"])


def sent_by(mail: ReceivedMail) -> str:
    return str(mail.message["From"].addresses[0].display_name)


def only_to(mails: list[ReceivedMail], address: str) -> ReceivedMail:
    (mail,) = [m for m in mails if m.rcpt_tos == (address,)]
    return mail


def edit_form(stack: Stack, confirmation: dict[str, Any]) -> dict[str, Any]:
    edit = button(confirmation, "meeting_edit")
    count = len(stack.slack.calls("views.update"))
    stack.client.interact(
        block_actions(edit["action_id"], edit["value"], block_id="manage", user_id=HOST)
    )
    form = stack.slack.wait_for("views.update", count=count + 1)[-1].view
    return form | {"id": stack.slack.calls("views.open")[-1].body["view"]["id"]}


def test_a_polish_contact_reads_every_mail_in_polish_from_the_hosts_full_name(
    stack: Stack,
) -> None:
    view = open_form(stack, "Zofia Żółć")
    blocks = blocks_of(view)
    assert blocks["title"]["element"]["initial_value"] == "Zofia Żółć / Anna Host"
    # Her record's language, though Anna's is English.
    assert blocks["invitation_language"]["text"]["text"] == "Invitation in: *Polski*"
    assert blocks["invitation_language"]["accessory"]["text"]["text"] == "Send in English"
    notice = blocks["calendar_notice"]  # Anna has no calendar connected
    assert "Sent as email invitations; connect your calendar" in notice["text"]["text"]
    assert notice["accessory"]["text"]["text"] == "Connect"

    # Connect shows the calendar choices over the form.
    stack.client.interact(
        block_actions(
            "calendar_connect_prompt",
            "connect",
            block_id="calendar_notice",
            view=view,
            user_id=HOST,
        )
    )
    pushed = stack.slack.wait_for("views.push")[-1].body["view"]
    assert pushed["title"]["text"] == "Connect a calendar"
    assert "calendar_connect_caldav" in json.dumps(pushed["blocks"])

    saved = submit(stack, view, zofia_demo(stack, 3, "10:30")).json()
    assert "calendar_notice" in blocks_of(saved["view"])
    dm = stack.slack.wait_for("chat.postMessage", predicate=lambda c: c.args["channel"] == HOST)
    assert "calendar_notice" in json.dumps(dm[-1].args["blocks"])

    # The invitation: hers in Polish, from Anna Host; Anna's own is the organizer's copy.
    stack.run_worker()
    mails = stack.smtp.wait_for(2)
    invitation, own = only_to(mails, ZOFIA), only_to(mails, HOST_EMAIL)
    assert str(invitation.message["Subject"]).startswith("Zaproszenie: Demo @ ")
    assert plain_body(invitation).startswith("Otrzymujesz zaproszenie na to spotkanie.\n")
    assert f"Organizator: Anna Host <{HOST_EMAIL}>" in plain_body(invitation)
    assert (sent_by(invitation), organizer_cn(invitation)) == ("Anna Host", "Anna Host")
    assert str(own.message["Subject"]).startswith("Invitation sent: Demo @ ")
    assert "The invitation was sent to: Zofia Żółć." in plain_body(own)

    # The edit form proposes it again; moving the meeting sends her a Polish update.
    stack.smtp.clear()
    form = edit_form(stack, dm[-1].args)
    assert blocks_of(form)["invitation_language"]["text"]["text"] == "Invitation in: *Polski*"
    assert submit(stack, form, zofia_demo(stack, 4, "11:00")).json()["response_action"]
    stack.run_worker()
    update = only_to(stack.smtp.wait_for(2), ZOFIA)
    assert str(update.message["Subject"]).startswith("Zmienione zaproszenie: Demo @ ")
    assert plain_body(update).startswith("To spotkanie zostało zmienione.\n")
    assert (sent_by(update), organizer_cn(update)) == ("Anna Host", "Anna Host")

    # The reminder an hour before.
    stack.smtp.clear()
    (meeting,) = stack.meetings_json()
    assert meeting["invitation_language"] is None  # not picked: her record's, as proposed
    stack.clock.set(
        datetime.fromisoformat(meeting["reminders"][0]["due_at"]) + timedelta(minutes=1)
    )
    stack.run_worker()
    stack.run_worker()
    reminder = only_to(stack.smtp.wait_for(1), ZOFIA)
    assert str(reminder.message["Subject"]).startswith("Przypomnienie: Demo")
    assert f"Organizator: Anna Host <{HOST_EMAIL}>" in plain_body(reminder)
    assert sent_by(reminder) == "Anna Host"

    # The cancellation.
    stack.smtp.clear()
    cancel = button(dm[-1].args, "meeting_cancel")
    stack.client.interact(
        block_actions(cancel["action_id"], cancel["value"], block_id="manage", user_id=HOST)
    )
    stack.wait_until(lambda: stack.meetings_json()[0]["status"] == "cancelled")
    stack.run_worker()
    cancelled = only_to(stack.smtp.wait_for(2), ZOFIA)
    assert str(cancelled.message["Subject"]).startswith("Odwołane: Demo @ ")
    assert plain_body(cancelled).startswith("To spotkanie zostało odwołane.\n")
    assert (sent_by(cancelled), organizer_cn(cancelled)) == ("Anna Host", "Anna Host")
    assert_all_views_valid(stack.slack)


def test_the_rep_changes_the_proposed_language(stack: Stack) -> None:
    """Jane's record names no language, so a Polish rep is offered Polish; she sends
    English instead, and Jane reads English with Ola's full name."""
    add_polish_user(stack)
    stack.client.command("Jane Doe", user_id=OLA)
    view = stack.slack.wait_for("views.update")[-1].view | {
        "id": stack.slack.wait_for("views.open")[-1].body["view"]["id"]
    }
    language = blocks_of(view)["invitation_language"]
    assert language["text"]["text"] == "Zaproszenie w języku: *Polski*"
    change = language["accessory"]
    assert change["text"]["text"] == "Wyślij po angielsku"
    count = len(stack.slack.calls("views.update"))
    stack.client.interact(
        block_actions(
            change["action_id"], change["value"], "invitation_language", user_id=OLA, view=view
        )
    )
    view = stack.slack.wait_for("views.update", count=count + 1)[-1].view | {"id": view["id"]}
    language = blocks_of(view)["invitation_language"]
    assert language["text"]["text"] == "Zaproszenie w języku: *English*"
    assert language["accessory"]["text"]["text"] == "Wyślij po polsku"
    values = meet_values(
        record=(f"r:{stack.record_id('Jane Doe')}", "Kontakt: Jane Doe"),
        day=in_days(3),
        at="10:30",
        title="Demo",
        attendees=contacts(stack, "Jane Doe"),
    )
    assert submit(stack, view, values, user=OLA).status == 200
    (meeting,) = stack.meetings_json()
    assert meeting["invitation_language"] == "en"  # picked: kept for every later mail
    stack.run_worker()
    mails = stack.smtp.wait_for(2)
    jane = only_to(mails, "jane@acme.example")
    assert str(jane.message["Subject"]).startswith("Invitation: Demo @ ")
    assert "Organizer: Ola Nowak <ola@meetline.example>" in plain_body(jane)
    assert str(only_to(mails, "ola@meetline.example").message["Subject"]).startswith(
        "Wysłano zaproszenie: Demo @ "
    )
    assert_all_views_valid(stack.slack)


def test_an_edit_that_adds_a_contact_names_who_is_mailed_and_says_it_goes_by_email(
    stack: Stack,
) -> None:
    """Anna (no calendar) adds Zofia to a booked call with Jane: only Zofia and Anna get
    the updated invitation, and the confirmation says exactly that, with the same
    email-only notice and Connect button as after the booking."""
    book(stack)  # with Jane; her invitation and Anna's copy went out
    stack.smtp.clear()
    saved = edit(stack, attendees=contacts(stack, "Jane Doe", "Zofia Żółć"))
    (form,) = [
        c.args["view"]
        for c in stack.slack.calls("views.update")
        if c.args["view"]["title"]["text"] == "Edit meeting"
    ]
    assert "calendar_notice" in blocks_of(form)
    lines = saved["view"]["blocks"][0]["text"]["text"].splitlines()
    assert "Attendees changed." in lines
    assert "Updated invitations are on their way to: Zofia Żółć." in lines
    notice = blocks_of(saved["view"])["calendar_notice"]
    assert "Sent as email invitations; connect your calendar" in notice["text"]["text"]
    dm = stack.slack.wait_for("chat.postMessage", count=2)[-1].args
    assert dm["channel"] == HOST and "calendar_notice" in json.dumps(dm["blocks"])
    stack.run_worker()
    mailed = sorted(m.rcpt_tos for m in stack.smtp.wait_for(2))
    assert mailed == [(HOST_EMAIL,), (ZOFIA,)]
    assert_all_views_valid(stack.slack)


def test_booking_for_a_polish_teammate_proposes_polish(stack: Stack) -> None:
    """Anna (English) books Jane (her record names no language) for Ola (Polish): the
    form proposes the host's language, as the mails will use it; back to Anna, English."""
    add_polish_user(stack)
    view = open_form(stack, "Jane Doe")
    assert blocks_of(view)["invitation_language"]["text"]["text"] == "Invitation in: *English*"
    values = meet_values(
        record=jane(stack), day=in_days(3), at="10:30", attendees=contacts(stack, "Jane Doe")
    )
    view = click(stack, view, values, "more_options", "more")

    def pick_host(view: dict[str, Any], host: str) -> dict[str, Any]:
        count = len(stack.slack.calls("views.update"))
        picked = values | {"host": {"host_select": {"type": "users_select", "selected_user": host}}}
        stack.client.interact(
            block_actions(
                "host_select",
                block_id="host",
                view=view | {"state": {"values": picked}},
                user_id=HOST,
                action_type="users_select",
                action={"selected_user": host},
            )
        )
        return stack.slack.wait_for("views.update", count=count + 1)[-1].view | {"id": view["id"]}

    view = pick_host(view, OLA)
    assert blocks_of(view)["invitation_language"]["text"]["text"] == "Invitation in: *Polski*"
    assert blocks_of(view)["host"]["element"]["initial_user"] == OLA
    view = pick_host(view, HOST)
    assert blocks_of(view)["invitation_language"]["text"]["text"] == "Invitation in: *English*"
    assert_all_views_valid(stack.slack)


def test_an_admin_editing_a_polish_hosts_meeting_sees_the_hosts_language(stack: Stack) -> None:
    """Ola (Polish) booked Jane (no language on her record), so Jane reads Polish; Anna,
    an English admin, opens the edit form: it says so rather than proposing English."""
    add_polish_user(stack)
    set_user(stack, HOST, "--admin")
    stack.client.command("Jane Doe", user_id=OLA)
    view = stack.slack.wait_for("views.update")[-1].view | {
        "id": stack.slack.wait_for("views.open")[-1].body["view"]["id"]
    }
    values = meet_values(
        record=(f"r:{stack.record_id('Jane Doe')}", "Kontakt: Jane Doe"),
        day=in_days(3),
        at="10:30",
        attendees=contacts(stack, "Jane Doe"),
    )
    assert submit(stack, view, values, user=OLA).status == 200
    confirmation = stack.slack.wait_for("chat.postMessage")[-1].args
    edit = button(confirmation, "meeting_edit")
    count = len(stack.slack.calls("views.update"))
    stack.client.interact(
        block_actions(edit["action_id"], edit["value"], block_id="manage", user_id=HOST)
    )
    form = stack.slack.wait_for("views.update", count=count + 1)[-1].view
    assert form["title"]["text"] == "Edit meeting"  # in Anna's language
    assert blocks_of(form)["invitation_language"]["text"]["text"] == "Invitation in: *Polski*"
    assert_all_views_valid(stack.slack)
