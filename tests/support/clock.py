"""A clock tests move by hand: time travel without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class MutableClock:
    def __init__(self, now: datetime | None = None) -> None:
        self._now = (now or datetime.now(UTC)).astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now
