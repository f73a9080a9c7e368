"""Pure builders for the /meet modal: a FormState in, a Block Kit modal dict out.

Block ids are the field names the rules report errors against (handlers.rules), so a
`response_action: errors` lands next to the right field. Every block keeps its block_id
and action_id across updates so Slack keeps what the user typed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.views.meet_state import DURATIONS, FormState, Option, when_block_id
from bot.views.text import EN, clip, escape_mrkdwn, mrkdwn, plain
from handlers.i18n import N_, Translator, translator
from handlers.meetings import MAX_REMINDERS, VIDEO_PROVIDERS, LocationKind, ReminderUnit

CALLBACK_ID = "meet_form"
TITLE = N_("Schedule a meeting")
EDIT_TITLE = N_("Edit meeting")

# Option labels, translated where shown (t.gettext).
LOCATION_LABELS = {
    LocationKind.NONE.value: N_("No location"),
    LocationKind.PHONE.value: N_("Phone call"),
    LocationKind.IN_PERSON.value: N_("In person"),
    LocationKind.VIDEO.value: N_("Video conference"),
    LocationKind.CUSTOM.value: N_("Other (describe)"),
}
UNIT_LABELS = {
    ReminderUnit.MINUTES.value: N_("minutes before"),
    ReminderUnit.HOURS.value: N_("hours before"),
    ReminderUnit.DAYS.value: N_("days before"),
    ReminderUnit.WEEKS.value: N_("weeks before"),
}


def loading_view(metadata: dict[str, Any] | None = None, *, t: Translator = EN) -> dict[str, Any]:
    """The light first view: opened at once so the trigger_id never expires."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain(t.gettext(TITLE), 24),
        "close": plain(t.gettext("Cancel"), 24),
        "private_metadata": json.dumps(metadata or {}, separators=(",", ":")),
        "blocks": [
            {
                "type": "section",
                "block_id": "loading",
                "text": mrkdwn(":hourglass_flowing_sand: " + t.gettext("Loading…")),
            }
        ],
    }


def message_view(title: str, text: str, *, t: Translator = EN) -> dict[str, Any]:
    """A closing view: the result of a save, or why it could not be done (`title` translated)."""
    return {
        "type": "modal",
        "callback_id": "meet_result",
        "title": plain(title, 24),
        "close": plain(t.gettext("Close"), 24),
        "blocks": [
            {
                "type": "section",
                "block_id": "result",
                "text": mrkdwn(clip(text, 2900, keep_lines=True)),
            }
        ],
    }


def _opt(value: str, label: str) -> dict[str, Any]:
    return {"text": plain(clip(label, 75), 75), "value": value}


def _opts(options: Sequence[Option]) -> list[dict[str, Any]]:
    return [_opt(v, label or v) for v, label in options]


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch: bool = False,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
    }
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint, 2000)
    if dispatch:
        block["dispatch_action"] = True
    return block


def _static(
    action_id: str, options: list[dict[str, Any]], selected: str | None, placeholder: str
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "options": options,
        "placeholder": plain(placeholder, 150),
    }
    chosen = [o for o in options if o["value"] == selected]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def _text(
    action_id: str,
    value: str | None,
    placeholder: str,
    *,
    multiline: bool = False,
    max_length: int = 3000,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "max_length": max_length,
        "placeholder": plain(placeholder, 150),
    }
    if multiline:
        element["multiline"] = True
    if value:
        element["initial_value"] = value[:max_length]
    return element


