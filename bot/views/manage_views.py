"""Pieces shared by every place a meeting is shown: its one-line summary and its buttons."""

from __future__ import annotations

import json
from typing import Any

from bot.views.text import clip, escape_mrkdwn, plain, slack_date
from handlers.meetings import Meeting


def meeting_line(meeting: Meeting, role: str | None = None) -> str:
    when = f"{slack_date(meeting.start_utc)} – {slack_date(meeting.end_utc, '{time}')}"
    who = f" · you are the {role}" if role else ""
    host = f" · host <@{meeting.host_id}>" if role != "host" else ""
    return clip(f"*{escape_mrkdwn(meeting.title)}*\n{when}{host}{who}", 2900)


def meeting_manage_actions(meeting: Meeting, block_id: str = "manage") -> dict[str, Any]:
    """Edit and Cancel; action ids carry the meeting id so each row's buttons are distinct."""
    value = json.dumps({"m": meeting.id})
    return {
        "type": "actions",
        "block_id": block_id,
        "elements": [
            {"type": "button", "action_id": f"meeting_edit:{meeting.id}", "text": plain("Edit", 75), "value": value},
            {"type": "button", "action_id": f"meeting_cancel:{meeting.id}", "text": plain("Cancel meeting", 75),
             "style": "danger", "value": value,
             "confirm": {
                 "title": plain("Cancel this meeting?", 100),
                 "text": plain(clip(f"“{meeting.title}” will be cancelled and attendees get a cancellation.", 300),
                               300),
                 "confirm": plain("Cancel meeting", 30),
                 "deny": plain("Keep it", 30),
                 "style": "danger",
             }},
        ],
    }
