"""The composition root's wiring: which adapter and repository serve which port."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from handlers.clock import SystemClock
from handlers.invitations import Mailer
from handlers.ports import Clock
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
    clock: Clock = field(default_factory=SystemClock)


def build_mailer(settings: Settings) -> Mailer | None:
    """None when no mail server is configured: invitations then wait in the queue."""
    if not settings.SMTP_URL:
        return None
    from adapters.smtp_mail import SmtpMailer

    return SmtpMailer(settings.SMTP_URL, settings.MAIL_FROM or "meetline@localhost")


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    engine = make_engine(settings.DATABASE_URL)
    sessions = make_session_factory(engine)
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
        clock=clock or SystemClock(),
    )
