"""Read the free text after `/meet` into modal pre-fills.

`/meet Jane Doe tomorrow 3pm 45m "Demo"` should open the modal with the record search,
start, duration and title filled in. The product promise is that nothing is guessed
silently, so the reader sorts every piece of the text into one of four places:

* the title: the first text in straight or curly quotes ("Demo", “Demo”, „Demo”, «Demo»);
  an unclosed quote runs to the end of the text;
* the start: the best time phrase found by `handlers.when.scan_when`;
* the duration: the first meeting length ("45m", "1h30", "1.5h", "an hour", "pół godziny",
  "półtorej godziny", "for 90 minutes", "na 2 godziny");
* `not_understood`: anything that looks like an attempt at a time or length but cannot be
  used. That is: a second time phrase or conflicting time words ("4pm" in
  "tomorrow 3pm 4pm"), clock-like text that is not a valid time ("25pm", "3:75",
  "at 3xx", "o 3xx"), the end of a time range ("-11:30" in "10:30-11:30"; ranges are not
  read), ordinals without a month ("5th"), a second
  duration, a duration over 24 hours or not a whole number of minutes, and a second
  quoted title. When such a piece touches the time phrase ("tomorrow 25pm"), the whole
  phrase is reported and no start is pre-filled, because keeping "tomorrow" at 09:00
  would be a guess about the part that failed. Two time phrases joined by "or" ("tomorrow
  or friday", "jutro albo w piątek") are one such phrase: the user has not decided.
* `contradictions`: a phrase whose weekday and date disagree ("Monday, March 31" when the
  31st is a Tuesday): no start is pre-filled and the form says why.

Everything else is the record query, whitespace collapsed. Two deliberate leniencies:
durations under 5 minutes ("3M") stay in the query as they are more likely part of a name,
and a lone abbreviated weekday ("Sun") is never taken as a date here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from handlers.when import NamedZone, fold, iter_durations, scan_when

__all__ = ["MeetText", "parse_meet_text"]

MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 24 * 60


@dataclass(frozen=True)
class MeetText:
    """Pre-fills for the scheduling modal; None means "leave the field for the user"."""

    record_query: str | None
    start: datetime | None
    duration_minutes: int | None
    title: str | None
    not_understood: tuple[str, ...]
    # How the start was read: the phrase as typed, and the zone it named ("4pm CET").
    start_phrase: str | None = field(default=None, compare=False)
    start_zone: NamedZone | None = field(default=None, compare=False)
    contradictions: tuple[str, ...] = ()


_QUOTED = re.compile(r"[\"“”„«»]([^\"“”„«»]*)(?:[\"“”„«»]|$)")
# What may separate pieces that still "touch": spaces, commas, dashes, and "or", "and" or
# a slash between two times the user has not chosen from.
_TOUCH = re.compile(r"(?:[\s,\-–—/&]|(?<!\w)(?:or|and|lub|albo|czy|i|oraz)(?!\w))*", re.IGNORECASE)
_BARE_HOUR = re.compile(r"[\s,]+(\d{1,2})(?![\w.:,/\-]|\s*(?:%|x\b))")
_JUNK_WORD = re.compile(r"[,;:.\-–—/]+")
# Time-like text the grammar refused: invalid clocks, am/pm on bad hours, prefixed
# non-times ("at 3xx", "o 3xx"), ordinals without a month.
_SUSPICIOUS_BODY = (
    r"|\d+:\d+(?:\s*[ap]\.?m\.?(?!\w))?"
    r"|\d+\s*[ap]\.?m\.?(?!\w)"
    r"|\d+(?:st|nd|rd|th)(?!\w)"
)

# The second half of a range ("10:30-11:30", "3-4pm"): ranges are not read, so say so.
# The end is only suspicious after a time already taken out (now blank), so "Room 5-10"
# and "ACME-42" stay names; "3-4pm" is caught whole.
_RANGE_END = (
    r"(?<=\s)[-–]\s*\d{1,2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?![\w:])"
    r"|(?<![\w.:/\-])\d{1,2}(?::\d{2})?\s*[-–]\s*\d{1,2}(?::\d{2})?\s*[ap]\.?m\.?(?!\w)"
)


@lru_cache(maxsize=8)
def _suspicious(polish: bool) -> re.Pattern[str]:
    prefixes = r"at|@|o|godz\.?" if polish else r"at|@"
    return re.compile(
        rf"(?<![\w.:/\-])(?:(?:{prefixes})\s*\d[^\s,]*{_SUSPICIOUS_BODY})"
        rf"|{_RANGE_END}"
    )


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        chars[i] = " "


def parse_meet_text(text: str, now: datetime, languages: Sequence[str] = ("en", "pl")) -> MeetText:
    """Split `/meet` text into record query, start, duration, title and leftovers."""
    work = list(text)
    problems: list[tuple[int, int]] = []

    title: str | None = None
    for i, m in enumerate(_QUOTED.finditer(text)):
        if i == 0:
            title = " ".join(m.group(1).split()) or None
        else:
            problems.append(m.span())
        _blank(work, *m.span())
    base = "".join(work)  # quotes removed; used to decide what touches the time phrase

    scan = scan_when(base, now, languages, weak_alone=False)
    start: datetime | None = None
    span: tuple[int, int] | None = None
    if scan.found is not None:
        start, span = scan.found
        _blank(work, *span)
    contradictions: list[str] = []
    if scan.contradiction is not None:
        contradictions.append(" ".join(text[slice(*scan.contradiction)].split()))
        _blank(work, *scan.contradiction)
    time_problems = list(scan.unused)
    for s, e in time_problems:
        _blank(work, s, e)

    duration: int | None = None
    for match in iter_durations("".join(work), languages):
        minutes = match.minutes
        if minutes is not None and minutes < MIN_DURATION_MINUTES:
            continue
        usable = minutes is not None and minutes <= MAX_DURATION_MINUTES
        if usable and duration is None:
            duration = minutes
        else:
            problems.append(match.span)
        _blank(work, *match.span)

    if span is not None and not scan.timed:
        # "jutro 15", "monday 9": the number is most likely the hour, but unmarked; reading
        # the day at 09:00 would guess against it, so the whole phrase is reported
        bare = _BARE_HOUR.match("".join(work), span[1])
        if bare is not None:
            time_problems.append(bare.span(1))
            _blank(work, *bare.span(1))

    folded = fold("".join(work))
    polish = any(lang.strip().lower()[:2] == "pl" for lang in languages)
    for m in _suspicious(polish).finditer(folded):
        time_problems.append(m.span())
        _blank(work, *m.span())

    if span is not None:
        span, tainted = _absorb(base, span, time_problems)
        if tainted:
            start = None
            problems.append(span)
            _blank(work, *span)
            time_problems = [p for p in time_problems if not (span[0] <= p[0] and p[1] <= span[1])]
    problems.extend(time_problems)

    not_understood = tuple(
        piece for s, e in sorted(problems) if (piece := " ".join(text[s:e].split()))
    )
    phrase = " ".join(text[span[0] : span[1]].split()) if start and span else None
    return MeetText(
        _query("".join(work)),
        start,
        duration,
        title,
        not_understood,
        start_phrase=phrase,
        start_zone=scan.zone if start else None,
        contradictions=tuple(contradictions),
    )


def _absorb(
    base: str, span: tuple[int, int], problems: list[tuple[int, int]]
) -> tuple[tuple[int, int], bool]:
    """Grow the time phrase over problem pieces that touch it ("tomorrow 25pm")."""
    start, end = span
    tainted = False
    grown = True
    while grown:
        grown = False
        for s, e in problems:
            if s >= end and _TOUCH.fullmatch(base, end, s):
                end, tainted, grown = e, True, True
            elif e <= start and _TOUCH.fullmatch(base, e, start):
                start, tainted, grown = s, True, True
    return (start, end), tainted


def _query(rest: str) -> str | None:
    words = [w for w in rest.split() if not _JUNK_WORD.fullmatch(w)]
    query = " ".join(words).strip(" ,;:-–—")
    return query or None
