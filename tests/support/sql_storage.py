"""Real SQL storage for in-process tests: an engine on a migrated test database and the
workspaces' records imported from CSV, disposed of when the test ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from handlers.records_csv import import_records
from storage.db import make_engine, make_session_factory
from storage.records import SqlRecordRepository


@dataclass(frozen=True)
class SqlStorage:
    engine: Engine
    sessions: sessionmaker[Session]
    records: SqlRecordRepository


@contextmanager
def sql_storage(url: str, records_csv: str = "", *teams: str) -> Iterator[SqlStorage]:
    """Storage on `url` (a `migrated_url`), with `records_csv` imported into each of `teams`."""
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        records = SqlRecordRepository(sessions)
        for team in teams:
            import_records(records, team, records_csv)
        yield SqlStorage(engine, sessions, records)
    finally:
        engine.dispose()
