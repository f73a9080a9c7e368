"""Pure builders for the admin settings modal (workspace settings and seats)."""

from __future__ import annotations

from typing import Any

from babel import Locale

from bot.views.settings_form import form_values, reminder_line
from bot.views.text import EN, clip, mrkdwn, plain
from handlers.i18n import N_, SUPPORTED, Translator, language_for
from handlers.seats import SeatChange
from handlers.team_rules import SEATS
from handlers.workspace import WorkspaceSettings

ADMIN_CALLBACK = "admin_settings"
SEAT_CALLBACK = "admin_seat"
SEAT_LABELS = {"none": N_("No seat")}  # the paid seats are product names, shown as named


def _opt(value: str, label: str) -> dict[str, Any]:
    return {"text": plain(clip(label, 75), 75), "value": value}


def language_name(language: str) -> str:
    """A language by its own name ("English", "Polski"), as language pickers show them."""
    try:
        name = Locale.parse(language).get_display_name(language) or language
    except (ValueError, TypeError):
        return language
    return name[:1].upper() + name[1:]


def _text_input(
    block_id: str,
    label: str,
    value: str,
    *,
    multiline: bool = False,
    hint: str | None = None,
    optional: bool = True,
    placeholder: str = "",
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
    }
    if value:
        element["initial_value"] = value
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def _checkbox(block_id: str, label: str, text: str, checked: bool) -> dict[str, Any]:
    option = _opt("yes", text)
    element: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": [option]}
    if checked:
        element["initial_options"] = [option]
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": True,
    }


def admin_settings_view(ws: WorkspaceSettings, *, t: Translator = EN) -> dict[str, Any]:
    languages = [_opt(code, language_name(code)) for code in SUPPORTED]
    chosen = [o for o in languages if o["value"] == language_for(ws.default_language)] or languages[
        :1
    ]
    manage = t.gettext("Manage seats")
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": "intro",
            "text": mrkdwn(
                t.gettext(
                    "Settings for everyone in this workspace. Seats, admins and managers are managed with *{button}*.",
                    button=manage,
                )
            ),
        },
        {
            "type": "actions",
            "block_id": "seat_actions",
            "elements": [
                {"type": "button", "action_id": "admin_open_seats", "text": plain(manage, 75)}
            ],
        },
        _checkbox(
            "types_enabled",
            t.gettext("Meeting types"),
            t.gettext("Ask for a meeting type in the form"),
            ws.custom_types_enabled,
        ),
        _text_input(
            "types",
            t.gettext("Meeting types offered"),
            "\n".join(ws.meeting_types),
            multiline=True,
            hint=t.gettext("One per line, e.g. Demo, Discovery call, QBR."),
        ),
        _text_input(
            "outcomes",
            t.gettext("Extra outcomes"),
            _outcome_lines(ws),
            multiline=True,
            hint=t.gettext(
                "One per line, offered after Completed, Rescheduled, No show and Canceled. "
                "HubSpot logs them as Completed; end a line with = NO_SHOW or = CANCELED "
                "to log it as that."
            ),
        ),
        _text_input(
            "durations",
            t.gettext("Durations offered (minutes)"),
            ", ".join(str(d) for d in ws.durations),
            optional=False,
            hint=t.gettext("Comma-separated, e.g. 15, 30, 45, 60, 90, 120."),
        ),
        _text_input(
            "reminders",
            t.gettext("Default reminder emails"),
            "\n".join(reminder_line(n, u, t) for n, u in ws.default_reminders),
            multiline=True,
            hint=t.gettext(
                "Up to three lines like “1 day” or “30 minutes”; users can remove them per meeting."
            ),
        ),
        {
            "type": "input",
            "block_id": "work_start",
            "label": plain(t.gettext("Working hours start")),
            "element": {
                "type": "timepicker",
                "action_id": "value",
                "initial_time": ws.working_hours[0],
            },
        },
        {
            "type": "input",
            "block_id": "work_end",
            "label": plain(t.gettext("Working hours end")),
            "element": {
                "type": "timepicker",
                "action_id": "value",
                "initial_time": ws.working_hours[1],
            },
        },
        _text_input(
            "timezone",
            t.gettext("Default time zone"),
            ws.default_timezone,
            optional=False,
            hint=t.gettext(
                "An IANA name such as Europe/Warsaw; used when a user's zone is unknown."
            ),
        ),
        {
            "type": "input",
            "block_id": "language",
            "label": plain(t.gettext("Default language for contacts")),
            "hint": plain(
                t.gettext(
                    "Teammates read Meetline in their Slack language; this one when Meetline "
                    "does not speak it."
                )
            ),
            "element": {
                "type": "static_select",
                "action_id": "value",
                "options": languages,
                "initial_option": chosen[0],
            },
        },
        _checkbox(
            "video_default",
            t.gettext("Video"),
            t.gettext("New meetings default to a video conference"),
            ws.video_default_on,
        ),
        _checkbox(
            "sandbox",
            t.gettext("Sandbox"),
            t.gettext("This is a sandbox workspace (only sandbox users can be booked)"),
            ws.is_sandbox,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ADMIN_CALLBACK,
        "title": plain(t.gettext("Meetline settings"), 24),
        "submit": plain(t.gettext("Save"), 24),
        "close": plain(t.gettext("Cancel"), 24),
        "blocks": blocks,
    }


def seat_label(seat: str, t: Translator = EN) -> str:
    label = SEAT_LABELS.get(seat)
    return t.gettext(label) if label else seat.title()


def seat_view(*, t: Translator = EN) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": SEAT_CALLBACK,
        "title": plain(t.gettext("Seats and roles"), 24),
        "submit": plain(t.gettext("Save"), 24),
        "close": plain(t.gettext("Back"), 24),
        "blocks": [
            {
                "type": "input",
                "block_id": "user",
                "label": plain(t.gettext("Teammate")),
                "element": {
                    "type": "users_select",
                    "action_id": "value",
                    "placeholder": plain(t.gettext("Search people"), 150),
                },
            },
            {
                "type": "input",
                "block_id": "seat",
                "label": plain(t.gettext("Seat")),
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": [_opt(s, seat_label(s, t)) for s in SEATS],
                },
            },
            {
                "type": "input",
                "block_id": "roles",
                "label": plain(t.gettext("Roles")),
                "optional": True,
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [
                        _opt("admin", t.gettext("Meetline admin")),
                        _opt("manager", t.gettext("Manager (sees the team's reports)")),
                        _opt("sandbox", t.gettext("Sandbox user")),
                    ],
                },
            },
        ],
    }


def read_seat_form(view: dict[str, Any]) -> SeatChange:
    """The seat modal's submission: the teammate picked, the seat and the roles ticked."""
    v = form_values(view)
    return SeatChange(
        user_id=str(v.get("user", {}).get("selected_user") or ""),
        seat=str((v.get("seat", {}).get("selected_option") or {}).get("value") or ""),
        roles=frozenset(
            str(o.get("value")) for o in v.get("roles", {}).get("selected_options") or []
        ),
    )


def _outcome_lines(ws: WorkspaceSettings) -> str:
    """The admin's own outcomes as typed: `LOST = NO_SHOW` for one logged as another."""
    count_as = dict(ws.outcomes_count_as)
    return "\n".join(
        f"{code} = {count_as[code]}" if code in count_as else code for code in ws.custom_outcomes
    )
