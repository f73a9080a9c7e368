"""Use case: two-way sync. A meeting moved, re-described or deleted in the host's own
calendar is moved, re-described or cancelled in Meetline too, so reminders, the outcome
prompt and the CRM timeline follow what the host actually did.

Sync runs as a `calendar_sync` job per connection every few minutes, queued by the worker
once per time bucket (dedupe keys make that exactly once however many workers run). Each provider reports changes its own cheap way (Google
sync token, Graph delta link, CalDAV ctag then the events by URL); only Meetline's own
upcoming events matter, and a meeting with a Meetline change still on its way to the
calendar is left alone, so sync never undoes an edit made in Slack.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from handlers.calendar_booking import (
    PROVIDER_NAMES,
    CalendarAccount,
    CalendarAccounts,
    CalendarNotifier,
    zoom_meeting_id,
)
from handlers.calendars import CalendarAuthError, CalendarError, ConferencingError, ConferencingPort
from handlers.jobs import ATTENDEE_KINDS, TIMED_KINDS, ClaimedJob, JobKind, JobQueue
from handlers.meetings import JobSpec, Meeting, NewMeeting, Reminder, TimelineSpec
from handlers.ports import Clock
from handlers.scheduling import (
    invitation_jobs,
    invitation_recipients,
    timed_jobs,
)
from handlers.worker import GiveUp, RetryLater

log = logging.getLogger(__name__)

SYNC_INTERVAL = timedelta(minutes=5)
OUTCOME_CANCELED = "CANCELED"
TIMELINE_KIND = "calendar_changed"


# --------------------------------------------------------------------------- types and ports


@dataclass(frozen=True)
class WatchedEvent:
    """A Meetline meeting whose calendar event sync should look at."""

    meeting_id: int
    uid: str
    event_id: str


@dataclass(frozen=True)
class EventChange:
    """An event as the calendar has it now. `description` is None where the provider's
    text cannot be compared with ours (Graph keeps HTML with the Teams blob in it)."""

    event_id: str
    meeting_id: int | None = None
    cancelled: bool = False
    start_utc: datetime | None = None
    end_utc: datetime | None = None
    description: str | None = None
    sequence: int | None = None


@dataclass(frozen=True)
class ChangeBatch:
    changes: tuple[EventChange, ...]
    state: dict[str, Any] | None  # what to pass next time (sync token, delta link, ctag)


class SyncStateExpired(CalendarError):
    """The stored sync token / delta link is no longer accepted: sync from scratch."""

    def __init__(self, message: str = "sync state expired") -> None:
        super().__init__(message, transient=False)


@runtime_checkable
class ChangeFeed(Protocol):
    def changes(
        self, state: Mapping[str, Any] | None, watched: Sequence[WatchedEvent]
    ) -> ChangeBatch:
        """Events changed since `state` (everything relevant when it is None)."""
        ...


@dataclass(frozen=True)
class CalendarChange:
    """What a change made in the calendar does to the stored meeting. Applied only while
    the meeting is still at `expected_sequence` (an edit in Slack meanwhile wins)."""

    meeting_id: int
    expected_sequence: int
    sequence: int
    start_utc: datetime
    end_utc: datetime
    description: str
    status: str
    outcome: str
    reminders: tuple[Reminder, ...]


class SyncedMeetings(Protocol):
    def synced_meetings(self, team_id: str, host_id: str, now: datetime) -> list[Meeting]:
        """The host's upcoming meetings that live in a calendar and have no calendar job
        of Meetline's still pending."""
        ...

    def apply_calendar_change(
        self,
        team_id: str,
        change: CalendarChange,
        jobs: Sequence[JobSpec],
        cancel_kinds: Sequence[str],
        timeline: Sequence[TimelineSpec],
    ) -> bool:
        """Store the change, cancel the meeting's queued jobs of `cancel_kinds`, queue
        `jobs` and write `timeline` in one transaction; False when the meeting moved on."""
        ...


# --------------------------------------------------------------------------- helpers


def bucket_of(moment: datetime, interval: timedelta = SYNC_INTERVAL) -> int:
    return int(moment.timestamp() // interval.total_seconds())


_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)


