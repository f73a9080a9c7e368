"""Reading a time takes bounded work whatever the text: hostile shapes (repeated
fractions, repeated "3 pm", kilobytes of time words) are measured in combinations of
readings tried, never in seconds; `bench/bench_when.py` shows the timings.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.meet_text import parse_meet_text
from handlers.when import MAX_COMBINATIONS, scan_when
from tests.support.when_corpus import hostile_texts

NOW = datetime(2026, 3, 23, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))


@pytest.mark.parametrize("text", hostile_texts(), ids=lambda t: f"{t[:16]!r}x{len(t)}")
def test_work_is_bounded_on_hostile_text(text: str) -> None:
    scan = scan_when(text, NOW)
    assert scan.tried <= MAX_COMBINATIONS
    parse_meet_text(text, NOW)  # and the /meet reader finishes on it


def test_repeated_fractions_cost_a_linear_number_of_combinations() -> None:
    """22 "1/2" tokens used to try 2**22 combinations: each is a date either way, so no two
    of them can share a phrase and at most one combination a token is tried."""
    short = scan_when("Jane " + "1/2 " * 11, NOW).tried
    long = scan_when("Jane " + "1/2 " * 22, NOW).tried
    assert short <= 11 and long <= 22


@pytest.mark.parametrize("text", ["3 pm " * 40, "o 15 " * 40, "12:00, " * 40, "jutro " * 40])
def test_repeated_times_cost_at_most_a_few_combinations_a_token(text: str) -> None:
    assert scan_when(text, NOW).tried <= 4 * 40
