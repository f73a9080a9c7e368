"""Pure builders for the /meet modal: a FormState in, a Block Kit modal dict out.

Block ids are the field names the rules report errors against (handlers.rules), so a
`response_action: errors` lands next to the right field. Every block keeps its block_id
and action_id across updates so Slack keeps what the user typed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from bot.views.invitation_blocks import invitation_blocks
from bot.views.meet_state import (
    DURATIONS,
    FormState,
    Option,
    reminder_block_id,
    when_block_id,
)
from bot.views.text import EN, clip, escape_mrkdwn, mrkdwn, plain
from handlers.i18n import N_, Translator, translator
from handlers.meetings import (
    MAX_REMINDERS,
    OUTCOME_SCHEDULED,
    VIDEO_PROVIDERS,
    AttendeeKind,
    AttendeeRef,
    LocationKind,
    ReminderUnit,
)
from handlers.outcomes import outcome_label

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


REMINDER_AMOUNTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15, 18, 20, 24, 30, 36, 45, 48, 60, 90)
MAX_SUGGESTED = 10  # a checkboxes element holds at most ten options


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


def message_view(
    title: str, text: str, *, t: Translator = EN, extra: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """A closing view: the result of a save, or why it could not be done (`title`
    translated), and `extra` blocks after it (the email-only notice)."""
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
            },
            *extra,
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


# Option lists that depend on the workspace's settings and the language only: built once
# each and shared by every form (views are serialised, never changed after building).


@lru_cache(maxsize=256)
def _duration_options(durations: tuple[int, ...], t: Translator) -> tuple[dict[str, Any], ...]:
    return (
        *(_opt(str(m), duration_label(m, t)) for m in durations),
        _opt("custom", t.gettext("Custom…")),
    )


@lru_cache(maxsize=16)
def _location_options(t: Translator) -> tuple[dict[str, Any], ...]:
    return tuple(_opt(k, t.gettext(label)) for k, label in LOCATION_LABELS.items())


@lru_cache(maxsize=16)
def _unit_options(t: Translator) -> tuple[dict[str, Any], ...]:
    return tuple(_opt(u, t.gettext(label)) for u, label in UNIT_LABELS.items())


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
    lengths = list(_duration_options(tuple(durations), t))
    blocks = [
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
    blocks.append(
        _input(
            when_block_id("date", state.when_revision), t.gettext("Date"), date_el, dispatch=True
        )
    )
    blocks.append(
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
        )
    )
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
    kinds = list(_location_options(t))
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


def _amount_options(current: str | None) -> list[dict[str, Any]]:
    """Common amounts, and the line's own when it is another (a stored 25 minutes)."""
    if current and current.isdigit() and 0 < int(current) <= 999:
        return list(_amounts(int(current)))
    return list(_amounts(None))


@lru_cache(maxsize=64)
def _amounts(extra: int | None) -> tuple[dict[str, Any], ...]:
    amounts = {*REMINDER_AMOUNTS, *((extra,) if extra is not None else ())}
    return tuple(_opt(str(n), str(n)) for n in sorted(amounts))


def _reminder_blocks(state: FormState, t: Translator) -> list[dict[str, Any]]:
    """A heading with "+ Add reminder", then one line per reminder:
    "[2 ▾] [hours before ▾] [Remove]". The lines are actions blocks (an input block holds
    one element); Slack reports their selects in the view's state like inputs."""
    head: dict[str, Any] = {
        "type": "section",
        "block_id": "rem_head",
        "text": mrkdwn("*" + t.gettext("Reminder emails") + "*"),
    }
    if len(state.reminders) < MAX_REMINDERS:
        head["accessory"] = {
            "type": "button",
            "action_id": "add_reminder",
            "text": plain(t.gettext("+ Add reminder"), 75),
            "value": "add",
        }
    blocks = [head]
    units = list(_unit_options(t))
    for slot, (amount, unit) in zip(state.slots(), state.reminders, strict=True):
        blocks.append(
            {
                "type": "actions",
                "block_id": reminder_block_id(slot),
                "elements": [
                    _static(
                        f"rem_amount_{slot}",
                        _amount_options(amount),
                        amount,
                        t.gettext("How many"),
                    ),
                    _static(f"rem_unit_{slot}", units, unit, t.gettext("When")),
                    {
                        "type": "button",
                        "action_id": f"rem_remove_{slot}",
                        "text": plain(t.gettext("Remove"), 75),
                        "value": str(slot),
                    },
                ],
            }
        )
    return blocks


def _include_description_block(state: FormState, t: Translator) -> dict[str, Any]:
    include: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": "include_description",
        "options": [_opt("yes", t.gettext("Include the attendee description in reminders"))],
    }
    if state.include_description:
        include["initial_options"] = [include["options"][0]]
    return _input("rem_options", t.gettext("Reminder content"), include, optional=True)


def _host_block(state: FormState, t: Translator) -> dict[str, Any]:
    host_el: dict[str, Any] = {
        "type": "users_select",
        "action_id": "host_select",
        "placeholder": plain(t.gettext("You"), 150),
    }
    if state.host:
        host_el["initial_user"] = state.host
    return _input(
        "host",
        t.gettext("Host"),
        host_el,
        optional=True,
        dispatch=True,  # a new host may read another language: the form proposes theirs
        hint=t.gettext(
            "Whose calendar the meeting goes in. Booking for a teammate needs "
            "Professional or Enterprise seats for you both and their connected calendar."
        ),
    )


