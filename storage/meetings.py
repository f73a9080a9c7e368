"""Meetings, their attendees, reminders, jobs and timeline entries, stored together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from handlers.meetings import (
    Attendee,
    AttendeeKind,
    JobSpec,
    Location,
    LocationKind,
    Meeting,
    NewMeeting,
    Reminder,
    TimelineSpec,
)
from storage.db import IMMEDIATE, write_session
from storage.models import (
    JobModel,
    MeetingAttendeeModel,
    MeetingModel,
    MeetingRecordModel,
    ReminderModel,
    TimelineEntryModel,
)


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
        join_url=row.join_url,
        status=row.status,
        outcome=row.outcome,
        record_id=record_ids[0] if record_ids else None,
        attendees=[
            Attendee(
                kind=AttendeeKind(a.kind) if a.kind in ("contact", "user") else AttendeeKind.CONTACT,
                name=a.name,
                email=a.email,
                record_id=a.record_id,
                slack_user_id=a.slack_user_id,
                invited_sequence=a.invited_sequence,
            )
            for a in row.attendees
        ],
        record_ids=list(record_ids),
        reminders=[Reminder(r.offset_minutes, r.due_at, r.status) for r in row.reminders],
        idempotency_key=row.idempotency_key,
        created_at=row.created_at,
        calendar_provider=row.calendar_provider,
        calendar_event_id=row.calendar_event_id,
    )


class SqlMeetingRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def _load(self, session: Session, row: MeetingModel | None) -> Meeting | None:
        if row is None:
            return None
        record_ids = session.scalars(
            select(MeetingRecordModel.record_id).where(MeetingRecordModel.meeting_id == row.id)
        ).all()
        return to_meeting(row, record_ids)

    def by_idempotency_key(self, key: str) -> Meeting | None:
        with self._sessions() as session:
            row = session.scalars(select(MeetingModel).where(MeetingModel.idempotency_key == key)).first()
            return self._load(session, row)

    def get(self, meeting_id: int) -> Meeting | None:
        with self._sessions() as session:
            return self._load(session, session.get(MeetingModel, meeting_id))

    def list(self, team_id: str | None = None, limit: int = 1000) -> list[Meeting]:
        with self._sessions() as session:
            query = select(MeetingModel).order_by(MeetingModel.start_at).limit(limit)
            if team_id is not None:
                query = query.where(MeetingModel.team_id == team_id)
            return [m for m in (self._load(session, row) for row in session.scalars(query)) if m]

    def create(
        self,
        new: NewMeeting,
        jobs: Callable[[int], Sequence[JobSpec]],
        timeline: Sequence[TimelineSpec],
    ) -> tuple[Meeting, bool]:
        with self._sessions() as session:
            session.connection(execution_options=IMMEDIATE)
            row = MeetingModel(
                team_id=new.team_id,
                idempotency_key=new.idempotency_key,
                uid=new.uid,
                sequence=0,
                title=new.title,
                start_at=new.start_utc,
                end_at=new.end_utc,
                timezone=new.timezone,
                duration_minutes=new.duration_minutes,
                meeting_type=new.meeting_type,
                location_kind=new.location.kind.value,
                location_detail=new.location.detail,
                video_provider=new.location.provider,
                description=new.description,
                notes=new.notes,
                notes_text=new.notes_text,
                include_description_in_reminders=new.include_description_in_reminders,
                host_user_id=new.host_id,
                organizer_user_id=new.organizer_id,
            )
            row.attendees = [
                MeetingAttendeeModel(kind=a.kind.value, record_id=a.record_id, slack_user_id=a.slack_user_id,
                                     email=a.email, name=a.name[:300])
                for a in new.attendees
            ]
            row.reminders = [ReminderModel(offset_minutes=r.offset_minutes, due_at=r.due_at) for r in new.reminders]
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                # Another request stored this submission first: report that one.
                session.rollback()
                existing = self.by_idempotency_key(new.idempotency_key)
                if existing is None:
                    raise
                return existing, False
            for record_id in dict.fromkeys(new.record_ids):
                session.add(MeetingRecordModel(meeting_id=row.id, record_id=record_id))
            for entry in timeline:
                session.add(TimelineEntryModel(record_id=entry.record_id, meeting_id=row.id, kind=entry.kind,
                                               occurred_at=entry.occurred_at, actor_user_id=entry.actor_user_id,
                                               data=entry.data))
            for job in jobs(row.id):
                session.add(JobModel(kind=job.kind, payload=job.payload, run_at=job.run_at,
                                     dedupe_key=job.dedupe_key, meeting_id=job.payload.get("meeting_id")))
            session.commit()
            meeting = self._load(session, row)
            assert meeting is not None
            if meeting.record_ids and meeting.record_ids[0] != new.record_id:
                meeting.record_ids.remove(new.record_id)
                meeting.record_ids.insert(0, new.record_id)
                meeting.record_id = new.record_id
            return meeting, True

    def set_outcome(self, meeting_id: int, outcome: str, actor_id: str, now: datetime) -> bool:
        return set_outcome(self._sessions, meeting_id, outcome, actor_id, now)

    def set_calendar_event(
        self, meeting_id: int, provider: str | None, event_id: str | None, join_url: str | None
    ) -> None:
        with write_session(self._sessions) as session:
            session.execute(
                update(MeetingModel)
                .where(MeetingModel.id == meeting_id)
                .values(calendar_provider=provider, calendar_event_id=event_id, join_url=join_url)
            )

    def mark_invited(self, meeting_id: int, email: str, sequence: int) -> None:
        with write_session(self._sessions) as session:
            session.execute(
                update(MeetingAttendeeModel)
                .where(MeetingAttendeeModel.meeting_id == meeting_id, MeetingAttendeeModel.email == email)
                .values(invited_sequence=sequence)
            )


def set_outcome(sessions: sessionmaker[Session], meeting_id: int, outcome: str, actor_id: str,
                now: datetime) -> bool:
    with write_session(sessions) as session:
        # Two clicks at once: the row lock makes the second see the first's outcome.
        row = session.get(MeetingModel, meeting_id, with_for_update=session.get_bind().dialect.name == "postgresql")
        if row is None or row.outcome == outcome:
            return False
        previous = row.outcome
        row.outcome = outcome
        record_ids = session.scalars(
            select(MeetingRecordModel.record_id).where(MeetingRecordModel.meeting_id == meeting_id)
        ).all()
        for record_id in record_ids:
            session.add(TimelineEntryModel(record_id=record_id, meeting_id=meeting_id, kind="outcome_set",
                                           occurred_at=now, actor_user_id=actor_id,
                                           data={"outcome": outcome, "previous": previous, "title": row.title}))
        return True
