"""The App Home tab."""

from __future__ import annotations

from typing import Any

from bot.views.text import mrkdwn, plain


def home_view() -> dict[str, Any]:
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "block_id": "head", "text": plain("Meetline", 150)},
            {
                "type": "section",
                "block_id": "intro",
                "text": mrkdwn(
                    "Schedule meetings with the contacts of a CRM record without leaving Slack. "
                    "Type `/meet` anywhere, or use the button."
                ),
            },
            {
                "type": "actions",
                "block_id": "home_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "home_schedule",
                        "style": "primary",
                        "text": plain("Schedule a meeting", 75),
                    }
                ],
            },
        ],
    }
