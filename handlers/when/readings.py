"""What a matched token can mean: a date, a weekday, a clock time, a part of day or an
offset from now. The grammar produces readings; the evaluation merges and resolves them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from typing import NamedTuple

DEFAULT_HOUR = 9
PART_HOURS = {
    "morning": 9, "noon": 12, "afternoon": 15, "evening": 18, "night": 22, "midnight": 0,
    "early morning": 8, "mid morning": 10, "late morning": 11, "lunch": 12,
    "early afternoon": 13, "late afternoon": 16, "end of day": 17, "early evening": 17,
}  # fmt: skip
# How a finer part moves a clock time written with it: like its broad part, or not at all
# (None: "lunch at 1" and "eod 5pm" are the clock time itself, business hours included).
PART_KIND: dict[str, str | None] = {
    "early morning": "morning", "mid morning": "morning", "late morning": "morning",
    "early afternoon": "afternoon", "late afternoon": "afternoon",
    "early evening": "evening", "lunch": None, "end of day": None,
}  # fmt: skip


class ClockTime(NamedTuple):
    hour: int
    minute: int
    meridiem: bool  # am/pm was written, so a part of day may not move the hour
    padded: bool = False  # "03:30": the leading zero says 24-hour clock, no business hours


class Date(NamedTuple):
    """The day a token names.

    kind is "abs" (year may be None: the next such date), "dom" (day of month only),
    "rel" (days/months from today), "week" (next week's Monday), "month" (1st of next),
    "nextdom" (a day of next month), "nth" (the `day`-th `weekday` of `month`, 0 = this
    month, day -1 = the last) or "eom" (the last day of this month).
    """

    kind: str
    year: int | None = None
    month: int = 0
    day: int = 0
    days: int = 0
    months: int = 0
    weekday: int = -1


class NamedZone(NamedTuple):
    """A time zone written in the text ("CET", "UTC+1", "czasu polskiego")."""

    label: str
    tz: tzinfo


class Reading(NamedTuple):
    """One possible meaning of a token; a phrase merges one reading per token."""

    date: Date | None = None
    # (0=Monday, "plain" | "next" | "this" | "after_next" | "week_after")
    weekday: tuple[int, str] | None = None
    clock: ClockTime | None = None
    part: str | None = None
    delta: timedelta | None = None
    zone: NamedZone | None = None


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    readings: tuple[Reading, ...]
    strong: bool


Builder = Callable[[re.Match[str]], tuple[tuple[Reading, ...], bool] | None]


@dataclass(frozen=True, slots=True)
class Rule:
    pattern: re.Pattern[str]
    build: Builder


def clock_reading(h: int, mi: int, ap: str | None = None, padded: bool = False) -> Reading | None:
    """A clock time on the 24-hour clock, `ap` ("a"/"p") turning 12-hour input into it."""
    if ap is not None:
        if not 1 <= h <= 12:
            return None
        h = (0 if h == 12 else h) if ap == "a" else (12 if h == 12 else h + 12)
    if not (0 <= h <= 23 and 0 <= mi <= 59):
        return None
    return Reading(clock=ClockTime(h, mi, ap is not None, padded))
