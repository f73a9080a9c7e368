"""In-memory fakes of the ports in handlers.ports, for unit tests of the use cases.

They keep the contracts the use cases rely on (team scoping, the idempotency key, the
expected sequence of an update, jobs deduplicated by key) without a database. The
unit of work keeps a copy of everything on entry and puts it back unless `commit()` was
called, so a test sees exactly what a use case committed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

from handlers.connect_crm import CrmAccount, CrmConnection
from handlers.domain import ImportResult, Record, RecordKind, RecordRow, UserProfile
from handlers.meetings import (
    OUTCOME_SCHEDULED,
    JobSpec,
    Location,
    Meeting,
    MeetingUpdate,
    NewMeeting,
    Reminder,
    StaleMeeting,
    TimelineEntry,
    TimelineSpec,
)
from handlers.ports import CalendarConnectionInfo
from handlers.workspace import WorkspaceSettings


def a_meeting(start: datetime, **changes: Any) -> Meeting:
    """Meeting 7 of workspace T1: "Demo", 30 minutes at `start`, hosted by UHOST for
    organizer UORG, nobody invited; `changes` override any field."""
    meeting = Meeting(
        id=7,
        team_id="T1",
        uid="m7@meetline",
        sequence=0,
        title="Demo",
        start_utc=start,
        end_utc=start + timedelta(minutes=30),
        timezone="UTC",
        duration_minutes=30,
        location=Location(),
        host_id="UHOST",
        organizer_id="UORG",
        attendees=[],
        reminders=[],
    )
    return replace(meeting, **changes)


def _kept_reminder(stored: Sequence[Reminder], wanted: Reminder) -> Reminder:
    """A reminder an edit keeps (same offset, same time) keeps its status, as in SQL."""
    same = (wanted.offset_minutes, wanted.due_at)
    return next((r for r in stored if (r.offset_minutes, r.due_at) == same), wanted)


@dataclass
class QueuedJob:
    spec: JobSpec
    status: str = "queued"


@dataclass
class Store:
    """Everything the in-memory repositories hold (what a database would)."""

    records: dict[int, tuple[str, Record]] = field(default_factory=dict)  # id -> (team, record)
    # Records deleted at their source: kept for their timelines, read by nothing else.
    deleted_records: dict[int, tuple[str, Record]] = field(default_factory=dict)
    meetings: dict[int, Meeting] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)
    jobs: list[QueuedJob] = field(default_factory=list)
    users: dict[tuple[str, str], UserProfile] = field(default_factory=dict)
    workspaces: dict[str, WorkspaceSettings] = field(default_factory=dict)

    def queued(self, kind: str | None = None) -> list[JobSpec]:
        return [
            j.spec
            for j in self.jobs
            if j.status == "queued" and (kind is None or j.spec.kind == kind)
        ]


class InMemoryRecords:
    """handlers.ports.RecordRepository."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(
        self,
        team_id: str,
        name: str,
        email: str | None = None,
        *,
        kind: RecordKind = RecordKind.CONTACT,
        timezone: str | None = None,
    ) -> Record:
        record_id = max((*self._store.records, *self._store.deleted_records), default=0) + 1
        record = Record(record_id, kind, f"ext-{record_id}", name, email=email, timezone=timezone)
        self._store.records[record_id] = (team_id, record)
        return record

    def _team(self, team_id: str) -> list[Record]:
        return [r for team, r in self._store.records.values() if team == team_id]

    def search(
        self,
        team_id: str,
        query: str,
        *,
        kinds: Sequence[RecordKind] | None = None,
        limit: int = 50,
    ) -> list[Record]:
        q = query.strip().lower()
        return [
            r
            for r in self._team(team_id)
            if r.name.lower().startswith(q) and (kinds is None or r.kind in kinds)
        ][:limit]

    def get(self, team_id: str, record_id: int) -> Record | None:
        found = self._store.records.get(record_id)
        return found[1] if found is not None and found[0] == team_id else None

    def expect(self, team_id: str, record_ids: Sequence[int]) -> None:
        """Nothing to batch in memory."""

    def get_many(self, team_id: str, record_ids: Sequence[int]) -> dict[int, Record]:
        found = {rid: self.get(team_id, rid) for rid in record_ids}
        return {rid: r for rid, r in found.items() if r is not None}

    def associations(self, team_id: str, record_id: int) -> list[Record]:
        return []

    def import_rows(self, team_id: str, rows: Sequence[RecordRow]) -> ImportResult:
        for row in rows:
            self.add(team_id, row.name, row.email, kind=row.kind, timezone=row.timezone)
        return ImportResult(created=len(rows), updated=0, associations=0)

    def existing_external_ids(self, team_id: str, external_ids: Sequence[str]) -> set[str]:
        return {r.external_id for r in self._team(team_id)} & set(external_ids)

    def delete_external(self, team_id: str, external_ids: Sequence[str]) -> int:
        gone = [
            rid
            for rid, (team, r) in self._store.records.items()
            if team == team_id and r.external_id in set(external_ids)
        ]
        for rid in gone:
            self._store.deleted_records[rid] = self._store.records.pop(rid)
        return len(gone)

    def deleted_named(self, team_id: str, query: str) -> Record | None:
        q = query.strip().lower()
        found = [
            r
            for team, r in self._store.deleted_records.values()
            if team == team_id and q and r.name.lower().startswith(q)
        ]
        return min(found, key=lambda r: (r.name.lower() != q, r.id)) if found else None

    def deleted_among(self, team_id: str, record_ids: Sequence[int]) -> dict[int, Record]:
        return {
            rid: r
            for rid in record_ids
            if (found := self._store.deleted_records.get(rid)) is not None
            for team, r in [found]
            if team == team_id
        }

    def mirror_page(
        self,
        team_id: str,
        rows: Sequence[RecordRow],
        *,
        merged: Sequence[tuple[str, str]] = (),
        deleted: Sequence[str] = (),
        at: datetime,
    ) -> int:
        stored = self.existing_external_ids(team_id, [r.external_id for r in rows])
        self.import_rows(team_id, [r for r in rows if r.external_id not in stored])
        ids = {r.external_id: r.id for r in self._team(team_id)}
        count = 0
        for gone_ext, kept_ext in merged:
            gone, kept = ids.get(gone_ext), ids.get(kept_ext)
            if gone is None or kept is None or gone == kept:
                continue
            for m in self._store.meetings.values():
                if m.team_id != team_id:
                    continue
                if m.record_id == gone:
                    m.record_id = kept
                m.record_ids = list(dict.fromkeys(kept if r == gone else r for r in m.record_ids))
                attends = any(a.record_id == kept for a in m.attendees)
                m.attendees = [
                    replace(a, record_id=None if attends else kept) if a.record_id == gone else a
                    for a in m.attendees
                ]
            self._store.timeline = [
                replace(e, record_id=kept) if e.record_id == gone else e
                for e in self._store.timeline
            ]
            del self._store.records[gone]
            ids.pop(gone_ext)
            count += 1
        self.delete_external(team_id, deleted)
        return count