def duration_label(minutes: int, t: Translator = EN) -> str:
    """ "45 min", "1 h", "1 h 30 min" (Polish "1 godz. 30 min")."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return t.gettext("{minutes} min", minutes=minutes)
    if not rest:
        return t.gettext("{hours} h", hours=hours)
    return t.gettext("{hours} h {minutes} min", hours=hours, minutes=rest)


def _when_blocks(state: FormState, durations: Sequence[int], t: Translator) -> list[dict[str, Any]]:
    date_el: dict[str, Any] = {
        "type": "datepicker",
        "action_id": "date_pick",
        "placeholder": plain(t.gettext("Pick a day"), 150),
    }
    if state.day:
        date_el["initial_date"] = state.day.isoformat()
    time_el: dict[str, Any] = {
        "type": "timepicker",
        "action_id": "time_pick",
        "timezone": state.timezone,
        "placeholder": plain(t.gettext("Start time"), 150),
    }
    if state.time:
        time_el["initial_time"] = state.time
    lengths = [_opt(str(m), duration_label(m, t)) for m in durations] + [
        _opt("custom", t.gettext("Custom…"))
    ]
    blocks = [
        _input(
            when_block_id("date", state.when_revision), t.gettext("Date"), date_el, dispatch=True
        ),
        _input(
            when_block_id("time", state.when_revision),
            t.gettext("Start time"),
            time_el,
            hint=" ".join(
                filter(
                    None,
                    (
                        state.reading,
                        t.gettext("In your Slack time zone, {zone}.", zone=state.timezone),
                    ),
                )
            ),
            dispatch=True,
        ),
        _input(
            "duration",
            t.gettext("Duration"),
            _static("duration_select", lengths, state.duration, t.gettext("How long")),
            dispatch=True,
        ),
    ]
    if state.duration == "custom":
        custom: dict[str, Any] = {
            "type": "number_input",
            "action_id": "duration_custom_input",
            "is_decimal_allowed": False,
            "min_value": "1",
            "max_value": "720",
            "placeholder": plain(t.gettext("Minutes"), 150),
        }
        if state.duration_custom:
            custom["initial_value"] = state.duration_custom
        blocks.append(_input("duration_custom", t.gettext("Duration in minutes"), custom))
    blocks.extend(_conflict_blocks(state, t))
    return blocks


def _conflict_blocks(state: FormState, t: Translator = EN) -> list[dict[str, Any]]:
    """Calendar warnings under the time, with free alternatives one click away."""
    if not state.conflicts:
        return []
    blocks: list[dict[str, Any]] = [
        {
            "type": "context",
            "block_id": "conflicts",
            "elements": [
                mrkdwn(":calendar: " + escape_mrkdwn(clip(" ".join(state.conflicts), 2900)))
            ],
        }
    ]
    if state.suggestions:
        blocks.append(
            {
                "type": "actions",
                "block_id": "conflict_slots",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"use_slot_{i}",
                        "text": plain(t.gettext("Use {slot}", slot=label), 75),
                        "value": value,
                    }
                    for i, (value, label) in enumerate(state.suggestions[:5])
                ],
            }
        )
    return blocks


def _location_blocks(state: FormState, t: Translator) -> list[dict[str, Any]]:
    kinds = [_opt(k, t.gettext(label)) for k, label in LOCATION_LABELS.items()]
    blocks = [
        _input(
            "location_kind",
            t.gettext("Location"),
            _static("location_kind_select", kinds, state.location_kind, t.gettext("Where")),
            dispatch=True,
        )
    ]
    kind = state.location_kind
    if kind == LocationKind.PHONE.value:
        blocks.append(
            _input(
                "loc_phone",
                t.gettext("Phone number"),
                _text("loc_input", state.location_detail, "+48 22 123 45 67", max_length=40),
                hint=t.gettext("Include the country code."),
            )
        )
    elif kind == LocationKind.IN_PERSON.value:
        blocks.append(
            _input(
                "loc_address",
                t.gettext("Address"),
                _text(
                    "loc_input", state.location_detail, t.gettext("Street, city"), max_length=500
                ),
            )
        )
    elif kind == LocationKind.CUSTOM.value:
        blocks.append(
            _input(
                "loc_custom",
                t.gettext("Where"),
                _text(
                    "loc_input",
                    state.location_detail,
                    t.gettext("e.g. Booth 12 at the fair"),
                    max_length=500,
                ),
            )
        )
    elif kind == LocationKind.VIDEO.value:
        providers = [_opt(k, label) for k, label in VIDEO_PROVIDERS.items()]
        blocks.append(
            _input(
                "loc_video",
                t.gettext("Video provider"),
                _static(
                    "video_provider_select", providers, state.video_provider, t.gettext("Provider")
                ),
                hint=t.gettext("The link is created when the meeting is saved."),
            )
        )
    return blocks


def _reminder_blocks(state: FormState, t: Translator) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    units = [_opt(u, t.gettext(label)) for u, label in UNIT_LABELS.items()]
    rows = min(max(state.reminder_rows, len(state.reminders), 1), MAX_REMINDERS)
    for i in range(rows):
        amount, unit = (
            state.reminders[i] if i < len(state.reminders) else (None, ReminderUnit.HOURS.value)
        )
        number: dict[str, Any] = {
            "type": "number_input",
            "action_id": f"rem_amount_input_{i}",
            "is_decimal_allowed": False,
            "min_value": "1",
            "max_value": "999",
            "placeholder": plain(t.gettext("e.g. 1"), 150),
        }
        if amount:
            number["initial_value"] = amount
        blocks.append(
            _input(
                f"rem_amount_{i}",
                t.gettext("Reminder email {number}", number=i + 1),
                number,
                optional=True,
                hint=t.gettext("Leave empty for no reminder.") if i == 0 else None,
            )
        )
        blocks.append(
            _input(
                f"rem_unit_{i}",
                t.gettext("Sent"),
                _static(f"rem_unit_select_{i}", units, unit, t.gettext("When")),
                optional=True,
            )
        )
    if rows < MAX_REMINDERS:
        blocks.append(
            {
                "type": "actions",
                "block_id": "rem_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "add_reminder",
                        "text": plain(t.gettext("Add reminder"), 75),
                        "value": str(rows),
                    }
                ],
            }
        )
    include: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": "include_description",
        "options": [_opt("yes", t.gettext("Include the description in reminders"))],
    }
    if state.include_description:
        include["initial_options"] = [include["options"][0]]
    blocks.append(_input("rem_options", t.gettext("Reminder content"), include, optional=True))
    return blocks


def meet_form_view(
    state: FormState,
    meeting_types: Sequence[str] = (),
    durations: Sequence[int] = DURATIONS,
    *,
    t: Translator | None = None,
) -> dict[str, Any]:
    """The form in `t`'s language; without `t`, in the language the state records (English)."""
    if t is None:
        t = translator(state.language) if state.language else EN
    if state.language != t.language:
        state = replace(state, language=t.language)  # kept in private_metadata for the next update
    blocks: list[dict[str, Any]] = []
    if state.notices:
        blocks.append(
            {
                "type": "context",
                "block_id": "notices",
                "elements": [
                    mrkdwn(":warning: " + escape_mrkdwn(clip(" ".join(state.notices), 2900)))
                ],
            }
        )
    record_el: dict[str, Any] = {
        "type": "external_select",
        "action_id": "record_select",
        "min_query_length": 0,
        "placeholder": plain(t.gettext("Search contacts, companies, deals, tickets"), 150),
    }
    if state.record:
        record_el["initial_option"] = _opt(*state.record)
    blocks.append(
        _input(
            "record",
            t.gettext("Record"),
            record_el,
            dispatch=True,
            hint=t.gettext("The contact, company, deal or ticket this meeting is about."),
        )
    )
    blocks.extend(_when_blocks(state, durations, t))
    host_el: dict[str, Any] = {
        "type": "users_select",
        "action_id": "host_select",
        "placeholder": plain(t.gettext("You"), 150),
    }
    if state.host:
        host_el["initial_user"] = state.host
    blocks.append(
        _input(
            "host",
            t.gettext("Host"),
            host_el,
            optional=True,
            hint=t.gettext(
                "Whose calendar the meeting goes in. Booking for a teammate needs "
                "Professional or Enterprise seats for you both and their connected calendar."
            ),
        )
    )
    blocks.append(
        _input(
            "title",
            t.gettext("Title"),
            _text("title_input", state.title, t.gettext("e.g. Demo with Acme"), max_length=250),
        )
    )
    if meeting_types:
        types = [_opt(name[:75], name) for name in meeting_types[:100]]
        blocks.append(
            _input(
                "meeting_type",
                t.gettext("Meeting type"),
                _static("meeting_type_select", types, state.meeting_type, t.gettext("Type")),
                optional=True,
            )
        )
    attendees: dict[str, Any] = {
        "type": "multi_external_select",
        "action_id": "attendee_select",
        "min_query_length": 0,
        "placeholder": plain(t.gettext("Search contacts and teammates"), 150),
    }
    if state.attendees:
        attendees["initial_options"] = _opts(state.attendees)
    blocks.append(
        _input(
            "attendees",
            t.gettext("Attendees"),
            attendees,
            hint=t.gettext(
                "Contacts get a calendar invitation by email; contacts without an email are "
                "listed as not invited."
            ),
        )
    )
    blocks.extend(_location_blocks(state, t))
    blocks.extend(_reminder_blocks(state, t))
    blocks.append(
        _input(
            "description",
            t.gettext("Description for attendees"),
            _text(
                "description_input",
                state.description,
                t.gettext("Agenda, what to prepare…"),
                multiline=True,
            ),
            optional=True,
            hint=t.gettext("Goes into the invitation."),
        )
    )
    notes: dict[str, Any] = {
        "type": "rich_text_input",
        "action_id": "notes_input",
        "placeholder": plain(
            t.gettext("Context for your team; @-mention teammates to tell them"), 150
        ),
    }
    if state.notes:
        notes["initial_value"] = state.notes
    blocks.append(
        _input(
            "notes",
            t.gettext("Internal notes"),
            notes,
            optional=True,
            hint=t.gettext("Never shown to attendees. Mentioned teammates get a message."),
        )
    )
    associated: dict[str, Any] = {
        "type": "multi_external_select",
        "action_id": "associated_select",
        "min_query_length": 0,
        "placeholder": plain(t.gettext("Records to log this meeting on"), 150),
    }
    if state.associated:
        associated["initial_options"] = _opts(state.associated)
    blocks.append(
        _input(
            "associated",
            t.gettext("Associated records"),
            associated,
            optional=True,
            hint=t.gettext("The meeting appears on the timeline of each."),
        )
    )
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain(t.gettext(EDIT_TITLE if state.meeting_id else TITLE), 24),
        "submit": plain(t.gettext("Save"), 24),
        "close": plain(t.gettext("Cancel"), 24),
        "private_metadata": state.metadata(),
        "blocks": blocks,
    }
