"""Reading the scheduling modal's `view_submission` (or in-progress `view`) payload: the
inputs' `state.values` and the private_metadata, into a FormState. Unknown or malformed
parts become empty, because every field of the payload is user-controlled.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.views.form_metadata import FormMetadata
from bot.views.meet_state import FormState, Option, reminder_block_id, when_block_id
from handlers.meet_form import merged
from handlers.meetings import MAX_REMINDERS, LocationKind


def parse_state(view: dict[str, Any]) -> FormState:
    """Read a submitted (or in-progress) modal; unknown or malformed parts become empty."""
    meta = FormMetadata.decode(view.get("private_metadata"))
    values = view.get("state", {}).get("values", {}) or {}
    revision = meta.when_revision
    day_raw = _value(values, when_block_id("date", revision), "date_pick").get("selected_date")
    try:
        day = date.fromisoformat(day_raw) if isinstance(day_raw, str) else None
    except ValueError:
        day = None
    duration_opt = _option(_value(values, "duration", "duration_select").get("selected_option"))
    kind_opt = _option(
        _value(values, "location_kind", "location_kind_select").get("selected_option")
    )
    kind = kind_opt[0] if kind_opt else LocationKind.NONE.value
    detail_block = {"phone": "loc_phone", "in_person": "loc_address", "custom": "loc_custom"}.get(
        kind
    )
    detail = ""
    if detail_block:
        detail = str(_value(values, detail_block, "loc_input").get("value") or "")
    provider_opt = _option(
        _value(values, "loc_video", "video_provider_select").get("selected_option")
    )
    slots, reminders = _reminder_lines(values, meta.reminder_slots)
    include = _value(values, "rem_options", "include_description").get("selected_options") or []
    notes = _value(values, "notes", "notes_input").get("rich_text_value")
    outcome_opt = _option(_value(values, "outcome", "outcome_select").get("selected_option"))
    type_opt = _option(_value(values, "meeting_type", "meeting_type_select").get("selected_option"))
    return FormState(
        timezone=meta.timezone,
        key=meta.key,
        channel=meta.channel,
        meeting_id=meta.meeting_id,
        record=_option(_value(values, "record", "record_select").get("selected_option")),
        day=day,
        time=_value(values, when_block_id("time", revision), "time_pick").get("selected_time"),
        when_revision=revision,
        language=meta.language,
        duration=duration_opt[0] if duration_opt else "30",
        duration_custom=_value(values, "duration_custom", "duration_custom_input").get("value"),
        title=str(_value(values, "title", "title_input").get("value") or ""),
        meeting_type=type_opt[0] if type_opt else None,
        attendees=_options(_value(values, "attendees", "attendee_select").get("selected_options")),
        location_kind=kind,
        location_detail=detail,
        video_provider=provider_opt[0] if provider_opt else None,
        reminders=reminders,
        reminder_slots=slots,
        include_description=bool(include),
        description=str(_value(values, "description", "description_input").get("value") or ""),
        notes=notes if isinstance(notes, dict) else None,
        associated=merged(
            _options(_value(values, "related", "related_records").get("selected_options")),
            _options(_value(values, "associated", "associated_select").get("selected_options")),
        ),
        suggested=_suggested(view.get("blocks")),
        advanced=meta.advanced,
        thread=meta.thread,
        reading=meta.reading,
        host=_value(values, "host", "host_select").get("selected_user"),
        outcome=outcome_opt[0] if outcome_opt else None,
        invitation_language=meta.invitation_language,
        language_picked=meta.language_picked,
        email_only=meta.email_only,
        seal=meta.seal,
    )


def _reminder_lines(
    values: dict[str, Any], shown: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[tuple[str | None, str], ...]]:
    """(block numbers, (amount, unit) per line): the lines the metadata lists, then any
    other line the values hold; a form opened before the one-line design had
    "rem_amount_N" inputs, read the same way."""
    found = [int(b[4:]) for b in values if b.startswith("rem_") and b[4:].isdigit()]
    slots = tuple(dict.fromkeys((*shown, *sorted(found))))[:MAX_REMINDERS]
    if slots:
        lines = []
        for n in slots:
            line = values.get(reminder_block_id(n), {})
            amount = _option(_dict(line.get(f"rem_amount_{n}")).get("selected_option"))
            unit = _option(_dict(line.get(f"rem_unit_{n}")).get("selected_option"))
            lines.append((amount[0] if amount else None, unit[0] if unit else "hours"))
        return slots, tuple(lines)
    old: list[tuple[str | None, str]] = []
    for i in range(MAX_REMINDERS):
        if f"rem_amount_{i}" not in values:
            continue
        amount = _value(values, f"rem_amount_{i}", f"rem_amount_input_{i}").get("value")
        unit_opt = _option(
            _value(values, f"rem_unit_{i}", f"rem_unit_select_{i}").get("selected_option")
        )
        old.append(
            (
                str(amount) if amount not in (None, "") else None,
                unit_opt[0] if unit_opt else "minutes",
            )
        )
    return tuple(range(len(old))), tuple(old)


def _suggested(blocks: Any) -> tuple[Option, ...]:
    """The related records the form offered to tick (its "related" checkboxes)."""
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("block_id") == "related":
            return _options(_dict(block.get("element")).get("options"))
    return ()


def _dict(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


def _value(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    got = values.get(block, {}).get(action)
    return got if isinstance(got, dict) else {}


def _option(raw: dict[str, Any] | None) -> Option | None:
    if not raw or not isinstance(raw.get("value"), str):
        return None
    text = raw.get("text", {})
    return (raw["value"], str(text.get("text", "")) if isinstance(text, dict) else "")


def _options(raw: Any) -> tuple[Option, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(o for o in (_option(r) for r in raw if isinstance(r, dict)) if o)