class InMemoryMeetings:
    """handlers.ports.MeetingRepository."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def by_idempotency_key(self, team_id: str, key: str) -> Meeting | None:
        return next(
            (
                m
                for m in self._store.meetings.values()
                if m.idempotency_key == key and m.team_id == team_id
            ),
            None,
        )

    def get(self, team_id: str, meeting_id: int) -> Meeting | None:
        meeting = self._store.meetings.get(meeting_id)
        return meeting if meeting is not None and meeting.team_id == team_id else None

    def get_many(self, team_id: str, meeting_ids: Sequence[int]) -> dict[int, Meeting]:
        found = {mid: self.get(team_id, mid) for mid in meeting_ids}
        return {mid: m for mid, m in found.items() if m is not None}

    def create(
        self,
        new: NewMeeting,
        jobs: Callable[[int], Sequence[JobSpec]],
        timeline: Sequence[TimelineSpec],
    ) -> tuple[Meeting, bool]:
        same_key = [
            m for m in self._store.meetings.values() if m.idempotency_key == new.idempotency_key
        ]
        if same_key:
            if same_key[0].team_id != new.team_id:
                raise LookupError("the submission key belongs to another workspace")
            return same_key[0], False
        self._check_records(new.team_id, [*new.record_ids, *(a.record_id for a in new.attendees)])
        meeting_id = max(self._store.meetings, default=0) + 1
        meeting = new.stored(meeting_id, None)
        self._store.meetings[meeting_id] = meeting
        self._add_timeline(meeting_id, timeline)
        self._enqueue(jobs(meeting_id))
        return meeting, True

    def update(
        self,
        change: MeetingUpdate,
        jobs: Sequence[JobSpec],
        cancel_kinds: Sequence[str],
        timeline: Sequence[TimelineSpec],
    ) -> Meeting:
        new = change.fields
        row = self.get(new.team_id, change.meeting_id)
        if row is None:
            raise LookupError(f"meeting {change.meeting_id} does not exist in {new.team_id}")
        linked = set(row.record_ids) | {
            a.record_id for a in row.attendees if a.record_id is not None
        }
        self._check_records(
            new.team_id,
            [
                rid
                for rid in (*new.record_ids, *(a.record_id for a in new.attendees))
                if rid not in linked
            ],
        )
        if change.expected_sequence is not None and (
            row.sequence != change.expected_sequence or row.status == "cancelled"
        ):
            raise StaleMeeting(f"meeting {row.id} changed meanwhile")
        kept = {(a.email or "").lower(): a for a in row.attendees if a.email}
        attendees = [
            replace(
                a,
                invited_sequence=getattr(
                    kept.get((a.email or "").lower()), "invited_sequence", None
                ),
                response=getattr(kept.get((a.email or "").lower()), "response", "needs-action"),
            )
            for a in new.attendees
        ]
        updated = replace(
            row,
            sequence=change.sequence,
            status=change.status,
            outcome=change.outcome,
            title=new.title,
            start_utc=new.start_utc,
            end_utc=new.end_utc,
            timezone=new.timezone,
            duration_minutes=new.duration_minutes,
            meeting_type=new.meeting_type,
            location=new.location,
            description=new.description,
            notes=new.notes,
            notes_text=new.notes_text,
            include_description_in_reminders=new.include_description_in_reminders,
            invitation_language=new.invitation_language,
            host_id=new.host_id,
            record_id=new.record_id or row.record_id,
            attendees=attendees,
            record_ids=list(dict.fromkeys([*row.record_ids, *new.record_ids])),
            reminders=[_kept_reminder(row.reminders, r) for r in new.reminders],
        )
        self._store.meetings[row.id] = updated
        self._add_timeline(row.id, timeline)
        wanted = {j.dedupe_key for j in jobs if j.dedupe_key is not None}
        for job in self._store.jobs:
            if (
                job.status == "queued"
                and job.spec.payload.get("meeting_id") == row.id
                and job.spec.kind in cancel_kinds
                and (job.spec.dedupe_key is None or job.spec.dedupe_key not in wanted)
            ):
                job.status = "cancelled"
        self._enqueue(jobs)
        return updated

    def set_outcome(
        self,
        team_id: str,
        meeting_id: int,
        outcome: str,
        actor_id: str,
        now: datetime,
        jobs: Sequence[JobSpec] = (),
    ) -> bool:
        row = self.get(team_id, meeting_id)
        if row is None or row.outcome == outcome:
            return False
        self._enqueue(jobs)
        self._store.meetings[meeting_id] = replace(row, outcome=outcome)
        self._add_timeline(
            meeting_id,
            [
                TimelineSpec(
                    rid,
                    "outcome_set",
                    now,
                    actor_id,
                    {"outcome": outcome, "previous": row.outcome, "title": row.title},
                )
                for rid in row.record_ids
            ],
        )
        return True

    def mark_invited(self, team_id: str, meeting_id: int, email: str, sequence: int) -> None:
        row = self.get(team_id, meeting_id)
        if row is not None:
            row.attendees = [
                replace(a, invited_sequence=sequence) if a.email == email else a
                for a in row.attendees
            ]

    def set_reminder_status(
        self, team_id: str, meeting_id: int, offset_minutes: int, status: str
    ) -> None:
        row = self.get(team_id, meeting_id)
        if row is not None:
            row.reminders = [
                replace(r, status=status) if r.offset_minutes == offset_minutes else r
                for r in row.reminders
            ]

    def set_calendar_event(
        self,
        team_id: str,
        meeting_id: int,
        provider: str | None,
        event_id: str | None,
        join_url: str | None,
        event_url: str | None = None,
    ) -> None:
        row = self.get(team_id, meeting_id)
        if row is not None:
            same = row.calendar_event_id == event_id
            self._store.meetings[meeting_id] = replace(
                row,
                calendar_provider=provider,
                calendar_event_id=event_id,
                join_url=join_url,
                calendar_event_url=event_url or (row.calendar_event_url if same else None),
            )

    def list_meetings(self, team_id: str, limit: int = 1000) -> list[Meeting]:
        return sorted(
            (m for m in self._store.meetings.values() if m.team_id == team_id),
            key=lambda m: m.start_utc,
        )[:limit]

    def list_every_team(self, limit: int = 1000) -> list[Meeting]:
        return sorted(self._store.meetings.values(), key=lambda m: m.start_utc)[:limit]

    def upcoming_for(
        self, team_id: str, user_id: str, now: datetime, limit: int = 10
    ) -> list[Meeting]:
        return [
            m
            for m in self.list_meetings(team_id)
            if m.status == "scheduled"
            and m.end_utc > now
            and user_id in (m.host_id, m.organizer_id)
        ][:limit]

    def awaiting_outcome(
        self, team_id: str, user_id: str, now: datetime, limit: int = 10
    ) -> list[Meeting]:
        return [
            m
            for m in reversed(self.list_meetings(team_id))
            if m.status == "scheduled"
            and m.end_utc <= now
            and m.outcome == OUTCOME_SCHEDULED
            and m.host_id == user_id
        ][:limit]

    def timeline(self, team_id: str, record_id: int, limit: int = 50) -> list[TimelineEntry]:
        found = self._store.records.get(record_id)
        if found is None or found[0] != team_id:
            return []
        return [e for e in reversed(self._store.timeline) if e.record_id == record_id][:limit]

    def _check_records(self, team_id: str, record_ids: Sequence[int | None]) -> None:
        for rid in record_ids:
            if rid is not None and (
                rid not in self._store.records or self._store.records[rid][0] != team_id
            ):
                raise LookupError(f"records of another workspace, or unknown, for {team_id}")

    def _add_timeline(self, meeting_id: int, timeline: Sequence[TimelineSpec]) -> None:
        self._store.timeline += [
            TimelineEntry(
                t.record_id, t.kind, t.occurred_at, t.actor_user_id, meeting_id, dict(t.data)
            )
            for t in timeline
        ]

    def _enqueue(self, jobs: Sequence[JobSpec]) -> None:
        used = {j.spec.dedupe_key for j in self._store.jobs if j.spec.dedupe_key}
        for job in jobs:
            if job.dedupe_key is None:
                self._store.jobs.append(QueuedJob(job))
            elif job.dedupe_key not in used:
                self._store.jobs.append(QueuedJob(job))
                used.add(job.dedupe_key)
            else:  # a job cancelled before it ran is queued again when a change wants it
                for stored in self._store.jobs:
                    if stored.spec.dedupe_key == job.dedupe_key and stored.status == "cancelled":
                        stored.spec, stored.status = job, "queued"


class InMemoryUsers:
    """handlers.ports.UserRepository."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, team_id: str, slack_user_id: str) -> UserProfile | None:
        found = self._store.users.get((team_id, slack_user_id))
        return copy.deepcopy(found) if found is not None else None

    def save(self, profile: UserProfile) -> None:
        self._store.users[(profile.team_id, profile.slack_user_id)] = copy.deepcopy(profile)

    def has_admin(self, team_id: str) -> bool:
        return any(p.is_admin for p in self.list_users(team_id))

    def claim_first_admin(self, team_id: str, slack_user_id: str) -> bool:
        if self.has_admin(team_id):
            return False
        profile = self.get(team_id, slack_user_id) or UserProfile(team_id, slack_user_id)
        profile.is_admin = True
        self.save(profile)
        return True

    def teams(self) -> list[str]:
        return sorted({team for team, _ in self._store.users})

    def list_users(self, team_id: str | None = None) -> list[UserProfile]:
        return [
            copy.deepcopy(p)
            for (team, _), p in sorted(self._store.users.items())
            if team_id is None or team == team_id
        ]

    def search(self, team_id: str, query: str, limit: int = 20) -> list[UserProfile]:
        q = query.strip().lower()
        return [p for p in self.list_users(team_id) if p.name.lower().startswith(q)][:limit]


