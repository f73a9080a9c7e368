"""Pure builders for the admin settings modal (workspace settings and seats)."""

from __future__ import annotations

from typing import Any

from bot.views.text import clip, mrkdwn, plain
from handlers.meetings import ReminderUnit
from handlers.team_rules import SEATS
from handlers.workspace import WorkspaceSettings

ADMIN_CALLBACK = "admin_settings"
SEAT_CALLBACK = "admin_seat"
UNIT_LABELS = {u.value: f"{u.value} before" for u in ReminderUnit}


def _opt(value: str, label: str) -> dict[str, Any]:
    return {"text": plain(clip(label, 75), 75), "value": value}


def _text_input(block_id: str, label: str, value: str, *, multiline: bool = False, hint: str | None = None,
                optional: bool = True, placeholder: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "multiline": multiline}
    if value:
        element["initial_value"] = value
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": plain(label), "element": element,
                             "optional": optional}
    if hint:
        block["hint"] = plain(hint)
    return block


def _checkbox(block_id: str, label: str, text: str, checked: bool) -> dict[str, Any]:
    option = _opt("yes", text)
    element: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": [option]}
    if checked:
        element["initial_options"] = [option]
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element, "optional": True}


def admin_settings_view(ws: WorkspaceSettings) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": "intro", "text": mrkdwn(
            "Settings for everyone in this workspace. Seats and admins are managed with *Manage seats*.")},
        {"type": "actions", "block_id": "seat_actions", "elements": [
            {"type": "button", "action_id": "admin_open_seats", "text": plain("Manage seats", 75)}]},
        _checkbox("types_enabled", "Meeting types", "Ask for a meeting type in the form", ws.custom_types_enabled),
        _text_input("types", "Meeting types offered", "\n".join(ws.meeting_types), multiline=True,
                    hint="One per line, e.g. Demo, Discovery call, QBR."),
        _text_input("outcomes", "Extra outcomes", "\n".join(ws.custom_outcomes), multiline=True,
                    hint="One per line, offered after Completed, Rescheduled, No show and Canceled."),
        _text_input("durations", "Durations offered (minutes)", ", ".join(str(d) for d in ws.durations),
                    optional=False, hint="Comma-separated, e.g. 15, 30, 45, 60, 90, 120."),
        _text_input("reminders", "Default reminder emails",
                    "\n".join(f"{n} {u}" for n, u in ws.default_reminders), multiline=True,
                    hint="Up to three lines like “1 days” or “30 minutes”; users can remove them per meeting."),
        {"type": "input", "block_id": "work_start", "label": plain("Working hours start"), "element": {
            "type": "timepicker", "action_id": "value", "initial_time": ws.working_hours[0]}},
        {"type": "input", "block_id": "work_end", "label": plain("Working hours end"), "element": {
            "type": "timepicker", "action_id": "value", "initial_time": ws.working_hours[1]}},
        _text_input("timezone", "Default time zone", ws.default_timezone, optional=False,
                    hint="An IANA name such as Europe/Warsaw; used when a user's zone is unknown."),
        {"type": "input", "block_id": "language", "label": plain("Default language for contacts"), "element": {
            "type": "static_select", "action_id": "value",
            "options": [_opt("en", "English"), _opt("pl", "Polski")],
            "initial_option": _opt("pl", "Polski") if ws.default_language == "pl" else _opt("en", "English")}},
        _checkbox("video_default", "Video", "New meetings default to a video conference", ws.video_default_on),
        _checkbox("sandbox", "Sandbox", "This is a sandbox workspace (only sandbox users can be booked)",
                  ws.is_sandbox),
    ]
    return {"type": "modal", "callback_id": ADMIN_CALLBACK, "title": plain("Meetline settings", 24),
            "submit": plain("Save", 24), "close": plain("Cancel", 24), "blocks": blocks}


def seat_view() -> dict[str, Any]:
    return {
        "type": "modal", "callback_id": SEAT_CALLBACK, "title": plain("Seats and roles", 24),
        "submit": plain("Save", 24), "close": plain("Back", 24),
        "blocks": [
            {"type": "input", "block_id": "user", "label": plain("Teammate"), "element": {
                "type": "users_select", "action_id": "value", "placeholder": plain("Search people", 150)}},
            {"type": "input", "block_id": "seat", "label": plain("Seat"), "element": {
                "type": "static_select", "action_id": "value",
                "options": [_opt(s, s.title()) for s in SEATS]}},
            {"type": "input", "block_id": "roles", "label": plain("Roles"), "optional": True, "element": {
                "type": "checkboxes", "action_id": "value",
                "options": [_opt("admin", "Meetline admin"), _opt("sandbox", "Sandbox user")]}},
        ],
    }
