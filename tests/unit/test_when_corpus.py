"""The phrase corpora in tests/data: hundreds of English and Polish phrases typed the way
people write in chat, each with what it means at a fixed `now` in a week with a daylight
saving change, and phrases that are not times at all.

The rule is the issue's: no confident wrong answer, ever; a phrase is either read right
or left for the user. `make bench` prints the same score for dateparser.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from handlers.meet_text import parse_meet_text
from handlers.when import parse_when
from tests.support.when_corpus import Corpus, load, score

READ_AT_LEAST = 0.97  # share of the corpus read right; the rest must be left empty


def _read(phrase: str, now: datetime, languages: tuple[str, ...]) -> datetime | None:
    return parse_when(phrase, now, languages)


@pytest.mark.parametrize("name", ["en", "pl"])
def test_every_phrase_is_read_right_or_left_empty(name: str) -> None:
    corpus = load(name)
    result = score(corpus, _read)
    assert result.wrong == []
    assert result.rate() >= READ_AT_LEAST, sorted(result.counts.items())


@pytest.mark.parametrize(("name", "least"), [("en", 400), ("pl", 400), ("negatives", 100)])
def test_corpus_is_large_enough_and_has_a_dst_week(name: str, least: int) -> None:
    corpus: Corpus = load(name)
    assert len({c.phrase for c in corpus.cases}) == len(corpus.cases) >= least
    week = [corpus.now.date().fromordinal(corpus.now.toordinal() + d) for d in range(7)]
    zone = corpus.now.tzinfo
    offsets = {datetime(d.year, d.month, d.day, 12, tzinfo=zone).utcoffset() for d in week}
    assert len(offsets) == 2  # the clocks change within the week after `now`


def test_what_is_not_a_time_gives_no_time_in_meet_text() -> None:
    corpus = load("negatives")
    for lang in ("en", "pl"):
        languages = ("en", "pl") if lang == "en" else ("pl", "en")
        read = [
            (case.phrase, parse_meet_text(case.phrase, corpus.now, languages).start)
            for case in corpus.cases
        ]
        assert [(phrase, start) for phrase, start in read if start is not None] == []
        assert [c.phrase for c in corpus.cases if parse_when(c.phrase, corpus.now, languages)] == []
