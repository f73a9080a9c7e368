"""A record's timeline as a message: meetings with host, organizer, outcome and time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.views.text import clip, escape_mrkdwn, mrkdwn, plain, slack_date
from handlers.domain import Record
from handlers.meetings import Meeting, TimelineEntry
from handlers.outcomes import outcome_label

KIND_LABELS = {
    "meeting_scheduled": ":calendar: Scheduled",
    "meeting_rescheduled": ":arrows_counterclockwise: Rescheduled",
    "meeting_updated": ":pencil2: Updated",
    "meeting_cancelled": ":x: Cancelled",
    "outcome_set": ":white_check_mark: Outcome",
    "calendar_changed": ":calendar: Changed in the calendar",
}
MAX_ENTRIES = 40


def _start(entry: TimelineEntry, meeting: Meeting | None) -> datetime | None:
    raw = entry.data.get("start")
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return None
    return meeting.start_utc if meeting else None


def timeline_blocks(record: Record, entries: Sequence[TimelineEntry],
                    meetings: Mapping[int, Meeting]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "block_id": "head", "text": plain(clip(f"Timeline: {record.name}", 150), 150)},
    ]
    if not entries:
        blocks.append({"type": "section", "block_id": "empty",
                       "text": mrkdwn("No meetings on this record yet. Schedule one with `/meet`.")})
        return blocks
    for i, entry in enumerate(entries[:MAX_ENTRIES]):
        meeting = meetings.get(entry.meeting_id) if entry.meeting_id is not None else None
        title = str(entry.data.get("title") or (meeting.title if meeting else ""))
        start = _start(entry, meeting)
        parts = [f"*{KIND_LABELS.get(entry.kind, entry.kind)}* · {escape_mrkdwn(title)}"]
        if entry.kind == "outcome_set":
            parts[0] += f": {escape_mrkdwn(outcome_label(str(entry.data.get('outcome', ''))))}"
        details = []
        if start:
            details.append(slack_date(start))
        host = entry.data.get("host") or (meeting.host_id if meeting else None)
        organizer = entry.data.get("organizer") or (meeting.organizer_id if meeting else None)
        if host:
            details.append(f"assigned to <@{host}>")
        if organizer:
            details.append(f"created by <@{organizer}>")
        if meeting and entry.kind != "outcome_set":
            details.append(f"outcome {escape_mrkdwn(outcome_label(meeting.outcome))}")
        text = parts[0] + ("\n" + " · ".join(details) if details else "")
        blocks.append({"type": "section", "block_id": f"entry_{i}", "text": mrkdwn(clip(text, 2900))})
        blocks.append({"type": "context", "block_id": f"when_{i}",
                       "elements": [mrkdwn(f"logged {slack_date(entry.occurred_at)}")]})
    return blocks[:50]
