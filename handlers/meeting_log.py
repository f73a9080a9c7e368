"""Meetline's own timeline as a `MeetingLog` (handlers/ports.py).

Its entries are written in the meeting's own transaction (`MeetingRepository.create`,
`update`, `set_outcome` with their `TimelineSpec`s), so there is nothing left to do
when a log is asked to write: the entry's id is the meeting's. It exists so that a
workspace without a CRM and one with HubSpot go through the same port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.crm import LoggedMeeting

TIMELINE_PREFIX = "meetline:"


class TimelineLog:
    def write(self, meeting: LoggedMeeting, log_id: str | None) -> str:
        return log_id or f"{TIMELINE_PREFIX}{meeting.meeting_id}"

    def find(self, meeting: LoggedMeeting) -> str | None:
        return f"{TIMELINE_PREFIX}{meeting.meeting_id}"


if TYPE_CHECKING:  # mypy proves the port is implemented; nothing runs
    from handlers.ports import MeetingLog

    def _implements(log: TimelineLog) -> MeetingLog:
        return log
