"""The durable job queue as the use cases see it (implemented by storage.jobs).

Reminders, outcome prompts and retries of calls to calendars and mail servers are
jobs, so they survive restarts, and several workers can share one queue: a job is
claimed under a lease; a worker that dies simply lets the lease expire and another
worker picks the job up again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class JobKind(StrEnum):
    """What a job does; the value is what `jobs.kind` stores, so never rename a value
    (queued rows would find no handler): add a member, and its handler in bot/wiring.py (build_worker)."""

    INVITE = "send_invitation"
    REMIND = "send_reminder"  # fans out into one REMINDER_MAIL per attendee
    REMINDER_MAIL = "send_reminder_email"
    MENTION = "mention_dm"
    OUTCOME = "outcome_prompt"
    OUTCOME_NUDGE = "outcome_nudge"
    OUTCOME_DIGEST = "outcome_digest"
    CALENDAR_CREATE = "calendar_create"
    CALENDAR_UPDATE = "calendar_update"
    CALENDAR_CANCEL = "calendar_cancel"
    CALENDAR_SYNC = "calendar_sync"
    CRM_SYNC = "crm_sync"  # one page of the workspace's CRM records (handlers/crm_sync.py)
    CRM_LOG = "crm_log"  # the meeting as the CRM's meeting engagement (handlers/crm_log.py)


# Jobs that write the host's calendar event: calendar sync waits until none is pending.
CALENDAR_KINDS = (JobKind.CALENDAR_CREATE, JobKind.CALENDAR_UPDATE, JobKind.CALENDAR_CANCEL)
# Jobs due at a time derived from the meeting's: re-queued when the meeting moves.
TIMED_KINDS = (JobKind.REMIND, JobKind.OUTCOME)
# Jobs that reach attendees or teammates: none may run once the meeting is cancelled.
ATTENDEE_KINDS = (
    JobKind.REMIND,
    JobKind.OUTCOME,
    JobKind.MENTION,
    JobKind.INVITE,
    JobKind.REMINDER_MAIL,
)

# Job statuses as stored.
QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"
DROPPED = "dropped"  # ran, and found it had nothing left to do (why: `last_error`)
STATUSES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED, DROPPED)


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker now holds until its lease expires. `attempts` includes this one."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    run_at: datetime
    # The workspace of the job's meeting, read from the meeting row when the job is
    # claimed: every lookup the job makes is scoped to it ("" when it has no meeting).
    team_id: str = ""

    @property
    def is_last_attempt(self) -> bool:
        return self.attempts >= self.max_attempts


@dataclass(frozen=True)
class JobInfo:
    """A job as operators see it (e.g. the failed ones)."""

    id: int
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None = None
    dedupe_key: str | None = None
    finished_at: datetime | None = None


def backoff_seconds(attempts: int) -> int:
    """Delay before retry number `attempts` + 1: 30 s doubling, capped at one hour."""
    return int(min(30 * 2 ** max(attempts - 1, 0), 3600))


class JobQueue(Protocol):
    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        run_at: datetime,
        dedupe_key: str | None = None,
        max_attempts: int = 8,
    ) -> int | None:
        """The new job's id, or None when a job with this dedupe_key already exists
        (in any status: a key is used once, so include e.g. the meeting's sequence)."""
        ...

    def claim(
        self, worker_id: str, now: datetime, limit: int = 10, lease_seconds: int = 300
    ) -> list[ClaimedJob]:
        """Due jobs (queued with run_at <= now, or running with an expired lease), oldest
        run_at first; each is locked to `worker_id` for `lease_seconds`."""
        ...

    def complete(self, job_id: int, worker_id: str, now: datetime | None = None) -> bool:
        """False (and nothing changes) when the job is no longer held by this worker."""
        ...

    def fail(
        self, job_id: int, worker_id: str, error: str, now: datetime, retry: bool = True
    ) -> bool:
        """Re-queue with backoff, or mark failed after max_attempts or when retry=False."""
        ...

    def drop(self, job_id: int, worker_id: str, reason: str, now: datetime) -> bool:
        """Finish a held job as dropped, never to be retried, keeping `reason` where
        operators read job errors; False when the job is no longer held by this worker."""
        ...

    def cancel_where(self, kind: str | None, meeting_id: int, now: datetime | None = None) -> int:
        """Cancel queued jobs of this meeting (of this kind, or any kind for None)."""
        ...

    def reschedule_where(self, kind: str | None, meeting_id: int, run_at: datetime) -> int:
        """Move queued jobs of this meeting (of this kind, or any kind) to run_at."""
        ...

    def stats(self) -> dict[str, int]:
        """Number of jobs per status (every status present, zero included)."""
        ...

    def list_failed(self, limit: int = 100) -> list[JobInfo]: ...

    def purge_finished(self, kind: str, older_than: datetime) -> int:
        """Delete finished jobs of a recurring kind finished before `older_than`."""
        ...
