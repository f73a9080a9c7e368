"""The /meet modal keeps what the user typed: a form built from a state, submitted by Slack
unchanged, reads back as the same state (`bot.views.meet_modal` -> `bot.views.form_payload`),
and the edit form of a stored meeting saved unchanged asks for that same meeting.

`submitted_values` is what Slack puts in `view.state.values` when the user touches nothing:
each input element's initial value under its block and action id.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.views.form_payload import parse_state
from bot.views.meet_modal import meet_form_view
from bot.views.meet_state import FormState, from_meeting, to_request
from bot.views.text import guest_label
from handlers.i18n import translator
from handlers.meetings import (
    Attendee,
    AttendeeKind,
    AttendeeRef,
    Location,
    LocationKind,
    Meeting,
    Reminder,
    ReminderSpec,
    ReminderUnit,
)
from tests.support.blockkit import validate_modal
from tests.support.view_state import submitted_values


def submit_unchanged(view: dict[str, Any]) -> FormState:
    validate_modal(view)
    return parse_state({**view, "state": {"values": submitted_values(view)}})


NOTES: dict[str, Any] = {
    "type": "rich_text",
    "elements": [
        {
            "type": "rich_text_section",
            "elements": [{"type": "text", "text": "Ask "}, {"type": "user", "user_id": "U7"}],
        }
    ],
}

FULL = FormState(
    timezone="Europe/Warsaw",
    key="idem-1",
    channel="C1",
    record=("r:7", "Jane Doe"),
    day=date(2026, 3, 16),
    time="15:30",
    duration="custom",
    duration_custom="40",
    title="Demo with Acme",
    meeting_type="Discovery",
    attendees=(("c:7", "Jane Doe"), ("u:U2", "@Ann")),
    location_kind="phone",
    location_detail="+48 22 123 45 67",
    reminders=(("1", "days"), ("2", "hours")),
    reminder_slots=(0, 1),
    include_description=True,
    description="Agenda: pricing",
    notes=NOTES,
    associated=(("r:9", "Acme deal"), ("r:12", "Support ticket")),
    suggested=(("r:9", "Acme deal"), ("r:10", "Acme")),
    advanced=True,
    host="U2",
    language="en",
)


def test_a_filled_form_submitted_unchanged_reads_back_the_same() -> None:
    view = meet_form_view(FULL, meeting_types=("Discovery", "Demo"))
    assert submit_unchanged(view) == FULL


def test_an_empty_form_reads_back_empty_without_reminders() -> None:
    empty = FormState(timezone="America/New_York", key="idem-2", language="en")
    back = submit_unchanged(meet_form_view(empty))
    assert back == empty
    assert to_request(back, team_id="T1", user_id="U1", phone_region=None).reminders == ()


def test_removing_a_reminder_line_keeps_the_other_lines_block_ids() -> None:
    """Slack keeps what a block shows while its id stays: the lines after a removed one
    must not move up into its block id."""
    three = FULL.with_reminder_added("30", "minutes")
    assert three.slots() == (0, 1, 2)
    two = three.with_reminder_removed(0)
    view = meet_form_view(two, meeting_types=("Discovery",))
    lines = [
        b for b in view["blocks"] if b["block_id"].startswith("rem_") and b["type"] == "actions"
    ]
    assert [b["block_id"] for b in lines] == ["rem_1", "rem_2"]
    back = submit_unchanged(view)
    assert back.reminders == (("2", "hours"), ("30", "minutes")) and back.slots() == (1, 2)
    again = back.with_reminder_added()
    assert again.slots() == (1, 2, 0) and again.reminders[-1] == ("1", "hours")
    assert again.with_reminder_added() == again  # three lines at most


@pytest.mark.parametrize(
    ("kind", "detail", "provider"),
    [
        ("in_person", "ul. Marszałkowska 1, Warszawa", None),
        ("custom", "Booth 12 at the fair", None),
        ("video", "", "zoom"),
        ("none", "", None),
    ],
)
def test_every_location_kind_survives_a_rebuild(
    kind: str, detail: str, provider: str | None
) -> None:
    state = replace(FULL, location_kind=kind, location_detail=detail, video_provider=provider)
    assert submit_unchanged(meet_form_view(state, meeting_types=("Discovery",))) == state


def test_a_date_set_by_the_app_moves_to_new_blocks_and_is_still_read() -> None:
    """After "use this slot" the date and time inputs get new block ids (Slack would keep
    the old values otherwise); the revision travels in private_metadata."""
    moved = replace(FULL, day=date(2026, 3, 17), time="09:00", when_revision=3)
    view = meet_form_view(moved, meeting_types=("Discovery",))
    block_ids = {b["block_id"] for b in view["blocks"]}
    assert {"date_3", "time_3"} <= block_ids and not {"date", "time"} & block_ids
    assert submit_unchanged(view) == moved


def test_the_form_in_polish_reads_back_the_same() -> None:
    polish = replace(FULL, language="pl")
    view = meet_form_view(polish, meeting_types=("Discovery",), t=translator("pl"))
    assert view["submit"]["text"] == "Zapisz"
    assert submit_unchanged(view) == polish


def test_the_submission_becomes_the_request_the_rules_check() -> None:
    req = to_request(FULL, team_id="T1", user_id="U1", phone_region="PL", language="pl")
    assert (req.team_id, req.organizer_id, req.host_id, req.idempotency_key) == (
        "T1",
        "U1",
        "U2",
        "idem-1",
    )
    assert (req.record_id, req.day, req.start_time.isoformat() if req.start_time else None) == (
        7,
        date(2026, 3, 16),
        "15:30:00",
    )
    assert req.duration_minutes == 40
    assert req.attendees == (
        AttendeeRef(AttendeeKind.CONTACT, "7"),
        AttendeeRef(AttendeeKind.USER, "U2"),
    )
    assert req.location == Location(LocationKind.PHONE, "+48 22 123 45 67")
    assert req.reminders == (
        ReminderSpec(1, ReminderUnit.DAYS, "1"),
        ReminderSpec(2, ReminderUnit.HOURS, "2"),
    )
    assert req.associated_record_ids == (9, 12)
    assert req.mentions == ("U7",)
    assert req.notes_text == "Ask <@U7>"
    assert (req.phone_region, req.language, req.include_description_in_reminders) == (
        "PL",
        "pl",
        True,
    )


def test_unreadable_parts_of_a_submission_become_empty_not_errors() -> None:
    junk = replace(
        FULL,
        record=("x:7", "?"),
        time="25:99",
        duration="abc",
        attendees=(("nonsense", "?"),),
        location_kind="teleport",
        reminders=(("many", "fortnights"), (None, "hours")),
        associated=(("r:abc", "?"),),
        host=None,
    )
    req = to_request(junk, team_id="T1", user_id="U1", phone_region=None)
    assert req.record_id is None and req.start_time is None and req.duration_minutes is None
    assert req.attendees == () and req.associated_record_ids == ()
    assert req.location == Location(LocationKind.NONE, "+48 22 123 45 67")
    assert req.reminders == (ReminderSpec(None, ReminderUnit.MINUTES, "many"),)
    assert req.host_id == "U1"


def test_a_tampered_date_or_metadata_is_dropped() -> None:
    view = meet_form_view(FULL, meeting_types=("Discovery",))
    values = submitted_values(view)
    values["date"]["date_pick"]["selected_date"] = "2026-02-30"
    values["duration"]["duration_select"]["selected_option"] = {"value": 30}
    state = parse_state({**view, "private_metadata": "not json", "state": {"values": values}})
    assert state.day is None and state.duration == "30"
    assert (state.key, state.timezone, state.meeting_id, state.channel) == ("", "UTC", None, None)
    assert state.title == FULL.title  # the inputs themselves are still read


# --------------------------------------------------------------------------- editing


MEETING = Meeting(
    id=42,
    team_id="T1",
    uid="uid-42@meetline",
    sequence=2,
    title="Quarterly review",
    start_utc=datetime(2026, 10, 25, 8, 0, tzinfo=UTC),  # 09:00 CET, the morning after fall-back
    end_utc=datetime(2026, 10, 25, 9, 30, tzinfo=UTC),
    timezone="Europe/Warsaw",
    duration_minutes=90,
    location=Location(LocationKind.VIDEO, "", "teams"),
    host_id="U2",
    organizer_id="U1",
    description="Numbers",
    notes=NOTES,
    include_description_in_reminders=True,
    record_id=7,
    attendees=[
        Attendee(AttendeeKind.CONTACT, "Jane Doe", "jane@example.com", record_id=7),
        Attendee(AttendeeKind.USER, "Ann", "ann@example.com", slack_user_id="U2"),
        Attendee(AttendeeKind.CONTACT, "Walk-in", "walkin@example.com"),  # no record, no Slack id
    ],
    record_ids=[7, 11],
    reminders=[
        Reminder(offset_minutes=15, due_at=datetime(2026, 10, 25, 7, 45, tzinfo=UTC)),
        Reminder(offset_minutes=10080, due_at=datetime(2026, 10, 18, 8, 0, tzinfo=UTC)),
        Reminder(offset_minutes=120, due_at=datetime(2026, 10, 25, 6, 0, tzinfo=UTC)),
    ],
)


def test_the_edit_form_shows_the_meeting_in_its_zone_with_reminders_in_whole_units() -> None:
    state = from_meeting(MEETING, key="edit-42", labels={7: "Jane Doe (Acme)"})
    assert (state.day, state.time, state.duration) == (date(2026, 10, 25), "09:00", "90")
    assert state.reminders == (("1", "weeks"), ("2", "hours"), ("15", "minutes"))
    walk_in = MEETING.attendees[2].guest_ref()
    assert state.attendees == (
        ("c:7", "Jane Doe (Acme)"),
        ("u:U2", "@Ann"),
        (f"e:{walk_in}", "Guest: Walk-in (walkin@example.com)"),  # an address only: kept
    )
    assert state.record == ("r:7", "Jane Doe (Acme)")
    assert state.associated == (("r:11", "Record 11"),)  # the record is shown once
    assert state.meeting_id == 42 and state.host == "U2" and state.advanced


def test_an_edit_saved_unchanged_asks_for_the_same_meeting() -> None:
    state = from_meeting(MEETING, key="edit-42", labels={7: "Jane Doe"})
    view = meet_form_view(state)
    assert view["title"]["text"] == "Edit meeting"
    hint = next(b for b in view["blocks"] if b["block_id"] == "attendees")["hint"]["text"]
    assert "keep their invitation unless you remove them" in hint
    back = submit_unchanged(view)
    assert back.meeting_id == 42
    req = to_request(back, team_id="T1", user_id="U1", phone_region=None)
    assert req.host_id == "U2" and req.title == "Quarterly review" and req.description == "Numbers"
    assert req.record_id == 7 and req.associated_record_ids == (11,)
    assert (req.day, req.start_time, req.duration_minutes) == (
        date(2026, 10, 25),
        datetime(2026, 1, 1, 9).time(),
        90,
    )
    assert req.location == MEETING.location
    offsets = sorted(int(r.offset.total_seconds() // 60) for r in req.reminders)
    assert offsets == [15, 120, 10080]
    assert req.include_description_in_reminders and req.notes == NOTES
    assert req.attendees == (
        AttendeeRef(AttendeeKind.CONTACT, "7"),
        AttendeeRef(AttendeeKind.USER, "U2"),
        AttendeeRef(AttendeeKind.EMAIL, str(MEETING.attendees[2].guest_ref())),
    )


def test_a_guest_is_named_by_address_in_the_readers_language_never_clipping_it() -> None:
    """A guest's option reads who they are and why they look unlike a contact; a name too
    long for Slack's 75 characters loses its end, never the address. A form without
    guests says nothing of them."""
    long_name = "Walter " + "Walkin" * 20
    guest = Attendee(AttendeeKind.CONTACT, long_name, "walter.walkin@example.com")
    state = from_meeting(
        replace(MEETING, attendees=[guest]), key="k", labels={}, t=translator("pl")
    )
    [(value, label)] = state.attendees
    assert value == f"e:{guest.guest_ref()}" and len(label) <= 75
    assert label.startswith("Gość: Walter Walkin") and label.endswith(
        "… (walter.walkin@example.com)"
    )
    nameless = from_meeting(
        replace(MEETING, attendees=[replace(guest, name="Walter.Walkin@example.com")]),
        key="k",
        labels={},
    )
    assert nameless.attendees == ((value, "Guest: walter.walkin@example.com"),)
    long_address = "w" * 50 + "@example.com"
    assert guest_label("Walter", long_address) == f"Guest: {long_address}"  # no room: the address
    plain_form = meet_form_view(replace(state, attendees=()), t=translator("pl"))
    hint = next(b for b in plain_form["blocks"] if b["block_id"] == "attendees")["hint"]["text"]
    assert "Goście" not in hint


def test_a_custom_length_and_deleted_records_in_the_polish_edit_form() -> None:
    odd = replace(MEETING, duration_minutes=50, record_ids=[7, 11])
    state = from_meeting(odd, key="edit-42", labels={}, t=translator("pl"))
    assert (state.duration, state.duration_custom, state.language) == ("custom", "50", "pl")
    assert state.record is not None and state.record[0] == "r:7"
    assert state.associated[0][0] == "r:11"
    assert submit_unchanged(meet_form_view(state)) == state


def test_the_invitation_language_and_the_email_only_notice_survive_a_rebuild() -> None:
    state = replace(FULL, invitation_language="pl", language_picked=True, email_only=True)
    view = meet_form_view(state, t=translator("en"))
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["invitation_language"]["text"]["text"] == "Invitation in: *Polski*"
    change = blocks["invitation_language"]["accessory"]
    assert (change["text"]["text"], change["value"]) == ("Send in English", "en")
    notice = blocks["calendar_notice"]
    assert "Sent as email invitations; connect your calendar" in notice["text"]["text"]
    assert notice["accessory"]["text"]["text"] == "Connect"
    back = submit_unchanged(view)
    assert (back.invitation_language, back.language_picked, back.email_only) == ("pl", True, True)
    assert to_request(back, team_id="T1", user_id="U1", phone_region=None).invitation_language == (
        "pl"
    )
    # Only shown, not picked: each contact reads their own record's language.
    proposed = submit_unchanged(meet_form_view(replace(state, language_picked=False)))
    assert proposed.invitation_language == "pl" and not proposed.language_picked
    assert (
        to_request(proposed, team_id="T1", user_id="U1", phone_region=None).invitation_language
        is None
    )
    # A connected calendar: no notice; a language Meetline does not speak is no choice.
    plain = replace(state, email_only=False)
    assert "calendar_notice" not in {b["block_id"] for b in meet_form_view(plain)["blocks"]}
    forged = meet_form_view(plain)
    forged["private_metadata"] = forged["private_metadata"].replace('"il":"pl"', '"il":"de"')
    assert '"il":"de"' in forged["private_metadata"]
    assert parse_state(forged).invitation_language is None


def test_the_polish_form_offers_the_invitation_language_in_polish() -> None:
    view = meet_form_view(replace(FULL, invitation_language="en", email_only=True, language="pl"))
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["invitation_language"]["text"]["text"] == "Zaproszenie w języku: *English*"
    assert blocks["invitation_language"]["accessory"]["value"] == "pl"
    assert blocks["calendar_notice"]["accessory"]["text"]["text"] == "Połącz"
