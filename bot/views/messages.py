"""Pure builders for the messages Meetline posts (confirmation DMs and the like)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from bot.views.manage_views import meeting_manage_actions
from bot.views.text import clip, escape_mrkdwn, mrkdwn, plain, slack_date
from handlers.domain import Record
from handlers.meetings import DEFAULT_OUTCOMES, OUTCOME_SCHEDULED, Meeting
from handlers.outcomes import outcome_label
from handlers.scheduling import Scheduled


def when_text(meeting: Meeting) -> str:
    """Rendered by Slack in each reader's own zone."""
    return f"{slack_date(meeting.start_utc)} – {slack_date(meeting.end_utc, '{time}')}"


def confirmation_text(result: Scheduled) -> str:
    meeting = result.meeting
    lines = [f"*{escape_mrkdwn(meeting.title)}* is scheduled for {when_text(meeting)}."]
    place = meeting.location.display(meeting.join_url)
    if place:
        lines.append(f"Where: {escape_mrkdwn(place)}")
    if result.invited:
        lines.append("Invitations are on their way to: " + ", ".join(escape_mrkdwn(n) for n in result.invited) + ".")
    if result.not_invited:
        lines.append(":warning: Not invited (no valid email): "
                     + ", ".join(escape_mrkdwn(n) for n in result.not_invited) + ".")
    for warning in result.warnings:
        lines.append(f":information_source: {escape_mrkdwn(warning)}")
    if meeting.reminders:
        lines.append(f"Reminder emails: {len(meeting.reminders)}.")
    return clip("\n".join(lines), 2900) if len("\n".join(lines)) > 2900 else "\n".join(lines)


def confirmation_blocks(result: Scheduled, heading: str = "Meeting scheduled") -> list[dict[str, Any]]:
    blocks = [
        {"type": "header", "block_id": "head", "text": plain(heading, 150)},
        {"type": "section", "block_id": "summary", "text": mrkdwn(confirmation_text(result))},
    ]
    if result.meeting.status != "cancelled":
        blocks.append(meeting_manage_actions(result.meeting))
    return blocks


def cancelled_blocks(meeting: Meeting) -> list[dict[str, Any]]:
    return [{"type": "section", "block_id": "cancelled",
             "text": mrkdwn(f":x: *{escape_mrkdwn(meeting.title)}* ({when_text(meeting)}) was cancelled. "
                            "Attendees get a cancellation.")}]


def mention_text(meeting: Meeting, record: Record | None) -> str:
    about = f" about *{escape_mrkdwn(record.name)}*" if record else ""
    return (f"<@{meeting.organizer_id}> mentioned you in the notes of *{escape_mrkdwn(meeting.title)}*{about}, "
            f"{when_text(meeting)}.")


def mention_blocks(meeting: Meeting, record: Record | None) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": "mention", "text": mrkdwn(mention_text(meeting, record))},
    ]
    if meeting.notes_text:
        # Escape everything the organizer typed, then restore only real user mentions.
        safe = re.sub(r"&lt;@([UW][A-Z0-9]+)&gt;", r"<@\1>", escape_mrkdwn(meeting.notes_text))
        blocks.append({"type": "section", "block_id": "notes",
                       "text": mrkdwn(clip("> " + safe.replace("\n", "\n> "), 2900))})
    return blocks


def outcome_prompt_text(meeting: Meeting) -> str:
    return f"How did *{escape_mrkdwn(meeting.title)}* ({when_text(meeting)}) go?"


def outcome_blocks(meeting: Meeting, outcomes: tuple[str, ...] = DEFAULT_OUTCOMES) -> list[dict[str, Any]]:
    """The DM after a meeting: buttons while no outcome is set, else the outcome and "Change"."""
    summary = outcome_prompt_text(meeting)
    place = meeting.location.display(meeting.join_url)
    if place:
        summary += f"\nWhere: {escape_mrkdwn(place)}"
    if meeting.attendees:
        summary += "\nWith: " + ", ".join(escape_mrkdwn(a.name or a.email or "") for a in meeting.attendees[:10])
    blocks: list[dict[str, Any]] = [{"type": "section", "block_id": "summary", "text": mrkdwn(clip(summary, 2900))}]
    if meeting.outcome == OUTCOME_SCHEDULED:
        blocks.append(outcome_buttons(meeting, outcomes))
    else:
        blocks.append({"type": "section", "block_id": "outcome_set",
                       "text": mrkdwn(f"Outcome: *{escape_mrkdwn(outcome_label(meeting.outcome))}*"),
                       "accessory": {"type": "button", "action_id": f"outcome_change:{meeting.id}", "text": plain("Change", 75),
                                     "value": json.dumps({"m": meeting.id})}})
    return blocks


def outcome_buttons(meeting: Meeting, outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
                    block_id: str = "outcome") -> dict[str, Any]:
    return {"type": "actions", "block_id": block_id, "elements": [
        {"type": "button", "action_id": f"outcome_{code.lower()}:{meeting.id}", "text": plain(outcome_label(code), 75),
         "value": json.dumps({"m": meeting.id, "o": code}), **({"style": "primary"} if code == "COMPLETED" else {})}
        for code in outcomes[:25]
    ]}


def outcome_change_blocks(meeting: Meeting, outcomes: tuple[str, ...] = DEFAULT_OUTCOMES) -> list[dict[str, Any]]:
    """Buttons again, to change an outcome already set."""
    reopened = Meeting(**{**meeting.__dict__, "outcome": OUTCOME_SCHEDULED})
    return outcome_blocks(reopened, outcomes)


def digest_blocks(meetings: Sequence[Meeting], outcomes: tuple[str, ...] = DEFAULT_OUTCOMES) -> list[dict[str, Any]]:
    """The daily list of meetings without an outcome, each with its buttons (≤50 blocks)."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": "digest_head",
         "text": mrkdwn(f"*{len(meetings)} meeting(s) still need an outcome.* One click each:")},
    ]
    for m in list(meetings)[:24]:
        blocks.append({"type": "section", "block_id": f"digest_{m.id}", "text": mrkdwn(outcome_prompt_text(m))})
        blocks.append(outcome_buttons(m, outcomes, block_id=f"digest_outcome_{m.id}"))
    return blocks
