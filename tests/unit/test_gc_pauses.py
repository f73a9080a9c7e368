"""What `serve --gc-stats` reports as a collection's pause (bot.tuning.GcPauses)."""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Iterator

import pytest

from bot.tuning import GcPauses


class SleepsWhenCollected:
    """A cycle whose finalizer blocks (gives the GIL away) for a while."""

    def __init__(self, seconds: float) -> None:
        self.me = self
        self.seconds = seconds

    def __del__(self) -> None:
        time.sleep(self.seconds)


@pytest.fixture
def pauses() -> Iterator[GcPauses]:
    gc.collect()
    gc.disable()  # only the test's own collections are recorded
    recorder = GcPauses().install()
    try:
        yield recorder
    finally:
        recorder.uninstall()
        gc.enable()


def test_collections_are_counted_with_their_pauses(pauses: GcPauses) -> None:
    for _ in range(3):
        [[i] for i in range(1000)]
        gc.collect(0)
    gc.collect()
    summary = pauses.summary()
    assert summary["collections"] >= 4
    assert summary["by_generation"]["2"]["n"] >= 1
    assert 0 <= summary["max_cpu_ms"] <= summary["max_ms"] + 1
    assert sum(summary["histogram_ms"].values()) == summary["collections"]
    # One by one too, in order, with their time, so a period's collections can be read.
    recent = summary["recent"]
    assert len(recent) == summary["collections"]
    assert [c["at"] for c in recent] == sorted(c["at"] for c in recent)
    assert recent[-1]["generation"] == 2
    assert max(c["ms"] for c in recent) == pytest.approx(summary["max_ms"], abs=0.01)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="schedstat is Linux's")
def test_time_the_collector_spends_blocked_is_not_a_pause(pauses: GcPauses) -> None:
    SleepsWhenCollected(0.2)
    gc.collect(0)  # the young generation only: the cycle was just made
    summary = pauses.summary()
    wall, held = summary["max_ms"], summary["max_held_ms"]
    assert wall >= 200  # start to stop, wall clock, the finalizer's sleep in it
    assert held is not None
    # The sleep is time blocked, so it is not in the pause, however busy the machine.
    assert held <= wall - 190
