"""A record's timeline as a message: meetings with host, organizer, outcome and time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.views.crm_views import crm_link_button
from bot.views.text import EN, clip, escape_mrkdwn, mrkdwn, plain, slack_date
from handlers.domain import Record
from handlers.i18n import N_, Translator
from handlers.meetings import Meeting, TimelineEntry
from handlers.outcomes import outcome_label
from handlers.record_history import RecordHistory

KIND_LABELS = {  # (emoji, label): the label is translated where shown
    "meeting_scheduled": (":calendar:", N_("Scheduled")),
    "meeting_rescheduled": (":arrows_counterclockwise:", N_("Rescheduled")),
    "meeting_updated": (":pencil2:", N_("Updated")),
    "meeting_cancelled": (":x:", N_("Cancelled")),
    "outcome_set": (":white_check_mark:", N_("Outcome")),
    "calendar_changed": (":calendar:", N_("Changed in the calendar")),
    # no meeting: the title is the record merged into this one (storage.record_import)
    "record_merged": (":twisted_rightwards_arrows:", N_("Merged into this record")),
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


def _kind(kind: str, t: Translator) -> str:
    emoji, label = KIND_LABELS.get(kind, ("", ""))
    return f"{emoji} {t.gettext(label)}" if label else kind


def timeline_text(record: Record, *, t: Translator = EN) -> str:
    """The reply's notification text (mrkdwn: the record's name is escaped)."""
    return t.gettext("Timeline of {name}", name=escape_mrkdwn(clip(record.name, 150)))


def timeline_blocks(
    record: Record,
    entries: Sequence[TimelineEntry],
    meetings: Mapping[int, Meeting],
    *,
    t: Translator = EN,
    crm_url: str | None = None,
    deleted: bool = False,
) -> list[dict[str, Any]]:
    """`crm_url`: the record's page in the workspace's CRM (HubSpot), when it has one.
    `deleted`: the record is gone from its source, so nothing can be booked on it and
    its CRM page is gone; its history is shown as it was."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "block_id": "head",
            "text": plain(clip(t.gettext("Timeline: {name}", name=record.name), 150), 150),
        },
    ]
    if deleted:
        # Only a CRM sync deletes records: a records file that leaves one out keeps it.
        note = t.gettext("Deleted in HubSpot: it can no longer be picked for a meeting.")
        blocks.append({"type": "context", "block_id": "deleted", "elements": [mrkdwn(note)]})
    else:
        blocks.append(
            {
                "type": "actions",
                "block_id": "book",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "book_on_record",
                        "text": plain(t.gettext("Schedule a meeting on this record"), 75),
                        "value": f"r:{record.id}",
                        "style": "primary",
                    },
                    *([crm_link_button(crm_url, t=t)] if crm_url else []),
                ],
            }
        )
    if not entries:
        blocks.append(
            {
                "type": "section",
                "block_id": "empty",
                "text": mrkdwn(t.gettext("No meetings on this record yet.")),
            }
        )
        return blocks
    for i, entry in enumerate(entries[:MAX_ENTRIES]):
        meeting = meetings.get(entry.meeting_id) if entry.meeting_id is not None else None
        title = str(entry.data.get("title") or (meeting.title if meeting else ""))
        start = _start(entry, meeting)
        parts = [f"*{_kind(entry.kind, t)}* · {escape_mrkdwn(title)}"]
        if entry.kind == "outcome_set":
            parts[0] += f": {escape_mrkdwn(outcome_label(str(entry.data.get('outcome', '')), t))}"
        details = []
        if start:
            details.append(slack_date(start, t=t))
        host = entry.data.get("host") or (meeting.host_id if meeting else None)
        organizer = entry.data.get("organizer") or (meeting.organizer_id if meeting else None)
        if host:
            details.append(t.gettext("assigned to {host}", host=f"<@{host}>"))
        if organizer:
            details.append(t.gettext("created by {organizer}", organizer=f"<@{organizer}>"))
        if meeting and entry.kind != "outcome_set":
            details.append(
                t.gettext(
                    "outcome {outcome}", outcome=escape_mrkdwn(outcome_label(meeting.outcome, t))
                )
            )
        text = parts[0] + ("\n" + " · ".join(details) if details else "")
        blocks.append(
            {  # the what and the when on lines of their own
                "type": "section",
                "block_id": f"entry_{i}",
                "text": mrkdwn(clip(text, 2900, keep_lines=True)),
            }
        )
        blocks.append(
            {
                "type": "context",
                "block_id": f"when_{i}",
                "elements": [
                    mrkdwn(t.gettext("logged {when}", when=slack_date(entry.occurred_at, t=t)))
                ],
            }
        )
    return blocks[:50]


def timeline_reply(
    query: str, history: RecordHistory | None, *, t: Translator = EN, crm_url: str | None = None
) -> dict[str, Any]:
    """`/meet timeline <record>`: the ephemeral answer (text and blocks)."""
    if not query:
        return {"text": t.gettext("Which record? Try `/meet timeline Jane Doe`.")}
    if history is None:
        return {"text": t.gettext("No record matches “{query}”.", query=escape_mrkdwn(query))}
    return {
        "text": timeline_text(history.record, t=t),
        "blocks": timeline_blocks(
            history.record,
            history.entries,
            history.meetings,
            t=t,
            crm_url=crm_url,
            deleted=history.deleted,
        ),
    }
