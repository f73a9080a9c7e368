"""The unit of work on SQLAlchemy: one session, one transaction, one commit per use case.

Repositories built here are bound to the unit's session (storage.db.UnitOfWorkSessions):
their reads see the unit's own writes, their writes become SAVEPOINTs of its
transaction, and PostgreSQL row locks they take hold until `commit()`. Outside a unit of
work the same repository classes, built on a sessionmaker, still run each call in its
own transaction.

A unit that promises a single write (`single_write`, the Save's booking) on PostgreSQL
has no transaction: its one statement commits itself, and its statements run on a pooled
psycopg connection in autocommit, with a session opened only if a repository needs one.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.db import IMMEDIATE, UnitOfWorkSessions
from storage.jobs import SqlJobQueue
from storage.meetings import SqlMeetingRepository
from storage.read_cache import ReadCaches
from storage.records import SqlRecordRepository
from storage.users import SqlUserRepository
from storage.workspaces import SqlWorkspaceRepository


class SqlUnitOfWork:
    """handlers.ports.UnitOfWork. Use once: `with SqlUnitOfWork(sessions) as uow: ...`."""

    meetings: SqlMeetingRepository
    records: SqlRecordRepository
    users: SqlUserRepository
    workspaces: SqlWorkspaceRepository
    jobs: SqlJobQueue

    def __init__(
        self,
        sessions: sessionmaker[Session],
        caches: ReadCaches | None = None,
        *,
        single_write: bool = False,
    ) -> None:
        self._sessions = sessions
        self._caches = caches or ReadCaches.off()
        self._single_write = single_write
        self._bound: UnitOfWorkSessions | None = None
        self._autocommit: Any = None  # psycopg's connection while it is in autocommit

    def __enter__(self) -> Self:
        if self._bound is not None:
            raise RuntimeError("a unit of work is used once; open a new one")
        engine = self._sessions.kw.get("bind")
        if (
            self._single_write
            and isinstance(engine, Engine)
            and engine.dialect.name == "postgresql"
        ):
            # A single write on PostgreSQL needs no transaction around it: each statement
            # commits itself (no BEGIN, no COMMIT), and a second write fails loudly (a
            # SAVEPOINT outside a transaction). Its statements run on psycopg's connection
            # (UnitOfWorkSessions.driver); a session is opened only if a repository needs
            # one, in autocommit too.
            bound = UnitOfWorkSessions(self._autocommit_session, driver_engine=engine)
            dialect = "postgresql"
        else:
            session = self._sessions()
            session.begin()
            # SQLite: take the write lock now. A transaction that reads and later writes
            # would otherwise fail at its first write when another one committed meanwhile.
            # PostgreSQL ignores the option.
            session.connection(execution_options=IMMEDIATE)
            bound = UnitOfWorkSessions(lambda: session)
            dialect = bound.session.get_bind().dialect.name
        self._bound = bound
        self.meetings = SqlMeetingRepository(bound)
        self.records = SqlRecordRepository(bound)
        self.users = SqlUserRepository(bound, self._caches.users)
        self.workspaces = SqlWorkspaceRepository(bound, self._caches.workspaces)
        self.jobs = SqlJobQueue(bound, dialect)
        return self

    def _autocommit_session(self) -> Session:
        """A session whose connection is in autocommit on psycopg's side, not through
        SQLAlchemy's isolation_level option: that switches the pooled connection's level
        at checkout and back at checkin (5% of a Save's CPU, py-spy). SQLAlchemy's commit
        then finds no transaction to end; `_end_autocommit` hands it back as it came."""
        session = self._sessions()
        session.begin()
        driver: Any = session.connection().connection.driver_connection
        driver.autocommit = True
        self._autocommit = driver
        return session

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        bound = self._active()
        try:
            bound.release_driver()
        finally:
            session = bound.opened
            if session is not None:
                try:
                    self._end_autocommit()
                    session.rollback()  # what was not committed (after commit() nothing)
                finally:
                    session.close()

    def commit(self) -> None:
        bound = self._active()
        session = bound.opened
        if session is not None:
            self._end_autocommit()  # before the commit, which gives the connection back
            session.commit()
        bound.release_driver()  # autocommit: its statement committed itself
        for forget in bound.on_commit:
            forget()
        bound.on_commit.clear()

    def _end_autocommit(self) -> None:
        driver, self._autocommit = self._autocommit, None
        if driver is not None and not driver.closed:
            driver.autocommit = False

    def rollback(self) -> None:
        session = self._active().opened
        if session is not None:
            session.rollback()

    def _active(self) -> UnitOfWorkSessions:
        if self._bound is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._bound


class SqlUnitOfWorkFactory:
    """handlers.ports.UnitOfWorkFactory: a new SqlUnitOfWork on each call."""

    def __init__(self, sessions: sessionmaker[Session], caches: ReadCaches | None = None) -> None:
        self._sessions = sessions
        self._caches = caches

    def __call__(self, *, single_write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._caches, single_write=single_write)
