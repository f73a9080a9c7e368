"""Engines and sessions that behave the same on SQLite (one team) and PostgreSQL (many).

Everything that opens a database goes through `make_engine`, so the per-dialect
settings below (SQLite pragmas and explicit BEGIN, PostgreSQL pool, URL
normalisation) are applied everywhere: the app, the worker, migrations and tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

from handlers.domain import Record

log = logging.getLogger(__name__)

# Execution option read by the SQLite "begin" hook: "IMMEDIATE" takes the write lock
# when the transaction starts. A deferred transaction that reads and then writes can
# fail at once with "database is locked" (busy_timeout does not help when a read
# snapshot must be upgraded), so every read-modify-write transaction asks for it.
SQLITE_BEGIN = "sqlite_begin"
IMMEDIATE: dict[str, Any] = {SQLITE_BEGIN: "IMMEDIATE"}


def normalize_url(url: str) -> str:
    """Hosting platforms hand out `postgres://` URLs; SQLAlchemy wants a driver name."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    backend = make_url(url).get_backend_name()
    # Database errors end up in tracebacks in the log: name the statement, not its
    # parameters (titles, notes, addresses).
    kwargs.setdefault("hide_parameters", True)
    if backend == "sqlite":
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("check_same_thread", False)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _install_sqlite_hooks(engine)
        return engine
    if backend == "postgresql":
        # No pre-ping (a round trip on every checkout, i.e. on every transaction):
        # connections are recycled before servers and proxies drop idle ones (300 s is
        # below the usual idle timeouts), so a dead one is the rare case of a restarted
        # server, which costs one failed request per pooled connection. The pool holds
        # what the serving threads may use at once (`pool_size`, from bot.wiring).
        kwargs.setdefault("pool_pre_ping", False)
        kwargs.setdefault("pool_recycle", 300)
        kwargs.setdefault("pool_use_lifo", True)  # idle extras age out; busy ones stay warm
        # an unreachable server fails /healthz in seconds instead of hanging it.
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("connect_timeout", 10)
        kwargs["connect_args"] = connect_args
    return create_engine(url, **kwargs)


def _install_sqlite_hooks(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, decide when transactions begin.

    pysqlite's own transaction handling starts transactions lazily before DML only,
    which breaks SAVEPOINTs, transactional DDL and BEGIN IMMEDIATE; the documented
    remedy is to switch it off and emit BEGIN from the "begin" event.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN)
        conn.exec_driver_sql(f"BEGIN {mode}" if mode in ("IMMEDIATE", "EXCLUSIVE") else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit: repositories return them after the session ends.
    return sessionmaker(bind=engine, expire_on_commit=False)


# What repositories take to reach the database: a sessionmaker (each call its own
# transaction) or the one session of a unit of work (storage.unit_of_work).
Sessions = Callable[[], AbstractContextManager[Session]]


class UnitOfWorkSessions:
    """The one session of a unit of work, handed to every repository call made inside it.

    Reads and writes of all repositories bound to it share one transaction; nothing
    commits until the unit of work does, so PostgreSQL row locks taken by one call hold
    until then. Closing is the unit of work's job too.

    The session is opened on first use. A single-write unit on PostgreSQL also offers
    `driver()`: psycopg's own connection in autocommit, for its statements run on the
    driver (the Save's key lookup with its records, and its booking), so such a unit
    needs no ORM session at all (its checkout, begin, commit and close were 12-15% of a
    Save's CPU).
    """

    def __init__(
        self, open_session: Callable[[], Session], driver_engine: Engine | None = None
    ) -> None:
        self._open_session = open_session
        self._session: Session | None = None
        self.driver_engine = driver_engine
        self._pooled: Any = None
        # The id the meeting this unit books will get, drawn from its sequence by the
        # submission key's lookup in the same statement (storage.meetings).
        self.next_meeting_id: int | None = None
        # Run by the unit of work after its commit (read caches forget what it wrote).
        self.on_commit: list[Callable[[], None]] = []
        # Records read in this transaction, by (workspace, id), None for not found
        # (storage.records): read again from here, and a meeting linked to one found needs
        # no second look at its workspace (storage.meetings).
        self.records_seen: dict[tuple[str, int], Record | None] = {}
        # Records a use case said it will read (RecordRepository.expect), by workspace,
        # not read yet: the next statement that can carry them reads them all at once.
        self.records_wanted: dict[str, set[int]] = {}

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._open_session()
        return self._session

    @property
    def opened(self) -> Session | None:
        """The session, if one was opened."""
        return self._session

    def driver(self) -> Any:
        """psycopg's connection in autocommit for a single-write unit on PostgreSQL (checked
        out of the pool on first use), else None: run the statement on the session's."""
        if self.driver_engine is None:
            return None
        if self._pooled is None:
            pooled = self.driver_engine.raw_connection()
            try:
                pooled.driver_connection.autocommit = True  # type: ignore[union-attr]
            except BaseException:
                pooled.close()
                raise
            self._pooled = pooled
        return self._pooled.driver_connection

    def release_driver(self) -> None:
        """Hand the driver's connection back to the pool as the pool gave it out."""
        pooled, self._pooled = self._pooled, None
        if pooled is None:
            return
        try:
            driver = pooled.driver_connection
            if driver is not None and not driver.closed:
                driver.autocommit = False
        except Exception:  # noqa: BLE001 - a connection in doubt is not given out again
            pooled.invalidate()
        finally:
            pooled.close()

    def __call__(self) -> AbstractContextManager[Session]:
        return nullcontext(self.session)


@contextmanager
def write_session(sessions: Sessions) -> Iterator[Session]:
    """The one way repositories write: a transaction that holds SQLite's write lock from
    its first statement (on PostgreSQL an ordinary transaction), committed on success and
    rolled back on error.

    Inside a unit of work the write runs in a SAVEPOINT of the unit's transaction instead:
    an error undoes this write only (a repository may catch it and retry, as a
    concurrent first insert does), and only the unit of work commits.
    """
    if isinstance(sessions, UnitOfWorkSessions):
        with sessions.session.begin_nested():
            yield sessions.session
        return
    with sessions() as session, session.begin():
        session.connection(execution_options=IMMEDIATE)
        yield session


@contextmanager
def writing(sessions: Sessions) -> Iterator[Session]:
    """Like `write_session`, but inside a unit of work without a SAVEPOINT: for a write
    that never catches its own database errors, so an error fails the whole unit (which
    rolls back), and that saves the SAVEPOINT's two round trips."""
    if isinstance(sessions, UnitOfWorkSessions):
        yield sessions.session
        return
    with write_session(sessions) as session:
        yield session


def ping(engine: Engine) -> bool:
    """For /healthz: any failure means "not reachable", never an exception."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - health checks must answer, not raise
        log.warning("database ping failed", exc_info=True)
        return False
