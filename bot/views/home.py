"""The App Home tab: what is coming up, what waits for an outcome, and a schedule button."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.views.manage_views import meeting_line, meeting_manage_actions
from bot.views.messages import outcome_buttons, where_and_with
from bot.views.text import EN, clip, mrkdwn, plain
from handlers.i18n import Translator
from handlers.meetings import DEFAULT_OUTCOMES, Meeting

MAX_ROWS = 10


def home_view(
    user_id: str = "",
    upcoming: Sequence[Meeting] = (),
    awaiting: Sequence[Meeting] = (),
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
    extra_blocks: Sequence[dict[str, Any]] = (),
    is_admin: bool = False,
    *,
    t: Translator = EN,
) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "block_id": "head", "text": plain("Meetline", 150)},
        {
            "type": "section",
            "block_id": "intro",
            "text": mrkdwn(
                t.gettext(
                    "Schedule meetings with the contacts of a CRM record without leaving Slack. "
                    "Type `/meet` anywhere, or use the button."
                )
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
                    "text": plain(t.gettext("Schedule a meeting"), 75),
                }
            ],
        },
        {"type": "divider", "block_id": "div_upcoming"},
        {
            "type": "header",
            "block_id": "upcoming_head",
            "text": plain(t.gettext("Upcoming meetings"), 150),
        },
    ]
    if not upcoming:
        blocks.append(
            {
                "type": "context",
                "block_id": "upcoming_none",
                "elements": [
                    mrkdwn(
                        t.gettext("Nothing scheduled. Meetings you host or organize appear here.")
                    )
                ],
            }
        )
    for m in list(upcoming)[:MAX_ROWS]:
        role = "host" if m.host_id == user_id else "organizer"
        line = "\n".join([meeting_line(m, role, t=t), *where_and_with(m, t=t)])
        blocks.append(
            {
                "type": "section",
                "block_id": f"up_{m.id}",
                "text": mrkdwn(clip(line, 2900, keep_lines=True)),
            }
        )
        blocks.append(meeting_manage_actions(m, block_id=f"up_actions_{m.id}", t=t))
    blocks += [
        {"type": "divider", "block_id": "div_awaiting"},
        {
            "type": "header",
            "block_id": "awaiting_head",
            "text": plain(t.gettext("Waiting for an outcome"), 150),
        },
    ]
    if not awaiting:
        blocks.append(
            {
                "type": "context",
                "block_id": "awaiting_none",
                # True for someone who never hosted a meeting, too.
                "elements": [
                    mrkdwn(
                        t.gettext(
                            "Nothing is waiting for an outcome. When a meeting you host ends, "
                            "Meetline asks you here and in a message how it went."
                        )
                    )
                ],
            }
        )
    for m in list(awaiting)[:MAX_ROWS]:
        blocks.append(
            {
                "type": "section",
                "block_id": f"aw_{m.id}",
                "text": mrkdwn(meeting_line(m, "host", t=t)),
            }
        )
        blocks.append(outcome_buttons(m, outcomes, block_id=f"aw_outcome_{m.id}", t=t))
    blocks.extend(extra_blocks)
    if is_admin:
        blocks += [
            {"type": "divider", "block_id": "div_admin"},
            {
                "type": "actions",
                "block_id": "admin_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "admin_open",
                        "text": plain(t.gettext("Meetline settings"), 75),
                    }
                ],
            },
        ]
    return {"type": "home", "blocks": blocks[:100]}
