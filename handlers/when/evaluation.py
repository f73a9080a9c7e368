"""From tokens to an instant: merge one reading per token into a phrase and resolve it
against `now`. The policy in the package docstring (DST, "next friday", bare times) lives here.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

from handlers.when.readings import DEFAULT_HOUR, PART_HOURS, ClockTime, Date, Reading, Token


def _merge(readings: Sequence[Reading]) -> Reading | None:
    date_: Date | None = None
    weekday: tuple[int, str] | None = None
    clock: ClockTime | None = None
    part: str | None = None
    delta: timedelta | None = None
    for r in readings:
        if r.date is not None:
            if date_ is not None:
                return None
            date_ = r.date
        if r.weekday is not None:
            if weekday is not None:
                return None
            weekday = r.weekday
        if r.clock is not None:
            if clock is not None:
                return None
            clock = r.clock
        if r.part is not None:
            if part is not None:
                return None
            part = r.part
        if r.delta is not None:
            if delta is not None:
                return None
            delta = r.delta
    if delta is not None and (date_ or weekday or clock or part):
        return None
    if weekday is not None and date_ is not None and date_.kind not in ("abs", "dom", "week"):
        return None
    return Reading(date_, weekday, clock, part, delta)


class _Conflict(Exception):
    """The parts of a phrase contradict each other ("morning 15:00", "3am in the evening")."""


def _time_of_day(r: Reading) -> tuple[int, int, int] | None:
    """(hour, minute, extra days) or None when the phrase gives no time of day."""
    if r.clock is not None:
        h, mi, meridiem = r.clock
        if r.part is None:
            return h, mi, 0
        if r.part in ("afternoon", "evening"):
            if meridiem and h < 12:
                raise _Conflict
            return (h + 12 if h < 12 else h), mi, 0
        if r.part == "morning":
            if h >= 13:
                raise _Conflict
            return h, mi, 0
        if r.part == "noon":
            if (h, mi) != (12, 0):
                raise _Conflict
            return 12, 0, 0
        if (h, mi) == (0, 0) or (h, mi, meridiem) == (12, 0, False):
            return 0, 0, 1
        raise _Conflict
    if r.part is not None:
        return PART_HOURS[r.part], 0, 1 if r.part == "midnight" else 0
    return None


def local_time(day: date, hour: int, minute: int, tz: tzinfo, fold: int = 0) -> datetime:
    """A wall time in `tz`; a gap time moves past the gap, an ambiguous one is the first.

    The UTC round trip turns the fold=0 reading of a gap time (the old offset) into the
    real instant after the gap, and gives fold=1 to instants in the repeated hour.
    """
    wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz, fold=fold)
    return wall.astimezone(UTC).astimezone(tz)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for d in range(day.day, 27, -1):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))


def _valid_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _resolve(r: Reading, now: datetime) -> datetime | None:
    tz = now.tzinfo
    assert tz is not None
    if r.delta is not None:
        return (now.astimezone(UTC) + r.delta).astimezone(tz)
    try:
        tod = _time_of_day(r)
    except _Conflict:
        return None
    hour, minute, extra = tod if tod is not None else (DEFAULT_HOUR, 0, 0)
    today = now.date()
    now_ts = now.timestamp()

    def at(day: date) -> datetime:
        return local_time(day + timedelta(days=extra), hour, minute, tz)

    d = r.date
    if d is not None:
        day = _day(d, today, r.weekday)
        return None if day is None else at(day)
    if r.weekday is not None:
        wd, mode = r.weekday
        ahead = (wd - today.weekday()) % 7
        if ahead == 0 and mode != "this":
            # today counts only for a plain weekday with a time still ahead ("friday 10:00")
            today_ok = mode == "plain" and tod is not None and at(today).timestamp() > now_ts
            ahead = 0 if today_ok else 7
        return at(today + timedelta(days=ahead))
    if tod is None:
        return None
    result = at(today)
    if result.timestamp() <= now_ts:
        # inside a repeated (fall-back) hour the second 02:30 may still be ahead
        second = local_time(today + timedelta(days=extra), hour, minute, tz, fold=1)
        result = second if second.timestamp() > now_ts else at(today + timedelta(days=1))
    return result


def _day(d: Date, today: date, weekday: tuple[int, str] | None) -> date | None:
    """The calendar day a date slot names; a weekday only refines "next week"."""
    if d.kind == "abs":
        if d.year is not None:
            return _valid_date(d.year, d.month, d.day)
        for year in range(today.year, today.year + 9):  # Feb 29 may be years away
            candidate = _valid_date(year, d.month, d.day)
            if candidate is not None and candidate >= today:
                return candidate
        return None
    if d.kind == "dom":
        for ahead in range(13):
            first = _add_months(today.replace(day=1), ahead)
            candidate = _valid_date(first.year, first.month, d.day)
            if candidate is not None and candidate >= today:
                return candidate
        return None
    if d.kind == "rel":
        return _add_months(today, d.months) + timedelta(days=d.days)
    if d.kind == "month":
        return _add_months(today.replace(day=1), 1)
    monday = today + timedelta(days=7 - today.weekday())
    return monday + timedelta(days=weekday[0] if weekday else 0)


def evaluate(tokens: Sequence[Token], now: datetime) -> datetime | None:
    for combo in itertools.product(*(t.readings for t in tokens)):
        merged = _merge(combo)
        if merged is not None:
            result = _resolve(merged, now)
            if result is not None:
                return result
    return None
