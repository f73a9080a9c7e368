"""The rules (regular expressions over folded text) that find time tokens and give each
its possible readings; compiled once per language set, because building them is slow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from handlers.when.lexicon import (
    EN_MONTHS,
    EN_NUMBERS,
    EN_WEEKDAYS,
    FULL_WEEKDAYS,
    MINUTES_PER,
    PL_MONTHS,
    PL_NUMBERS,
    PL_WEEKDAYS,
    TENS,
    UNIT_LETTERS,
    UNIT_WORDS,
    UNITS,
    ZONES,
    alternation,
    number_value,
)
from handlers.when.readings import Builder, Date, Reading, Rule, clock_reading
from handlers.when.spoken import (
    english_clock_rules,
    english_day_rules,
    polish_clock_rules,
    polish_day_rules,
    position_rules,
    zone_rules,
)

_B = r"(?<!\w)"  # word start
_E = r"(?!\w)"  # word end
_DB = r"(?<![\w.:/\-])"  # number start: not inside 2026-12-03, 1.5 or 10:30
_ISH = r"(?:-?ish(?!\w))?"  # "3ish", "4pm-ish": read as the hour itself
_AMPM = r"(?:\s*(?P<ap>[ap])\.?\s?m\.?|(?P<ap1>[ap])\.?)(?!\w)"


@dataclass(frozen=True, slots=True)
class Grammar:
    rules: tuple[Rule, ...]
    durations: tuple[Rule, ...]  # meeting lengths: minutes/hours only
    month_hint: re.Pattern[str] | None
    languages: tuple[str, ...]


def _num_alt(langs: tuple[str, ...]) -> tuple[str, str]:
    """Regex for digit numbers and for number words (words need a space before a unit)."""
    words: dict[str, int] = {}
    if "en" in langs:
        words.update(EN_NUMBERS)
    if "pl" in langs:
        words.update(PL_NUMBERS)
    tens = [w for w in TENS if w in words]
    units = [w for w in UNITS if w in words]
    word_alt = alternation(words) if words else "(?!)"
    if tens and units:
        word_alt = rf"(?:{alternation(tens)})[\s-]+(?:{alternation(units)})|{word_alt}"
    return r"\d+(?:[.,]\d+)?", word_alt


def _unit_alt(langs: tuple[str, ...], kinds: Sequence[str], letters: bool) -> str:
    words: list[str] = []
    for lang in langs:
        for kind in kinds:
            words.extend(UNIT_WORDS[lang][kind])
    if letters:
        for kind in kinds:
            words.extend(UNIT_LETTERS[kind])
    return alternation(words) + r"\.?" if words else "(?!)"


def _unit_kind(word: str) -> str | None:
    word = word.rstrip(".")
    for table in UNIT_WORDS.values():
        for kind, words in table.items():
            if word in words:
                return kind
    for kind, letters in UNIT_LETTERS.items():
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
            amount = number_value(groups[f"{tag}n{suffix}"])
            kind = _unit_kind(groups[f"{tag}u{suffix}"])
            break
        if groups.get(f"{tag}w{suffix}") is not None:
            amount = number_value(groups[f"{tag}w{suffix}"])
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
        "an hour": 60, "a hour": 60, "a couple of hours": 120, "a couple hours": 120,
        "couple of hours": 120, "couple hours": 120,
    },
    "pl": {
        "pol godziny": 30, "pol h": 30, "poltorej godziny": 90, "poltora godziny": 90,
        "poltorej h": 90, "kwadrans": 15, "kwadransa": 15, "godzine": 60, "godzina": 60,
        "godzinke": 60, "godzinka": 60, "trzy kwadranse": 45, "pare godzin": 120,
    },
}  # fmt: skip


def _fixed_alt(langs: tuple[str, ...]) -> dict[str, int]:
    table: dict[str, int] = {}
    for lang in langs:
        table.update(_FIXED_MINUTES[lang])
    return table


def _phrase_alt(phrases: Iterable[str]) -> str:
    """Like `alternation` for multi-word phrases, letting any run of spaces separate the words."""
    parts = {r"[\s-]+".join(map(re.escape, re.split(r"[\s-]+", p.strip()))) for p in phrases}
    return "|".join(sorted(parts, key=lambda w: (-len(w), w)))


def _and_a_half(langs: tuple[str, ...]) -> str:
    if "en" not in langs:
        return "(?P<hh>(?!))"
    digits, words = _num_alt(langs)
    return rf"(?P<hh>{digits}|{words})\s+and\s+a\s+half\s+(?:hours|hour|hrs|hr)"


def _squash(text: str) -> str:
    return re.sub(r"[\s-]+", " ", text.strip())


class _Rules(list[Rule]):
    def add(self, pattern: str, build: Builder) -> None:
        self.append(Rule(re.compile(pattern), build))


def _time_prefix(langs: tuple[str, ...]) -> str:
    """What may stand before a bare hour: "at 3", "o 15", "@ 9"."""
    pre_words: list[str] = []
    if "en" in langs:
        pre_words += ["at", "around", "about", "approx\\.?", "approximately", "by", "from"]
    if "pl" in langs:
        pre_words += [r"o\s+godz(?:inie|\.)?", r"na\s+godz(?:ine|\.)?", r"godz(?:inie|ina|\.)?",
                      r"(?:ok\.?|okolo|kolo)\s+godz(?:iny|\.)?", "o", "na", "okolo", "kolo", r"ok\.?", "po",
                      "przed", "od",
                      r"w\s+okolicach"]  # fmt: skip
    pre_alt = "|".join(pre_words) or "(?!)"
    return rf"(?:{_B}(?P<pre>{pre_alt})\s+|(?P<at>@)\s*)"


def _not_a_unit(langs: tuple[str, ...]) -> str:
    """Not followed by a unit word, so "3 days" is never read as 03:00."""
    all_units = "|".join(
        (_unit_alt(langs, ["min", "hour", "day", "week", "month"], letters=False), "h", "m")
    )
    return rf"(?!\s*(?:{all_units})(?!\w)(?!\.?\s*\d))"


def _ap(m: re.Match[str]) -> str | None:
    return m["ap"] or m.groupdict().get("ap1")


_clock_reading = clock_reading


_ZONE_WORDS = sorted((re.escape(z).replace(r"\ ", r"\s+") for z in ZONES), key=len, reverse=True)


def bare_hour_qualified(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
    r = _clock_reading(int(m["h"]), int(m["m"] or 0), None, m["h"].startswith("0"))
    return None if r is None else ((r,), True)


def _clock_rules(langs: tuple[str, ...]) -> list[Rule]:
    """Clock times: "3pm", "15:00", "o 15", "15h"."""
    pre = _time_prefix(langs)
    not_unit = _not_a_unit(langs)
    rules = _Rules()

    def colon(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        r = _clock_reading(int(m["h"]), int(m["m"]), _ap(m), m["h"].startswith("0"))
        return None if r is None else ((r,), True)

    rules.add(
        rf"{pre}?{_DB}(?P<h>\d{{1,2}}):(?P<m>\d{{2}})(?::\d{{2}})?(?![\d:])(?:{_AMPM}|\s?(?:hrs|hr|h)\.?(?!\w))?{_ISH}",
        colon,
    )

    def ampm(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        r = _clock_reading(int(m["h"]), int(m["m"] or 0), _ap(m))
        return None if r is None else ((r,), True)

    rules.add(rf"{pre}?{_DB}(?P<h>\d{{1,2}})(?:[.:]?(?P<m>\d{{2}}))?{_AMPM}{_ISH}", ampm)

    def prefixed_dot(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        r = _clock_reading(int(m["h"]), int(m["m"]), None, m["h"].startswith("0"))
        return None if r is None else ((r,), True)

    rules.add(rf"{pre}{_DB}(?P<h>\d{{1,2}})\.(?P<m>\d{{2}})(?!\d)(?!\.\d)", prefixed_dot)

    def hours_h(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        h = int(m["h"])
        if h < 10 and m["pre"] is None and m["at"] is None:
            return None  # "2h" is a duration
        r = _clock_reading(h, int(m["m"] or 0), None)
        return None if r is None else ((r,), True)

    rules.add(rf"{pre}?{_DB}(?P<h>\d{{1,2}})h(?P<m>\d{{2}})?(?!\w)", hours_h)

    def bare_hour(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        r = _clock_reading(int(m["h"]), 0, None, m["h"].startswith("0"))
        return None if r is None else ((r,), True)

    def compact(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        """ "1030", "at 330": a clock without a colon, weak unless prefixed; never a year."""
        if 1900 <= int(m["h"] + m["m"]) <= 2099 and m["pre"] is None and m["at"] is None:
            return None
        r = _clock_reading(int(m["h"]), int(m["m"]), None, m["h"].startswith("0"))
        strong = m["pre"] is not None or m["at"] is not None
        return None if r is None else ((r,), strong)

    rules.add(
        rf"{pre}?(?<![\w.:/\-#$€£])(?P<h>\d{{1,2}})(?P<m>\d{{2}})(?![\w.:,/\-]){not_unit}", compact
    )

    rules.add(rf"{pre}{_DB}(?P<h>\d{{1,2}})(?!\w)(?![.:,]\d){not_unit}{_ISH}", bare_hour)

    # "8 wieczorem", "7 rano", "9 in the morning", "9 ET": a bare hour the next word qualifies
    qualifiers = [r"rano", r"wieczorem", r"w\s+nocy", r"po\s+poludniu", r"in\s+the\s+\w+",
                  r"at\s+night", r"tonight", r"this\s+(?:morning|afternoon|evening)",
                  r"tomorrow\s+(?:morning|afternoon|evening|night)",
                  r"(?:dzis|dzisiaj|jutro)\s+(?:rano|wieczorem|po\s+poludniu)",
                  *(rf"{z}(?!\w)" for z in _ZONE_WORDS)]  # fmt: skip
    rules.add(
        rf"{_DB}(?P<h>\d{{1,2}})(?::(?P<m>\d{{2}}))?(?=\s+(?:{'|'.join(qualifiers)})(?!\w))",
        bare_hour_qualified,
    )

    return rules


def _numeric_date_rules(langs: tuple[str, ...]) -> list[Rule]:
    """Numeric dates: "2026-12-03", "3.12.", "3/12"."""
    not_unit = _not_a_unit(langs)
    rules = _Rules()

    def iso(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        reading = Reading(date=Date("abs", int(m["y"]), int(m["mo"]), int(m["d"])))
        if m["th"] is not None:
            c = _clock_reading(int(m["th"]), int(m["tm"]), None, padded=True)
            if c is None:
                return None
            reading = reading._replace(clock=c.clock)
        return (reading,), True

    rules.add(
        rf"{_DB}(?P<y>\d{{4}})(?P<sep>[-./])(?P<mo>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})(?:[t ](?P<th>\d{{2}}):(?P<tm>\d{{2}})(?::\d{{2}})?)?(?![\w:])",
        iso,
    )

    def day_first(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        return (Reading(date=Date("abs", int(m["y"]), int(m["mo"]), int(m["d"]))),), True

    # "26-03-2026": day first, as Polish (and most of Europe) writes it with dashes
    rules.add(rf"{_DB}(?P<d>\d{{1,2}})-(?P<mo>\d{{1,2}})-(?P<y>\d{{4}})(?![\w:])", day_first)

    def dotted(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        d, mo = int(m["d"]), int(m["mo"])
        year = _year(m["y"])
        readings = [Reading(date=Date("abs", year, mo, d))]
        if year is None and len(m["mo"]) == 2:
            r = _clock_reading(d, mo, None)
            if r is not None:
                # "10.11" is a time first; "15.04" (a zero-padded month) or "3.12." a date
                time_first = m["dot"] is None and not m["mo"].startswith("0")
                readings.insert(0 if time_first else 1, r)
        return tuple(readings), True

    rules.add(
        rf"{_DB}(?P<d>\d{{1,2}})\.(?P<mo>\d{{1,2}})(?:\.(?P<y>\d{{4}}|\d{{2}})|(?P<dot>\.))?(?![\w])(?!\.\d){not_unit}",
        dotted,
    )

    month_first = langs[:1] == ("en",) if langs else False

    def slashed(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        a, b = int(m["a"]), int(m["b"])
        if (a, b) == (24, 7) and m["y"] is None:
            return None  # "support 24/7"
        year = _year(m["y"])
        md = Reading(date=Date("abs", year, a, b))
        dm = Reading(date=Date("abs", year, b, a))
        return ((md, dm) if month_first else (dm, md)), True

    rules.add(
        rf"(?:{_B}on\s+)?{_DB}(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})(?:/(?P<y>\d{{4}}|\d{{2}}))?(?![\w/])",
        slashed,
    )

    return rules


def _month_rules(langs: tuple[str, ...]) -> tuple[list[Rule], re.Pattern[str] | None]:
    """Dates with a month name ("3 December", "dec 3rd", "3 grudnia") or a day of the month
    ("the 3rd"); and the pattern that tells the dateparser fallback a month is named."""
    en, pl = "en" in langs, "pl" in langs
    rules = _Rules()

    months: dict[str, int] = {}
    if en:
        months.update(EN_MONTHS)
    if pl:
        months.update(PL_MONTHS)
    if months:
        month_alt = alternation(months)
        ordinal = r"(?:st|nd|rd|th)?" if en else ""
        on_the = r"(?:(?:on\s+)?(?:the\s+)?)?" if en else ""
        of = r"(?:of\s+)?" if en else ""
        year = r"(?:,?\s+(?P<y>\d{4})(?![\d:.]))?"

        def named(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
            month = months[m["mon"]]
            return (Reading(date=Date("abs", _year(m["y"]), month, int(m["d"]))),), True

        rules.add(
            rf"{_B}{on_the}{_DB}(?P<d>\d{{1,2}}){ordinal}\.?\s*{of}(?P<mon>{month_alt})\.?(?!\w){year}",
            named,
        )
        rules.add(rf"{_B}(?:on\s+)?(?P<mon>{month_alt})\.?\s*(?:the\s+)?{_DB}(?P<d>\d{{1,2}}){ordinal}(?![\w:.]){year}" if en
             else rf"{_B}(?P<mon>{month_alt})\.?\s*{_DB}(?P<d>\d{{1,2}})(?![\w:.]){year}", named)  # fmt: skip
    month_hint = re.compile(rf"{_B}(?:{alternation(months)}){_E}") if months else None

    if en:

        def day_of_month(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
            return (Reading(date=Date("dom", day=int(m["d"]))),), m["the"] is not None

        rules.add(
            rf"{_B}(?:on\s+)?(?P<the>the\s+)?{_DB}(?P<d>\d{{1,2}})(?:st|nd|rd|th)(?!\w)",
            day_of_month,
        )

    return rules, month_hint


def _day_word_rules(langs: tuple[str, ...]) -> list[Rule]:
    """Days named relative to today: "today", "tomorrow", "jutro", "pojutrze"."""
    en, pl = "en" in langs, "pl" in langs
    rules = _Rules()

    day_words: dict[str, int] = {}
    if en:
        day_words.update({"today": 0, "tomorrow": 1, "tomorow": 1, "tmrw": 1, "tmr": 1, "tommorow": 1, "tommorrow": 1, "tomorrw": 1, "2moro": 1,
                          "2morrow": 1, "2mrw": 1, "day after tmrw": 2, "the day after tmrw": 2,
                          "a week today": 7, "a week from today": 7, "a week tomorrow": 8,
                          "a week from tomorrow": 8,
                          "day after tomorrow": 2, "the day after tomorrow": 2})  # fmt: skip
    if pl:
        day_words.update({"dzis": 0, "dzisiaj": 0, "jutro": 1, "jutor": 1, "pojutrze": 2, "popojutrze": 3,
                          "po jutrze": 2})  # fmt: skip
    if day_words:

        def day_word(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
            return (Reading(date=Date("rel", days=day_words[_squash(m["w"])])),), True

        lead = r"(?:na\s+)?" if pl else ""  # "na jutro": for tomorrow
        rules.add(rf"{_B}{lead}(?P<w>{_phrase_alt(day_words)}){_E}", day_word)

    return rules


def _part_of_day_rules(langs: tuple[str, ...]) -> list[Rule]:
    """Parts of day: "morning", "tonight", "po południu", "o północy"."""
    en, pl = "en" in langs, "pl" in langs
    rules = _Rules()

    parts: dict[str, str] = {}
    today_parts: dict[str, str] = {}
    if en:
        parts.update({"morning": "morning", "in the morning": "morning",
                      "afternoon": "afternoon", "in the afternoon": "afternoon",
                      "evening": "evening", "in the evening": "evening",
                      "noon": "noon", "at noon": "noon", "midday": "noon", "at midday": "noon",
                      "12 noon": "noon", "at 12 noon": "noon", "midnight": "midnight",
                      "at midnight": "midnight", "12 midnight": "midnight",
                      "at 12 midnight": "midnight", "noonish": "noon", "at noonish": "noon", "noon ish": "noon",
                      "night": "night", "around noon": "noon",
                      "about noon": "noon", "at night": "night", "in the night": "night",
                      "lunch": "lunch", "lunchtime": "lunch", "at lunch": "lunch",
                      "at lunchtime": "lunch", "over lunch": "lunch", "for lunch": "lunch",
                      "eod": "end of day", "by eod": "end of day", "end of day": "end of day",
                      "end of the day": "end of day", "by end of day": "end of day",
                      "cob": "end of day", "first thing": "morning",
                      "first thing in the morning": "morning", "early morning": "early morning",
                      "mid morning": "mid morning", "midmorning": "mid morning",
                      "late morning": "late morning", "early afternoon": "early afternoon",
                      "late afternoon": "late afternoon", "early evening": "early evening",
                      "after lunch": "early afternoon", "before lunch": "late morning"})  # fmt: skip
        today_parts.update({"tonight": "evening", "this morning": "morning",
                            "this afternoon": "afternoon", "this evening": "evening",
                            "tonite": "evening", "this lunchtime": "lunch",
                            "midnight tonight": "midnight", "tonight at midnight": "midnight"})  # fmt: skip
    if pl:
        parts.update({"rano": "morning", "rankiem": "morning", "z rana": "morning",
                      "przed poludniem": "morning", "po poludniu": "afternoon",
                      "popoludniu": "afternoon", "wieczorem": "evening", "wieczor": "evening",
                      "poludnie": "noon", "w poludnie": "noon", "w samo poludnie": "noon",
                      "o poludniu": "noon", "polnoc": "midnight", "o polnocy": "midnight",
                      "w polnoc": "midnight", "w nocy": "night", "noca": "night",
                      "nad ranem": "morning", "z samego rana": "morning",
                      "wczesnym rankiem": "early morning", "wieczorkiem": "evening",
                      "wczesnym popoludniem": "early afternoon",
                      "poznym popoludniem": "late afternoon", "na lunch": "lunch",
                      "w porze lunchu": "lunch", "w czasie lunchu": "lunch",
                      "koniec dnia": "end of day", "na koniec dnia": "end of day",
                      "pod koniec dnia": "end of day", "po lunchu": "early afternoon",
                      "po obiedzie": "early afternoon", "przed lunchem": "late morning",
                      "w godzinach porannych": "morning", "w godzinach popoludniowych": "afternoon",
                      "w godzinach wieczornych": "evening", "kolo poludnia": "noon",
                      "okolo poludnia": "noon", "w okolicach poludnia": "noon"})  # fmt: skip
        today_parts.update({"dzis wieczorem": "evening", "dzisiaj wieczorem": "evening"})
    if parts or today_parts:
        every = {**parts, **today_parts}

        def part(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
            key = _squash(m["w"])
            if key in today_parts:
                return (Reading(date=Date("rel"), part=today_parts[key]),), True
            # "night shift", "Lunch & Learn": these alone only count next to other time words
            return (Reading(part=parts[key]),), key not in ("night", "lunch")

        rules.add(rf"{_B}(?P<w>{_phrase_alt(every)}){_E}", part)

    if en:  # "tomorrow pm", "mon am": only next to other time words

        def meridiem(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
            return (Reading(part="morning" if m["w"][0] == "a" else "afternoon"),), False

        rules.add(rf"{_B}(?P<w>[ap]\.?m\.?)(?!\w)", meridiem)

    return rules


def _weekday_rules(langs: tuple[str, ...]) -> list[Rule]:
    """Weekdays and periods: "friday", "next friday", "w przyszły piątek", "next week",
    "w przyszłym miesiącu"."""
    en, pl = "en" in langs, "pl" in langs
    rules = _Rules()

    weekdays: dict[str, int] = {}
    modes: dict[str, str] = {}
    if en:
        weekdays.update(EN_WEEKDAYS)
        modes.update({"next": "next", "on next": "next", "this": "this", "on this": "this",
                      "on": "plain", "coming": "plain", "this coming": "plain",
                      "on the": "plain"})  # fmt: skip
    if pl:
        weekdays.update(PL_WEEKDAYS)
        for lead in ("", "w ", "we "):
            for word in ("przyszly", "przyszla", "przyszle", "nastepny", "nastepna", "nastepne"):
                modes[lead + word] = "next"
            for word in ("kolejny", "kolejna", "kolejne"):
                modes[lead + word] = "next"
            for word in ("najblizszy", "najblizsza", "najblizsze"):
                modes[lead + word] = "plain"
        modes.update({"w": "plain", "we": "plain", "na": "plain", "w ten": "this", "w te": "this",
                      "w ta": "this", "ten": "this", "te": "this"})  # fmt: skip
    if weekdays:

        def weekday(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
            mode = modes[_squash(m["mod"])] if m["mod"] else "plain"
            strong = m["wd"] in FULL_WEEKDAYS or mode != "plain"
            return (Reading(weekday=(weekdays[m["wd"]], mode)),), strong

        rules.add(
            rf"{_B}(?:(?P<mod>{_phrase_alt(modes)})\s+)?(?P<wd>{alternation(weekdays)})(?:\.|(?!\w))",
            weekday,
        )

    periods: dict[str, str] = {}
    if en:
        periods.update({"next week": "week", "next month": "month"})
    if pl:
        for lead in ("", "w "):
            for adj in ("przyszlym", "nastepnym"):
                periods[f"{lead}{adj} tygodniu"] = "week"
                periods[f"{lead}{adj} miesiacu"] = "month"
        for lead in ("", "w "):
            for adj in ("przyszlym", "nastepnym", "kolejnym"):
                periods[f"{lead}{adj} tyg"] = "week"
        for adj in ("przyszly", "nastepny"):
            periods[f"{adj} tydzien"] = "week"
            periods[f"{adj} tyg"] = "week"
            periods[f"{adj} miesiac"] = "month"
    if periods:

        def period(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
            return (Reading(date=Date(periods[_squash(m["w"])])),), True

        rules.add(rf"{_B}(?P<w>{_phrase_alt(periods)})(?:\.|{_E})", period)

    return rules


def _relative_rules(langs: tuple[str, ...]) -> list[Rule]:
    """Offsets from now: "in 2 hours", "za 3 dni", "2 days from now"."""
    en, pl = "en" in langs, "pl" in langs
    fixed = _fixed_alt(langs)
    rules = _Rules()

    fixed = _fixed_alt(langs)
    lead_words = [w for w, lang in (("in", "en"), ("za", "pl")) if lang in langs]
    amount = _amount_pattern(langs, ["min", "hour", "day", "week", "month"], "r")
    implicit: dict[str, tuple[str, int]] = {}
    if en:
        implicit.update({"a fortnight": ("day", 14), "fortnight": ("day", 14),
                         "a couple of days": ("day", 2), "a couple days": ("day", 2),
                         "couple of days": ("day", 2), "a couple of weeks": ("week", 2),
                         "a couple weeks": ("week", 2)})  # fmt: skip
    if pl:
        implicit.update({"tydzien": ("week", 1), "dzien": ("day", 1), "miesiac": ("month", 1),
                         "pare dni": ("day", 2), "pare tygodni": ("week", 2)})  # fmt: skip
    fixed_alt = _phrase_alt({**fixed, **implicit}) if (fixed or implicit) else "(?!)"
    body = rf"(?:{_and_a_half(langs)}|(?P<fx>{fixed_alt})(?!\w)|{amount})"

    def relative(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        if m["hh"] is not None:
            n = number_value(m["hh"])
            return None if n is None else _relative_reading("min", n * 60 + 30)
        if m["fx"] is not None:
            key = _squash(m["fx"])
            if key in implicit:
                return _relative_reading(*implicit[key])
            return _relative_reading("min", fixed[key])
        value = _amount_value(m, "r")
        return None if value is None else _relative_reading(*value)

    if lead_words:
        time_ = r"(?:\s*['’]?s?\s+time(?!\w))?"  # "in three weeks' time"
        rules.add(rf"{_B}(?:{'|'.join(lead_words)})\s+{body}{time_}", relative)
    if en:
        rules.add(rf"{_B}{body}\s+(?:from\s+now|later)(?!\w)", relative)

        def from_day(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
            """ "a week from today", "two weeks from tomorrow": days, not hours."""
            built = relative(m)
            date = built[0][0].date if built else None
            if date is None:
                return None
            extra = 1 if m["base"] == "tomorrow" else 0
            return (Reading(date=date._replace(days=date.days + extra)),), True

        rules.add(rf"{_B}{body}\s+from\s+(?P<base>today|tomorrow)(?!\w)", from_day)

    return rules


def _duration_rules(langs: tuple[str, ...]) -> list[Rule]:
    """Meeting lengths ("45m", "1h30", "pół godziny"): read by the /meet text reader, never
    as times."""
    fixed = _fixed_alt(langs)
    dur_lead = [w for w, lang in (("for", "en"), ("na", "pl"), ("przez", "pl")) if lang in langs]
    lead = rf"(?:(?:{'|'.join(dur_lead)})\s+)?" if dur_lead else ""
    dur_amount = _amount_pattern(langs, ["min", "hour"], "d")
    fixed_dur = _phrase_alt(fixed) if fixed else "(?!)"

    def duration(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        if m["hh"] is not None:
            n = number_value(m["hh"])
            minutes: float | None = None if n is None else n * 60 + 30
        elif m["fx"] is not None:
            minutes = fixed[_squash(m["fx"])]
        else:
            value = _amount_value(m, "d")
            minutes = None if value is None else value[1] * MINUTES_PER[value[0]]
        return (Reading(delta=None if minutes is None else timedelta(minutes=minutes)),), True

    return [
        Rule(
            re.compile(
                rf"(?<![\w.:/\-]){lead}(?:{_and_a_half(langs)}|(?P<fx>{fixed_dur})(?!\w)|{dur_amount})"
            ),
            duration,
        )
    ]


# Time words that name no single meeting time: the past, a repetition, a vague span or a
# range ("yesterday", "every monday", "w weekend", "between 10 and 12"). A blocker is a
# token that never resolves, so "yesterday 3pm" is not read as today 15:00: the /meet
# reader reports the whole phrase instead.
_CLOCKISH = r"\d{1,2}(?:[:.]\d\d)?(?:\s*[ap]\.?m\.?)?"


def _range(between: str, and_: str) -> str:
    return rf"{between}\s+{_CLOCKISH}(?:\s+{and_}\s+{_CLOCKISH})?"


_BLOCKERS = {
    "en": [r"yesterday", r"last\s+night", r"(?:last|every|each)\s+(?:\w+day|week|month)", r"(?:this|next)?\s*weekend",
           r"later\s+(?:today|this\s+week)", r"sometime", _range("between", "and")],
    "pl": [r"wczoraj", r"przedwczoraj", r"(?:w\s+)?(?:zeszl|ubiegl)\w*\s+\w+", r"co\s+(?:\w+ek|srode|sobote|niedziele|tydzien|miesiac)",
           r"(?:w|na|ten|przyszly)?\s*weekend", r"(?:dzis\s+)?pozniej", r"kiedys", _range("miedzy", "a")],
}  # fmt: skip
_NEVER = Reading(delta=timedelta(0), date=Date("rel"))  # delta with a date never merges


def _blocker_rules(langs: tuple[str, ...]) -> list[Rule]:
    words = [w for lang in langs for w in _BLOCKERS.get(lang, ())]
    if not words:
        return []
    rules = _Rules()
    rules.add(rf"{_B}(?:{'|'.join(words)}){_E}", lambda m: ((_NEVER,), True))

    def time_range(m: re.Match[str]) -> tuple[tuple[Reading, ...], bool] | None:
        """ "10 to 11", "2pm until 4pm", "od 10 do 12": a range, not a start; but "20 to 4"
        is 3:40."""
        a, b = m["a"].strip(), m["b"].strip()
        if m["sep"] == "to" and a.isdigit() and b.isdigit() and int(a) > int(b):
            return None
        return (_NEVER,), True

    seps = [w for w, lang in (("to|till|til|until", "en"), ("do", "pl")) if lang in langs]
    rules.add(
        rf"{_B}(?:(?:from|od)\s+)?{_DB}(?P<a>{_CLOCKISH})\s+(?P<sep>{'|'.join(seps)})\s+"
        rf"(?P<b>{_CLOCKISH}){_E}",
        time_range,
    )
    return rules


def _filler_rules(langs: tuple[str, ...]) -> list[Rule]:
    """Words around a time that add nothing: "dnia 26 marca", "30.03.2026 r.", "3pm sharp"."""
    words = []
    if "pl" in langs:
        words += [r"(?<!\w)(?:dnia|w\s+dniu)(?!\w)", r"(?<=\d\d\d\d)\s*r\.?(?!\w)"]
    if "en" in langs:
        words += [r"(?<!\w)(?:sharp|on\s+the\s+dot)(?!\w)"]
    if not words:
        return []
    rules = _Rules()
    rules.add("|".join(words), lambda m: ((Reading(),), False))
    return rules


def _build_grammar(langs: tuple[str, ...]) -> Grammar:
    month_rules, month_hint = _month_rules(langs)
    rules = [
        *_clock_rules(langs),
        *(english_clock_rules() + english_day_rules() if "en" in langs else ()),
        *(polish_clock_rules() + polish_day_rules() if "pl" in langs else ()),
        *position_rules(langs),
        *zone_rules(),
        *_numeric_date_rules(langs),
        *month_rules,
        *_day_word_rules(langs),
        *_part_of_day_rules(langs),
        *_weekday_rules(langs),
        *_relative_rules(langs),
        *_filler_rules(langs),
        *_blocker_rules(langs),
    ]
    return Grammar(tuple(rules), tuple(_duration_rules(langs)), month_hint, langs)


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def _relative_reading(kind: str, amount: float) -> tuple[tuple[Reading, ...], bool] | None:
    if amount <= 0:
        return None
    if kind in MINUTES_PER:
        return (Reading(delta=timedelta(minutes=amount * MINUTES_PER[kind])),), True
    if amount != int(amount):
        return None  # "in 1.5 days" has no clear wall-clock meaning
    n = int(amount)
    if kind == "day":
        return (Reading(date=Date("rel", days=n)),), True
    if kind == "week":
        return (Reading(date=Date("rel", days=7 * n)),), True
    return (Reading(date=Date("rel", months=n)),), True


@lru_cache(maxsize=16)
def grammar_for(langs: tuple[str, ...]) -> Grammar:
    return _build_grammar(langs)
