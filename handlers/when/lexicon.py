"""The words times are written with, in English and Polish, and text folding.

Kept apart from the grammar so that adding a word (a month abbreviation, a Polish case
form) is an edit to a table, never to a regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

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


EN_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6, "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3,
    "fri": 4, "sat": 5, "sun": 6,
    # common misspellings
    "wensday": 2, "wednesay": 2, "wedensday": 2, "wendsday": 2, "wednsday": 2,
    "thrusday": 3, "thursay": 3, "thurday": 3, "firday": 4, "fryday": 4, "tuseday": 1,
    "tuesay": 1, "satruday": 5, "saturady": 5, "sunady": 6, "mondy": 0,
}  # fmt: skip
PL_WEEKDAYS = {
    "poniedzialek": 0, "wtorek": 1, "sroda": 2, "srode": 2, "czwartek": 3, "piatek": 4,
    "sobota": 5, "sobote": 5, "niedziela": 6, "niedziele": 6, "pon": 0, "wt": 1, "czw": 3,
    "pt": 4, "sob": 5, "niedz": 6, "ndz": 6, "sr": 2,
}  # fmt: skip
FULL_WEEKDAYS = {
    "wensday", "wednesay", "wedensday", "wendsday", "wednsday", "thrusday", "thursay",
    "thurday", "firday", "fryday", "tuseday", "tuesay", "satruday", "saturady", "sunady",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "poniedzialek", "wtorek", "sroda", "srode", "czwartek", "piatek", "sobota", "sobote",
    "niedziela", "niedziele",
}  # fmt: skip
EN_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
    # common misspellings
    "febuary": 2, "feburary": 2, "septmber": 9, "setpember": 9, "novmber": 11, "decmber": 12,
}  # fmt: skip
PL_MONTHS = {
    "styczen": 1, "stycznia": 1, "sty": 1, "luty": 2, "lutego": 2, "lut": 2, "marzec": 3,
    "marca": 3, "mar": 3, "kwiecien": 4, "kwietnia": 4, "kwi": 4, "maj": 5, "maja": 5,
    "czerwiec": 6, "czerwca": 6, "cze": 6, "lipiec": 7, "lipca": 7, "lip": 7,
    "sierpien": 8, "sierpnia": 8, "sie": 8, "wrzesien": 9, "wrzesnia": 9, "wrz": 9,
    "pazdziernik": 10, "pazdziernika": 10, "paz": 10, "listopad": 11, "listopada": 11,
    "lis": 11, "grudzien": 12, "grudnia": 12, "gru": 12,
}  # fmt: skip
EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "ninety": 90,
}  # fmt: skip
PL_NUMBERS = {
    "jeden": 1, "jedna": 1, "jedno": 1, "dwa": 2, "dwie": 2, "trzy": 3, "cztery": 4,
    "piec": 5, "szesc": 6, "siedem": 7, "osiem": 8, "dziewiec": 9, "dziesiec": 10,
    "pietnascie": 15, "dwadziescia": 20, "trzydziesci": 30, "czterdziesci": 40,
    "piecdziesiat": 50, "szescdziesiat": 60, "dziewiecdziesiat": 90,
}  # fmt: skip
TENS = {
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "dwadziescia",
    "trzydziesci",
    "czterdziesci",
    "piecdziesiat",
}
UNITS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "jeden",
          "dwa", "trzy", "cztery", "piec", "szesc", "siedem", "osiem", "dziewiec"}  # fmt: skip

# Unit words, grouped by what they measure; single letters only ever follow digits.
UNIT_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
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
UNIT_LETTERS = {"min": ("m",), "hour": ("h",), "day": ("d",), "week": ("w",), "month": ()}

MINUTES_PER = {"min": 1, "hour": 60}


def alternation(words: Iterable[str]) -> str:
    """Longest first, because Python's alternation takes the first branch that fits."""
    return "|".join(sorted({re.escape(w) for w in words}, key=lambda w: (-len(w), w)))


def known_languages(languages: Sequence[str]) -> tuple[str, ...]:
    seen: list[str] = []
    for lang in languages:
        code = re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0]
        if code in ("en", "pl") and code not in seen:
            seen.append(code)
    return tuple(seen)


def number_value(text: str) -> float | None:
    """Digits (with a decimal point or comma) or a number word, incl. "forty five"."""
    text = text.strip()
    if text and text[0].isdigit():
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return None
    parts = re.split(r"[\s-]+", text)
    if len(parts) == 2 and parts[0] in TENS and parts[1] in UNITS:
        return float(EN_NUMBERS.get(parts[0], 0) + PL_NUMBERS.get(parts[0], 0)
                     + EN_NUMBERS.get(parts[1], 0) + PL_NUMBERS.get(parts[1], 0))  # fmt: skip
    if len(parts) == 1:
        value = EN_NUMBERS.get(parts[0], PL_NUMBERS.get(parts[0]))
        return None if value is None else float(value)
    return None


