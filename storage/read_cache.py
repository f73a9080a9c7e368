"""Read-through caches for the small rows every Slack request reads (workspace settings,
user profiles, the host's calendar connection).

A /meet and its Save read the same workspace and the same few profiles several times
each; from the database that is a session, a transaction and a round trip or more per
read. Here they are kept for a while (CACHE_SECONDS, 30 s by default) in process memory:

- a write through a repository of this process forgets the entry at once, and again
  when its unit of work commits, so the next request in this process sees the change;
- a write by another process (`meetline serve --processes N`, a second host, the
  command line) is seen when the entry expires, `ttl` seconds at most;
- entries are copied in and out (`copy`), so a caller that changes what it read
  changes neither the cache nor another thread's copy.

`ttl=0` turns the cache off (every read goes to the database).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from handlers.domain import UserProfile
from handlers.workspace import WorkspaceSettings
from storage.db import Sessions, UnitOfWorkSessions

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_TTL = 30.0
"""Seconds another process's change may stay unseen."""


class ReadCache(Generic[K, V]):
    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        *,
        copy: Callable[[V], V] = lambda v: v,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._copy = copy
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[K, tuple[float, V]] = {}
        self._generation = 0  # bumped by every invalidation: a read begun before it is not kept

    def get(self, key: K, load: Callable[[], V]) -> V:
        if self.ttl <= 0:
            return load()
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                return self._copy(entry[1])
            generation = self._generation
        value = load()
        with self._lock:
            # An invalidation while we read means our value may predate that write.
            if generation == self._generation:
                if len(self._entries) >= self._max:
                    self._entries.clear()
                self._entries[key] = (now + self.ttl, self._copy(value))
        return value

    def invalidate(self, key: K) -> None:
        with self._lock:
            self._generation += 1
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()


def forget(sessions: Sessions, cache: ReadCache[K, V] | None, key: K | None = None) -> None:
    """After a write of `key` (None: of anything the cache holds) through `sessions`: forget
    it now, and inside a unit of work once more when it commits (a read between the write
    and the commit would have cached the old row)."""
    if cache is None:
        return

    def drop() -> None:
        if key is None:
            cache.clear()
        else:
            cache.invalidate(key)

    drop()
    if isinstance(sessions, UnitOfWorkSessions):
        sessions.on_commit.append(drop)


def _profile_copy(profile: UserProfile | None) -> UserProfile | None:
    return None if profile is None else replace(profile, extra=dict(profile.extra))


def _settings_copy(settings: WorkspaceSettings) -> WorkspaceSettings:
    return replace(settings, extra=dict(settings.extra))


@dataclass(frozen=True)
class ReadCaches:
    """The caches of one process, shared by its repositories and units of work."""

    users: ReadCache[tuple[str, str], UserProfile | None]
    workspaces: ReadCache[str, WorkspaceSettings]
    connections: ReadCache[tuple[str, str], Any]  # storage.calendar_connections' view of a row

    @classmethod
    def of(
        cls, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic
    ) -> ReadCaches:
        return cls(
            users=ReadCache(ttl, copy=_profile_copy, clock=clock),
            workspaces=ReadCache(ttl, copy=_settings_copy, clock=clock),
            connections=ReadCache(ttl, clock=clock),
        )

    @classmethod
    def off(cls) -> ReadCaches:
        return cls.of(0)
