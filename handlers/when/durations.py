"""Meeting lengths ("45m", "1h30", "pół godziny") written in text.

Built on the time grammar because they share its number and unit words with "in 2 hours".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from handlers.when.grammar import grammar_for
from handlers.when.lexicon import fold, known_languages


@dataclass(frozen=True, slots=True)
class DurationMatch:
    """A meeting length found in text; `minutes` is None when it was written but unusable."""

    minutes: int | None
    span: tuple[int, int]


def iter_durations(text: str, languages: Sequence[str] = ("en", "pl")) -> Iterator[DurationMatch]:
    """Meeting lengths ("45m", "1h30", "pół godziny") in `text`, left to right."""
    folded = fold(text)
    grammar = grammar_for(known_languages(languages))
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
