"""Meetings with attendees, and due reminder-email jobs for them, straight into the
database (the jobs benchmark and the worker drills share this).

Every meeting's title carries a tag `#<n>`, which the reminder's subject repeats, so a
delivered mail names its job: (tag, recipient) is one `send_reminder_email` job.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from handlers.domain import RecordKind, RecordRow, UserProfile
from handlers.jobs import JobKind
from handlers.meetings import Attendee, AttendeeKind, Location, NewMeeting
from storage.meetings import SqlMeetingRepository
from storage.models import JobModel, RecordModel
from storage.records import SqlRecordRepository
from storage.users import SqlUserRepository

TEAM = "T0001"
HOST = "U1"
HOST_EMAIL = "anna@meetline.example"


def attendee_email(i: int) -> str:
    return f"attendee{i}@bench.example"


def seed_meetings(
    sessions: sessionmaker[Session],
    meetings: int,
    attendees_per: int,
    start: datetime | None = None,
    first_tag: int = 1,
) -> list[tuple[int, int, str]]:
    """`meetings` meetings of `attendees_per` contacts each (the same contacts);
    returns (meeting id, start timestamp, tag) per meeting."""
    records = SqlRecordRepository(sessions)
    SqlUserRepository(sessions).save(
        UserProfile(
            team_id=TEAM,
            slack_user_id=HOST,
            name="Anna Host",
            email=HOST_EMAIL,
            timezone="Europe/Warsaw",
        )
    )
    zones = ("Europe/Warsaw", "America/New_York", "Asia/Tokyo", None)
    records.import_rows(
        TEAM,
        [
            RecordRow(
                i + 2,
                RecordKind.CONTACT,
                f"att{i}",
                f"Attendee {i}",
                attendee_email(i),
                None,
                zones[i % 4],
            )
            for i in range(attendees_per)
        ],
    )
    with sessions() as session:
        ids = dict(
            session.execute(
                select(RecordModel.external_id, RecordModel.id).where(
                    RecordModel.external_id.like("att%")
                )
            )
            .tuples()
            .all()
        )
    attendees = tuple(
        Attendee(AttendeeKind.CONTACT, f"Attendee {i}", attendee_email(i), record_id=ids[f"att{i}"])
        for i in range(attendees_per)
    )
    repo = SqlMeetingRepository(sessions)
    start = (start or datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    out = []
    for n in range(first_tag, first_tag + meetings):
        new = NewMeeting(
            team_id=TEAM,
            idempotency_key=uuid.uuid4().hex,
            uid=f"{uuid.uuid4().hex}@meetline",
            title=f"Bench meeting #{n}",
            start_utc=start,
            end_utc=start + timedelta(minutes=30),
            timezone="Europe/Warsaw",
            duration_minutes=30,
            location=Location(),
            host_id=HOST,
            organizer_id=HOST,
            record_id=attendees[0].record_id or 0,
            attendees=attendees,
            record_ids=(attendees[0].record_id or 0,),
            reminders=(),
        )
        meeting, _ = repo.create(new, lambda meeting_id: [], [])
        out.append((meeting.id, int(start.timestamp()), str(n)))
    return out


def queue_reminder_mails(
    sessions: sessionmaker[Session],
    meetings: list[tuple[int, int, str]],
    attendees_per: int,
    run_at: datetime | None = None,
    salt: str = "",
) -> int:
    """One due `send_reminder_email` job per (meeting, attendee), in bulk; replaces the
    jobs queued before. Returns the number of jobs."""
    run_at = run_at or datetime.now(UTC) - timedelta(seconds=1)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for meeting_id, start_key, _tag in meetings:
        for i in range(attendees_per):
            email = attendee_email(i)
            rows.append(
                {
                    "kind": JobKind.REMINDER_MAIL,
                    "payload": {
                        "meeting_id": meeting_id,
                        "email": email,
                        "offset_minutes": 60,
                        "start": start_key,
                    },
                    "run_at": run_at,
                    "status": "queued",
                    "attempts": 0,
                    "max_attempts": 8,
                    "dedupe_key": f"remind-mail:{meeting_id}:{start_key}:60:{email}:{salt}",
                    "meeting_id": meeting_id,
                    "created_at": now,
                }
            )
    with sessions() as session, session.begin():
        session.execute(delete(JobModel))
        for i in range(0, len(rows), 5000):
            session.execute(insert(JobModel), rows[i : i + 5000])
    return len(rows)


def expected_keys(meetings: list[tuple[int, int, str]], attendees_per: int) -> set[tuple[str, str]]:
    return {(tag, attendee_email(i)) for _, _, tag in meetings for i in range(attendees_per)}
