"""Natural-language meeting times in English and Polish.

People type times into `/meet` and into the modal the way they speak ("tomorrow 3pm",
"jutro o 15", "w piątek rano"). A wrong pre-filled time is worse than an empty field, so
this module reads a small, explicit grammar with its own rules and returns ``None`` rather
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
* A bare hour needs a prefix ("at 3", "o 15", "@ 9") and is read on the 24-hour clock
  ("at 3" is 03:00) unless a part of day moves it ("o 3 po południu" is 15:00).
  "15h" is a time, but "Nh" with N < 10 is a duration unless prefixed ("o 9h").
* A date without a time is at 09:00 local. Parts of day: morning 09:00, noon 12:00,
  afternoon 15:00, evening and "tonight" 18:00.
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

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "DurationMatch",
    "WhenScan",
    "find_when",
    "fold",
    "iter_durations",
    "parse_when",
    "scan_when",
]

DEFAULT_HOUR = 9
PART_HOURS = {"morning": 9, "noon": 12, "afternoon": 15, "evening": 18, "midnight": 0}

# ---------------------------------------------------------------------------- folding

_FOLD_TABLE = str.maketrans(
    {
        "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ó": "o", "ś": "s", "ź": "z",
        "ż": "z", "á": "a", "à": "a", "â": "a", "ä": "a", "é": "e", "è": "e", "ê": "e",
        "ë": "e", "í": "i", "ì": "i", "î": "i", "ï": "i", "ú": "u", "ù": "u", "û": "u",
        "ü": "u", "ô": "o", "ö": "o", "ò": "o", "ç": "c", "ñ": "n",
        "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2013": "-",
        "\u2014": "-", "\u2019": "'",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """Lower-case and strip Polish diacritics keeping every index.

    Keeping the length lets spans found in the folded text cut the original text, and
    folding lets "w piatek" (typed without Polish keyboard) match like "w piątek".
    """
    low = text.lower()
    if len(low) != len(text):  # e.g. "İ" lower-cases to two code points
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low if low.isascii() else low.translate(_FOLD_TABLE)


# ---------------------------------------------------------------------------- readings


class _Clock(NamedTuple):
    hour: int
    minute: int
    meridiem: bool  # am/pm was written, so a part of day may not move the hour


class _Date(NamedTuple):
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


class _Reading(NamedTuple):
    """One possible meaning of a token; a phrase merges one reading per token."""

    date: _Date | None = None
    weekday: tuple[int, str] | None = None  # (0=Monday, "plain" | "next" | "this")
    clock: _Clock | None = None
    part: str | None = None
    delta: timedelta | None = None


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    readings: tuple[_Reading, ...]
    strong: bool


_Builder = Callable[[re.Match[str]], tuple[tuple[_Reading, ...], bool] | None]


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    build: _Builder


# ---------------------------------------------------------------------------- vocabulary

_EN_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6, "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3,
    "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
_PL_WEEKDAYS = {
    "poniedzialek": 0, "wtorek": 1, "sroda": 2, "srode": 2, "czwartek": 3, "piatek": 4,
    "sobota": 5, "sobote": 5, "niedziela": 6, "niedziele": 6, "pon": 0, "wt": 1, "czw": 3,
    "pt": 4, "sob": 5, "niedz": 6, "ndz": 6,
}  # fmt: skip
_FULL_WEEKDAYS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "poniedzialek", "wtorek", "sroda", "srode", "czwartek", "piatek", "sobota", "sobote",
    "niedziela", "niedziele",
}  # fmt: skip
_EN_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_PL_MONTHS = {
    "styczen": 1, "stycznia": 1, "sty": 1, "luty": 2, "lutego": 2, "lut": 2, "marzec": 3,
    "marca": 3, "mar": 3, "kwiecien": 4, "kwietnia": 4, "kwi": 4, "maj": 5, "maja": 5,
    "czerwiec": 6, "czerwca": 6, "cze": 6, "lipiec": 7, "lipca": 7, "lip": 7,
    "sierpien": 8, "sierpnia": 8, "sie": 8, "wrzesien": 9, "wrzesnia": 9, "wrz": 9,
    "pazdziernik": 10, "pazdziernika": 10, "paz": 10, "listopad": 11, "listopada": 11,
    "lis": 11, "grudzien": 12, "grudnia": 12, "gru": 12,
}  # fmt: skip
_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "ninety": 90,
}  # fmt: skip
_PL_NUMBERS = {
    "jeden": 1, "jedna": 1, "jedno": 1, "dwa": 2, "dwie": 2, "trzy": 3, "cztery": 4,
    "piec": 5, "szesc": 6, "siedem": 7, "osiem": 8, "dziewiec": 9, "dziesiec": 10,
    "pietnascie": 15, "dwadziescia": 20, "trzydziesci": 30, "czterdziesci": 40,
    "piecdziesiat": 50, "szescdziesiat": 60, "dziewiecdziesiat": 90,
}  # fmt: skip
_TENS = {"twenty", "thirty", "forty", "fifty", "dwadziescia", "trzydziesci", "czterdziesci", "piecdziesiat"}
_UNITS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "jeden",
          "dwa", "trzy", "cztery", "piec", "szesc", "siedem", "osiem", "dziewiec"}  # fmt: skip

# Unit words, grouped by what they measure; single letters only ever follow digits.
_UNIT_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "min": ("minutes", "minute", "mins", "min"),
        "hour": ("hours", "hour", "hrs", "hr"),
        "day": ("days", "day"),
        "week": ("weeks", "week", "wks", "wk"),
        "month": ("months", "month"),
    },
    "pl": {
        "min": ("minuty", "minut", "minute", "minuta", "minutki", "min"),
        "hour": ("godziny", "godzin", "godzine", "godzina", "godz"),
        "day": ("dni", "dzien", "dnia"),
        "week": ("tygodnie", "tygodni", "tydzien", "tyg"),
        "month": ("miesiace", "miesiecy", "miesiac", "mies"),
    },
}
_UNIT_LETTERS = {"min": ("m",), "hour": ("h",), "day": ("d",), "week": ("w",), "month": ()}

_MINUTES_PER = {"min": 1, "hour": 60}


def _alt(words: Iterable[str]) -> str:
    """Longest first, because Python's alternation takes the first branch that fits."""
    return "|".join(sorted({re.escape(w) for w in words}, key=lambda w: (-len(w), w)))


