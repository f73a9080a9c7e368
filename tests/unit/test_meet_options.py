"""The /meet form's pickers and its opening state (`bot.views.meet_options`): attendee
options grouped as contacts then teammates, valid for Slack; a picked record's contacts and
associations; the workspace's defaults (reminders, durations, video) in the opening form."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.views.meet_modal import meet_form_view
from bot.views.meet_options import attendee_option_groups, opening_form, prefill_choices
from handlers.domain import Record, RecordKind, UserProfile
from handlers.i18n import translator
from handlers.meet_form import MeetFormDraft, RecordPrefill
from handlers.workspace import WorkspaceSettings
from tests.support.blockkit import validate_modal, validate_options_response

JANE = Record(
    id=7, kind=RecordKind.CONTACT, external_id="jane", name="Jane Doe", email="jane@acme.example"
)
ACME = Record(id=9, kind=RecordKind.COMPANY, external_id="acme", name="Acme")
ANN = UserProfile(team_id="T1", slack_user_id="U2", name="Ann", email="ann@meetline.example")
NOMAIL = UserProfile(team_id="T1", slack_user_id="U3")


def test_attendee_options_are_contacts_then_teammates() -> None:
    groups = attendee_option_groups([JANE], [ANN, NOMAIL])
    validate_options_response({"option_groups": groups})
    assert [g["label"]["text"] for g in groups] == ["Contacts", "Teammates"]
    assert [(o["value"], o["text"]["text"]) for o in groups[0]["options"]] == [
        ("c:7", "Contact: Jane Doe (jane@acme.example)")
    ]
    assert [(o["value"], o["text"]["text"]) for o in groups[1]["options"]] == [
        ("u:U2", "@Ann (ann@meetline.example)"),
        ("u:U3", "@U3"),
    ]


def test_empty_groups_are_left_out_and_labels_follow_the_reader() -> None:
    assert attendee_option_groups([], []) == []
    polish = attendee_option_groups([], [ANN], translator("pl"))
    validate_options_response({"option_groups": polish})
    assert [g["label"]["text"] for g in polish] == ["Osoby z zespołu"]


def test_a_long_teammate_label_fits_slacks_75_characters() -> None:
    long = UserProfile(
        team_id="T1", slack_user_id="U4", name="N" * 60, email="very.long.address@example.com"
    )
    (group,) = attendee_option_groups([], [long])
    validate_options_response({"option_groups": [group]})
    assert len(group["options"][0]["text"]["text"]) <= 75


def test_a_picked_record_brings_its_contacts_and_suggests_its_related_records() -> None:
    prefill = RecordPrefill(record=ACME, attendees=(JANE,), associated=(ACME, JANE))
    attendees, suggested = prefill_choices(prefill)
    assert attendees == (("c:7", "Contact: Jane Doe (jane@acme.example)"),)
    # The record itself is associated anyway: only its related records are offered.
    assert suggested == (("r:7", "Contact: Jane Doe (jane@acme.example)"),)
    assert prefill_choices(None) == ((), ())


def test_the_form_opens_with_the_text_the_record_and_the_workspace_defaults() -> None:
    start = datetime(2026, 12, 3, 15, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    draft = MeetFormDraft(
        timezone="Europe/Warsaw",
        idempotency_key="k1",
        record=JANE,
        title="Demo",
        start=start,
        duration_minutes=50,
    )
    ws = WorkspaceSettings(
        default_reminders=((1, "days"), (2, "hours")), durations=(25, 50), video_default_on=True
    )
    prefill = RecordPrefill(record=JANE, attendees=(JANE,), associated=(JANE,))
    state = opening_form(draft, prefill, ws, "C1")
    assert (state.record, state.title, state.channel) == (
        ("r:7", "Contact: Jane Doe (jane@acme.example)"),
        "Demo",
        "C1",
    )
    assert (state.day, state.time, state.duration, state.duration_custom) == (
        start.date(),
        "15:00",
        "50",
        None,
    )
    assert state.reminders == (("1", "days"), ("2", "hours")) and state.slots() == (0, 1)
    assert state.location_kind == "video" and state.language == "en"
    assert state.attendees == (("c:7", "Contact: Jane Doe (jane@acme.example)"),)
    validate_modal(meet_form_view(state, durations=ws.durations))


def test_a_length_the_workspace_does_not_offer_opens_as_custom() -> None:
    draft = MeetFormDraft(timezone="UTC", idempotency_key="k2", duration_minutes=40)
    state = opening_form(draft, None, WorkspaceSettings(), None, translator("pl"))
    assert (state.duration, state.duration_custom, state.location_kind, state.language) == (
        "custom",
        "40",
        "none",
        "pl",
    )
    assert state.record is None and state.attendees == () and state.day is None
