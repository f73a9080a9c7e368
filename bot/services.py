"""The composition root's wiring: which adapter and repository serve which port."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from handlers.clock import SystemClock
from handlers.i18n import Translator
from handlers.invitations import Mailer
from handlers.ports import CalendarDirectory, Clock
from storage.db import make_engine, make_session_factory
from storage.jobs import SqlJobQueue
from storage.meetings import SqlMeetingRepository
from storage.records import SqlRecordRepository
from storage.users import SqlUserRepository
from storage.workspaces import SqlWorkspaceRepository


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    records: SqlRecordRepository
    users: SqlUserRepository
    meetings: SqlMeetingRepository
    jobs: SqlJobQueue
    workspaces: SqlWorkspaceRepository
    mailer: Mailer | None = None
    calendars: CalendarDirectory | None = None
    # Extra App Home blocks per (team, user), e.g. the calendar connection status, in the
    # reader's language (the Translator).
    home_sections: Callable[[str, str, Translator], list[dict[str, Any]]] = lambda team_id, user_id, t: []
    clock: Clock = field(default_factory=SystemClock)


def build_mailer(settings: Settings) -> Mailer | None:
    """None when no mail server is configured: invitations then wait in the queue."""
    if not settings.SMTP_URL:
        return None
    from adapters.smtp_mail import SmtpMailer

    return SmtpMailer(settings.SMTP_URL, settings.MAIL_FROM or "meetline@localhost")


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    from bot.calendar_oauth import build_calendar_directory, home_section

    engine = make_engine(settings.DATABASE_URL)
    sessions = make_session_factory(engine)
    clock = clock or SystemClock()
    calendars = build_calendar_directory(settings, sessions)
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        records=SqlRecordRepository(sessions),
        users=SqlUserRepository(sessions),
        meetings=SqlMeetingRepository(sessions),
        jobs=SqlJobQueue(sessions, engine.dialect.name),
        workspaces=SqlWorkspaceRepository(sessions),
        mailer=build_mailer(settings),
        calendars=calendars,
        home_sections=home_section(settings, calendars, clock),
        clock=clock,
    )
