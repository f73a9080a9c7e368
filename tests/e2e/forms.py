"""Fill the /meet modal the way Slack would submit it."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.support.slack_requests import (
    checkboxes_value,
    date_value,
    select_value,
    text_value,
    time_value,
)


def multi(options: list[tuple[str, str]], type_: str = "multi_external_select") -> dict[str, Any]:
    return {
        "type": type_,
        "selected_options": [
            {"text": {"type": "plain_text", "text": t}, "value": v} for v, t in options
        ],
    }


def meet_values(
    *,
    record: tuple[str, str] | None,
    day: date | None,
    at: str | None,
    duration: str = "30",
    custom: str | None = None,
    title: str = "Demo",
    attendees: list[tuple[str, str]] | None = None,
    location: str = "none",
    detail: str | None = None,
    provider: str | None = None,
    reminders: list[tuple[str | None, str]] | None = None,
    include_description: bool = False,
    description: str | None = None,
    notes: dict[str, Any] | None = None,
    associated: list[tuple[str, str]] | None = None,
    timezone: str = "Europe/Warsaw",
) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {
        "record": {
            "record_select": select_value(
                record[0] if record else None, record[1] if record else None, type="external_select"
            )
        },
        "date": {"date_pick": date_value(day.isoformat() if day else None)},
        "time": {"time_pick": time_value(at, timezone)},
        "duration": {"duration_select": select_value(duration)},
        "title": {"title_input": text_value(title)},
        "attendees": {"attendee_select": multi(attendees or [])},
        "location_kind": {"location_kind_select": select_value(location)},
        "rem_options": {
            "include_description": checkboxes_value(["yes"] if include_description else [])
        },
        "description": {"description_input": text_value(description)},
        "notes": {"notes_input": {"type": "rich_text_input", "rich_text_value": notes}},
        "associated": {"associated_select": multi(associated or [])},
    }
    if duration == "custom":
        values["duration_custom"] = {
            "duration_custom_input": text_value(custom, type="number_input")
        }
    block = {"phone": "loc_phone", "in_person": "loc_address", "custom": "loc_custom"}.get(location)
    if block:
        values[block] = {"loc_input": text_value(detail)}
    if location == "video":
        values["loc_video"] = {"video_provider_select": select_value(provider)}
    for i, (amount, unit) in enumerate(reminders or [(None, "hours")]):
        values[f"rem_amount_{i}"] = {
            f"rem_amount_input_{i}": text_value(amount, type="number_input")
        }
        values[f"rem_unit_{i}"] = {f"rem_unit_select_{i}": select_value(unit)}
    return values


def rich_text_with_mentions(text: str, *user_ids: str) -> dict[str, Any]:
    elements: list[dict[str, Any]] = [{"type": "text", "text": text}]
    for uid in user_ids:
        elements += [{"type": "text", "text": " "}, {"type": "user", "user_id": uid}]
    return {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": elements}]}
