"""The read caches of workspace settings and profiles (storage/read_cache.py) on SQLite and
PostgreSQL: this process's writes are seen at once, even when a unit of work commits
them after another request read the old row; another process's within the TTL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from handlers.domain import UserProfile
from handlers.workspace import WorkspaceSettings
from storage.db import make_engine, make_session_factory
from storage.read_cache import ReadCaches
from storage.unit_of_work import SqlUnitOfWorkFactory
from storage.users import SqlUserRepository
from storage.workspaces import SqlWorkspaceRepository

TEAM = "T1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Process:
    """What one serving process holds: cached repositories and a unit-of-work factory."""

    users: SqlUserRepository
    workspaces: SqlWorkspaceRepository
    uow: SqlUnitOfWorkFactory


@pytest.fixture
def sessions(migrated_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(migrated_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def process(sessions: sessionmaker[Session], clock: Clock) -> Process:
    caches = ReadCaches.of(60, clock=clock)
    return Process(
        SqlUserRepository(sessions, caches.users),
        SqlWorkspaceRepository(sessions, caches.workspaces),
        SqlUnitOfWorkFactory(sessions, caches),
    )


def test_a_settings_change_committed_by_a_unit_of_work_is_seen_at_once(process: Process) -> None:
    assert process.workspaces.get(TEAM).durations != (20, 40)  # read, and cached
    with process.uow() as uow:
        uow.workspaces.save(TEAM, WorkspaceSettings(durations=(20, 40)))
        # Another request reads before the commit: the old settings, which must not stick.
        assert process.workspaces.get(TEAM).durations != (20, 40)
        uow.commit()
    assert process.workspaces.get(TEAM).durations == (20, 40)


def test_a_profile_saved_here_is_seen_at_once(process: Process) -> None:
    assert process.users.get(TEAM, "U1") is None
    process.users.save(UserProfile(TEAM, "U1", name="Anna", timezone="Europe/Warsaw"))
    assert process.users.get(TEAM, "U1") == UserProfile(
        TEAM, "U1", name="Anna", timezone="Europe/Warsaw"
    )
    with process.uow() as uow:
        uow.users.save(UserProfile(TEAM, "U1", name="Anna", seat="professional"))
        uow.commit()
    found = process.users.get(TEAM, "U1")
    assert found is not None and found.seat == "professional"


def test_another_process_write_is_seen_once_the_entry_expires(
    process: Process, sessions: sessionmaker[Session], clock: Clock
) -> None:
    other = SqlWorkspaceRepository(sessions)  # another process: its own (no) cache
    assert process.workspaces.get(TEAM).default_language == "en"
    other.save(TEAM, WorkspaceSettings(default_language="pl"))
    assert process.workspaces.get(TEAM).default_language == "en"  # within the TTL
    clock.now += 61
    assert process.workspaces.get(TEAM).default_language == "pl"


def test_changing_what_was_read_changes_nothing_cached(process: Process) -> None:
    process.users.save(UserProfile(TEAM, "U2", name="Bob", extra={"deleted": False}))
    first = process.users.get(TEAM, "U2")
    assert first is not None
    first.name, first.extra["deleted"] = "Mallory", True
    again = process.users.get(TEAM, "U2")
    assert again is not None and again.name == "Bob" and again.extra == {"deleted": False}
