"""What a matched token can mean: a date, a weekday, a clock time, a part of day or an
offset from now. The grammar produces readings; the evaluation merges and resolves them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

DEFAULT_HOUR = 9
PART_HOURS = {"morning": 9, "noon": 12, "afternoon": 15, "evening": 18, "midnight": 0}


class ClockTime(NamedTuple):
    hour: int
    minute: int
    meridiem: bool  # am/pm was written, so a part of day may not move the hour


class Date(NamedTuple):
    """The day a token names.

    kind is "abs" (year may be None: the next such date), "dom" (day of month only),
    "rel" (days/months from today), "week" (next week's Monday) or "month" (1st of next).
    """

    kind: str
    year: int | None = None
    month: int = 0
    day: int = 0
    days: int = 0
    months: int = 0


class Reading(NamedTuple):
    """One possible meaning of a token; a phrase merges one reading per token."""

    date: Date | None = None
    weekday: tuple[int, str] | None = None  # (0=Monday, "plain" | "next" | "this")
    clock: ClockTime | None = None
    part: str | None = None
    delta: timedelta | None = None


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
