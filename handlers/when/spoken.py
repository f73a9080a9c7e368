"""Rules for times and days as people say them rather than write them: "quarter past 3",
"ten thirty", "3 o'clock", "o trzeciej", "wpół do czwartej", "za pięć czwarta",
"pierwszego marca", "first tuesday of october", "friday after next", "4pm CET".

Kept apart from `grammar` (the written shapes) so each stays readable; the words are in
`lexicon`.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

from handlers.when.lexicon import (
    EN_CLOCK_MINUTES,
    EN_DAY_ORDINALS,
    EN_HOURS,
    EN_MONTHS,
    EN_SPOKEN_MINUTES,
    EN_WEEKDAYS,
    FULL_WEEKDAYS,
    ORDINAL_POSITIONS,
    PL_CLOCK_MINUTES,
    PL_DAY_STEMS,
    PL_HOUR_STEMS,
    PL_MONTHS,
    PL_SPOKEN_MINUTES,
    PL_WEEKDAYS,
    ROMAN_MONTHS,
    ZONES,
    alternation,
)
from handlers.when.readings import Builder, Date, NamedZone, Reading, Rule, clock_reading

_B = r"(?<!\w)"
_E = r"(?!\w)"
_DB = r"(?<![\w.:/\-])"
_AMPM = r"(?:\s*(?P<ap>[ap])\.?\s?m\.?)?"

Built = tuple[tuple[Reading, ...], bool] | None


def _alt(words: dict[str, int] | dict[str, str] | set[str]) -> str:
    """Like `alternation`, with any run of spaces or a hyphen between words."""
    parts = {r"[\s-]+".join(map(re.escape, w.split())) for w in words}
    return "|".join(sorted(parts, key=lambda w: (-len(w), w)))


def _key(text: str) -> str:
    return re.sub(r"[\s-]+", " ", text.strip())


_clock = clock_reading


def _before(h: int) -> int:
    """The hour before `h` on the clock people speak: before 1 is 12, before 15 is 14."""
    if h >= 13:
        return h - 1
    return 12 if h == 1 else h - 1


class _Rules(list[Rule]):
    def add(self, pattern: str, build: Builder) -> None:
        self.append(Rule(re.compile(pattern), build))


def _pl_hour_forms() -> dict[str, int]:
    """Feminine ordinals: "trzecia", "trzeciej", "dwudziestej pierwszej" (each word takes
    the ending)."""
    forms: dict[str, int] = {}
    for stem, hour in PL_HOUR_STEMS.items():
        for ending in ("a", "ej"):
            # after "g" the genitive ending is "iej": "drugiej", "dwudziestej drugiej"
            words = (
                w + ("i" + ending if ending == "ej" and w.endswith("g") else ending)
                for w in stem.split()
            )
            forms[" ".join(words)] = hour
    return forms


def _pl_hour_value(text: str, forms: dict[str, int]) -> int | None:
    key = _key(text)
    if key in forms:
        return forms[key]
    digits = re.match(r"\d{1,2}", key)
    return int(digits.group(0)) if digits else None


def english_clock_rules() -> list[Rule]:
    rules = _Rules()
    hours = _alt(EN_HOURS)
    lead = r"(?:(?:at|around|about|by)\s+)?"

    def relative(m: re.Match[str]) -> Built:
        h = EN_HOURS.get(m["hw"]) or int(m["hw"])
        mins = EN_CLOCK_MINUTES.get(_key(m["mw"])) or int(m["mw"])
        if not 1 <= h <= 12:
            return None
        if m["dir"] in ("to", "before", "till", "til", "of"):
            if m["mw"].isdigit() and mins <= h:
                return None  # "10 to 11", "5 till 6": a range, not 10:50
            r = _clock(_before(h), 60 - mins, m["ap"])
        else:
            r = _clock(h, mins, m["ap"])
        return None if r is None else ((r,), not m["mw"].isdigit())

    rules.add(
        rf"{_B}{lead}(?P<mw>{_alt(EN_CLOCK_MINUTES)}|5|10|15|20|25)\s+(?:minutes?\s+)?"
        rf"(?P<dir>past|after|to|before|till|til)\s+(?P<hw>{hours}|\d{{1,2}}){_E}{_AMPM}{_E}",
        relative,
    )

    def oclock(m: re.Match[str]) -> Built:
        h = EN_HOURS.get(m["hw"]) or int(m["hw"])
        r = _clock(h, 0, m["ap"]) if 1 <= h <= 12 else None
        return None if r is None else ((r,), True)

    rules.add(rf"{_B}{lead}(?P<hw>{hours}|\d{{1,2}})\s*o['’]?\s?clock{_E}{_AMPM}{_E}", oclock)

    def spoken(m: re.Match[str]) -> Built:
        r = _clock(EN_HOURS[m["hw"]], EN_SPOKEN_MINUTES[_key(m["sm"])], m["ap"])
        return None if r is None else ((r,), m["ap"] is not None)

    rules.add(
        rf"{_B}{lead}(?P<hw>{hours})\s+(?P<sm>{_alt(EN_SPOKEN_MINUTES)}){_E}{_AMPM}{_E}", spoken
    )

    def word_hour(m: re.Match[str]) -> Built:
        """ "eleven am", "at three": strong with am/pm, else only next to other time words."""
        r = _clock(EN_HOURS[m["hw"]], 0, m["ap"])
        return None if r is None else ((r,), m["ap"] is not None)

    rules.add(rf"{_B}(?:at|around|about|by)\s+(?P<hw>{hours}){_E}{_AMPM}{_E}", word_hour)
    rules.add(rf"{_B}(?P<hw>{hours})\s*(?P<ap>[ap])\.?\s?m\.?{_E}", word_hour)

    def half(m: re.Match[str]) -> Built:
        """British "half two": half past two."""
        h = EN_HOURS.get(m["hw"]) or int(m["hw"])
        r = _clock(h, 30) if 1 <= h <= 12 else None
        return None if r is None else ((r,), False)

    rules.add(rf"{_B}(?:at\s+)?half\s+(?P<hw>{hours}|\d{{1,2}}){_E}(?![.:,/]\d)", half)

    def ish(m: re.Match[str]) -> Built:
        r = _clock(int(m["h"]), 0)
        return None if r is None else ((r,), True)

    rules.add(rf"{_B}(?:(?:at|around|about|by)\s+)?{_DB}(?P<h>\d{{1,2}})-?ish{_E}", ish)
    return rules


def polish_clock_rules() -> list[Rule]:
    rules = _Rules()
    forms = _pl_hour_forms()
    hour = rf"(?:{_alt(forms)}|\d{{1,2}}(?:-?(?:tej|ej|ta))?)"
    pre = r"(?:o|po|przed|na|okolo|kolo|ok\.?|od|do|w\s+okolicach|o\s+godz(?:inie|\.)?|godz\.?)"

    def prefixed(m: re.Match[str]) -> Built:
        h = _pl_hour_value(m["hw"], forms)
        spoken = m.groupdict().get("mw")
        r = None if h is None else _clock(h, PL_SPOKEN_MINUTES[_key(spoken)] if spoken else 0)
        return None if r is None else ((r,), True)

    rules.add(rf"{_B}(?:{pre}\s+)?{_DB}(?P<hw>\d{{1,2}}-?(?:tej|ej|ta)){_E}", prefixed)
    rules.add(
        rf"{_B}{pre}\s+(?P<hw>{_alt(forms)}){_E}(?:\s+(?P<mw>{_alt(PL_SPOKEN_MINUTES)}){_E})?",
        prefixed,
    )

    def half_to(m: re.Match[str]) -> Built:
        h = _pl_hour_value(m["hw"], forms)
        r = None if h is None else _clock(_before(h), 30)
        return None if r is None else ((r,), True)

    rules.add(rf"{_B}(?:o\s+)?w\s?pol\s+do\s+(?P<hw>{hour}){_E}", half_to)

    minutes = rf"(?P<mw>{_alt(PL_CLOCK_MINUTES)})"

    def past(m: re.Match[str]) -> Built:
        h = _pl_hour_value(m["hw"], forms)
        mins = PL_CLOCK_MINUTES[_key(m["mw"])]
        r = None if h is None else _clock(h, mins)
        return None if r is None else ((r,), True)

    rules.add(rf"{_B}(?:o\s+)?{minutes}\s+po\s+(?P<hw>{hour}){_E}", past)

    def to(m: re.Match[str]) -> Built:
        h = _pl_hour_value(m["hw"], forms)
        mins = PL_CLOCK_MINUTES[_key(m["mw"])]
        r = None if h is None else _clock(_before(h), 60 - mins)
        return None if r is None else ((r,), True)

    rules.add(rf"{_B}(?:o\s+)?{minutes}\s+przed\s+(?P<hw>{hour}){_E}", to)
    rules.add(rf"{_B}(?:o\s+)?za\s+{minutes}\s+(?P<hw>{hour}){_E}", to)
    return rules


def polish_day_rules() -> list[Rule]:
    """ "pierwszego marca", "dwudziestego piątego", "3go maja", "15-tego"."""
    rules = _Rules()
    units = {k: v for k, v in PL_DAY_STEMS.items() if v < 10}
    word = (
        rf"(?P<tens>dwudziest|trzydziest)ego(?:\s+(?P<unit>{_alt(units)})ego)?"
        rf"|(?P<stem>{_alt(PL_DAY_STEMS)})ego"
    )
    month = rf"(?:\s+(?P<mon>{alternation(PL_MONTHS)})\.?{_E})?"

    def day(m: re.Match[str]) -> Built:
        if m["d"] is not None:
            d = int(m["d"])
        elif m["tens"] is not None:
            d = PL_DAY_STEMS[m["tens"]] + (PL_DAY_STEMS[m["unit"]] if m["unit"] else 0)
        else:
            d = PL_DAY_STEMS[m["stem"]]
        if not 1 <= d <= 31:
            return None
        if m["mon"] is not None:
            return (Reading(date=Date("abs", None, PL_MONTHS[m["mon"]], d)),), True
        return (Reading(date=Date("dom", day=d)),), True

    rules.add(rf"{_B}(?:(?P<d>\d{{1,2}})-?(?:go|ego|tego)|{word}){_E}{month}", day)

    def roman(m: re.Match[str]) -> Built:
        year = int(m["y"]) if m["y"] else None
        return (Reading(date=Date("abs", year, ROMAN_MONTHS[m["rom"]], int(m["d"]))),), True

    rules.add(
        rf"{_DB}(?P<d>\d{{1,2}})(?:\s+|\.)(?P<rom>{alternation(ROMAN_MONTHS)})"
        rf"(?:(?:\s+|\.)(?P<y>\d{{4}}))?{_E}",
        roman,
    )
    return rules


def english_day_rules() -> list[Rule]:
    """ "march fifteenth", "april first", "the third of april", "the twenty third"."""
    rules = _Rules()
    ordinal = rf"(?P<o>{_alt(EN_DAY_ORDINALS)})"
    month = rf"(?P<mon>{alternation(EN_MONTHS)})"

    def day(m: re.Match[str]) -> Built:
        d = EN_DAY_ORDINALS[_key(m["o"])]
        name = m.groupdict().get("mon")
        if name is None:
            return (Reading(date=Date("dom", day=d)),), False
        return (Reading(date=Date("abs", None, EN_MONTHS[name], d)),), True

    rules.add(rf"{_B}(?:on\s+)?the\s+{ordinal}(?:\s+of\s+{month}\.?)?{_E}", day)
    rules.add(rf"{_B}{ordinal}\s+of\s+{month}\.?{_E}", day)
    rules.add(rf"{_B}(?:on\s+)?{month}\.?\s+(?:the\s+)?{ordinal}{_E}", day)
    return rules


def position_rules(langs: tuple[str, ...]) -> list[Rule]:
    """Days by position: "first tuesday of october", "ostatni piątek miesiąca", "end of
    the month", "20th of next month", "friday after next", "a week from tuesday",
    "wednesday of next week", "wtorek za tydzień"."""
    en, pl = "en" in langs, "pl" in langs
    rules = _Rules()
    weekdays = {**(EN_WEEKDAYS if en else {}), **(PL_WEEKDAYS if pl else {})}
    full = {w: d for w, d in weekdays.items() if w in FULL_WEEKDAYS}
    months = {**(EN_MONTHS if en else {}), **(PL_MONTHS if pl else {})}
    wd_alt, full_alt = alternation(weekdays), alternation(full)
    this_month = [r"(?:the|this)\s+month"] if en else []
    if pl:
        this_month += [r"(?:tego\s+)?miesiaca", r"w\s+miesiacu"]

    def nth(m: re.Match[str]) -> Built:
        month = months[m["mon"]] if m["mon"] else 0
        n = ORDINAL_POSITIONS[m["n"]]
        date = Date("nth", month=month, day=n, weekday=weekdays[m["wd"]])
        return (Reading(date=date),), True

    rules.add(
        rf"{_B}(?:(?:on|in|w|we)\s+)?(?:the\s+)?(?P<n>{alternation(ORDINAL_POSITIONS)})\s+"
        rf"(?P<wd>{full_alt})\s+(?:(?:of|in)\s+)?(?:{'|'.join(this_month) or '(?!)'}"
        rf"|(?P<mon>{alternation(months)})){_E}",
        nth,
    )

    month_alt = alternation(months)
    ends = _per_language(
        langs,
        r"(?:(?:at|by|on)\s+)?(?:the\s+)?(?:end|last\s+day)\s+of\s+"
        rf"(?:(?:the\s+|this\s+)?month|(?P<mon>{month_alt}))",
        rf"(?:(?:na\s+|pod\s+)?koniec|(?:w\s+)?ostatni\s+dzien)\s+(?:(?:tego\s+)?miesiaca|(?P<mon2>{month_alt}))"
        r"|z\s+koncem\s+miesiaca",
    )

    def end_of_month(m: re.Match[str]) -> Built:
        name = m.groupdict().get("mon") or m.groupdict().get("mon2")
        return (Reading(date=Date("eom", month=months[name] if name else 0)),), True

    rules.add(rf"{_B}(?:{ends}){_E}", end_of_month)

    def next_month_day(m: re.Match[str]) -> Built:
        d = int(m.groupdict().get("d") or m.groupdict().get("d2") or 0)
        return ((Reading(date=Date("nextdom", day=d)),), True) if 1 <= d <= 31 else None

    nexts = _per_language(
        langs,
        r"(?:on\s+)?(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+of\s+next\s+month",
        r"(?P<d2>\d{1,2})(?:-?(?:go|ego))?\s+(?:przyszlego|nastepnego)\s+miesiaca",
    )
    rules.add(rf"{_B}(?:{nexts}){_E}", next_month_day)

    def mode(name: str) -> Builder:
        def build(m: re.Match[str]) -> Built:
            return (Reading(weekday=(weekdays[m["wd"]], name)),), True

        return build

    def of_next_week(m: re.Match[str]) -> Built:
        return (Reading(date=Date("week"), weekday=(weekdays[m["wd"]], "plain")),), True

    if en:
        rules.add(rf"{_B}(?:on\s+)?(?P<wd>{full_alt})\s+week{_E}", mode("week_after"))
        rules.add(rf"{_B}(?:on\s+)?(?P<wd>{wd_alt})\.?\s+after\s+next{_E}", mode("after_next"))
        rules.add(
            rf"{_B}a\s+week\s+(?:from|on)\s+(?:this\s+)?(?P<wd>{wd_alt}){_E}", mode("week_after")
        )
        rules.add(
            rf"{_B}(?:on\s+)?(?:the\s+)?(?P<wd>{wd_alt})\.?\s+of\s+(?:the\s+)?next\s+week{_E}",
            of_next_week,
        )
    if pl:
        rules.add(rf"{_B}(?:we?\s+)?(?P<wd>{wd_alt})\.?\s+za\s+tydzien{_E}", mode("week_after"))
    return rules


def _per_language(langs: tuple[str, ...], en: str, pl: str) -> str:
    """The English and/or Polish alternative of a pattern; never matching without either."""
    chosen = [p for lang, p in (("en", en), ("pl", pl)) if lang in langs]
    return "|".join(chosen) or "(?!)"


def zone_rules() -> list[Rule]:
    """ "CET", "UTC+1", "GMT-5", "czasu polskiego": weak tokens that only qualify a clock."""
    rules = _Rules()
    names = dict(ZONES)

    def named(m: re.Match[str]) -> Built:
        key = _key(m["z"])
        label = m["z"].upper() if len(key) <= 4 else key  # "(CET)" is labelled "CET"
        return (Reading(zone=NamedZone(label, ZoneInfo(names[key]))),), False

    rules.add(rf"{_B}\(?(?P<z>{_alt(names)}){_E}(?![+\-−]\d)\)?", named)

    def offset(m: re.Match[str]) -> Built:
        hours, minutes = int(m["oh"]), int(m["om"] or 0)
        if hours > 14 or minutes > 59:
            return None
        sign = -1 if m["sign"] in "-−" else 1
        delta = sign * timedelta(hours=hours, minutes=minutes)
        label = f"UTC{'-' if sign < 0 else '+'}{hours}" + (f":{minutes:02d}" if minutes else "")
        return (Reading(zone=NamedZone(label, timezone(delta))),), False

    rules.add(
        rf"{_B}(?:utc|gmt)\s*(?P<sign>[+\-−])\s*(?P<oh>\d{{1,2}})(?::?(?P<om>\d{{2}}))?{_E}", offset
    )
    return rules