def _langs(languages: Sequence[str]) -> tuple[str, ...]:
    seen: list[str] = []
    for lang in languages:
        code = re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0]
        if code in ("en", "pl") and code not in seen:
            seen.append(code)
    return tuple(seen)


def _number(text: str) -> float | None:
    """Digits (with a decimal point or comma) or a number word, incl. "forty five"."""
    text = text.strip()
    if text and text[0].isdigit():
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return None
    parts = re.split(r"[\s-]+", text)
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS:
        return float(_EN_NUMBERS.get(parts[0], 0) + _PL_NUMBERS.get(parts[0], 0)
                     + _EN_NUMBERS.get(parts[1], 0) + _PL_NUMBERS.get(parts[1], 0))  # fmt: skip
    if len(parts) == 1:
        value = _EN_NUMBERS.get(parts[0], _PL_NUMBERS.get(parts[0]))
        return None if value is None else float(value)
    return None


# ---------------------------------------------------------------------------- grammar

_B = r"(?<!\w)"  # word start
_E = r"(?!\w)"  # word end
_DB = r"(?<![\w.:/\-])"  # number start: not inside 2026-12-03, 1.5 or 10:30
_AMPM = r"(?P<ap>[ap])\.?\s?m\.?(?!\w)"


@dataclass(frozen=True, slots=True)
class _Grammar:
    rules: tuple[_Rule, ...]
    durations: tuple[_Rule, ...]  # meeting lengths: minutes/hours only
    month_hint: re.Pattern[str] | None
    languages: tuple[str, ...]


def _num_alt(langs: tuple[str, ...]) -> tuple[str, str]:
    """Regex for digit numbers and for number words (words need a space before a unit)."""
    words: dict[str, int] = {}
    if "en" in langs:
        words.update(_EN_NUMBERS)
    if "pl" in langs:
        words.update(_PL_NUMBERS)
    tens = [w for w in _TENS if w in words]
    units = [w for w in _UNITS if w in words]
    word_alt = _alt(words) if words else "(?!)"
    if tens and units:
        word_alt = rf"(?:{_alt(tens)})[\s-]+(?:{_alt(units)})|{word_alt}"
    return r"\d+(?:[.,]\d+)?", word_alt


def _unit_alt(langs: tuple[str, ...], kinds: Sequence[str], letters: bool) -> str:
    words: list[str] = []
    for lang in langs:
        for kind in kinds:
            words.extend(_UNIT_WORDS[lang][kind])
    if letters:
        for kind in kinds:
            words.extend(_UNIT_LETTERS[kind])
    return _alt(words) + r"\.?" if words else "(?!)"


