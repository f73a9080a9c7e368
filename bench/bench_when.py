"""How fast `parse_when` reads typical input, so a slow regex or a dateparser call on
the common path shows up as a number rather than as a sluggish `/meet`.

`run()` parses a fixed list of ~200 English, Polish, numeric and non-time phrases (none
of which needs the dateparser fallback) several times and reports the rate, against
`dateparser.parse` (English and Polish) reading the same phrases in the same run.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import Row
from handlers.when import parse_when

_BASE = [
    "tomorrow 3pm", "tomorrow at 15:00", "next friday at 10:30", "friday 10:30", "in 2 hours",
    "in 30 minutes", "in 3 days", "today 5pm", "tonight", "tomorrow morning", "this afternoon",
    "noon", "midnight", "12am", "12pm", "3:30 pm", "15.30", "15h", "Dec 3 2pm",
    "3 December 14:00", "2026-12-03 14:00", "03.12.2026 14:00", "12/3 10am", "next week",
    "jutro o 15", "jutro o 15:30", "pojutrze rano", "w piątek o 10:30", "w piatek o 10:30",
    "piątek 10:30", "za 2 godziny", "za pół godziny", "za 15 minut", "dziś o 17",
    "dzisiaj wieczorem", "w przyszły wtorek o 9", "3 grudnia o 14", "o północy",
    "w południe", "poniedziałek rano", "po południu", "blah", "", "asdf 99", "next blorp",
    "tomorrow 25pm", "Sun Corp", "Jane Doe", "in an hour and a half", "2 hours from now",
    "the 15th", "friday next week", "next month", "w przyszłym tygodniu", "za tydzień",
    "o 3 po południu", "at 8 in the evening", "tomorrow afternoon at 2", "mon 9am", "@3pm",
    "at 12 noon", "3pm tomorrow", "15:00 jutro", "o godz. 15", "tomorrow, 3pm.",
    "December 3rd, 2026 at 2:00 PM", "the day after tomorrow at 2pm", "in 1h30",
    "za półtorej godziny", "3.12.", "10.11", "03.12 14:00", "in 2 weeks", "za 2 dni o 15",
    "w ten piątek", "this friday", "wednesday", "sobota", "w niedzielę wieczorem",
    "czw o 10", "pt 14:00", "7/4 at 10am", "July 4th at 10am", "1 maja", "24 grudnia 2026 o 18",
    "in 90 minutes", "za kwadrans", "12:30am", "23:59", "0:00", "9am", "3 am", "in a fortnight",
    "rano", "wieczorem", "tomorrow 3pm 4pm", "morning 15:00", "99", "o 25", "3:75",
]  # fmt: skip
PHRASES: tuple[str, ...] = tuple(
    _BASE + [p.upper() if i % 2 else f"  {p}, " for i, p in enumerate(_BASE)]
)
NOW = datetime(2026, 3, 13, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
ROUNDS = 10
TARGET_PER_SECOND = 2000  # 0.5 ms a phrase: invisible next to Slack's round trips


def _dateparser_rate() -> tuple[float, int]:
    """dateparser's phrases per second on the same phrases, and how many it read."""
    import dateparser

    settings: Any = {
        "RELATIVE_BASE": NOW.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "TIMEZONE": "Europe/Warsaw",
        "RETURN_AS_TIMEZONE_AWARE": True,
    }
    for phrase in PHRASES[:20]:  # warm-up: language data is loaded on first use
        dateparser.parse(phrase, languages=["en", "pl"], settings=settings)
    start = time.perf_counter()
    recognised = sum(
        dateparser.parse(p, languages=["en", "pl"], settings=settings) is not None for p in PHRASES
    )
    return len(PHRASES) / (time.perf_counter() - start), recognised


def run(quick: bool = False) -> dict[str, Any]:
    for phrase in PHRASES:  # warm-up: builds and caches the compiled grammar
        parse_when(phrase, NOW)
    recognised = sum(parse_when(p, NOW) is not None for p in PHRASES)
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for phrase in PHRASES:
            parse_when(phrase, NOW)
    seconds = time.perf_counter() - start
    parsed = ROUNDS * len(PHRASES)
    rate = round(parsed / seconds, 1)
    baseline, baseline_recognised = _dateparser_rate()
    row = Row(
        "NL time parsing (EN+PL phrases)",
        rate,
        "phrases/s",
        round(baseline, 1),
        "dateparser.parse",
        f">= {TARGET_PER_SECOND:,}/s",
        rate >= TARGET_PER_SECOND,
    )
    return {
        "phrases": len(PHRASES),
        "recognised": recognised,
        "rounds": ROUNDS,
        "parsed": parsed,
        "seconds": round(seconds, 4),
        "phrases_per_second": rate,
        "dateparser_phrases_per_second": round(baseline, 1),
        "dateparser_recognised": baseline_recognised,
        "rows": [row.as_dict()],
    }


if __name__ == "__main__":
    print(run())
