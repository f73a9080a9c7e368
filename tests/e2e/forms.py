"""Fill the /meet modal the way Slack would submit it."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.support.slack_requests import (
    block_actions,
    block_suggestion,
    checkboxes_value,
    date_value,
    select_value,
    text_value,
    time_value,
)
from tests.support.stack import HOST, Stack
from tests.support.view_state import LabelledForm


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
    for i, (amount, unit) in enumerate(reminders or []):
        values[f"rem_{i}"] = {
            f"rem_amount_{i}": select_value(amount),
            f"rem_unit_{i}": select_value(unit),
        }
    return values


def rich_text_with_mentions(text: str, *user_ids: str) -> dict[str, Any]:
    elements: list[dict[str, Any]] = [{"type": "text", "text": text}]
    for uid in user_ids:
        elements += [{"type": "text", "text": " "}, {"type": "user", "user_id": uid}]
    return {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": elements}]}


def click(
    stack: Stack,
    view: dict[str, Any],
    values: dict[str, Any],
    action_id: str,
    block_id: str,
    *,
    value: str | None = None,
    user: str = HOST,
) -> dict[str, Any]:
    """The user presses a button in the form holding `values`: the form as it comes back."""
    count = len(stack.slack.calls("views.update"))
    current = view | {"state": {"values": values}}
    stack.client.interact(
        block_actions(action_id, value or action_id, block_id=block_id, view=current, user_id=user)
    )
    updated = stack.slack.wait_for("views.update", count=count + 1)[-1].view
    return updated | {"id": view["id"]}


def press(stack: Stack, form: LabelledForm, text: str, user: str = HOST) -> None:
    """The user presses the button reading `text`; the form becomes the updated view."""
    block, button = form.button(text)
    count = len(stack.slack.calls("views.update"))
    stack.client.interact(
        block_actions(
            button["action_id"],
            button.get("value"),
            block_id=block["block_id"],
            view=form.current(),
            user_id=user,
        )
    )
    form.shown(
        stack.slack.wait_for("views.update", count=count + 1)[-1].view | {"id": form.view["id"]}
    )


def dispatched(stack: Stack, form: LabelledForm, label: str, user: str = HOST) -> None:
    """A dispatch-action input changed (a record, a location kind…): the updated view."""
    block = form.input(label)
    element = block["element"]
    count = len(stack.slack.calls("views.update"))
    stack.client.interact(
        block_actions(
            element["action_id"],
            block_id=block["block_id"],
            view=form.current(),
            selected_option=form.values[block["block_id"]][element["action_id"]]["selected_option"],
            user_id=user,
            action_type=element["type"],
        )
    )
    form.shown(
        stack.slack.wait_for("views.update", count=count + 1)[-1].view | {"id": form.view["id"]}
    )


def suggestions(
    stack: Stack, form: LabelledForm, label: str, query: str, user: str = HOST
) -> list[dict[str, Any]]:
    """What the external select labelled `label` offers for `query` (groups flattened)."""
    block = form.input(label)
    answer = stack.client.interact(
        block_suggestion(
            block["element"]["action_id"],
            query,
            block["block_id"],
            view=form.current(),
            user_id=user,
        )
    ).json()
    if "option_groups" in answer:
        return [o for g in answer["option_groups"] for o in g["options"]]
    return list(answer["options"])
