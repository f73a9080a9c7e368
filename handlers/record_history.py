"""Use case: a record's meetings, newest first (`/meet timeline <record>`).

The record is the workspace's best match for what the user typed; the meetings are read
in the same workspace only, so a timeline never shows another workspace's meeting. A
record deleted at its source is found only when no live record matches: its history is
still the rep's, though nothing else offers it any more.
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
    deleted: bool = False  # deleted at its source (RecordRepository.deleted_named)


def record_history(
    records: RecordRepository, meetings: MeetingRepository, team_id: str, query: str
) -> RecordHistory | None:
    """None when no record of the workspace matches `query`."""
    found = records.search(team_id, query, limit=1)
    deleted = not found
    record = found[0] if found else records.deleted_named(team_id, query)
    if record is None:
        return None
    entries = meetings.timeline(team_id, record.id)
    ids = {e.meeting_id for e in entries if e.meeting_id is not None}
    return RecordHistory(
        record,
        tuple(entries),
        {mid: m for mid in ids if (m := meetings.get(team_id, mid)) is not None},
        deleted,
    )
