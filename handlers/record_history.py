"""Use case: a record's meetings, newest first (`/meet timeline <record>`).

The record is the workspace's best match for what the user typed; the meetings are read
in the same workspace only, so a timeline never shows another workspace's meeting.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.domain import Record
from handlers.meetings import Meeting, TimelineEntry
from handlers.ports import MeetingRepository, RecordRepository


@dataclass(frozen=True)
class RecordHistory:
    record: Record
    entries: tuple[TimelineEntry, ...]
    meetings: dict[int, Meeting]  # the entries' meetings that still exist, by id


def record_history(
    records: RecordRepository, meetings: MeetingRepository, team_id: str, query: str
) -> RecordHistory | None:
    """None when no record of the workspace matches `query`."""
    found = records.search(team_id, query, limit=1)
    if not found:
        return None
    record = found[0]
    entries = meetings.timeline(team_id, record.id)
    ids = {e.meeting_id for e in entries if e.meeting_id is not None}
    return RecordHistory(
        record,
        tuple(entries),
        {mid: m for mid in ids if (m := meetings.get(team_id, mid)) is not None},
    )
