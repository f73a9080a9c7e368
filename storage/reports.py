"""handlers.reports.ReportSource on SQL: the meetings of a period in one indexed query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.meetings import Location, Meeting
from storage.models import MeetingModel

# Only what a report reads. Selecting columns rather than MeetingModel keeps the
# attendee and reminder relationships (lazy="selectin") from costing two more
# queries and a row per attendee for every meeting of the period.
_COLUMNS = (
    MeetingModel.id,
    MeetingModel.team_id,
    MeetingModel.uid,
    MeetingModel.sequence,
    MeetingModel.title,
    MeetingModel.start_at,
    MeetingModel.end_at,
    MeetingModel.timezone,
    MeetingModel.duration_minutes,
    MeetingModel.host_user_id,
    MeetingModel.organizer_user_id,
    MeetingModel.meeting_type,
    MeetingModel.status,
    MeetingModel.outcome,
    MeetingModel.created_at,
)


_NO_LOCATION = Location()


class SqlReportSource:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def meetings_between(
        self, team_id: str | None, start_utc: datetime, end_utc: datetime
    ) -> list[Meeting]:
        """Served by ix_meetings_team_id_start_at when team_id is given. The Meetings carry
        no attendees, reminders, records, location or notes: reports never read them."""
        query = select(*_COLUMNS).where(
            MeetingModel.start_at >= start_utc, MeetingModel.start_at < end_utc
        )
        if team_id is not None:
            query = query.where(MeetingModel.team_id == team_id)
        query = query.order_by(MeetingModel.start_at, MeetingModel.id)
        with self._sessions() as session:
            return [
                Meeting(
                    id=row.id,
                    team_id=row.team_id,
                    uid=row.uid,
                    sequence=row.sequence,
                    title=row.title,
                    start_utc=row.start_at,
                    end_utc=row.end_at,
                    timezone=row.timezone,
                    duration_minutes=row.duration_minutes,
                    location=_NO_LOCATION,
                    host_id=row.host_user_id,
                    organizer_id=row.organizer_user_id,
                    meeting_type=row.meeting_type,
                    status=row.status,
                    outcome=row.outcome,
                    created_at=row.created_at,
                )
                for row in session.execute(query)
            ]
