"""The benchmarks say how much CPU the host took from this machine while they ran."""

import time
from typing import Any

import pytest

from bench import common
from bench.bench_jobs import _steal
from bench.common import HostSteal


def ticks(monkeypatch: pytest.MonkeyPatch, *readings: tuple[int, int] | None) -> None:
    """/proc/stat read as these (stolen, all) tick counts, one per read."""
    queue = list(readings)
    monkeypatch.setattr(common, "_cpu_jiffies", lambda: queue.pop(0))


def test_the_share_stolen_between_start_and_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks(monkeypatch, (100, 10_000), (130, 10_200))
    assert HostSteal().percent() == 15.0  # 30 of 200 ticks


def test_nothing_to_say_without_proc_stat_or_elapsed_ticks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticks(monkeypatch, None, (1, 2))
    assert HostSteal().percent() is None
    ticks(monkeypatch, (5, 500), (5, 500))
    assert HostSteal().percent() is None


def test_this_machine_reads_a_share_of_its_own_ticks() -> None:
    reading = common._cpu_jiffies()
    if reading is None:
        pytest.skip("no /proc/stat")
    stolen = HostSteal()
    started = time.monotonic()
    while time.monotonic() - started < 0.2:  # ~20 ticks a CPU at Linux's 100 a second
        pass
    share = stolen.percent()
    assert share is not None and 0.0 <= share <= 100.0


def run(percent: float | None, seconds: float) -> dict[str, Any]:
    return {"host_steal_percent": percent, "wall_seconds": seconds}


def test_runs_are_weighted_by_their_length() -> None:
    assert _steal([run(16.0, 30.0), run(1.0, 90.0)]) == 4.8
    assert _steal([run(None, 30.0), run(1.0, 90.0)]) is None
    assert _steal([]) is None
