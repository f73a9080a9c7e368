"""Meetings, their attendees, reminders, jobs and timeline entries, stored together.

Every read and write takes the workspace and touches only its meetings, records and
timeline entries: a meeting id of another workspace behaves exactly like an unknown
one. Only the operator's command line lists every workspace (`list_every_team`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, case, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from handlers.ids import parse_id
from handlers.jobs import CALENDAR_KINDS
from handlers.meetings import (
    OUTCOME_SCHEDULED,
    Attendee,
    AttendeeKind,
    JobSpec,
    Location,
    LocationKind,
    Meeting,
    MeetingUpdate,
    NewMeeting,
    Reminder,
    StaleMeeting,
    TimelineEntry,
    TimelineSpec,
)
from storage.db import Sessions, UnitOfWorkSessions, write_session, writing
from storage.models import (
    JobModel,
    MeetingAttendeeModel,
    MeetingModel,
    MeetingRecordModel,
    RecordModel,
    ReminderModel,
    TimelineEntryModel,
    naive_utc,
)
from storage.record_tables import sql_rows
from storage.records import RECORDS_WITH_COMPANIES_PG, remember_expected

if TYPE_CHECKING:
    from handlers.calendar_sync import CalendarChange


def _location(row: MeetingModel) -> Location:
    try:
        kind = LocationKind(row.location_kind)
    except ValueError:
        kind = LocationKind.NONE
    return Location(kind, row.location_detail or "", row.video_provider)


def to_meeting(row: MeetingModel, record_ids: Sequence[int]) -> Meeting:
    return Meeting(
        id=row.id,
        team_id=row.team_id,
        uid=row.uid,
        sequence=row.sequence,
        title=row.title,
        start_utc=row.start_at,
        end_utc=row.end_at,
        timezone=row.timezone,
        duration_minutes=row.duration_minutes,
        location=_location(row),
        host_id=row.host_user_id,
        organizer_id=row.organizer_user_id,
        description=row.description or "",
        notes=row.notes,
        notes_text=row.notes_text or "",
        include_description_in_reminders=row.include_description_in_reminders,
        meeting_type=row.meeting_type,
        invitation_language=row.invitation_language,
        join_url=row.join_url,
        status=row.status,
        outcome=row.outcome,
        record_id=row.record_id
        if row.record_id is not None
        else (record_ids[0] if record_ids else None),
        attendees=[
            Attendee(
                kind=AttendeeKind(a.kind)
                if a.kind in ("contact", "user")
                else AttendeeKind.CONTACT,
                name=a.name,
                email=a.email,
                record_id=a.record_id,
                slack_user_id=a.slack_user_id,
                invited_sequence=a.invited_sequence,
                response=a.response or "needs-action",
            )
            for a in row.attendees
        ],
        record_ids=list(record_ids),
        reminders=[Reminder(r.offset_minutes, r.due_at, r.status) for r in row.reminders],
        idempotency_key=row.idempotency_key,
        created_at=row.created_at,
        calendar_provider=row.calendar_provider,
        calendar_event_id=row.calendar_event_id,
        calendar_event_url=row.calendar_event_url,
    )


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


MEETINGS = _table(MeetingModel)
ATTENDEES = _table(MeetingAttendeeModel)
REMINDERS = _table(ReminderModel)
MEETING_RECORDS = _table(MeetingRecordModel)
TIMELINE = _table(TimelineEntryModel)
RECORDS = _table(RecordModel)


def _insert_meeting(insert: Any) -> Any:
    """The meeting's INSERT: its id, or nothing when the submission key is stored already."""
    return (
        insert(MEETINGS)
        .on_conflict_do_nothing(index_elements=[MEETINGS.c.idempotency_key])
        .returning(MEETINGS.c.id)
    )


# Built once, on the tables (see QUEUE_JOBS below for why): executed with parameter
# dicts, they hit SQLAlchemy's compiled cache and skip the ORM.
INSERT_MEETING_SQLITE = _insert_meeting(sqlite.insert)
INSERT_ATTENDEES = insert(ATTENDEES)
INSERT_REMINDERS = insert(REMINDERS)
INSERT_MEETING_RECORDS = insert(MEETING_RECORDS)
INSERT_TIMELINE = insert(TIMELINE)
MEETING_BY_KEY = select(MEETINGS.c.id).where(
    MEETINGS.c.idempotency_key == bindparam("key"), MEETINGS.c.team_id == bindparam("team")
)
# The sequence of meetings.id (an Integer autoincrement key: PostgreSQL's SERIAL).
NEXT_MEETING_ID_PG = "SELECT nextval('meetings_id_seq')"
MEETING_BY_KEY_AND_NEXT_ID_PG = (
    "SELECT (SELECT id FROM meetings WHERE idempotency_key = %(key)s AND team_id = %(team)s),"
    " nextval('meetings_id_seq')"
)
# The same, with the records the Save said it will check (RecordRepository.expect): one
# round trip instead of two. A row per record (per company of a contact), else one row
# with no record; the key's answer and the id drawn once, in `k`.
MEETING_BY_KEY_WITH_RECORDS_PG = (
    "SELECT k.found, k.next_id, r.* FROM (SELECT (SELECT id FROM meetings "
    "WHERE idempotency_key = %(key)s AND team_id = %(team)s) AS found, "
    "nextval('meetings_id_seq') AS next_id) AS k "
    f"LEFT JOIN LATERAL ({RECORDS_WITH_COMPANIES_PG}) AS r ON true"
)
RECORDS_OF_TEAM = (
    select(func.count())
    .select_from(RECORDS)
    .where(
        RECORDS.c.id.in_(bindparam("ids", expanding=True)), RECORDS.c.team_id == bindparam("team")
    )
)


