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
from datetime import datetime, timedelta
from typing import Protocol

from handlers.clock import SystemClock
from handlers.crm import CrmBusy, CrmMissingScopes, CrmRefused, LoggedMeeting
from handlers.jobs import ClaimedJob, JobKind, JobQueue
from handlers.meetings import DEFAULT_OUTCOMES, OUTCOME_SCHEDULED, JobSpec, Meeting
from handlers.ports import (
    Clock,
    MeetingLog,
    MeetingRepository,
    PeopleDirectory,
    RecordRepository,
)
from handlers.worker import Dropped, GiveUp, RetryLater
from handlers.workspace import WorkspaceRepository

BOOKED, EDITED, RESCHEDULED, CANCELLED, OUTCOME = (
    "booked",
    "edited",
    "rescheduled",
    "cancelled",
    "outcome",
)
PENDING = "pending:"
CARRY_AFTER = timedelta(hours=1)


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
        jobs: JobQueue | None = None,
        clock: Clock | None = None,
        workspaces: WorkspaceRepository | None = None,
    ) -> None:
        self._workspaces = workspaces  # each workspace's own outcomes and what they count as
        self._meetings = meetings
        self._records = records
        self._people = people
        self._logs = logs
        self._ids = ids
        self._jobs = jobs
        self._clock = clock or SystemClock()

    def run(self, job: ClaimedJob) -> None:
        meeting_id = int(job.payload["meeting_id"])
        meeting = self._meetings.get(job.team_id, meeting_id)
        if meeting is None:
            raise Dropped("the meeting is gone")
        log = self._logs(meeting.team_id)
        if log is None:
            raise Dropped("no CRM connected")
        entry = self._entry(meeting, str(job.payload.get("change") or EDITED))
        # The creator's marker passes to the job that carries its work on (below).
        marker = str(job.payload.get("marker") or f"{PENDING}{job.id}")
        current = self._ids.claim(meeting.team_id, meeting.id, marker)
        if current is None:
            raise Dropped("the meeting is gone")
        if current.startswith(PENDING) and current != marker:
            self._later(job, "the CRM entry is being created by another job")
            return
        try:
            if current == marker:
                # A retry of the creator: its first try may have created the entry
                # and lost the answer.
                retried = job.attempts > 1 or "marker" in job.payload
                found = log.find(entry) if retried else None
                self._ids.store(meeting.team_id, meeting.id, log.write(entry, found))
            else:
                log.write(entry, current)
        except CrmBusy as busy:
            self._later(job, f"CRM busy: {type(busy).__name__}", marker=marker)
        except (CrmRefused, CrmMissingScopes) as refused:
            raise GiveUp(f"CRM refused: {type(refused).__name__}") from None

    def _later(self, job: ClaimedJob, reason: str, *, marker: str | None = None) -> None:
        """Retry; on the job's last attempt, hand its work to a new job an hour later
        instead of failing: a CRM down for long only delays the log (the meeting's own
        timeline has it meanwhile)."""
        if not job.is_last_attempt or self._jobs is None:
            raise RetryLater(reason)
        payload = {**job.payload, **({"marker": marker} if marker else {})}
        self._jobs.enqueue(
            JobKind.CRM_LOG,
            payload,
            self._clock.now() + CARRY_AFTER,
            dedupe_key=f"crm-log:{payload['meeting_id']}:carried:{uuid.uuid4().hex}",
        )

    def _counted(self, team_id: str, outcome: str) -> str:
        """A workspace's own outcome as the standard one its admin chose (COMPLETED
        unless said), so the CRM's report sees a meeting that took place or not."""
        if outcome in DEFAULT_OUTCOMES or outcome == OUTCOME_SCHEDULED or not self._workspaces:
            return outcome
        return self._workspaces.get(team_id).counts_as(outcome)

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
            outcome=self._counted(meeting.team_id, logged_outcome(meeting, change)),
            host_email=host.email if host is not None else None,
            records=tuple(found.values()),
            link=meeting.calendar_event_url or meeting.join_url,
        )