def _unit_kind(word: str) -> str | None:
    word = word.rstrip(".")
    for table in _UNIT_WORDS.values():
        for kind, words in table.items():
            if word in words:
                return kind
    for kind, letters in _UNIT_LETTERS.items():
        if word in letters:
            return kind
    return None


def _amount_pattern(langs: tuple[str, ...], kinds: Sequence[str], tag: str) -> str:
    """`<number> <unit>`; hours may carry minutes ("1h30", "2 hours and 15 minutes")."""
    digits, words = _num_alt(langs)
    mins = _unit_alt(langs, ["min"], letters=True)
    conj = "|".join(w for w, lang in (("and", "en"), ("i", "pl")) if lang in langs) or "(?!)"

    def head(suffix: str, unit_kinds: Sequence[str]) -> str:
        letters = _unit_alt(langs, unit_kinds, letters=True)
        spelled = _unit_alt(langs, unit_kinds, letters=False)
        return (
            rf"(?:(?P<{tag}n{suffix}>{digits})\s*(?P<{tag}u{suffix}>{letters})"
            rf"|(?P<{tag}w{suffix}>{words})\s+(?P<{tag}v{suffix}>{spelled}))"
        )

    tail = (
        rf"(?:(?<=h)(?P<{tag}m>\d{{2}})(?:{mins})?(?!\w)"
        rf"|(?!\w)(?:\s*(?:(?:{conj})\s+)?(?P<{tag}k>\d{{1,2}})\s*(?:{mins})(?!\w))?)"
    )
    others = [k for k in kinds if k != "hour"]
    return rf"(?:{head('h', ['hour'])}{tail}|{head('o', others)}(?!\w))"


def _amount_value(m: re.Match[str], tag: str) -> tuple[str, float] | None:
    """(unit kind, amount) of an `_amount_pattern` match, minutes folded into hours."""
    groups = m.groupdict()
    for suffix in ("h", "o"):
        if groups.get(f"{tag}n{suffix}") is not None:
            amount = _number(groups[f"{tag}n{suffix}"])
            kind = _unit_kind(groups[f"{tag}u{suffix}"])
            break
        if groups.get(f"{tag}w{suffix}") is not None:
            amount = _number(groups[f"{tag}w{suffix}"])
            kind = _unit_kind(groups[f"{tag}v{suffix}"])
            break
    else:
        return None
    if amount is None or kind is None:
        return None
    extra = groups.get(f"{tag}m") or groups.get(f"{tag}k")
    if extra is not None:
        if amount != int(amount) or int(extra) >= 60:
            return None  # "1.5h30" and "1h75" mean nothing
        return "min", amount * 60 + int(extra)
    return kind, amount


# Fixed phrases measured in minutes, shared by "in half an hour" and "45m" durations.
_FIXED_MINUTES = {
    "en": {
        "half an hour": 30, "half hour": 30, "a half hour": 30, "half-hour": 30,
        "half an hr": 30, "an hour and a half": 90, "a hour and a half": 90,
        "one hour and a half": 90, "hour and a half": 90, "a quarter of an hour": 15,
        "quarter of an hour": 15, "a quarter hour": 15, "quarter hour": 15,
        "an hour": 60, "a hour": 60,
    },
    "pl": {
        "pol godziny": 30, "pol h": 30, "poltorej godziny": 90, "poltora godziny": 90,
        "poltorej h": 90, "kwadrans": 15, "kwadransa": 15, "godzine": 60, "godzina": 60,
        "godzinke": 60, "godzinka": 60, "trzy kwadranse": 45,
    },
}  # fmt: skip


def _fixed_alt(langs: tuple[str, ...]) -> dict[str, int]:
    table: dict[str, int] = {}
    for lang in langs:
        table.update(_FIXED_MINUTES[lang])
    return table


def _phrase_alt(phrases: Iterable[str]) -> str:
    """Like `_alt` for multi-word phrases, letting any run of spaces separate the words."""
    parts = {r"[\s-]+".join(map(re.escape, re.split(r"[\s-]+", p.strip()))) for p in phrases}
    return "|".join(sorted(parts, key=lambda w: (-len(w), w)))


def _and_a_half(langs: tuple[str, ...]) -> str:
    if "en" not in langs:
        return "(?P<hh>(?!))"
    digits, words = _num_alt(langs)
    return rf"(?P<hh>{digits}|{words})\s+and\s+a\s+half\s+(?:hours|hour|hrs|hr)"


def _squash(text: str) -> str:
    return re.sub(r"[\s-]+", " ", text.strip())


