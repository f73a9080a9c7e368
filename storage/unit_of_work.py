"""The unit of work on SQLAlchemy: one session, one transaction, one commit per use case.

Repositories built here are bound to the unit's session (storage.db.UnitOfWorkSessions):
their reads see the unit's own writes, their writes become SAVEPOINTs of its
transaction, and PostgreSQL row locks they take hold until `commit()`. Outside a unit of
work the same repository classes, built on a sessionmaker, still run each call in its
own transaction.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

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
        self._session: Session | None = None
        self._bound: UnitOfWorkSessions | None = None
        self._autocommit: Any = None  # psycopg's connection while it is in autocommit

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a unit of work is used once; open a new one")
        session = self._sessions()
        session.begin()
        dialect = session.get_bind().dialect.name
        # SQLite: take the write lock now. A transaction that reads and later writes
        # would otherwise fail at its first write when another one committed meanwhile.
        # PostgreSQL ignores the option. A single write on PostgreSQL needs no
        # transaction around it: each statement commits itself (no BEGIN, no COMMIT),
        # and a second write would fail loudly (a SAVEPOINT outside a transaction).
        if self._single_write and dialect == "postgresql":
            # Set on psycopg's connection, not as SQLAlchemy's isolation_level option: that
            # switches the pooled connection's isolation level at checkout and back at
            # checkin (5% of a Save's CPU, py-spy). SQLAlchemy's commit then finds no
            # transaction to end; `_end_autocommit` hands the connection back as it came.
            driver: Any = session.connection().connection.driver_connection
            driver.autocommit = True
            self._autocommit = driver
        else:
            session.connection(execution_options=IMMEDIATE)
        self._session = session
        bound = self._bound = UnitOfWorkSessions(session)
        self.meetings = SqlMeetingRepository(bound)
        self.records = SqlRecordRepository(bound)
        self.users = SqlUserRepository(bound, self._caches.users)
        self.workspaces = SqlWorkspaceRepository(bound, self._caches.workspaces)
        self.jobs = SqlJobQueue(bound, dialect)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._active()
        try:
            self._end_autocommit()
            session.rollback()  # whatever was not committed (after commit() there is nothing)
        finally:
            session.close()

    def commit(self) -> None:
        session = self._active()
        self._end_autocommit()  # before the commit, which gives the connection back
        session.commit()
        if self._bound is not None:
            for forget in self._bound.on_commit:
                forget()
            self._bound.on_commit.clear()

    def _end_autocommit(self) -> None:
        driver, self._autocommit = self._autocommit, None
        if driver is not None and not driver.closed:
            driver.autocommit = False

    def rollback(self) -> None:
        self._active().rollback()

    def _active(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._session


class SqlUnitOfWorkFactory:
    """handlers.ports.UnitOfWorkFactory: a new SqlUnitOfWork on each call."""

    def __init__(self, sessions: sessionmaker[Session], caches: ReadCaches | None = None) -> None:
        self._sessions = sessions
        self._caches = caches

    def __call__(self, *, single_write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._caches, single_write=single_write)
