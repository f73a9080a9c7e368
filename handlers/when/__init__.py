"""Natural-language meeting times in English and Polish.

People type times into `/meet` and into the modal the way they speak ("tomorrow 3pm",
"jutro o 15", "w piątek rano"). A wrong pre-filled time is worse than an empty field, so
this package reads a small, explicit grammar with its own rules and returns ``None`` rather
than guessing. dateparser is only a guarded fallback: on its own it happily turns "99" into
the year 2099 and reads "jutro o 15" as 10:00.

Policy (the choices a reader of a result needs to know):

* Results are aware datetimes in ``now``'s time zone. Wall times are built with the zone
  and normalised through UTC, so a wall time that does not exist (the spring-forward gap,
  e.g. 02:30 on 2026-03-29 in Europe/Warsaw) becomes the instant after the gap
  (03:30 CEST), and an ambiguous wall time (the fall-back hour) means its first
  occurrence (``fold=0``, the earlier instant). "in 2 hours" is two real hours.
* A bare time ("3pm", "15:00", "o 15", "noon", "rano") is today if still ahead of ``now``,
  otherwise tomorrow. "midnight" / "o północy" is the midnight that ends the day: bare it is
  the next 00:00, with a date ("friday midnight") it is 00:00 after that day. "12am" is an
  ordinary 00:00 clock time and "12pm" is 12:00.
* A bare hour needs a prefix ("at 3", "o 15", "@ 9") or a qualifier after it ("8
  wieczorem", "9 ET"). "15h" is a time, but "Nh" with N < 10 is a duration unless
  prefixed ("o 9h"). "1030" without a colon is a time only next to other time words.
* Business hours: an hour from 1 to 6 written without am/pm, a leading zero or a part of
  day is the afternoon ("at 3", "o 3", "3:30", "o trzeciej", "wpół do czwartej" are
  15:00 / 15:00 / 15:30 / 15:00 / 15:30); 7-11 are the morning and 12 is noon. A marker
  wins: "3am", "03:30", "o 3 rano", "o 3 w nocy". "tonight at 12" / "o 12 w nocy" is
  midnight.
* A weekday that contradicts the date ("Monday, March 31" on a Tuesday) gives no time
  (`WhenScan.contradiction`), and dateparser is not asked.
* A zone written after the time ("4pm CET", "15:00 UTC+1", "o 15 czasu polskiego") is
  the zone of the wall time; the result is converted into ``now``'s zone
  (`WhenScan.zone` names it). Abbreviations are regions ("PST" in July is Pacific time).
* "around 3", "3ish", "koło 14", "po szesnastej", "przed dziewiątą" are read as the hour
  itself; "a couple of hours" / "parę godzin" is two hours.
* A date without a time is at 09:00 local. Parts of day: morning 09:00, noon 12:00,
  afternoon 15:00, evening and "tonight" 18:00, night ("w nocy") 22:00.
* Work is bounded: only the first `MAX_TEXT` characters are read, a phrase has at most
  `MAX_PHRASE_TOKENS` tokens and a text at most `MAX_COMBINATIONS` combinations of
  readings (`WhenScan.tried`).
* Weekdays: a bare weekday is the next such day strictly after today; with a time
  ("friday 10:00") it is today when today is that weekday and the time is still ahead.
  "next friday" / "w przyszły piątek" is always strictly after today (on a Thursday that is
  tomorrow); "this friday" / "w ten piątek" is the occurrence on or after today.
* "next week" / "w przyszłym tygodniu" is next Monday (09:00); "friday next week" is the
  Friday of that week. "next month" is the 1st of next month.
* "in 3 days" / "za 3 dni" is a date (09:00 unless a time is given); hours and minutes
  ("in 2 hours", "za pół godziny") are an instant from ``now``.
* Explicit dates are honoured even when already past ("today 5pm" at 18:00 is today 17:00),
  so a scheduling rule, not this parser, reports the past time. A date without a year is
  the next such date on or after today.
* Numeric dates: "2026-12-03" ISO; "03.12.2026" and "3.12." day-first; slashed "3/12" is
  month-first when English comes first in ``languages`` and day-first when Polish does
  (the other order is used only when the preferred one is not a valid date). A dotted pair
  without year ("10.11") is a time when it can be one, unless the phrase has another time.
* Abbreviated weekdays ("sun", "wed", "pt") only count next to other time words or when
  they are the whole text, so "Sun Corp" stays a company name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.when.durations import DurationMatch, iter_durations
from handlers.when.evaluation import MAX_COMBINATIONS, MAX_PHRASE_TOKENS, Budget, Outcome, evaluate
from handlers.when.fallback import dateparser_fallback
from handlers.when.grammar import Grammar, grammar_for
from handlers.when.lexicon import fold, known_languages
from handlers.when.readings import NamedZone, Token
from handlers.when.tokens import find_tokens, token_clusters

__all__ = [
    "MAX_COMBINATIONS",
    "DurationMatch",
    "NamedZone",
    "WhenScan",
    "find_when",
    "fold",
    "iter_durations",
    "parse_when",
    "scan_when",
]


@dataclass(frozen=True, slots=True)
class WhenScan:
    """What `scan_when` saw: the chosen phrase and other time words it did not use.

    `unused` lets a caller report "tomorrow 3pm 4pm"'s "4pm" instead of silently putting it
    into a search query. `contradiction` is the span of a phrase whose weekday and date
    disagree ("Monday, March 31" on a Tuesday): no time is read from it. `zone` is the
    time zone the text named, if any; `found` is already converted out of it. `tried`
    counts the combinations of readings evaluated (bounded by `MAX_COMBINATIONS`).
    """

    found: tuple[datetime, tuple[int, int]] | None
    unused: tuple[tuple[int, int], ...]
    contradiction: tuple[int, int] | None = None
    zone: NamedZone | None = None
    tried: int = 0
    timed: bool = False  # the phrase gave a time of day (else `found` is at 09:00 by default)


_MEANINGFUL = re.compile(r"[^\W_]")
# Only this much of a text is read for a time: /meet text and a message read by the
# "Schedule a meeting" shortcut have no length cap, and the time is written near the start.
MAX_TEXT = 500


def _check_now(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


def _scan(
    text: str, folded: str, now: datetime, grammar: Grammar, weak_alone: bool = True
) -> WhenScan:
    text, folded = text[:MAX_TEXT], folded[:MAX_TEXT]
    tokens = find_tokens(folded, grammar, text)
    if not tokens:
        return WhenScan(None, ())
    budget = Budget()
    best: tuple[tuple[int, int, int], Outcome, list[Token]] | None = None
    for cluster in token_clusters(folded, tokens):
        n = len(cluster)
        for size in range(min(n, MAX_PHRASE_TOKENS), 0, -1):
            hit: tuple[Outcome, list[Token]] | None = None
            for i in range(n - size + 1):
                run = cluster[i : i + size]
                if not any(t.strong for t in run):
                    if not weak_alone:
                        continue
                    start, end = run[0].start, run[-1].end
                    if _MEANINGFUL.search(text, 0, start) or _MEANINGFUL.search(text, end):
                        continue
                strong = sum(t.strong for t in run)
                if hit is not None and strong <= sum(t.strong for t in hit[1]):
                    continue  # the leftmost window this strong already resolved
                result = evaluate(run, now, budget)
                if result is not None:
                    hit = (result, run)
                    if strong == size:
                        break  # no window of this size can do better
            if hit is not None:
                score = (size, sum(t.strong for t in hit[1]), -hit[1][0].start)
                if best is None or score > best[0]:
                    best = (score, hit[0], hit[1])
                break
    if best is None:
        unused = tuple((t.start, t.end) for t in tokens if t.strong)
        return WhenScan(None, unused, tried=budget.spent)
    chosen = best[2]
    span = (chosen[0].start, chosen[-1].end)
    used = {id(t) for t in chosen}
    unused = tuple((t.start, t.end) for t in tokens if t.strong and id(t) not in used)
    outcome = best[1]
    if not isinstance(outcome, datetime):
        return WhenScan(None, unused, contradiction=span, tried=budget.spent)
    zone = next(
        (_as_written(text, t, r.zone) for t in chosen for r in t.readings if r.zone is not None),
        None,
    )
    timed = any(
        r.clock is not None or r.part is not None or r.delta is not None
        for t in chosen
        for r in t.readings
    )
    return WhenScan((outcome, span), unused, zone=zone, tried=budget.spent, timed=timed)


def _as_written(text: str, token: Token, zone: NamedZone) -> NamedZone:
    """The zone labelled as the user wrote it ("czasu londyńskiego"), abbreviations in
    capitals ("CET", "UTC+1"); a zone inside a clock token ("9 ET") keeps its label."""
    written = " ".join(text[token.start : token.end].split())
    if zone.label.casefold() not in fold(written):
        return zone
    return NamedZone(written.upper() if " " not in written else written, zone.tz)


def scan_when(
    text: str,
    now: datetime,
    languages: Sequence[str] = ("en", "pl"),
    *,
    weak_alone: bool = True,
) -> WhenScan:
    """Find the best time phrase in `text` and report leftover time-like tokens.

    The best phrase is the one with the most parts ("tomorrow 3pm" beats "friday"), then
    the leftmost. `weak_alone=False` refuses a lone abbreviated weekday even when it is
    the whole text, for callers where "Sun" is more likely a name than Sunday.
    """
    _check_now(now)
    return _scan(text, fold(text), now, grammar_for(known_languages(languages)), weak_alone)


def find_when(
    text: str, now: datetime, languages: Sequence[str] = ("en", "pl")
) -> tuple[datetime, tuple[int, int]] | None:
    """The time phrase inside a longer text and its span, so a caller can cut it out."""
    return scan_when(text, now, languages).found


def parse_when(
    text: str, now: datetime, languages: Sequence[str] = ("en", "pl")
) -> datetime | None:
    """Read `text` as a whole as a meeting time; ``None`` unless all of it is understood.

    Only punctuation may surround the phrase. When the grammar fails on a text that names a
    month, dateparser gets a guarded try (see `dateparser_fallback`).
    """
    _check_now(now)
    langs = known_languages(languages)
    grammar = grammar_for(langs)
    folded = fold(text)
    scan = _scan(text, folded, now, grammar)
    if scan.contradiction is not None:
        return None  # never let dateparser "fix" a weekday that disagrees with the date
    found = scan.found
    if found is not None:
        result, (start, end) = found
        if not (_MEANINGFUL.search(text, 0, start) or _MEANINGFUL.search(text, end)):
            return result
    return dateparser_fallback(folded, now, grammar)