def _build_grammar(langs: tuple[str, ...]) -> _Grammar:
    en, pl = "en" in langs, "pl" in langs
    rules: list[_Rule] = []

    def rule(pattern: str, build: _Builder) -> None:
        rules.append(_Rule(re.compile(pattern), build))

    pre_words: list[str] = []
    if en:
        pre_words += ["at", "around"]
    if pl:
        pre_words += [r"o\s+godz(?:inie|\.)?", r"na\s+godz(?:ine|\.)?", r"godz(?:inie|ina|\.)?",
                      "o", "na", "okolo"]  # fmt: skip
    pre_alt = "|".join(pre_words) or "(?!)"
    pre = rf"(?:{_B}(?P<pre>{pre_alt})\s+|(?P<at>@)\s*)"
    all_units = "|".join(
        (_unit_alt(langs, ["min", "hour", "day", "week", "month"], letters=False), "h", "m")
    )
    not_unit = rf"(?!\s*(?:{all_units})(?!\w))"

    # --- clock times -------------------------------------------------------------
    def clock_reading(h: int, mi: int, ap: str | None) -> _Reading | None:
        if ap is not None:
            if not 1 <= h <= 12:
                return None
            h = (0 if h == 12 else h) if ap == "a" else (12 if h == 12 else h + 12)
        if not (0 <= h <= 23 and 0 <= mi <= 59):
            return None
        return _Reading(clock=_Clock(h, mi, ap is not None))

    def colon(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
        r = clock_reading(int(m["h"]), int(m["m"]), m["ap"])
        return None if r is None else ((r,), True)

    rule(rf"{pre}?{_DB}(?P<h>\d{{1,2}}):(?P<m>\d{{2}})(?::\d{{2}})?(?![\d:])(?:\s*{_AMPM})?", colon)

    def ampm(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
        r = clock_reading(int(m["h"]), int(m["m"] or 0), m["ap"])
        return None if r is None else ((r,), True)

    rule(rf"{pre}?{_DB}(?P<h>\d{{1,2}})(?:\.(?P<m>\d{{2}}))?\s*{_AMPM}", ampm)

    def prefixed_dot(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
        r = clock_reading(int(m["h"]), int(m["m"]), None)
        return None if r is None else ((r,), True)

    rule(rf"{pre}{_DB}(?P<h>\d{{1,2}})\.(?P<m>\d{{2}})(?!\d)(?!\.\d)", prefixed_dot)

    def hours_h(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
        h = int(m["h"])
        if h < 10 and m["pre"] is None and m["at"] is None:
            return None  # "2h" is a duration
        r = clock_reading(h, int(m["m"] or 0), None)
        return None if r is None else ((r,), True)

    rule(rf"{pre}?{_DB}(?P<h>\d{{1,2}})h(?P<m>\d{{2}})?(?!\w)", hours_h)

    def bare_hour(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
        r = clock_reading(int(m["h"]), 0, None)
        return None if r is None else ((r,), True)

    rule(rf"{pre}{_DB}(?P<h>\d{{1,2}})(?!\w)(?![.:,]\d){not_unit}", bare_hour)

    # --- numeric dates -----------------------------------------------------------
    def iso(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
        reading = _Reading(date=_Date("abs", int(m["y"]), int(m["mo"]), int(m["d"])))
        if m["th"] is not None:
            c = clock_reading(int(m["th"]), int(m["tm"]), None)
            if c is None:
                return None
            reading = reading._replace(clock=c.clock)
        return (reading,), True

    rule(rf"{_DB}(?P<y>\d{{4}})-(?P<mo>\d{{1,2}})-(?P<d>\d{{1,2}})(?:[t ](?P<th>\d{{2}}):(?P<tm>\d{{2}})(?::\d{{2}})?)?(?![\w:])", iso)

    def dotted(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
        d, mo = int(m["d"]), int(m["mo"])
        year = _year(m["y"])
        readings = [_Reading(date=_Date("abs", year, mo, d))]
        if year is None and len(m["mo"]) == 2:
            r = clock_reading(d, mo, None)
            if r is not None:
                readings.insert(0 if m["dot"] is None else 1, r)
        return tuple(readings), True

    rule(rf"{_DB}(?P<d>\d{{1,2}})\.(?P<mo>\d{{1,2}})(?:\.(?P<y>\d{{4}}|\d{{2}})|(?P<dot>\.))?(?![\w])(?!\.\d){not_unit}", dotted)

    month_first = langs[:1] == ("en",) if langs else False

    def slashed(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
        a, b = int(m["a"]), int(m["b"])
        year = _year(m["y"])
        md = _Reading(date=_Date("abs", year, a, b))
        dm = _Reading(date=_Date("abs", year, b, a))
        return ((md, dm) if month_first else (dm, md)), True

    rule(rf"{_DB}(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})(?:/(?P<y>\d{{4}}|\d{{2}}))?(?![\w/])", slashed)

    # --- month names -------------------------------------------------------------
    months: dict[str, int] = {}
    if en:
        months.update(_EN_MONTHS)
    if pl:
        months.update(_PL_MONTHS)
    if months:
        month_alt = _alt(months)
        ordinal = r"(?:st|nd|rd|th)?" if en else ""
        on_the = r"(?:(?:on\s+)?(?:the\s+)?)?" if en else ""
        of = r"(?:of\s+)?" if en else ""
        year = r"(?:,?\s+(?P<y>\d{4})(?![\d:.]))?"

        def named(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
            month = months[m["mon"]]
            return (_Reading(date=_Date("abs", _year(m["y"]), month, int(m["d"]))),), True

        rule(rf"{_B}{on_the}{_DB}(?P<d>\d{{1,2}}){ordinal}\.?\s*{of}(?P<mon>{month_alt})\.?(?!\w){year}", named)
        rule(rf"{_B}(?:on\s+)?(?P<mon>{month_alt})\.?\s*(?:the\s+)?{_DB}(?P<d>\d{{1,2}}){ordinal}(?![\w:.]){year}" if en
             else rf"{_B}(?P<mon>{month_alt})\.?\s*{_DB}(?P<d>\d{{1,2}})(?![\w:.]){year}", named)  # fmt: skip
    month_hint = re.compile(rf"{_B}(?:{_alt(months)}){_E}") if months else None

    if en:

        def day_of_month(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
            return (_Reading(date=_Date("dom", day=int(m["d"]))),), m["the"] is not None

        rule(rf"{_B}(?:on\s+)?(?P<the>the\s+)?{_DB}(?P<d>\d{{1,2}})(?:st|nd|rd|th)(?!\w)", day_of_month)

    # --- relative days -----------------------------------------------------------
    day_words: dict[str, int] = {}
    if en:
        day_words.update({"today": 0, "tomorrow": 1, "tomorow": 1, "tmrw": 1, "tmr": 1,
                          "day after tomorrow": 2, "the day after tomorrow": 2})  # fmt: skip
    if pl:
        day_words.update({"dzis": 0, "dzisiaj": 0, "jutro": 1, "pojutrze": 2})
    if day_words:

        def day_word(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
            return (_Reading(date=_Date("rel", days=day_words[_squash(m["w"])])),), True

        rule(rf"{_B}(?P<w>{_phrase_alt(day_words)}){_E}", day_word)

    # --- parts of day ------------------------------------------------------------
    parts: dict[str, str] = {}
    today_parts: dict[str, str] = {}
    if en:
        parts.update({"morning": "morning", "in the morning": "morning",
                      "afternoon": "afternoon", "in the afternoon": "afternoon",
                      "evening": "evening", "in the evening": "evening",
                      "noon": "noon", "at noon": "noon", "midday": "noon", "at midday": "noon",
                      "12 noon": "noon", "at 12 noon": "noon", "midnight": "midnight",
                      "at midnight": "midnight", "12 midnight": "midnight",
                      "at 12 midnight": "midnight"})  # fmt: skip
        today_parts.update({"tonight": "evening", "this morning": "morning",
                            "this afternoon": "afternoon", "this evening": "evening"})  # fmt: skip
    if pl:
        parts.update({"rano": "morning", "rankiem": "morning", "z rana": "morning",
                      "przed poludniem": "morning", "po poludniu": "afternoon",
                      "popoludniu": "afternoon", "wieczorem": "evening", "wieczor": "evening",
                      "poludnie": "noon", "w poludnie": "noon", "w samo poludnie": "noon",
                      "o poludniu": "noon", "polnoc": "midnight", "o polnocy": "midnight",
                      "w polnoc": "midnight"})  # fmt: skip
        today_parts.update({"dzis wieczorem": "evening", "dzisiaj wieczorem": "evening"})
    if parts or today_parts:
        every = {**parts, **today_parts}

        def part(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
            key = _squash(m["w"])
            if key in today_parts:
                return (_Reading(date=_Date("rel"), part=today_parts[key]),), True
            return (_Reading(part=parts[key]),), True

        rule(rf"{_B}(?P<w>{_phrase_alt(every)}){_E}", part)

    # --- weekdays, next week/month -------------------------------------------------
    weekdays: dict[str, int] = {}
    modes: dict[str, str] = {}
    if en:
        weekdays.update(_EN_WEEKDAYS)
        modes.update({"next": "next", "on next": "next", "this": "this", "on this": "this",
                      "on": "plain", "coming": "plain", "this coming": "plain",
                      "on the": "plain"})  # fmt: skip
    if pl:
        weekdays.update(_PL_WEEKDAYS)
        for lead in ("", "w ", "we "):
            for word in ("przyszly", "przyszla", "przyszle", "nastepny", "nastepna", "nastepne"):
                modes[lead + word] = "next"
            for word in ("najblizszy", "najblizsza", "najblizsze"):
                modes[lead + word] = "plain"
        modes.update({"w": "plain", "we": "plain", "w ten": "this", "w te": "this",
                      "w ta": "this", "ten": "this", "te": "this"})  # fmt: skip
    if weekdays:

        def weekday(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
            mode = modes[_squash(m["mod"])] if m["mod"] else "plain"
            strong = m["wd"] in _FULL_WEEKDAYS or mode != "plain"
            return (_Reading(weekday=(weekdays[m["wd"]], mode)),), strong

        rule(rf"{_B}(?:(?P<mod>{_phrase_alt(modes)})\s+)?(?P<wd>{_alt(weekdays)})(?:\.|(?!\w))", weekday)

    periods: dict[str, str] = {}
    if en:
        periods.update({"next week": "week", "next month": "month"})
    if pl:
        for lead in ("", "w "):
            for adj in ("przyszlym", "nastepnym"):
                periods[f"{lead}{adj} tygodniu"] = "week"
                periods[f"{lead}{adj} miesiacu"] = "month"
        for adj in ("przyszly", "nastepny"):
            periods[f"{adj} tydzien"] = "week"
            periods[f"{adj} miesiac"] = "month"
    if periods:

        def period(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
            return (_Reading(date=_Date(periods[_squash(m["w"])])),), True

        rule(rf"{_B}(?P<w>{_phrase_alt(periods)}){_E}", period)

    # --- relative amounts: "in 2 hours", "za 3 dni", "2 days from now" ----------
    fixed = _fixed_alt(langs)
    lead_words = [w for w, lang in (("in", "en"), ("za", "pl")) if lang in langs]
    amount = _amount_pattern(langs, ["min", "hour", "day", "week", "month"], "r")
    implicit: dict[str, str] = {}
    if en:
        implicit.update({"a fortnight": "fortnight", "fortnight": "fortnight"})
    if pl:
        implicit.update({"tydzien": "week", "dzien": "day", "miesiac": "month"})
    fixed_alt = _phrase_alt({**fixed, **implicit}) if (fixed or implicit) else "(?!)"
    body = rf"(?:{_and_a_half(langs)}|(?P<fx>{fixed_alt})(?!\w)|{amount})"

    def relative(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
        if m["hh"] is not None:
            n = _number(m["hh"])
            return None if n is None else _relative_reading("min", n * 60 + 30)
        if m["fx"] is not None:
            key = _squash(m["fx"])
            if key in implicit:
                kind = implicit[key]
                return _relative_reading("day", 14) if kind == "fortnight" else _relative_reading(kind, 1)
            return _relative_reading("min", fixed[key])
        value = _amount_value(m, "r")
        return None if value is None else _relative_reading(*value)

    if lead_words:
        rule(rf"{_B}(?:{'|'.join(lead_words)})\s+{body}", relative)
    if en:
        rule(rf"{_B}{body}\s+(?:from\s+now|later)(?!\w)", relative)

    # --- meeting durations (used by the /meet text reader, not as times) -----------
    durations: list[_Rule] = []
    dur_lead = [w for w, lang in (("for", "en"), ("na", "pl"), ("przez", "pl")) if lang in langs]
    lead = rf"(?:(?:{'|'.join(dur_lead)})\s+)?" if dur_lead else ""
    dur_amount = _amount_pattern(langs, ["min", "hour"], "d")
    fixed_dur = _phrase_alt(fixed) if fixed else "(?!)"

    def duration(m: re.Match[str]) -> tuple[tuple[_Reading, ...], bool] | None:
        if m["hh"] is not None:
            n = _number(m["hh"])
            minutes: float | None = None if n is None else n * 60 + 30
        elif m["fx"] is not None:
            minutes = fixed[_squash(m["fx"])]
        else:
            value = _amount_value(m, "d")
            minutes = None if value is None else value[1] * _MINUTES_PER[value[0]]
        return (_Reading(delta=None if minutes is None else timedelta(minutes=minutes)),), True

    durations.append(
        _Rule(re.compile(rf"(?<![\w.:/\-]){lead}(?:{_and_a_half(langs)}|(?P<fx>{fixed_dur})(?!\w)|{dur_amount})"), duration)
    )
    return _Grammar(tuple(rules), tuple(durations), month_hint, langs)


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def _relative_reading(kind: str, amount: float) -> tuple[tuple[_Reading, ...], bool] | None:
    if amount <= 0:
        return None
    if kind in _MINUTES_PER:
        return (_Reading(delta=timedelta(minutes=amount * _MINUTES_PER[kind])),), True
    if amount != int(amount):
        return None  # "in 1.5 days" has no clear wall-clock meaning
    n = int(amount)
    if kind == "day":
        return (_Reading(date=_Date("rel", days=n)),), True
    if kind == "week":
        return (_Reading(date=_Date("rel", days=7 * n)),), True
    return (_Reading(date=_Date("rel", months=n)),), True


@lru_cache(maxsize=16)
def _grammar(langs: tuple[str, ...]) -> _Grammar:
    return _build_grammar(langs)


# ---------------------------------------------------------------------------- tokens


def _tokens(folded: str, grammar: _Grammar) -> list[_Token]:
    """All rule matches, then the non-overlapping set that covers the most text.

    Taking the leftmost match would let "o 15" hide "15 grudnia"; maximising the covered
    characters (weighted interval scheduling over a handful of matches) does not.
    """
    found: list[_Token] = []
    for rule in grammar.rules:
        for m in rule.pattern.finditer(folded):
            built = rule.build(m)
            if built is not None and m.end() > m.start():
                found.append(_Token(m.start(), m.end(), built[0], built[1]))
    return _best_cover(found)


def _best_cover(found: list[_Token]) -> list[_Token]:
    if len(found) <= 1:
        return found
    found.sort(key=lambda t: (t.end, t.start))
    ends = [t.end for t in found]
    best: list[tuple[int, int, tuple[int, ...]]] = [(0, 0, ())]  # (covered, -count, picks)
    for i, tok in enumerate(found):
        # last token ending at or before tok.start
        j = _bisect_right(ends, tok.start, i)
        covered, neg, picks = best[j]
        take = (covered + tok.end - tok.start, neg - 1, (*picks, i))
        skip = best[i]
        best.append(take if take[:2] > skip[:2] else skip)
    return [found[i] for i in best[-1][2]]


def _bisect_right(ends: list[int], value: int, hi: int) -> int:
    lo = 0
    while lo < hi:
        mid = (lo + hi) // 2
        if ends[mid] <= value:
            lo = mid + 1
        else:
            hi = mid
    return lo


_GAP = re.compile(r"[\s,]*")


def _clusters(folded: str, tokens: list[_Token]) -> list[list[_Token]]:
    """Tokens separated only by spaces or commas form one phrase ("friday, 10:30")."""
    groups: list[list[_Token]] = []
    for tok in sorted(tokens, key=lambda t: t.start):
        if groups and _GAP.fullmatch(folded, groups[-1][-1].end, tok.start):
            groups[-1].append(tok)
        else:
            groups.append([tok])
    return groups


# ---------------------------------------------------------------------------- meaning


def _merge(readings: Sequence[_Reading]) -> _Reading | None:
    date_: _Date | None = None
    weekday: tuple[int, str] | None = None
    clock: _Clock | None = None
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
    return _Reading(date_, weekday, clock, part, delta)


class _Conflict(Exception):
    """The parts of a phrase contradict each other ("morning 15:00", "3am in the evening")."""


def _time_of_day(r: _Reading) -> tuple[int, int, int] | None:
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


def _local(day: date, hour: int, minute: int, tz: tzinfo, fold: int = 0) -> datetime:
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


def _resolve(r: _Reading, now: datetime) -> datetime | None:
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
        return _local(day + timedelta(days=extra), hour, minute, tz)

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
        second = _local(today + timedelta(days=extra), hour, minute, tz, fold=1)
        result = second if second.timestamp() > now_ts else at(today + timedelta(days=1))
    return result


def _day(d: _Date, today: date, weekday: tuple[int, str] | None) -> date | None:
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


def _evaluate(tokens: Sequence[_Token], now: datetime) -> datetime | None:
    for combo in itertools.product(*(t.readings for t in tokens)):
        merged = _merge(combo)
        if merged is not None:
            result = _resolve(merged, now)
            if result is not None:
                return result
    return None


# ---------------------------------------------------------------------------- public API


@dataclass(frozen=True, slots=True)
class WhenScan:
    """What `scan_when` saw: the chosen phrase and other time words it did not use.

    `unused` lets a caller report "tomorrow 3pm 4pm"'s "4pm" instead of silently putting it
    into a search query.
    """

    found: tuple[datetime, tuple[int, int]] | None
    unused: tuple[tuple[int, int], ...]


_MEANINGFUL = re.compile(r"[^\W_]")


def _check_now(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


def _scan(
    text: str, folded: str, now: datetime, grammar: _Grammar, weak_alone: bool = True
) -> WhenScan:
    tokens = _tokens(folded, grammar)
    if not tokens:
        return WhenScan(None, ())
    best: tuple[tuple[int, int, int], datetime, list[_Token]] | None = None
    for cluster in _clusters(folded, tokens):
        n = len(cluster)
        for size in range(n, 0, -1):
            hit: tuple[datetime, list[_Token]] | None = None
            for i in range(n - size + 1):
                run = cluster[i : i + size]
                if not any(t.strong for t in run):
                    if not weak_alone:
                        continue
                    start, end = run[0].start, run[-1].end
                    if _MEANINGFUL.search(text, 0, start) or _MEANINGFUL.search(text, end):
                        continue
                result = _evaluate(run, now)
                if result is not None:
                    hit = (result, run)
                    break
            if hit is not None:
                score = (size, sum(t.strong for t in hit[1]), -hit[1][0].start)
                if best is None or score > best[0]:
                    best = (score, hit[0], hit[1])
                break
    if best is None:
        unused = tuple((t.start, t.end) for t in tokens if t.strong)
        return WhenScan(None, unused)
    chosen = best[2]
    span = (chosen[0].start, chosen[-1].end)
    used = {id(t) for t in chosen}
    unused = tuple((t.start, t.end) for t in tokens if t.strong and id(t) not in used)
    return WhenScan((best[1], span), unused)


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
    return _scan(text, fold(text), now, _grammar(_langs(languages)), weak_alone)


def find_when(
    text: str, now: datetime, languages: Sequence[str] = ("en", "pl")
) -> tuple[datetime, tuple[int, int]] | None:
    """The time phrase inside a longer text and its span, so a caller can cut it out."""
    return scan_when(text, now, languages).found


def parse_when(text: str, now: datetime, languages: Sequence[str] = ("en", "pl")) -> datetime | None:
    """Read `text` as a whole as a meeting time; ``None`` unless all of it is understood.

    Only punctuation may surround the phrase. When the grammar fails on a text that names a
    month, dateparser gets a guarded try (see `_dateparser_fallback`).
    """
    _check_now(now)
    langs = _langs(languages)
    grammar = _grammar(langs)
    folded = fold(text)
    found = _scan(text, folded, now, grammar).found
    if found is not None:
        result, (start, end) = found
        if not (_MEANINGFUL.search(text, 0, start) or _MEANINGFUL.search(text, end)):
            return result
    return _dateparser_fallback(folded, now, grammar)


_FALLBACK_WORDS = re.compile(r"[a-z]+|\d+")
_TIME_HINT = re.compile(r"\d:\d|\d\s*[ap]\.?m(?!\w)")


def _dateparser_fallback(folded: str, now: datetime, grammar: _Grammar) -> datetime | None:
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
    months = {**(_EN_MONTHS if "en" in grammar.languages else {}),
              **(_PL_MONTHS if "pl" in grammar.languages else {})}  # fmt: skip
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
    return _local(parsed.date(), hour, minute, tz)


# ---------------------------------------------------------------------------- durations


@dataclass(frozen=True, slots=True)
class DurationMatch:
    """A meeting length found in text; `minutes` is None when it was written but unusable."""

    minutes: int | None
    span: tuple[int, int]


def iter_durations(text: str, languages: Sequence[str] = ("en", "pl")) -> Iterator[DurationMatch]:
    """Meeting lengths ("45m", "1h30", "pół godziny") in `text`, left to right.

    Lives here because it shares the number and unit words with "in 2 hours".
    """
    folded = fold(text)
    grammar = _grammar(_langs(languages))
    for rule in grammar.durations:
        for m in rule.pattern.finditer(folded):
            built = rule.build(m)
            if built is None:
                continue
            delta = built[0][0].delta
            minutes: int | None = None
            if delta is not None:
                total = delta.total_seconds() / 60
                if total == int(total) and total > 0:
                    minutes = int(total)
            yield DurationMatch(minutes, (m.start(), m.end()))