class InMemoryWorkspaces:
    """handlers.workspace.WorkspaceRepository."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, team_id: str) -> WorkspaceSettings:
        return copy.deepcopy(self._store.workspaces.get(team_id, WorkspaceSettings()))

    def save(self, team_id: str, settings: WorkspaceSettings) -> None:
        self._store.workspaces[team_id] = copy.deepcopy(settings)


class InMemoryUnitOfWork:
    """handlers.ports.UnitOfWork over a Store: what is not committed is put back on exit."""

    def __init__(
        self, store: Store, on_commit: Callable[[], None], on_open: Callable[[int], None]
    ) -> None:
        self._store = store
        self._on_commit = on_commit
        self._on_open = on_open
        self._saved: Store | None = None
        self.meetings = InMemoryMeetings(store)
        self.records = InMemoryRecords(store)
        self.users = InMemoryUsers(store)
        self.workspaces = InMemoryWorkspaces(store)

    def __enter__(self) -> Self:
        self._saved = copy.deepcopy(self._store)
        self._on_open(1)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self._on_open(-1)

    def commit(self) -> None:
        self._saved = copy.deepcopy(self._store)
        self._on_commit()

    def rollback(self) -> None:
        assert self._saved is not None, "use the unit of work in a `with` block"
        self._store.__dict__.update(copy.deepcopy(self._saved).__dict__)


class InMemoryUnitOfWorkFactory:
    """handlers.ports.UnitOfWorkFactory: every unit works on the same Store; `commits`
    counts the commits, `open` the units inside their `with` block right now."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()
        self.commits = 0
        self.open = 0

    def __call__(self, *, single_write: bool = False) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store, self._committed, self._opened)

    def _committed(self) -> None:
        self.commits += 1

    def _opened(self, delta: int) -> None:
        self.open += delta

    # The same repositories outside any unit: to arrange a test and to look at its result.
    @property
    def records(self) -> InMemoryRecords:
        return InMemoryRecords(self.store)

    @property
    def meetings(self) -> InMemoryMeetings:
        return InMemoryMeetings(self.store)

    @property
    def users(self) -> InMemoryUsers:
        return InMemoryUsers(self.store)

    @property
    def workspaces(self) -> InMemoryWorkspaces:
        return InMemoryWorkspaces(self.store)


