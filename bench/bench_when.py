"""How well and how fast `handlers.when` reads times, against dateparser in the same run.

* Accuracy on the phrase corpora in tests/data (`tests/support/when_corpus.py`): per
  language and grain (a day, or an instant to the minute), the share read right, and the
  number of confident wrong answers (target 0), for `parse_when` and for
  `dateparser.parse`; phrases that are not times count as right only when nothing is read
  (judged as `/meet` reads them). `BEFORE` is the same score for the parser as it was
  before the corpus existed (main at e1350e5), measured once: old code cannot run here.
* Speed: phrases per second over the corpora, against dateparser on the same phrases.
* Hostile shapes (repeated fractions, repeated "3 pm", 5 kB texts): the slowest one's
  milliseconds for `parse_meet_text`, and the combinations of readings tried, which the
  unit tests bound (`MAX_COMBINATIONS`).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from bench.common import Row
from handlers.meet_text import parse_meet_text
from handlers.when import MAX_COMBINATIONS, parse_when, scan_when
from tests.support.when_corpus import Corpus, Reader, Score, hostile_texts, load, score

TARGET_PER_SECOND = 2000  # 0.5 ms a phrase: invisible next to Slack's round trips
HOSTILE_TARGET_MS = 50.0
# Share read right by handlers.when at e1350e5 (before issue 15), on these corpora.
BEFORE = {"en": 0.498, "pl": 0.354, "negatives": 0.781}
GRAINS = {"day": "day", "minute": "time to the minute", "none": "not a time"}


def _ours(phrase: str, now: datetime, languages: tuple[str, ...]) -> datetime | None:
    return parse_when(phrase, now, languages)


def _ours_in_meet_text(phrase: str, now: datetime, languages: tuple[str, ...]) -> datetime | None:
    """What `/meet` pre-fills: for phrases that are not times, a name must stay a name."""
    return parse_meet_text(phrase, now, languages).start or parse_when(phrase, now, languages)


def _dateparser(phrase: str, now: datetime, languages: tuple[str, ...]) -> datetime | None:
    import dateparser

    settings: Any = {
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "TIMEZONE": getattr(now.tzinfo, "key", "UTC"),
        "RETURN_AS_TIMEZONE_AWARE": True,
    }
    try:
        return dateparser.parse(phrase, languages=list(languages), settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input
        return None


def _rate(corpus: Corpus, read: Reader, rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for case in corpus.cases:
            read(case.phrase, corpus.now, corpus.languages)
    return rounds * len(corpus.cases) / (time.perf_counter() - start)


def _accuracy_rows(name: str, ours: Score, theirs: Score) -> list[Row]:
    rows = []
    label = {"en": "English", "pl": "Polish", "negatives": "not times"}[name]
    for grain in sorted(ours.counts) if len(ours.counts) > 1 else ():
        n = sum(ours.counts[grain].values())
        rows.append(
            Row(
                f"Time phrases read right, {label}, {GRAINS[grain]} (n={n})",
                round(100 * ours.rate([grain]), 1),
                "%",
                round(100 * theirs.rate([grain]), 1),
                "dateparser.parse",
            )
        )
    rows.append(
        Row(
            f"Time phrases read right, {label}, all (before issue 15: {100 * BEFORE[name]:.1f} %)",
            round(100 * ours.rate(), 1),
            "%",
            round(100 * theirs.rate(), 1),
            "dateparser.parse",
            f"> {100 * BEFORE[name]:.1f} %",
            ours.rate() > BEFORE[name],
        )
    )
    rows.append(
        Row(
            f"Confident wrong answers, {label}",
            len(ours.wrong),
            "phrases",
            len(theirs.wrong),
            "dateparser.parse",
            "0",
            not ours.wrong,
        )
    )
    return rows


def run(quick: bool = False) -> dict[str, Any]:
    rows: list[Row] = []
    details: dict[str, Any] = {"before": BEFORE}
    corpora = {name: load(name) for name in ("en", "pl", "negatives")}
    for name, corpus in corpora.items():
        reader = _ours_in_meet_text if name == "negatives" else _ours
        ours, theirs = score(corpus, reader), score(corpus, _dateparser)
        rows += _accuracy_rows(name, ours, theirs)
        details[name] = {
            "phrases": len(corpus.cases),
            "ours": {g: dict(c) for g, c in ours.counts.items()},
            "dateparser": {g: dict(c) for g, c in theirs.counts.items()},
            "ours_wrong": ours.wrong,
        }

    rounds = 1 if quick else 5
    both = Corpus(
        "en+pl", corpora["en"].now, ("en", "pl"), corpora["en"].cases + corpora["pl"].cases
    )
    rate = _rate(both, _ours, rounds)
    baseline = _rate(both, _dateparser, 1)
    rows.append(
        Row(
            "NL time parsing (EN+PL corpus)",
            round(rate, 1),
            "phrases/s",
            round(baseline, 1),
            "dateparser.parse",
            f">= {TARGET_PER_SECOND:,}/s",
            rate >= TARGET_PER_SECOND,
        )
    )

    now = corpora["en"].now
    worst_ms, worst_tried, timings = 0.0, 0, []
    for text in hostile_texts():
        start = time.perf_counter()
        parse_meet_text(text, now)
        ms = 1000 * (time.perf_counter() - start)
        tried = scan_when(text, now).tried
        timings.append(
            {"text": f"{text[:20]!r}… ({len(text)} chars)", "ms": round(ms, 2), "tried": tried}
        )
        worst_ms, worst_tried = max(worst_ms, ms), max(worst_tried, tried)
    rows.append(
        Row(
            f"Slowest hostile /meet text (most combinations tried: {worst_tried:,}"
            f" of {MAX_COMBINATIONS:,})",
            round(worst_ms, 2),
            "ms",
            target=f"<= {HOSTILE_TARGET_MS:g} ms",
            passed=worst_ms <= HOSTILE_TARGET_MS,
        )
    )
    details["hostile"] = timings
    details["phrases_per_second"] = round(rate, 1)
    details["dateparser_phrases_per_second"] = round(baseline, 1)
    return {**details, "rows": [r.as_dict() for r in rows]}


if __name__ == "__main__":
    from bench.__main__ import table

    print(table(run(quick=True)["rows"]))