def _dialect(conn: Connection) -> str:
    return "postgresql" if conn.dialect.name == "postgresql" else "sqlite"


def _written(
    new: NewMeeting,
    meeting_id: int,
    now: datetime,
    attendees: Sequence[dict[str, Any]],
    record_ids: list[int],
) -> Meeting:
    """The meeting as `create` wrote it: what `to_meeting` reads back from its rows."""
    return new.stored(
        meeting_id,
        now,
        attendees=[
            Attendee(
                kind=AttendeeKind(a["kind"]),
                name=a["name"],
                email=a["email"],
                record_id=a["record_id"],
                slack_user_id=a["slack_user_id"],
                invited_sequence=None,
                response="needs-action",
            )
            for a in attendees
        ],
        record_ids=record_ids,
    )


def _known_records(sessions: Sessions, team_id: str) -> frozenset[int]:
    """Records of `team_id` read already in this unit of work (storage.records)."""
    if isinstance(sessions, UnitOfWorkSessions):
        return frozenset(
            rid
            for (team, rid), found in sessions.records_seen.items()
            if team == team_id and found is not None
        )
    return frozenset()


class SqlMeetingRepository:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    def _load(self, session: Session, row: MeetingModel | None) -> Meeting | None:
        if row is None:
            return None
        record_ids = session.scalars(
            select(MeetingRecordModel.record_id).where(MeetingRecordModel.meeting_id == row.id)
        ).all()
        return to_meeting(row, record_ids)

    def by_idempotency_key(self, team_id: str, key: str) -> Meeting | None:
        # Nearly always nothing: only then a light read of the id. A Save reads the key,
        # then books: on PostgreSQL the same statement draws the new meeting's id, so
        # the booking is one statement with its jobs (which carry the id) and all.
        params = {"key": key, "team": team_id}
        found: Any = None
        driver = _unit_driver(self._sessions)
        if driver is not None:
            unit = self._sessions
            assert isinstance(unit, UnitOfWorkSessions)
            if wanted := unit.records_wanted.get(team_id):
                rids = {"rids": sorted(wanted)}
                rows = sql_rows(driver, MEETING_BY_KEY_WITH_RECORDS_PG, params | rids)
                found, unit.next_meeting_id = rows[0].found, rows[0].next_id
                remember_expected(unit, team_id, rows)
            else:
                found, unit.next_meeting_id = _driver_one(
                    driver, MEETING_BY_KEY_AND_NEXT_ID_PG, params
                )
            if found is None:
                return None
        with self._sessions() as session:
            if driver is None:
                conn = session.connection()
                if (
                    isinstance(self._sessions, UnitOfWorkSessions)
                    and _dialect(conn) == "postgresql"
                ):
                    found, self._sessions.next_meeting_id = _driver_one(
                        conn.connection.driver_connection, MEETING_BY_KEY_AND_NEXT_ID_PG, params
                    )
                else:
                    found = conn.execute(MEETING_BY_KEY, params).scalar()
                if found is None:
                    return None
            return self._load(session, _row(session, team_id, found))

    def get(self, team_id: str, meeting_id: int) -> Meeting | None:
        with self._sessions() as session:
            return self._load(session, _row(session, team_id, meeting_id))

    def get_many(self, team_id: str, meeting_ids: Sequence[int]) -> dict[int, Meeting]:
        """One read for many meetings: their attendees and reminders come with them (one
        statement each, for all), their records in one more."""
        ids = sorted({mid for mid in map(parse_id, meeting_ids) if mid is not None})
        if not ids or not team_id:
            return {}
        with self._sessions() as session:
            rows = session.scalars(
                select(MeetingModel).where(
                    MeetingModel.id.in_(ids), MeetingModel.team_id == team_id
                )
            ).all()
            records: dict[int, list[int]] = {row.id: [] for row in rows}
            for meeting_id, record_id in session.execute(
                select(MeetingRecordModel.meeting_id, MeetingRecordModel.record_id).where(
                    MeetingRecordModel.meeting_id.in_(list(records))
                )
            ):
                records[meeting_id].append(record_id)
            return {row.id: to_meeting(row, records[row.id]) for row in rows}

    def list_meetings(self, team_id: str, limit: int = 1000) -> list[Meeting]:
        query = (
            select(MeetingModel)
            .where(MeetingModel.team_id == team_id)
            .order_by(MeetingModel.start_at)
            .limit(limit)
        )
        return self._many(query)

    def list_every_team(self, limit: int = 1000) -> list[Meeting]:
        """Every workspace's meetings: for the operator's command line only, never for a
        Slack request (it is not part of handlers.ports.MeetingRepository)."""
        return self._many(select(MeetingModel).order_by(MeetingModel.start_at).limit(limit))

    def create(
        self,
        new: NewMeeting,
        jobs: Callable[[int], Sequence[JobSpec]],
        timeline: Sequence[TimelineSpec],
    ) -> tuple[Meeting, bool]:
        """Store the meeting with its attendees, reminders, records, timeline entries and
        jobs; (the stored one, False) when its submission key was stored first.

        A lost race is an INSERT ... ON CONFLICT DO NOTHING that inserts nothing, not an
        error to undo, so inside a unit of work no SAVEPOINT is needed (on PostgreSQL each
        costs two round trips): every statement here is one of the Save's few.

        Statements built once, executed on the connection with plain rows: no ORM unit
        of work runs, and the meeting returned is the one written, not read back."""
        driver = _unit_driver(self._sessions)
        if driver is not None:  # PostgreSQL, a single-write unit: no ORM session needed
            assert isinstance(self._sessions, UnitOfWorkSessions)
            unit = self._sessions
            return self._create_pg(driver, lambda: unit.session, new, jobs, timeline)
        with writing(self._sessions) as session:
            conn = session.connection()
            if _dialect(conn) == "postgresql":
                return self._create_pg(
                    conn.connection.driver_connection, lambda: session, new, jobs, timeline
                )
            now, reminders, record_ids = self._checked(new, lambda: session)
            inserted = conn.execute(INSERT_MEETING_SQLITE, _meeting_values(new, now)).scalar()
            if inserted is None:
                return self._stored_first(session, new), False
            meeting_id = int(inserted)
            attendees = _attendee_rows(new, meeting_id)
            # One executemany each: SQLite runs them in process.
            if attendees:
                conn.execute(INSERT_ATTENDEES, attendees)
            if record_ids:
                conn.execute(
                    INSERT_MEETING_RECORDS,
                    [{"meeting_id": meeting_id, "record_id": rid} for rid in record_ids],
                )
            if reminders:
                conn.execute(
                    INSERT_REMINDERS,
                    [
                        {
                            "meeting_id": meeting_id,
                            "offset_minutes": r.offset_minutes,
                            "due_at": r.due_at,
                            "status": "pending",
                        }
                        for r in reminders
                    ],
                )
            insert_timeline(session, meeting_id, timeline)
            insert_jobs(session, jobs(meeting_id))
            return _written(new, meeting_id, now, attendees, record_ids), True

    def _create_pg(
        self,
        driver: Any,
        session_of: Callable[[], Session],
        new: NewMeeting,
        jobs: Callable[[int], Sequence[JobSpec]],
        timeline: Sequence[TimelineSpec],
    ) -> tuple[Meeting, bool]:
        """`create` on PostgreSQL: one statement (WRITE_MEETING_PG) on psycopg's
        connection; `session_of` opens the session only for what the statement cannot do
        (records not read in this unit yet, a submission stored first)."""
        now, reminders, record_ids = self._checked(new, session_of)
        meeting_id = self._next_meeting_id(driver)
        attendees = _attendee_rows(new, meeting_id)
        written = _write_meeting_pg(
            driver,
            new,
            meeting_id,
            now,
            attendees,
            record_ids,
            reminders,
            timeline,
            jobs(meeting_id),
        )
        if written is None:
            return self._stored_first(session_of(), new), False
        return _written(new, meeting_id, now, attendees, record_ids), True

    def _checked(
        self, new: NewMeeting, session_of: Callable[[], Session]
    ) -> tuple[datetime, list[Reminder], list[int]]:
        """`new`'s records checked against its workspace (`_check_records`); then the
        time it is created at, its reminders by offset and its records once each."""
        _check_records(
            session_of,
            new.team_id,
            [*new.record_ids, *(a.record_id for a in new.attendees)],
            known=_known_records(self._sessions, new.team_id),
        )
        reminders = sorted(new.reminders, key=lambda r: r.offset_minutes)
        return datetime.now(UTC), reminders, list(dict.fromkeys(new.record_ids))

    def _next_meeting_id(self, driver: Any) -> int:
        """The id drawn by this unit's key lookup (by_idempotency_key), else a new one."""
        if isinstance(self._sessions, UnitOfWorkSessions):
            reserved, self._sessions.next_meeting_id = self._sessions.next_meeting_id, None
            if reserved is not None:
                return int(reserved)
        return int(_driver_one(driver, NEXT_MEETING_ID_PG, {})[0])

    def _stored_first(self, session: Session, new: NewMeeting) -> Meeting:
        """Another request stored this submission first: that one, if it is ours."""
        existing = self._load(session, _by_key(session, new.idempotency_key, new.team_id))
        if existing is None:  # another workspace's key: not ours to show
            raise LookupError("the submission key belongs to another workspace")
        return existing

    def set_outcome(
        self,
        team_id: str,
        meeting_id: int,
        outcome: str,
        actor_id: str,
        now: datetime,
        jobs: Sequence[JobSpec] = (),
    ) -> bool:
        return set_outcome(self._sessions, team_id, meeting_id, outcome, actor_id, now, jobs)

    def update(
        self,
        change: MeetingUpdate,
        jobs: Sequence[JobSpec],
        cancel_kinds: Sequence[str],
        timeline: Sequence[TimelineSpec],
    ) -> Meeting:
        new = change.fields
        with write_session(self._sessions) as session:
            row = _row(session, new.team_id, change.meeting_id, lock=True)
            if row is None:
                raise LookupError(f"meeting {change.meeting_id} does not exist in {new.team_id}")
            linked = set(
                session.scalars(
                    select(MeetingRecordModel.record_id).where(
                        MeetingRecordModel.meeting_id == row.id
                    )
                ).all()
            )
            linked |= {a.record_id for a in row.attendees if a.record_id is not None}
            # Only links this change adds are checked: what was stored before stays editable.
            _check_records(
                lambda: session,
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
            row.sequence = change.sequence
            row.status = change.status
            row.outcome = change.outcome
            row.title = new.title
            row.start_at = new.start_utc
            row.end_at = new.end_utc
            row.timezone = new.timezone
            row.duration_minutes = new.duration_minutes
            row.meeting_type = new.meeting_type
            row.location_kind = new.location.kind.value
            row.location_detail = new.location.detail
            row.video_provider = new.location.provider
            row.description = new.description
            row.notes = new.notes
            row.notes_text = new.notes_text
            row.include_description_in_reminders = new.include_description_in_reminders
            row.invitation_language = new.invitation_language
            row.host_user_id = new.host_id
            row.record_id = new.record_id or row.record_id
            # Kept attendees keep what we know of them: the version they were sent, their answer.
            kept = {(a.email or "").lower(): a for a in row.attendees if a.email}
            row.attendees = [
                MeetingAttendeeModel(
                    kind=a.kind.value,
                    record_id=a.record_id,
                    slack_user_id=a.slack_user_id,
                    email=a.email,
                    name=a.name[:300],
                    invited_sequence=getattr(
                        kept.get((a.email or "").lower()), "invited_sequence", None
                    ),
                    response=getattr(kept.get((a.email or "").lower()), "response", "needs-action"),
                )
                for a in new.attendees
            ]
            row.reminders = kept_reminders(row.reminders, new.reminders)
            existing = set(
                session.scalars(
                    select(MeetingRecordModel.record_id).where(
                        MeetingRecordModel.meeting_id == row.id
                    )
                ).all()
            )
            for record_id in dict.fromkeys(new.record_ids):
                if record_id not in existing:
                    session.add(MeetingRecordModel(meeting_id=row.id, record_id=record_id))
            insert_timeline(session, row.id, timeline)
            cancel_queued_jobs(session, row.id, cancel_kinds, keep=jobs)
            insert_jobs(session, jobs)
            session.flush()
            meeting = self._load(session, row)
        assert meeting is not None
        return meeting

    def upcoming_for(
        self, team_id: str, user_id: str, now: datetime, limit: int = 10
    ) -> list[Meeting]:
        query = (
            select(MeetingModel)
            .where(
                MeetingModel.team_id == team_id,
                MeetingModel.status == "scheduled",
                MeetingModel.end_at > now,
                or_(
                    MeetingModel.host_user_id == user_id, MeetingModel.organizer_user_id == user_id
                ),
            )
            .order_by(MeetingModel.start_at)
            .limit(limit)
        )
        return self._many(query)

    def awaiting_outcome(
        self, team_id: str, user_id: str, now: datetime, limit: int = 10
    ) -> list[Meeting]:
        query = (
            select(MeetingModel)
            .where(
                MeetingModel.team_id == team_id,
                MeetingModel.status == "scheduled",
                MeetingModel.end_at <= now,
                MeetingModel.outcome == OUTCOME_SCHEDULED,
                MeetingModel.host_user_id == user_id,
            )
            .order_by(MeetingModel.end_at.desc())
            .limit(limit)
        )
        return self._many(query)

    def timeline(self, team_id: str, record_id: int, limit: int = 50) -> list[TimelineEntry]:
        rid = parse_id(record_id)
        if rid is None or not team_id:
            return []
        # The record must be the team's, and so must each entry's meeting: entries that
        # older versions wrote across workspaces stay hidden.
        query = (
            select(TimelineEntryModel)
            .join(RecordModel, RecordModel.id == TimelineEntryModel.record_id)
            .outerjoin(MeetingModel, MeetingModel.id == TimelineEntryModel.meeting_id)
            .where(
                TimelineEntryModel.record_id == rid,
                RecordModel.team_id == team_id,
                or_(TimelineEntryModel.meeting_id.is_(None), MeetingModel.team_id == team_id),
            )
            .order_by(TimelineEntryModel.occurred_at.desc(), TimelineEntryModel.id.desc())
            .limit(limit)
        )
        with self._sessions() as session:
            return [
                TimelineEntry(
                    e.record_id,
                    e.kind,
                    e.occurred_at,
                    e.actor_user_id,
                    e.meeting_id,
                    dict(e.data or {}),
                )
                for e in session.scalars(query)
            ]

    def _many(self, query: Any) -> list[Meeting]:
        with self._sessions() as session:
            return [m for m in (self._load(session, row) for row in session.scalars(query)) if m]

    def set_calendar_event(
        self,
        team_id: str,
        meeting_id: int,
        provider: str | None,
        event_id: str | None,
        join_url: str | None,
        event_url: str | None = None,
    ) -> None:
        # No page given: the same event keeps its page, another event has none.
        page = event_url or case(
            (MeetingModel.calendar_event_id == event_id, MeetingModel.calendar_event_url),
            else_=None,
        )
        with write_session(self._sessions) as session:
            session.execute(
                update(MeetingModel)
                .where(MeetingModel.id == meeting_id, MeetingModel.team_id == team_id)
                .values(
                    calendar_provider=provider,
                    calendar_event_id=event_id,
                    join_url=join_url,
                    calendar_event_url=page,
                )
            )

    # -- two-way calendar sync (handlers.calendar_sync.SyncedMeetings) ----------------

    def synced_meetings(
        self, team_id: str, host_id: str, now: datetime, limit: int = 500
    ) -> list[Meeting]:
        """Upcoming meetings in the host's calendar with no calendar job of ours pending,
        so sync never reads back an event that is about to be rewritten by an edit."""
        pending = select(JobModel.meeting_id).where(
            JobModel.meeting_id == MeetingModel.id,
            JobModel.status.in_(("queued", "running")),
            JobModel.kind.in_(CALENDAR_KINDS),
        )
        query = (
            select(MeetingModel)
            .where(
                MeetingModel.team_id == team_id,
                MeetingModel.host_user_id == host_id,
                MeetingModel.status == "scheduled",
                MeetingModel.end_at > now,
                MeetingModel.calendar_event_id.is_not(None),
                ~pending.exists(),
            )
            .order_by(MeetingModel.start_at)
            .limit(limit)
        )
        return self._many(query)

    def apply_calendar_change(
        self,
        team_id: str,
        change: CalendarChange,
        jobs: Sequence[JobSpec],
        cancel_kinds: Sequence[str],
        timeline: Sequence[TimelineSpec],
    ) -> bool:
        with write_session(self._sessions) as session:
            row = _row(session, team_id, change.meeting_id)
            if row is None or row.sequence != change.expected_sequence or row.status == "cancelled":
                return False  # edited or cancelled in Slack meanwhile: that change wins
            row.sequence = change.sequence
            row.start_at = change.start_utc
            row.end_at = change.end_utc
            row.duration_minutes = max(
                1, int((change.end_utc - change.start_utc).total_seconds() // 60)
            )
            row.description = change.description
            row.status = change.status
            row.outcome = change.outcome
            if change.status != "cancelled":
                row.reminders = kept_reminders(row.reminders, change.reminders)
            insert_timeline(session, row.id, timeline)
            cancel_queued_jobs(session, row.id, cancel_kinds, keep=jobs)
            insert_jobs(session, jobs)
            return True

    def mark_invited(self, team_id: str, meeting_id: int, email: str, sequence: int) -> None:
        with write_session(self._sessions) as session:
            if _row(session, team_id, meeting_id) is None:
                return
            session.execute(
                update(MeetingAttendeeModel)
                .where(
                    MeetingAttendeeModel.meeting_id == meeting_id,
                    MeetingAttendeeModel.email == email,
                )
                .values(invited_sequence=sequence)
            )

    def set_reminder_status(
        self, team_id: str, meeting_id: int, offset_minutes: int, status: str
    ) -> None:
        with write_session(self._sessions) as session:
            if _row(session, team_id, meeting_id) is None:
                return
            session.execute(
                update(ReminderModel)
                .where(
                    ReminderModel.meeting_id == meeting_id,
                    ReminderModel.offset_minutes == offset_minutes,
                )
                .values(status=status)
            )


def _attendee_rows(new: NewMeeting, meeting_id: int) -> list[dict[str, Any]]:
    return [
        {
            "meeting_id": meeting_id,
            "kind": a.kind.value,
            "record_id": a.record_id,
            "slack_user_id": a.slack_user_id,
            "email": a.email,
            "name": a.name[:300],
            "response": "needs-action",
            "invited_sequence": None,
        }
        for a in new.attendees
    ]


def _meeting_values(new: NewMeeting, now: datetime) -> dict[str, Any]:
    return {
        "team_id": new.team_id,
        "idempotency_key": new.idempotency_key,
        "uid": new.uid,
        "sequence": 0,
        "title": new.title,
        "start_at": new.start_utc,
        "end_at": new.end_utc,
        "timezone": new.timezone,
        "duration_minutes": new.duration_minutes,
        "meeting_type": new.meeting_type,
        "location_kind": new.location.kind.value,
        "location_detail": new.location.detail,
        "video_provider": new.location.provider,
        "description": new.description,
        "notes": new.notes,
        "notes_text": new.notes_text,
        "include_description_in_reminders": new.include_description_in_reminders,
        "invitation_language": new.invitation_language,
        "host_user_id": new.host_id,
        "organizer_user_id": new.organizer_id,
        "record_id": new.record_id,
        "status": "scheduled",
        "outcome": OUTCOME_SCHEDULED,
        "created_at": now,
        "updated_at": now,
    }


def _by_key(session: Session, key: str, team_id: str | None = None) -> MeetingModel | None:
    """The meeting stored under a submission key: the team's, or (team None) anyone's."""
    query = select(MeetingModel).where(MeetingModel.idempotency_key == key)
    if team_id is not None:
        query = query.where(MeetingModel.team_id == team_id)
    return session.scalars(query).first()


def _row(
    session: Session, team_id: str, meeting_id: int, *, lock: bool = False
) -> MeetingModel | None:
    """The team's meeting by an id that may have come from Slack (bounded, else None)."""
    mid = parse_id(meeting_id)
    if mid is None or not team_id:
        return None
    query = select(MeetingModel).where(MeetingModel.id == mid, MeetingModel.team_id == team_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalars(query).first()


def _check_records(
    session_of: Callable[[], Session],
    team_id: str,
    record_ids: Sequence[int | None],
    known: frozenset[int] = frozenset(),
) -> None:
    """Refuse to link a meeting to records of another workspace (the use cases check
    first; this keeps a slip there from writing into someone else's timeline). `known`:
    ids this transaction has read as the workspace's already (a record's workspace never
    changes, and a record deleted since fails the links' foreign keys)."""
    wanted = {rid for rid in record_ids if rid is not None}
    if any(parse_id(rid) is None for rid in wanted):
        raise LookupError("a record id out of range")
    wanted -= known
    if not wanted:
        return
    found = (
        session_of()
        .connection()
        .execute(RECORDS_OF_TEAM, {"ids": sorted(wanted), "team": team_id})
        .scalar()
    )
    if found != len(wanted):
        raise LookupError(f"records of another workspace, or unknown, for {team_id}")


def set_outcome(
    sessions: Sessions,
    team_id: str,
    meeting_id: int,
    outcome: str,
    actor_id: str,
    now: datetime,
    jobs: Sequence[JobSpec] = (),
) -> bool:
    with write_session(sessions) as session:
        # Two clicks at once: the row lock makes the second see the first's outcome.
        row = _row(session, team_id, meeting_id, lock=True)
        if row is None or row.outcome == outcome:
            return False
        previous = row.outcome
        row.outcome = outcome
        record_ids = session.scalars(
            select(MeetingRecordModel.record_id).where(MeetingRecordModel.meeting_id == meeting_id)
        ).all()
        insert_timeline(
            session,
            row.id,
            [
                TimelineSpec(
                    record_id,
                    "outcome_set",
                    now,
                    actor_id,
                    {"outcome": outcome, "previous": previous, "title": row.title},
                )
                for record_id in record_ids
            ],
        )
        # With the outcome, so a crash after the commit cannot lose the CRM's copy.
        insert_jobs(session, jobs)
        return True


def insert_timeline(session: Session, meeting_id: int, entries: Sequence[TimelineSpec]) -> None:
    """Log the meeting's entries on its records' timelines, in the caller's transaction,
    so a timeline never shows a change that was rolled back."""
    if not entries:
        return
    now = datetime.now(UTC)
    session.connection().execute(
        INSERT_TIMELINE,
        [
            {
                "record_id": e.record_id,
                "meeting_id": meeting_id,
                "kind": e.kind,
                "occurred_at": e.occurred_at,
                "actor_user_id": e.actor_user_id,
                "data": e.data,
                "created_at": now,
            }
            for e in entries
        ],
    )


def kept_reminders(
    stored: Sequence[ReminderModel], wanted: Sequence[Reminder]
) -> list[ReminderModel]:
    """The reminder rows after a change: one the change keeps (same offset, same due
    time) keeps its row and status, so a reminder already sent is not shown pending."""
    by_due = {(r.offset_minutes, r.due_at): r for r in stored}
    return [
        by_due.get((r.offset_minutes, r.due_at))
        or ReminderModel(offset_minutes=r.offset_minutes, due_at=r.due_at)
        for r in wanted
    ]


def _queue_jobs(insert: Any) -> Any:
    """INSERT a job; a key already used is left alone unless its job was cancelled, which
    is then queued again (at its new time, with its new payload)."""
    jobs = JobModel.__table__
    stmt = insert(jobs)
    return stmt.on_conflict_do_update(
        index_elements=[jobs.c.dedupe_key],
        set_={
            "status": "queued",
            "run_at": stmt.excluded.run_at,
            "payload": stmt.excluded.payload,
            "attempts": 0,
            "finished_at": None,
            "last_error": None,
        },
        where=jobs.c.status == "cancelled",
    )


# Built once: a statement object memoizes its cache key, so each Save reuses the compiled
# SQL without rebuilding it; on the table, not the entity, so the rows skip the ORM's
# bulk-insert bookkeeping (a tenth of a Save's CPU when built per call on the entity).
QUEUE_JOBS = {"postgresql": _queue_jobs(postgresql.insert), "sqlite": _queue_jobs(sqlite.insert)}


def insert_jobs(session: Session, jobs: Sequence[JobSpec]) -> None:
    """Queue jobs in the caller's transaction. A dedupe key already used is skipped,
    unless its job was cancelled without running: a change that wants it again (a
    meeting moved back, a reminder put back) queues it again at its new time."""
    if not jobs:
        return
    now = datetime.now(UTC)
    rows = [
        {
            "kind": job.kind,
            "payload": job.payload,
            "run_at": job.run_at,
            "status": "queued",
            "attempts": 0,
            "max_attempts": 8,
            "dedupe_key": job.dedupe_key,
            "meeting_id": _job_meeting_id(job),
            "created_at": now,
        }
        for job in jobs
    ]
    # One statement for any number of jobs: executemany, which psycopg sends as one
    # pipeline (one round trip) and SQLite runs in process.
    conn = session.connection()
    conn.execute(QUEUE_JOBS[_dialect(conn)], rows)


# A new meeting with its attendees, records, reminders, timeline entries and jobs in one
# PostgreSQL statement: one round trip, and atomic on its own, so a booking needs no
# transaction around it (storage.unit_of_work, single_write). The meeting's id is drawn
# beforehand (its jobs carry it). A submission key stored already inserts nothing at all:
# every child row is joined to the meeting's RETURNING. The children come as one JSON
# document (one parameter, encoded in C), each list unnested in order; the jobs' INSERT
# is QUEUE_JOBS's.
WRITE_MEETING_PG = """\
WITH m AS (
  INSERT INTO meetings
    (id, team_id, idempotency_key, uid, sequence, title, start_at, end_at, timezone,
     duration_minutes, meeting_type, location_kind, location_detail, video_provider,
     description, notes, notes_text, include_description_in_reminders,
     invitation_language, host_user_id, organizer_user_id, record_id, status,
     outcome, created_at, updated_at)
  VALUES (%(id)s, %(team_id)s, %(idempotency_key)s, %(uid)s, %(sequence)s,
          %(title)s, %(start_at)s, %(end_at)s, %(timezone)s, %(duration_minutes)s,
          %(meeting_type)s, %(location_kind)s, %(location_detail)s,
          %(video_provider)s, %(description)s, %(notes)s::json, %(notes_text)s,
          %(include_description_in_reminders)s, %(invitation_language)s,
          %(host_user_id)s, %(organizer_user_id)s, %(record_id)s, %(status)s,
          %(outcome)s, %(created_at)s, %(updated_at)s)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id
), c AS (
  SELECT %(children)s::jsonb AS doc
), attendees AS (
  INSERT INTO meeting_attendees
    (meeting_id, kind, record_id, slack_user_id, email, name, response, invited_sequence)
  SELECT m.id, e.v->>'kind', (e.v->>'record_id')::integer, e.v->>'slack_user_id',
         e.v->>'email', e.v->>'name', 'needs-action', NULL
  FROM m, c, jsonb_array_elements(c.doc->'a') WITH ORDINALITY AS e(v, n)
  ORDER BY e.n
), linked AS (
  INSERT INTO meeting_records (meeting_id, record_id)
  SELECT m.id, (e.v #>> '{}')::integer
  FROM m, c, jsonb_array_elements(c.doc->'r') WITH ORDINALITY AS e(v, n)
  ORDER BY e.n
), reminders AS (
  INSERT INTO reminders (meeting_id, offset_minutes, due_at, status)
  SELECT m.id, (e.v->>'offset')::integer, (e.v->>'due_at')::timestamp, 'pending'
  FROM m, c, jsonb_array_elements(c.doc->'m') WITH ORDINALITY AS e(v, n)
  ORDER BY e.n
), timeline AS (
  INSERT INTO timeline_entries
    (record_id, meeting_id, kind, occurred_at, actor_user_id, data, created_at)
  SELECT (e.v->>'record_id')::integer, m.id, e.v->>'kind', (e.v->>'at')::timestamp,
         e.v->>'actor', e.v->'data', %(now)s
  FROM m, c, jsonb_array_elements(c.doc->'t') WITH ORDINALITY AS e(v, n)
  ORDER BY e.n
), jobs AS (
  INSERT INTO jobs
    (kind, payload, run_at, status, attempts, max_attempts, dedupe_key, meeting_id, created_at)
  SELECT e.v->>'kind', e.v->'payload', (e.v->>'run_at')::timestamp, 'queued', 0, 8,
         e.v->>'dedupe_key', (e.v->>'meeting_id')::integer, %(now)s
  FROM m, c, jsonb_array_elements(c.doc->'j') WITH ORDINALITY AS e(v, n)
  ORDER BY e.n
  ON CONFLICT (dedupe_key) DO UPDATE SET
    status = 'queued', run_at = excluded.run_at, payload = excluded.payload, attempts = 0,
    finished_at = NULL, last_error = NULL
  WHERE jobs.status = 'cancelled'
)
SELECT id FROM m
"""


def _write_meeting_pg(
    driver: Any,
    new: NewMeeting,
    meeting_id: int,
    now: datetime,
    attendees: Sequence[dict[str, Any]],
    record_ids: Sequence[int],
    reminders: Sequence[Reminder],
    timeline: Sequence[TimelineSpec],
    jobs: Sequence[JobSpec],
) -> int | None:
    """WRITE_MEETING_PG: the meeting's id, or None when its submission key was stored
    first (then nothing was written)."""
    # One row per dedupe key, the first: what executemany leaves (a second row with a
    # key is a conflict with the first, which is not cancelled), and one statement may
    # not touch a row twice.
    seen: set[str] = set()
    unique = []
    for job in jobs:
        if job.dedupe_key is not None:
            if job.dedupe_key in seen:
                continue
            seen.add(job.dedupe_key)
        unique.append(job)
    values = _meeting_values(new, now)
    for column in ("start_at", "end_at", "created_at", "updated_at"):
        values[column] = naive_utc(values[column])
    values["notes"] = None if values["notes"] is None else json.dumps(values["notes"])
    children = {
        "a": [
            {k: a[k] for k in ("kind", "record_id", "slack_user_id", "email", "name")}
            for a in attendees
        ],
        "r": list(record_ids),
        "m": [
            {"offset": r.offset_minutes, "due_at": naive_utc(r.due_at).isoformat()}
            for r in reminders
        ],
        "t": [
            {
                "record_id": e.record_id,
                "kind": str(e.kind),
                "at": naive_utc(e.occurred_at).isoformat(),
                "actor": e.actor_user_id,
                "data": e.data,
            }
            for e in timeline
        ],
        "j": [
            {
                "kind": str(j.kind),
                "payload": j.payload,
                "run_at": naive_utc(j.run_at).isoformat(),
                "dedupe_key": j.dedupe_key,
                "meeting_id": _job_meeting_id(j),
            }
            for j in unique
        ],
    }
    row = _driver_one(
        driver,
        WRITE_MEETING_PG,
        {**values, "id": meeting_id, "now": naive_utc(now), "children": json.dumps(children)},
    )
    return None if row is None else int(row[0])


def _driver_one(driver: Any, sql: str, params: dict[str, Any]) -> Any:
    """The first row of `sql` run on psycopg's own connection (`driver`), in its
    transaction (if any): for the Save's statements SQLAlchemy's execution and result
    handling cost about as much CPU as psycopg's own (storage.record_tables.driver_rows)."""
    with driver.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _unit_driver(sessions: Sessions) -> Any:
    """psycopg's autocommit connection of a single-write unit on PostgreSQL, else None."""
    return sessions.driver() if isinstance(sessions, UnitOfWorkSessions) else None


def _job_meeting_id(job: JobSpec) -> int | None:
    return mid if isinstance(mid := job.payload.get("meeting_id"), int) else None


def cancel_queued_jobs(
    session: Session, meeting_id: int, kinds: Sequence[str], keep: Sequence[JobSpec] = ()
) -> None:
    """Cancel the meeting's queued jobs of `kinds`, except those `keep` queues again
    under the same key: an edit that keeps a reminder keeps its job (re-queueing it
    under its used key would be skipped, and the reminder lost)."""
    if kinds:
        kept = [j.dedupe_key for j in keep if j.dedupe_key is not None]
        session.execute(
            update(JobModel)
            .where(
                JobModel.meeting_id == meeting_id,
                JobModel.status == "queued",
                JobModel.kind.in_(list(kinds)),
                or_(JobModel.dedupe_key.is_(None), JobModel.dedupe_key.not_in(kept)),
            )
            .values(status="cancelled", finished_at=datetime.now(UTC))
        )