class FakePeople:
    """handlers.ports.PeopleDirectory: the teammates Slack would report, and who was asked."""

    def __init__(self, *profiles: UserProfile) -> None:
        self.profiles = {(p.team_id, p.slack_user_id): p for p in profiles}
        self.asked: list[str] = []

    def user(self, team_id: str, user_id: str) -> UserProfile | None:
        self.asked.append(user_id)
        return self.profiles.get((team_id, user_id))


class FakeCalendars:
    """handlers.ports.CalendarDirectory: connected calendars by (team, user)."""

    def __init__(
        self,
        connections: dict[tuple[str, str], CalendarConnectionInfo] | None = None,
        zoom: bool = False,
    ) -> None:
        self.connections = connections or {}
        self.zoom = zoom

    def connection_for(self, team_id: str, user_id: str) -> CalendarConnectionInfo | None:
        return self.connections.get((team_id, user_id))

    def zoom_available(self) -> bool:
        return self.zoom


class InMemoryCrmConnections:
    """handlers.connect_crm.CrmConnections (tokens kept as given: nothing to encrypt here)."""

    def __init__(self, can_store: bool = True) -> None:
        self.can_store = can_store
        self.tokens: dict[str, str] = {}
        self.saved: dict[str, CrmConnection] = {}

    def can_store_secrets(self) -> bool:
        return self.can_store

    def save(
        self,
        team_id: str,
        provider: str,
        token: str,
        user_id: str,
        now: datetime,
        account: CrmAccount | None = None,
    ) -> None:
        self.tokens[team_id] = token
        self.saved[team_id] = CrmConnection(
            team_id,
            provider,
            user_id,
            now,
            portal_id=account.portal_id if account else None,
            ui_domain=account.ui_domain if account else None,
        )

    def get(self, team_id: str) -> CrmConnection | None:
        return self.saved.get(team_id)
