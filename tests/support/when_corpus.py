"""The time-phrase corpora in tests/data (when_en.tsv, when_pl.tsv, when_negatives.tsv)
and how a reader of times is scored on them.

Shared by the unit test that holds `handlers.when` to the corpus and by `bench/bench_when.py`,
which prints the same score for dateparser, so both are judged by one rule.

Each line is `phrase<TAB>expected`; the header gives the reference `now` and zone. The
expected value sets the grain the answer is judged at: `YYYY-MM-DD` (the phrase names a
day; only the day must match), an instant with its offset (must match to the minute), or
`-` (no time may be read: not a time, or a weekday that contradicts the date).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

DATA = Path(__file__).resolve().parent.parent / "data"
FILES = {"en": "when_en.tsv", "pl": "when_pl.tsv", "negatives": "when_negatives.tsv"}

Reader = Callable[[str, datetime, tuple[str, ...]], datetime | None]


@dataclass(frozen=True)
class Case:
    phrase: str
    expected: str  # "YYYY-MM-DD", "YYYY-MM-DDTHH:MM+HH:MM" or "-"

    @property
    def grain(self) -> str:
        if self.expected == "-":
            return "none"
        return "day" if len(self.expected) == 10 else "minute"


@dataclass(frozen=True)
class Corpus:
    name: str
    now: datetime
    languages: tuple[str, ...]
    cases: tuple[Case, ...]


def load(name: str) -> Corpus:
    now: datetime | None = None
    cases: list[Case] = []
    for line in (DATA / FILES[name]).read_text(encoding="utf-8").splitlines():
        if line.startswith("# now:"):
            stamp, zone = line.removeprefix("# now:").split()
            now = datetime.fromisoformat(stamp).replace(tzinfo=ZoneInfo(zone))
        elif line and not line.startswith("#"):
            phrase, expected = line.split("\t")
            cases.append(Case(phrase, expected))
    assert now is not None, f"{name}: no '# now:' line"
    languages = ("en", "pl") if name == "en" else ("pl", "en")
    return Corpus(name, now, languages, tuple(cases))


def judge(case: Case, answer: datetime | None) -> str:
    """ "right", "wrong" (a confident wrong answer) or "unread" (no answer to a time)."""
    if case.grain == "none":
        return "right" if answer is None else "wrong"
    if answer is None:
        return "unread"
    if case.grain == "day":
        return "right" if answer.date().isoformat() == case.expected else "wrong"
    return "right" if answer.isoformat(timespec="minutes") == case.expected else "wrong"


@dataclass
class Score:
    """Counts per grain ("day", "minute", "none") of right, wrong and unread answers."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    wrong: list[tuple[str, str, str]] = field(default_factory=list)  # phrase, expected, got

    def add(self, case: Case, answer: datetime | None) -> None:
        verdict = judge(case, answer)
        self.counts.setdefault(case.grain, Counter())[verdict] += 1
        if verdict == "wrong":
            got = "-" if answer is None else answer.isoformat(timespec="minutes")
            self.wrong.append((case.phrase, case.expected, got))

    def total(self, verdict: str, grains: Iterable[str] | None = None) -> int:
        keys = self.counts if grains is None else grains
        return sum(self.counts.get(g, Counter())[verdict] for g in keys)

    def rate(self, grains: Iterable[str] | None = None) -> float:
        """Share of phrases answered right."""
        keys = list(self.counts if grains is None else grains)
        n = sum(sum(self.counts.get(g, Counter()).values()) for g in keys)
        return self.total("right", keys) / n if n else 0.0


def score(corpus: Corpus, read: Reader) -> Score:
    result = Score()
    for case in corpus.cases:
        result.add(case, read(case.phrase, corpus.now, corpus.languages))
    return result


WORDS = [
    "1/2",
    "3pm",
    "3",
    "pm",
    "o",
    "15",
    "jutro",
    "tomorrow",
    "friday",
    "piątek",
    "rano",
    "noon",
    "10:30",
    "15.04",
    "2/15",
    "the",
    "3rd",
    "za",
    "2",
    "godziny",
    "in",
    "2",
    "hours",
    "quarter",
    "past",
    "3",
    "wpół",
    "do",
    "czwartej",
    "4pm",
    "CET",
    "UTC+1",
    "o",
    "trzeciej",
    "next",
    "week",
    "w",
    "przyszłym",
    "tygodniu",
    "1030",
    "3ish",
    "half",
    "past",
    "2",
    "pierwszego",
    "marca",
]


def hostile_texts() -> list[str]:
    """Shapes that once made reading slow or could: repeated fractions and times, 5 kB."""
    rng = random.Random(15)
    shapes = [
        "Jane " + "1/2 " * 22,
        "Jane " + "1/2 " * 400,
        "3 pm " * 300,
        "o 15 " * 500,
        "tomorrow " * 600,
        "12:00, " * 700,
        "quarter past 3 " * 200,
        " ".join(rng.choice(WORDS) for _ in range(1500)),
        " ".join(rng.choice(WORDS) for _ in range(40)),
        "1" * 5000,
        "1/" * 2500,
        "a" * 5000,
        "-" * 5000,
        "3pm" * 1700,
    ]
    return [s[:5200] for s in shapes]