def plain_description(text: str, join_url: str | None) -> str:
    """The calendar's description as Meetline stores it: without the join link the
    adapters append, and as plain text (Google's web editor saves HTML)."""
    if "<" in text and _TAG.search(text):
        text = html.unescape(_TAG.sub("", _BREAK.sub("\n", text)))
    text = text.strip()
    if join_url and text.endswith(join_url):
        text = text[: -len(join_url)].rstrip()
    return text


def as_new_meeting(
    m: Meeting, start: datetime, end: datetime, reminders: tuple[Reminder, ...]
) -> NewMeeting:
    return NewMeeting(
        team_id=m.team_id,
        idempotency_key=m.idempotency_key or "",
        uid=m.uid,
        title=m.title,
        start_utc=start,
        end_utc=end,
        timezone=m.timezone,
        duration_minutes=int((end - start).total_seconds() // 60),
        location=m.location,
        host_id=m.host_id,
        organizer_id=m.organizer_id,
        record_id=m.record_id or 0,
        attendees=tuple(m.attendees),
        record_ids=tuple(m.record_ids),
        reminders=reminders,
        description=m.description,
        notes=m.notes,
        notes_text=m.notes_text,
        include_description_in_reminders=m.include_description_in_reminders,
        meeting_type=m.meeting_type,
        invitation_language=m.invitation_language,
    )


# --------------------------------------------------------------------------- use case


class CalendarSync:
    def __init__(
        self,
        accounts: CalendarAccounts,
        meetings: SyncedMeetings,
        queue: JobQueue,
        clock: Clock,
        *,
        notifier: CalendarNotifier | None = None,
        conferencing: ConferencingPort | None = None,
        interval: timedelta = SYNC_INTERVAL,
    ) -> None:
        self._accounts = accounts
        self._meetings = meetings
        self._queue = queue
        self._clock = clock
        self._notifier = notifier
        self._conferencing = conferencing
        self._interval = interval
        self._scheduled_bucket: int | None = None

    # ------------------------------------------------------------------ scheduling

    def schedule_due(self) -> int:
        """Queue this time bucket's sync job for every syncable connection (the worker
        calls this before each run; dedupe keys make it once per bucket however many
        workers call it). Returns how many connections were considered."""
        now = self._clock.now()
        bucket = bucket_of(now, self._interval)
        if bucket == self._scheduled_bucket:
            return 0
        accounts = self._accounts.syncable()
        self._queue.purge_finished(JobKind.CALENDAR_SYNC, now - timedelta(days=1))
        for account in accounts:
            self._queue.enqueue(
                JobKind.CALENDAR_SYNC,
                {"connection_id": account.id},
                now,
                dedupe_key=f"calendar-sync:{account.id}:{bucket}",
                max_attempts=3,
            )
        self._scheduled_bucket = bucket
        return len(accounts)

    # ------------------------------------------------------------------ sync

    def sync(self, job: ClaimedJob) -> None:
        account = self._accounts.account_by_id(int(job.payload["connection_id"]))
        if account is None or not account.active or not account.sync_enabled:
            return
        now = self._clock.now()
        meetings = [
            m
            for m in self._meetings.synced_meetings(account.team_id, account.user_id, now)
            if m.calendar_provider == account.provider and m.calendar_event_id
        ]
        if not meetings:
            return  # nothing of Meetline's to watch: spare the provider's quota
        watched = [WatchedEvent(m.id, m.uid, str(m.calendar_event_id)) for m in meetings]
        try:
            calendar = self._accounts.calendar(account)
            if not isinstance(calendar, ChangeFeed):
                return
            try:
                batch = calendar.changes(account.sync_state, watched)
            except SyncStateExpired:
                batch = calendar.changes(None, watched)
        except CalendarAuthError:
            if self._accounts.mark_revoked(account.id) and self._notifier is not None:
                self._notifier.calendar_disconnected(
                    account.team_id, account.user_id, account.provider
                )
            return
        except CalendarError as exc:
            name = PROVIDER_NAMES.get(account.provider, account.provider)
            if exc.transient:
                raise RetryLater(f"{name} sync failed for now: {exc}") from exc
            raise GiveUp(f"{name} sync failed: {exc}") from exc
        by_meeting = {m.id: m for m in meetings}
        by_event = {m.calendar_event_id: m for m in meetings}
        for change in batch.changes:
            meeting = by_meeting.get(change.meeting_id or -1) or by_event.get(change.event_id)
            if meeting is not None:
                self._apply(account, meeting, change, now)
        if batch.state != account.sync_state:
            self._accounts.save_sync_state(account.id, batch.state)

    def _apply(
        self, account: CalendarAccount, meeting: Meeting, change: EventChange, now: datetime
    ) -> None:
        own_invitations = (
            account.provider == "caldav"
        )  # Google and Graph told the attendees themselves
        if change.cancelled:
            sequence = meeting.sequence + 1 if own_invitations else meeting.sequence
            jobs: list[JobSpec] = []
            if own_invitations:
                invited = [a for a in meeting.attendees if a.invited_sequence is not None]
                jobs = invitation_jobs(
                    meeting.id, invitation_recipients(invited, None), now, sequence, "CANCEL"
                )
            applied = self._meetings.apply_calendar_change(
                meeting.team_id,
                CalendarChange(
                    meeting.id,
                    meeting.sequence,
                    sequence,
                    meeting.start_utc,
                    meeting.end_utc,
                    meeting.description,
                    "cancelled",
                    OUTCOME_CANCELED,
                    (),
                ),
                jobs,
                ATTENDEE_KINDS,
                self._timeline(meeting, now, account, "cancelled"),
            )
            if applied:
                self._zoom(meeting, None)
            return
        start = change.start_utc or meeting.start_utc
        end = change.end_utc or meeting.end_utc
        if end <= start:
            return
        description = meeting.description
        if change.description is not None:
            text = plain_description(change.description, meeting.join_url)
            if text != meeting.description.strip():
                description = text
        moved = (start, end) != (meeting.start_utc, meeting.end_utc)
        if not moved and description == meeting.description:
            return
        sequence = meeting.sequence
        if own_invitations:
            sequence = max(meeting.sequence + 1, change.sequence or 0)
        reminders = tuple(meeting.reminders)
        jobs = []
        cancel_kinds: tuple[str, ...] = ()
        if moved:
            reminders = tuple(
                Reminder(r.offset_minutes, start - timedelta(minutes=r.offset_minutes))
                for r in meeting.reminders
                if start - timedelta(minutes=r.offset_minutes) > now
            )
            jobs += timed_jobs(meeting.id, as_new_meeting(meeting, start, end, reminders))
            cancel_kinds = TIMED_KINDS
        if own_invitations:
            jobs += invitation_jobs(
                meeting.id, invitation_recipients(meeting.attendees, None), now, sequence
            )
        applied = self._meetings.apply_calendar_change(
            meeting.team_id,
            CalendarChange(
                meeting.id,
                meeting.sequence,
                sequence,
                start,
                end,
                description,
                meeting.status,
                meeting.outcome,
                reminders,
            ),
            jobs,
            cancel_kinds,
            self._timeline(meeting, now, account, "moved" if moved else "description", start, end),
        )
        if applied and moved:
            self._zoom(meeting, (start, end))

    def _timeline(
        self,
        meeting: Meeting,
        now: datetime,
        account: CalendarAccount,
        what: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[TimelineSpec]:
        data: dict[str, Any] = {
            "title": meeting.title,
            "change": what,
            "provider": account.provider,
            "host": meeting.host_id,
            "organizer": meeting.organizer_id,
            "start": (start or meeting.start_utc).isoformat(),
            "end": (end or meeting.end_utc).isoformat(),
        }
        if start is not None and start != meeting.start_utc:
            data["previous_start"] = meeting.start_utc.isoformat()
        if end is not None and end != meeting.end_utc:
            data["previous_end"] = meeting.end_utc.isoformat()
        return [
            TimelineSpec(rid, TIMELINE_KIND, now, meeting.host_id, data)
            for rid in meeting.record_ids
        ]

    def _zoom(self, meeting: Meeting, times: tuple[datetime, datetime] | None) -> None:
        """Keep a Zoom meeting in step; a failure here is logged, the calendar already moved."""
        zoom_id = zoom_meeting_id(meeting)
        if zoom_id is None or self._conferencing is None:
            return
        try:
            if times is None:
                self._conferencing.delete_meeting(zoom_id)
            else:
                minutes = int((times[1] - times[0]).total_seconds() // 60)
                self._conferencing.update_meeting(
                    zoom_id, meeting.title, times[0], minutes, meeting.timezone
                )
        except ConferencingError:
            log.warning(
                "Zoom meeting %s could not follow the calendar change", zoom_id, exc_info=True
            )
