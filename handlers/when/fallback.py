"""dateparser as a guarded fallback for month-name dates the grammar does not read.

Separate because it is the one place that trusts another parser, and it verifies it.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from handlers.when.evaluation import local_time
from handlers.when.grammar import Grammar
from handlers.when.lexicon import EN_MONTHS, PL_MONTHS
from handlers.when.readings import DEFAULT_HOUR

_FALLBACK_WORDS = re.compile(r"[a-z]+|\d+")
_TIME_HINT = re.compile(r"\d:\d|\d\s*[ap]\.?m(?!\w)")


def dateparser_fallback(folded: str, now: datetime, grammar: Grammar) -> datetime | None:
    """Let dateparser read month-name dates in layouts the grammar lacks, but verify it.

    dateparser invents dates from any digits, so it is asked only when a month name is
    present, and its answer is kept only if the month, a written year and a written day
    agree with the text. Its wall time is re-localised with our own DST rule.
    """
    hint = grammar.month_hint
    if hint is None or not grammar.languages:
        return None
    month_match = hint.search(folded)
    if month_match is None:
        return None
    months = {**(EN_MONTHS if "en" in grammar.languages else {}),
              **(PL_MONTHS if "pl" in grammar.languages else {})}  # fmt: skip
    month = months[month_match.group(0)]
    numbers = [int(w) for w in _FALLBACK_WORDS.findall(folded) if w.isdigit()]
    days = [n for n in numbers if 1 <= n <= 31]
    years = [n for n in numbers if n >= 1000]
    if not days:
        return None
    import dateparser  # slow to import; only this rare path needs it

    tz = now.tzinfo
    assert tz is not None
    tz_name = getattr(tz, "key", None) or now.strftime("%z") or "UTC"
    settings = {
        "PREFER_DATES_FROM": "future",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "TIMEZONE": tz_name,
        "PREFER_DAY_OF_MONTH": "first",
    }
    try:
        parsed = dateparser.parse(folded, languages=list(grammar.languages), settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    if parsed is None or parsed.month != month or parsed.day not in days:
        return None
    if years and parsed.year not in years:
        return None
    hour, minute = parsed.hour, parsed.minute
    if not _TIME_HINT.search(folded):
        if (hour, minute) != (0, 0):
            return None  # a time we cannot point to in the text
        hour = DEFAULT_HOUR
    day = parsed.date() if years else _next_on_or_after(now.date(), parsed.month, parsed.day)
    if day is None:
        return None
    return local_time(day, hour, minute, tz)


def _next_on_or_after(today: date, month: int, day: int) -> date | None:
    """A yearless date is the next such date on or after today (today included), as in the grammar.

    dateparser's "prefer future" skips today itself; 29 February waits for a leap year.
    """
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None
