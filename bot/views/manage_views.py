"""Pieces shared by every place a meeting is shown: its one-line summary and its buttons."""

from __future__ import annotations

import json
from typing import Any

from bot.views.text import EN, clip, escape_mrkdwn, plain, slack_date
from handlers.i18n import Translator
from handlers.meetings import Meeting


def meeting_line(meeting: Meeting, role: str | None = None, *, t: Translator = EN) -> str:
    when = f"{slack_date(meeting.start_utc, t=t)} – {slack_date(meeting.end_utc, '{time}', t=t)}"
    who = ""
    if role == "host":
        who = " · " + t.gettext("you are the host")
    elif role == "organizer":
        who = " · " + t.gettext("you are the organizer")
    host = " · " + t.gettext("host {host}", host=f"<@{meeting.host_id}>") if role != "host" else ""
    return clip(f"*{escape_mrkdwn(meeting.title)}*\n{when}{host}{who}", 2900, keep_lines=True)


def meeting_manage_actions(
    meeting: Meeting, block_id: str = "manage", *, t: Translator = EN
) -> dict[str, Any]:
    """Edit and Cancel; action ids carry the meeting id so each row's buttons are distinct."""
    value = json.dumps({"m": meeting.id})
    return {
        "type": "actions",
        "block_id": block_id,
        "elements": [
            {
                "type": "button",
                "action_id": f"meeting_edit:{meeting.id}",
                "text": plain(t.gettext("Edit"), 75),
                "value": value,
            },
            {
                "type": "button",
                "action_id": f"meeting_cancel:{meeting.id}",
                "text": plain(t.gettext("Cancel meeting"), 75),
                "style": "danger",
                "value": value,
                "confirm": {
                    "title": plain(t.gettext("Cancel this meeting?"), 100),
                    "text": plain(
                        t.gettext(
                            "“{title}” will be cancelled and attendees get a cancellation.",
                            title=clip(meeting.title, 150),
                        ),
                        300,
                    ),
                    "confirm": plain(t.gettext("Cancel meeting"), 30),
                    "deny": plain(t.gettext("Keep it"), 30),
                    "style": "danger",
                },
            },
        ],
    }