def _notes_block(state: FormState, t: Translator) -> dict[str, Any]:
    notes: dict[str, Any] = {
        "type": "rich_text_input",
        "action_id": "notes_input",
        "placeholder": plain(
            t.gettext("Context for your team; @-mention teammates to tell them"), 150
        ),
    }
    if state.notes:
        notes["initial_value"] = state.notes
    return _input(
        "notes",
        t.gettext("Internal notes"),
        notes,
        optional=True,
        hint=t.gettext("Never shown to attendees. Mentioned teammates get a message."),
    )


def _association_blocks(state: FormState, t: Translator) -> list[dict[str, Any]]:
    """Related records offered unticked, then a picker for any other record; the record
    itself is always associated, so it is not offered again."""
    record = state.record[0] if state.record else None
    blocks: list[dict[str, Any]] = []
    suggested = [o for o in state.suggested if o[0] != record][:MAX_SUGGESTED]
    if suggested:
        related: dict[str, Any] = {
            "type": "checkboxes",
            "action_id": "related_records",
            "options": _opts(suggested),
        }
        ticked_values = {v for v, _ in state.associated}
        ticked = [o for o in _opts(suggested) if o["value"] in ticked_values]
        if ticked:
            related["initial_options"] = ticked
        blocks.append(
            _input(
                "related",
                t.gettext("Also log on related records"),
                related,
                optional=True,
                hint=t.gettext("The meeting is always logged on the record itself."),
            )
        )
    offered = {v for v, _ in suggested}
    others = [o for o in state.associated if o[0] not in offered and o[0] != record]
    associated: dict[str, Any] = {
        "type": "multi_external_select",
        "action_id": "associated_select",
        "min_query_length": 0,
        "placeholder": plain(t.gettext("Records to log this meeting on"), 150),
    }
    if others:
        associated["initial_options"] = _opts(others)
    blocks.append(
        _input(
            "associated",
            t.gettext("Other associated records") if suggested else t.gettext("Associated records"),
            associated,
            optional=True,
            hint=t.gettext("The meeting appears on the timeline of each."),
        )
    )
    return blocks


def _advanced_blocks(state: FormState, t: Translator) -> list[dict[str, Any]]:
    """Behind "More options" on a new booking: most meetings need none of it."""
    if not state.advanced:
        return [
            {
                "type": "actions",
                "block_id": "more",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "more_options",
                        "text": plain(t.gettext("More options"), 75),
                        "value": "more",
                    }
                ],
            }
        ]
    blocks: list[dict[str, Any]] = [{"type": "divider", "block_id": "more_divider"}]
    blocks.append(_host_block(state, t))
    if state.reminders:
        blocks.append(_include_description_block(state, t))
    blocks.append(_notes_block(state, t))
    blocks.extend(_association_blocks(state, t))
    return blocks


def _outcome_block(state: FormState, outcomes: Sequence[str], t: Translator) -> dict[str, Any]:
    codes = list(dict.fromkeys((OUTCOME_SCHEDULED, *outcomes, state.outcome or "")))
    options = [_opt(code, outcome_label(code, t)) for code in codes if code][:100]
    return _input(
        "outcome",
        t.gettext("Outcome"),
        _static("outcome_select", options, state.outcome, t.gettext("How it went")),
    )


def _attendees_hint(state: FormState, t: Translator) -> str:
    """Who gets what; with guests listed (an edit of a meeting that has attendees with an
    address only), that they stay invited unless removed, and cannot be added back."""
    hint = t.gettext(
        "Contacts get a calendar invitation by email; contacts without an email are "
        "listed as not invited."
    )
    refs = (AttendeeRef.decode(value) for value, _ in state.attendees)
    if any(ref is not None and ref.kind is AttendeeKind.EMAIL for ref in refs):
        hint += " " + t.gettext(
            "Guests have an email address only: they keep their invitation unless you "
            "remove them, and once removed they cannot be picked again."
        )
    return hint


def meet_form_view(
    state: FormState,
    meeting_types: Sequence[str] = (),
    durations: Sequence[int] = DURATIONS,
    *,
    outcomes: Sequence[str] = (),
    t: Translator | None = None,
) -> dict[str, Any]:
    """The form in `t`'s language; without `t`, in the language the state records (English).

    The fields follow a CRM's meeting dialog: record, duration, date and time, title,
    type, attendees, location, reminders, attendee description; the rest waits behind
    "More options" on a new booking. `outcomes` (the workspace's) are offered when the
    state asks for the outcome field (an edit)."""
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
    if state.meeting_id is not None and state.outcome is not None:
        blocks.append(_outcome_block(state, outcomes, t))
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
            hint=_attendees_hint(state, t),
        )
    )
    blocks.extend(invitation_blocks(state, t))
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
    blocks.extend(_advanced_blocks(state, t))
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain(t.gettext(EDIT_TITLE if state.meeting_id else TITLE), 24),
        "submit": plain(t.gettext("Save"), 24),
        "close": plain(t.gettext("Cancel"), 24),
        "private_metadata": state.metadata(),
        "blocks": blocks,
    }