# Hours as words: English cardinals ("half past two", "ten thirty") and Polish feminine
# ordinals, the way Polish says clock hours ("o trzeciej", "przed dziewiątą", "wpół do
# czwartej"): stem + "a" (nominative, folded accusative "ą") or "ej" (genitive/locative).
EN_HOURS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
PL_HOUR_STEMS = {
    "pierwsz": 1, "drug": 2, "trzeci": 3, "czwart": 4, "piat": 5, "szost": 6, "siodm": 7,
    "osm": 8, "dziewiat": 9, "dziesiat": 10, "jedenast": 11, "dwunast": 12, "trzynast": 13,
    "czternast": 14, "pietnast": 15, "szesnast": 16, "siedemnast": 17, "osiemnast": 18,
    "dziewietnast": 19, "dwudziest": 20, "dwudziest pierwsz": 21, "dwudziest drug": 22,
    "dwudziest trzeci": 23,
}  # fmt: skip
# Minutes before/after an hour: "quarter past", "twenty to", "kwadrans po", "za pięć".
EN_CLOCK_MINUTES = {
    "quarter": 15, "a quarter": 15, "half": 30, "five": 5, "ten": 10, "twenty": 20,
    "twenty five": 25, "twenty-five": 25,
}  # fmt: skip
EN_SPOKEN_MINUTES = {
    "oh five": 5, "o five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "forty five": 45, "forty-five": 45, "fifty": 50,
}  # fmt: skip
PL_CLOCK_MINUTES = {
    "piec": 5, "dziesiec": 10, "kwadrans": 15, "dwadziescia": 20, "dwadziescia piec": 25,
}  # fmt: skip
# Polish ordinal days in the genitive ("pierwszego marca", "dwudziestego piątego").
PL_DAY_STEMS = {
    "pierwsz": 1, "drugi": 2, "trzeci": 3, "czwart": 4, "piat": 5, "szost": 6, "siodm": 7,
    "osm": 8, "dziewiat": 9, "dziesiat": 10, "jedenast": 11, "dwunast": 12, "trzynast": 13,
    "czternast": 14, "pietnast": 15, "szesnast": 16, "siedemnast": 17, "osiemnast": 18,
    "dziewietnast": 19, "dwudziest": 20, "trzydziest": 30,
}  # fmt: skip
ORDINAL_POSITIONS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
    "4th": 4, "last": -1, "pierwszy": 1, "pierwsza": 1, "pierwsze": 1,
    "drugi": 2, "druga": 2, "trzeci": 3, "trzecia": 3, "czwarty": 4, "czwarta": 4,
    "ostatni": -1, "ostatnia": -1, "ostatnie": -1,
}  # fmt: skip

# Time zones people write after a time. Abbreviations name a region's clock, so "PST" in
# July is Pacific time (PDT), as people mean it; UTC/GMT and "UTC+1" are fixed offsets.
# "PT" is left out: in Polish it is Friday ("pt 14:00").
ZONES = {
    "utc": "UTC", "gmt": "UTC", "cet": "Europe/Berlin", "cest": "Europe/Berlin",
    "eet": "Europe/Athens", "eest": "Europe/Athens",
    "bst": "Europe/London", "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles", "pacific": "America/Los_Angeles",
    "pacific time": "America/Los_Angeles", "mst": "America/Denver", "mdt": "America/Denver",
    "mt": "America/Denver", "mountain time": "America/Denver", "cst": "America/Chicago",
    "cdt": "America/Chicago", "ct": "America/Chicago", "central time": "America/Chicago",
    "est": "America/New_York", "edt": "America/New_York", "et": "America/New_York",
    "eastern": "America/New_York", "eastern time": "America/New_York",
    "ist": "Asia/Kolkata", "jst": "Asia/Tokyo", "sgt": "Asia/Singapore",
    "aest": "Australia/Sydney", "aedt": "Australia/Sydney", "msk": "Europe/Moscow",
    "london time": "Europe/London", "uk time": "Europe/London",
    "new york time": "America/New_York", "ny time": "America/New_York",
    "nyc time": "America/New_York", "warsaw time": "Europe/Warsaw",
    "polish time": "Europe/Warsaw", "czasu polskiego": "Europe/Warsaw",
    "polskiego czasu": "Europe/Warsaw", "czasu warszawskiego": "Europe/Warsaw",
    "czasu londynskiego": "Europe/London", "czasu brytyjskiego": "Europe/London",
    "czasu nowojorskiego": "America/New_York", "czasu uniwersalnego": "UTC",
    "berlin time": "Europe/Berlin", "paris time": "Europe/Paris", "cet time": "Europe/Berlin",
    "chicago time": "America/Chicago", "la time": "America/Los_Angeles",
    "sf time": "America/Los_Angeles", "san francisco time": "America/Los_Angeles",
    "tokyo time": "Asia/Tokyo", "sydney time": "Australia/Sydney",
    "singapore time": "Asia/Singapore", "dubai time": "Asia/Dubai", "india time": "Asia/Kolkata",
    "kyiv time": "Europe/Kyiv", "czasu berlinskiego": "Europe/Berlin",
    "czasu srodkowoeuropejskiego": "Europe/Warsaw",
}  # fmt: skip

# English day ordinals in words ("march fifteenth", "the third of april").
EN_DAY_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
    **{f"twenty {w}": 20 + n for w, n in (("first", 1), ("second", 2), ("third", 3),
       ("fourth", 4), ("fifth", 5), ("sixth", 6), ("seventh", 7), ("eighth", 8), ("ninth", 9))},
    "thirty first": 31,
}  # fmt: skip
# Polish minutes said after an ordinal hour ("o piętnastej trzydzieści").
PL_SPOKEN_MINUTES = {
    "zero piec": 5, "piec": 5, "dziesiec": 10, "pietnascie": 15, "dwadziescia": 20,
    "dwadziescia piec": 25, "trzydziesci": 30, "trzydziesci piec": 35, "czterdziesci": 40,
    "czterdziesci piec": 45, "piecdziesiat": 50, "piecdziesiat piec": 55,
}  # fmt: skip
# Months in Roman numerals, as Polish writes dates ("30 III 2026"); "i" is left out: it is
# the Polish "and".
ROMAN_MONTHS = {
    "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10,
    "xi": 11, "xii": 12,
}  # fmt: skip
