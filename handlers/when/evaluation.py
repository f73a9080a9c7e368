"""From tokens to an instant: merge one reading per token into a phrase and resolve it
against `now`. The policy in the package docstring (DST, "next friday", bare times,
business hours) lives here.

Work is bounded: a phrase has at most `MAX_PHRASE_TOKENS` tokens, and `Budget` counts
every combination of readings tried and stops at `MAX_COMBINATIONS` per text, so no
input shape ("1/2 1/2 1/2 …") can make reading a text slow.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

from handlers.when.readings import (
    DEFAULT_HOUR,
    PART_HOURS,
    PART_KIND,
    Date,
    Reading,
    Token,
)

MAX_PHRASE_TOKENS = 6
MAX_COMBINATIONS = 3000


@dataclass
class Budget:
    """Combinations of readings tried for one text; `spent` is what tests bound."""

    limit: int = MAX_COMBINATIONS
    spent: int = 0

    def take(self) -> bool:
        if self.spent >= self.limit:
            return False
        self.spent += 1
        return True


class Contradiction:
    """The phrase's parts disagree about the day ("Monday, March 31" on a Tuesday)."""


CONTRADICTION = Contradiction()
Outcome = datetime | Contradiction | None


def _merge(readings: Sequence[Reading]) -> Reading | None:
    slots: dict[str, object] = {}
    for r in readings:
        for name in _SLOTS:
            value = getattr(r, name)
            if value is not None:
                if name in slots:
                    return None
                slots[name] = value
    merged = Reading(**slots)  # type: ignore[arg-type]
    if merged.delta is not None and len(slots) > 1:
        return None
    if merged.zone is not None and merged.clock is None:
        return None  # "CET" alone, "tomorrow CET": a zone only qualifies a clock time
    weekday, date_ = merged.weekday, merged.date
    if weekday is not None and date_ is not None:
        # "za tydzień we wtorek": a weekday in the week a whole number of weeks ahead
        weeks = date_.kind == "rel" and not date_.months and date_.days > 0 == date_.days % 7
        if date_.kind not in ("abs", "dom", "week") and not weeks:
            return None
        if weekday[1] not in ("plain", "this", "next"):
            return None
    return merged


class _Conflict(Exception):
    """The parts of a phrase contradict each other ("morning 15:00", "3am in the evening")."""


def _time_of_day(r: Reading) -> tuple[int, int, int] | None:
    """(hour, minute, extra days) or None when the phrase gives no time of day.

    Business hours: an hour from 1 to 6 written without am/pm, a leading zero or a part of
    day is the afternoon ("at 3", "o 3", "3:30" are 15:00 / 15:30).
    """
    if r.clock is not None:
        h, mi, meridiem, padded = r.clock
        part = PART_KIND.get(r.part, r.part) if r.part is not None else None
        if part is None:
            if 1 <= h <= 6 and not meridiem and not padded:
                return h + 12, mi, 0
            return h, mi, 0
        if part in ("afternoon", "evening"):
            if meridiem and h < 12:
                raise _Conflict
            if part == "evening" and (h, mi, meridiem) == (12, 0, False):
                return 0, 0, 1  # "tonight at 12" is midnight, not noon
            return (h + 12 if h < 12 else h), mi, 0
        if part == "morning":
            if h >= 13 or (meridiem and h >= 12):
                raise _Conflict
            return h, mi, 0
        if part == "night":
            if meridiem or h >= 13:
                return _night_checked(h, mi, meridiem)
            if h == 12 or h == 0:
                return 0, mi, 1  # "o 12 w nocy": the midnight that ends the day
            return (h, mi, 0) if h <= 5 else (h + 12, mi, 0)
        if part == "noon":
            if (h, mi) != (12, 0):
                raise _Conflict
            return 12, 0, 0
        if (h, mi) == (0, 0) or (h, mi, meridiem) == (12, 0, False):
            return 0, 0, 1
        raise _Conflict
    if r.part is not None:
        return PART_HOURS[r.part], 0, 1 if r.part == "midnight" else 0
    return None


def _night_checked(h: int, mi: int, meridiem: bool) -> tuple[int, int, int]:
    """ "11pm at night", "23:00 w nocy", "3am at night": already unambiguous."""
    if h >= 20 or h <= 5:
        return h, mi, 0
    raise _Conflict


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


