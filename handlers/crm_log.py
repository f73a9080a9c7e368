"""Log meetings in the workspace's CRM (a HubSpot meeting engagement), through jobs.

Every booking, edit, cancellation and outcome of a workspace with a CRM queues one
`CRM_LOG` job in the same transaction as the change, so a CRM that is down only delays
it. Each job writes the meeting as it is when the job runs, so jobs that run late or
twice write the same thing; creation happens once: the first job claims it in the
database (`CrmLogIds.claim`), the others wait for the id and then update.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from handlers.crm import CrmBusy, CrmMissingScopes, CrmRefused, LoggedMeeting
from handlers.jobs import ClaimedJob, JobKind
from handlers.meetings import OUTCOME_SCHEDULED, JobSpec, Meeting
from handlers.ports import MeetingLog, MeetingRepository, PeopleDirectory, RecordRepository
from handlers.worker import Dropped, GiveUp, RetryLater

BOOKED, EDITED, RESCHEDULED, CANCELLED, OUTCOME = (
    "booked",
    "edited",
    "rescheduled",
    "cancelled",
    "outcome",
)
PENDING = "pending:"


def crm_log_job(meeting_id: int, now: datetime, change: str) -> JobSpec:
    """The job that brings the CRM's entry of the meeting up to date after `change`."""
    return JobSpec(
        JobKind.CRM_LOG,
        {"meeting_id": meeting_id, "change": change},
        now,
        f"crm-log:{meeting_id}:{change}:{uuid.uuid4().hex}",
    )


class CrmLogIds(Protocol):
    """Each meeting's entry id in the CRM (storage/crm_connections.py)."""

    def claim(self, team_id: str, meeting_id: int, marker: str) -> str | None:
        """Store `marker` unless an id or another marker is stored; returns what is
        stored now (None: not the workspace's meeting)."""
        ...

    def store(self, team_id: str, meeting_id: int, log_id: str) -> None: ...


def logged_outcome(meeting: Meeting, change: str) -> str:
    """What the CRM's entry says of how it went: cancelled is CANCELED, a recorded
    outcome is itself, and a meeting moved to another time RESCHEDULED."""
    if meeting.status == "cancelled":
        return "CANCELED"
    if meeting.outcome != OUTCOME_SCHEDULED:
        return meeting.outcome
    return "RESCHEDULED" if change == RESCHEDULED else OUTCOME_SCHEDULED


class LogMeetings:
    def __init__(
        self,
        meetings: MeetingRepository,
        records: RecordRepository,
        people: PeopleDirectory,
        logs: Callable[[str], MeetingLog | None],
        ids: CrmLogIds,
    ) -> None:
        self._meetings = meetings
        self._records = records
        self._people = people
        self._logs = logs
        self._ids = ids

    def run(self, job: ClaimedJob) -> None:
        meeting_id = int(job.payload["meeting_id"])
        meeting = self._meetings.get(job.team_id, meeting_id)
        if meeting is None:
            raise Dropped("the meeting is gone")
        log = self._logs(meeting.team_id)
        if log is None:
            raise Dropped("no CRM connected")
        entry = self._entry(meeting, str(job.payload.get("change") or EDITED))
        marker = f"{PENDING}{job.id}"
        current = self._ids.claim(meeting.team_id, meeting.id, marker)
        if current is None:
            raise Dropped("the meeting is gone")
        if current.startswith(PENDING) and current != marker:
            raise RetryLater("the CRM entry is being created by another job")
        try:
            if current == marker:
                # A retry of the creator: its first try may have created the entry
                # and lost the answer.
                found = log.find(entry) if job.attempts > 1 else None
                self._ids.store(meeting.team_id, meeting.id, log.write(entry, found))
            else:
                log.write(entry, current)
        except CrmBusy as busy:
            raise RetryLater(f"CRM busy: {type(busy).__name__}") from None
        except (CrmRefused, CrmMissingScopes) as refused:
            raise GiveUp(f"CRM refused: {type(refused).__name__}") from None

    def _entry(self, meeting: Meeting, change: str) -> LoggedMeeting:
        ids = [*meeting.record_ids, *(a.record_id for a in meeting.attendees if a.record_id)]
        found = self._records.get_many(meeting.team_id, list(dict.fromkeys(ids)))
        host = self._people.user(meeting.team_id, meeting.host_id)
        return LoggedMeeting(
            meeting_id=meeting.id,
            team_id=meeting.team_id,
            title=meeting.title,
            description=meeting.description,
            internal_notes=meeting.notes_text,
            location=meeting.location.display(meeting.join_url),
            start_utc=meeting.start_utc,
            end_utc=meeting.end_utc,
            outcome=logged_outcome(meeting, change),
            host_email=host.email if host is not None else None,
            records=tuple(found.values()),
        )
