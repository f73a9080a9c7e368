"""Reading the scheduling modal's `view_submission` (or in-progress `view`) payload: the
inputs' `state.values` and the private_metadata, into a FormState. Unknown or malformed
parts become empty, because every field of the payload is user-controlled.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.views.form_metadata import FormMetadata
from bot.views.meet_state import FormState, Option, when_block_id
from handlers.meetings import LocationKind


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
    reminders: list[tuple[str | None, str]] = []
    rows = 0
    for i in range(3):
        if f"rem_amount_{i}" not in values and f"rem_unit_{i}" not in values:
            continue
        rows = i + 1
        amount = _value(values, f"rem_amount_{i}", f"rem_amount_input_{i}").get("value")
        unit_opt = _option(
            _value(values, f"rem_unit_{i}", f"rem_unit_select_{i}").get("selected_option")
        )
        reminders.append(
            (
                str(amount) if amount not in (None, "") else None,
                unit_opt[0] if unit_opt else "minutes",
            )
        )
    include = _value(values, "rem_options", "include_description").get("selected_options") or []
    notes = _value(values, "notes", "notes_input").get("rich_text_value")
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
        reminders=tuple(reminders),
        reminder_rows=max(1, rows),
        include_description=bool(include),
        description=str(_value(values, "description", "description_input").get("value") or ""),
        notes=notes if isinstance(notes, dict) else None,
        associated=_options(
            _value(values, "associated", "associated_select").get("selected_options")
        ),
        host=_value(values, "host", "host_select").get("selected_user"),
    )


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
