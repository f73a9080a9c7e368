"""SqlReportSource on SQLite and PostgreSQL (tests/conftest.py's `migrated_url`):
the period's meetings, one query, no attendees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from handlers.reports import build_report, parse_period
from storage.db import make_engine, make_session_factory
from storage.models import MeetingAttendeeModel, MeetingModel
from storage.reports import SqlReportSource


def utc(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=UTC)


def add_meeting(
    session: Any,
    n: int,
    start: datetime,
    *,
    team: str = "T1",
    host: str = "U1",
    organizer: str = "U2",
    outcome: str = "SCHEDULED",
    status: str = "scheduled",
    meeting_type: str | None = None,
) -> None:
    row = MeetingModel(
        team_id=team,
        idempotency_key=f"k{n}",
        uid=f"uid{n}@meetline",
        title=f"Meeting {n}",
        start_at=start,
        end_at=start + timedelta(minutes=30),
        timezone="Europe/Warsaw",
        duration_minutes=30,
        host_user_id=host,
        organizer_user_id=organizer,
        outcome=outcome,
        status=status,
        meeting_type=meeting_type,
    )
    row.attendees = [
        MeetingAttendeeModel(kind="contact", email=f"a{n}-{i}@example.com", name=f"A{i}")
        for i in range(3)
    ]
    session.add(row)


def test_meetings_between_is_one_query_over_the_half_open_range(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    try:
        sessions = make_session_factory(engine)
        with sessions() as session, session.begin():
            # November 2026 in Warsaw is [2026-10-31 23:00, 2026-11-30 23:00) UTC.
            add_meeting(session, 1, utc("2026-10-31 22:59"))  # 31 Oct 23:59 in Warsaw: out
            add_meeting(
                session, 2, utc("2026-10-31 23:00"), outcome="COMPLETED", meeting_type="Demo"
            )  # in
            add_meeting(session, 3, utc("2026-11-15 10:00"), host="U3", outcome="NO_SHOW")
            add_meeting(
                session, 4, utc("2026-11-20 10:00"), status="cancelled", outcome="COMPLETED"
            )
            add_meeting(session, 5, utc("2026-11-30 22:59"), meeting_type="Demo")  # last minute: in
            add_meeting(session, 6, utc("2026-11-30 23:00"))  # 1 Dec 00:00 in Warsaw: out
            add_meeting(session, 7, utc("2026-11-10 10:00"), team="T2")  # another workspace
        period = parse_period("last month", utc("2026-12-10 12:00"), "Europe/Warsaw")

        statements: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        found = SqlReportSource(sessions).meetings_between("T1", period.start_utc, period.end_utc)
        event.remove(engine, "before_cursor_execute", count)

        assert [m.id for m in found] == [2, 3, 4, 5]
        assert [
            s.split()[0].upper() for s in statements if not s.startswith(("BEGIN", "ROLLBACK"))
        ] == ["SELECT"]
        assert "meeting_attendees" not in " ".join(statements)
        assert all(m.attendees == [] for m in found)
        assert (
            found[0].start_utc == utc("2026-10-31 23:00") and found[0].start_utc.tzinfo is not None
        )
        assert (found[1].host_id, found[1].organizer_id, found[1].outcome) == (
            "U3",
            "U2",
            "NO_SHOW",
        )
        assert (found[2].status, found[0].meeting_type) == ("cancelled", "Demo")

        everyone = SqlReportSource(sessions).meetings_between(
            None, period.start_utc, period.end_utc
        )
        assert sorted(m.id for m in everyone) == [2, 3, 4, 5, 7]

        report = build_report(found, period, now=utc("2026-12-10 12:00"))
        assert report.total == 4 and report.canceled == 1
        assert (report.ended, report.completed, report.no_show) == (3, 1, 1)
    finally:
        engine.dispose()