def _resolve(r: Reading, now: datetime) -> Outcome:
    tz = now.tzinfo
    assert tz is not None
    if r.delta is not None:
        return (now.astimezone(UTC) + r.delta).astimezone(tz)
    try:
        tod = _time_of_day(r)
    except _Conflict:
        return None
    hour, minute, extra = tod if tod is not None else (DEFAULT_HOUR, 0, 0)
    wall_tz = r.zone.tz if r.zone is not None else tz
    today = now.date()
    now_ts = now.timestamp()

    def at(day: date, fold: int = 0) -> datetime:
        return local_time(day + timedelta(days=extra), hour, minute, wall_tz, fold).astimezone(tz)

    d = r.date
    if d is not None:
        day = _day(d, today, r.weekday)
        if day is None:
            return None
        if r.weekday is not None and d.kind in ("abs", "dom") and day.weekday() != r.weekday[0]:
            return CONTRADICTION
        return at(day)
    if r.weekday is not None:
        wd, mode = r.weekday
        ahead = (wd - today.weekday()) % 7
        if ahead == 0 and mode != "this":
            # today counts only for a plain weekday with a time still ahead ("friday 10:00")
            today_ok = mode == "plain" and tod is not None and at(today).timestamp() > now_ts
            ahead = 0 if today_ok else 7
        if mode in ("after_next", "week_after"):
            ahead += 7
        return at(today + timedelta(days=ahead))
    if tod is None:
        return None
    result = at(today)
    if result.timestamp() <= now_ts:
        # inside a repeated (fall-back) hour the second 02:30 may still be ahead
        second = at(today, fold=1)
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
        day = _add_months(today, d.months) + timedelta(days=d.days)
        if weekday is not None:  # "za tydzień w środę": that week's Wednesday
            return day - timedelta(days=day.weekday() - weekday[0])
        return day
    if d.kind == "month":
        return _add_months(today.replace(day=1), 1)
    if d.kind == "nextdom":
        first = _add_months(today.replace(day=1), 1)
        return _valid_date(first.year, first.month, d.day)
    if d.kind == "eom":
        if d.month:  # "koniec marca", "end of april": this year's, or next once past
            for year in (today.year, today.year + 1):
                last = _add_months(date(year, d.month, 1), 1) - timedelta(days=1)
                if last >= today:
                    return last
        return _add_months(today.replace(day=1), 1) - timedelta(days=1)
    if d.kind == "nth":
        return _nth_weekday(d, today)
    monday = today + timedelta(days=7 - today.weekday())
    return monday + timedelta(days=weekday[0] if weekday else 0)


def _nth_weekday(d: Date, today: date) -> date | None:
    """ "first tuesday of october", "last friday of the month": this year's, or next
    year's once this year's has passed; "of the month" is this month's."""
    years = [today.year] if d.month == 0 else [today.year, today.year + 1]
    for year in years:
        month = d.month or today.month
        first = date(year, month, 1)
        if d.day > 0:
            offset = (d.weekday - first.weekday()) % 7 + 7 * (d.day - 1)
            day = first + timedelta(days=offset)
            if day.month != month:
                return None
        else:
            last = _add_months(first, 1) - timedelta(days=1)
            day = last - timedelta(days=(last.weekday() - d.weekday) % 7)
        if day >= today or d.month == 0:
            return day
    return None


_SLOTS = ("date", "weekday", "clock", "part", "delta", "zone")


@lru_cache(maxsize=4096)
def _always_filled(readings: tuple[Reading, ...]) -> frozenset[str]:
    """The slots every reading of a token fills ("1/2" is a date either way)."""
    filled = [frozenset(n for n in _SLOTS if getattr(r, n) is not None) for r in readings]
    return frozenset.intersection(*filled) if filled else frozenset()


def evaluate(tokens: Sequence[Token], now: datetime, budget: Budget | None = None) -> Outcome:
    """The first combination of readings that resolves; a contradiction only when no
    combination resolves and one contradicts."""
    budget = budget or Budget()
    taken: frozenset[str] = frozenset()
    for token in tokens:  # two tokens that always fill the same slot never merge
        always = _always_filled(token.readings)
        if always & taken:
            return None
        taken |= always
    contradicted = False
    for combo in itertools.product(*(t.readings for t in tokens)):
        if not budget.take():
            break
        merged = _merge(combo)
        if merged is not None:
            result = _resolve(merged, now)
            if isinstance(result, datetime):
                return result
            contradicted = contradicted or result is CONTRADICTION
    return CONTRADICTION if contradicted else None
