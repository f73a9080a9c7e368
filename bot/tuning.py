"""Runtime tuning for a serving process: short pauses and quick turns under a burst.

Garbage collection. After start-up a process holds ~150k long-lived objects (modules,
SQLAlchemy mappers, Babel catalogues, Slack's models). CPython's full collections walk
all of them, which under load was a 100 ms (CPU) to 400 ms (wall) pause in the middle of
someone's ack. `gc.freeze()` after warm-up moves them to a permanent generation that
collections skip; the thresholds below keep young collections small (a request
allocates thousands of short-lived containers; most die by reference counting before
any collection) and full ones rare.

Thread switching. The ack, the views.open and the Save answer wait on I/O and then need
the GIL back, while the fill pool builds forms (CPU). CPython hands the GIL over every
5 ms by default; every 1 ms here, so an I/O thread waits less behind a form being built
(measured in make bench: views.open p99 296 ms vs 460 ms, same load).

`GcPauses` records every collection's pause (gc.callbacks) so the benchmark can show
the distribution: `meetline serve --gc-stats PATH` writes it there every second. The
pause that stops the process is the time the collector holds the GIL: on Linux, its
time on a CPU plus its time runnable but preempted (/proc/self/task/ID/schedstat). Wall
time from start to stop is larger under load, and not all of it a pause: a collection
that frees ORM objects runs their weakref callbacks, Python code that hands the GIL to
the waiting threads every switch interval; they run (their allocations show in the
counts at the stop) while the collector waits for its turn.
"""

from __future__ import annotations

import bisect
import gc
import json
import math
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handlers.i18n import translator
from handlers.meet_text import parse_meet_text

THRESHOLDS = (1_000, 15, 100)
"""gen0 allocations, gen1 and gen2 collection counts (CPython's default: 700, 10, 10)."""


_frozen = [0]


def warm_up() -> None:
    """What the first requests would otherwise load lazily, and so leave unfrozen: both
    catalogues and the time parser's grammars (dateparser's among them)."""
    now = datetime.now(UTC)
    for language in ("en", "pl"):
        t = translator(language)
        t.format_datetime(now, "Europe/Warsaw", "EEE dd MMM HH:mm")
    parse_meet_text("Jane Doe tomorrow 3pm 45m Demo", now)
    parse_meet_text("jutro o 15 pół godziny", now)


SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while others wait (CPython's default: 0.005)."""


def tune_for_serving(thresholds: tuple[int, int, int] = THRESHOLDS) -> int:
    """Collect what start-up left, freeze the survivors, set the thresholds and the switch
    interval; returns how many objects were frozen. Call once, after the app is built and
    warmed up."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)
    sys.setswitchinterval(SWITCH_INTERVAL)
    _frozen[0] = gc.get_freeze_count()  # it walks every frozen object: ask once
    return _frozen[0]


BUCKETS_MS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, float("inf"))
"""Upper bounds of the pause histogram."""


def _run_delay_ns() -> int | None:
    """Time this thread has spent runnable but waiting for a CPU (Linux schedstat's
    run_delay, up to date as of its last turn on a CPU), in ns; None elsewhere. Its time
    on a CPU is read from CLOCK_THREAD_CPUTIME_ID instead: schedstat's own figure for a
    running thread lags by up to a scheduler tick."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat", "rb") as f:
            _, run_delay, _ = f.read().split()
    except (OSError, ValueError):
        return None
    return int(run_delay)


class GcPauses:
    """Every collection's pause, by generation: counts, maxima and a histogram, kept
    incrementally (a callback runs inside every collection, so it must stay cheap)."""

    def __init__(self) -> None:
        self._started = self._started_cpu = 0.0
        self._started_delay: int | None = 0
        self._lock = threading.Lock()
        self._count = [0, 0, 0]
        self._max = [0.0, 0.0, 0.0]
        self._max_cpu = 0.0  # the collecting thread's CPU time: the pause without preemption
        self._max_held: float | None = 0.0  # on a CPU or preempted: None where unknown
        self._total = 0.0
        self._histogram = [0] * len(BUCKETS_MS)

    def install(self) -> GcPauses:
        gc.callbacks.append(self._on_gc)
        return self

    def uninstall(self) -> None:
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        # Read in nested order (the wall clock outermost), so a preemption between the
        # readings counts in the wall clock only, never in the pause.
        if phase == "start":
            self._started = time.perf_counter()
            self._started_cpu = time.thread_time()
            self._started_delay = _run_delay_ns()
            return
        delay_ns, started_delay = _run_delay_ns(), self._started_delay
        cpu_ms = (time.thread_time() - self._started_cpu) * 1000
        pause_ms = (time.perf_counter() - self._started) * 1000
        # Holding the GIL: on a CPU, or runnable and preempted. Not: blocked (waiting for
        # the GIL while other threads run, or on I/O in a finalizer).
        held_ms = (
            None
            if delay_ns is None or started_delay is None
            else cpu_ms + (delay_ns - started_delay) / 1e6
        )
        generation = min(max(int(info.get("generation", 0)), 0), 2)
        with self._lock:
            self._count[generation] += 1
            self._max[generation] = max(self._max[generation], pause_ms)
            self._total += pause_ms
            self._max_cpu = max(self._max_cpu, cpu_ms)
            if held_ms is None or self._max_held is None:
                self._max_held = None
            else:
                self._max_held = max(self._max_held, held_ms)
            self._histogram[bisect.bisect_left(BUCKETS_MS, pause_ms)] += 1

    def summary(self) -> dict[str, Any]:
        with self._lock:
            histogram = list(self._histogram)
            count, maxima, total = list(self._count), list(self._max), self._total
            max_cpu, max_held = self._max_cpu, self._max_held
        n = sum(count)
        p99 = 0.0
        if n:
            seen, rank = 0, max(1, math.ceil(0.99 * n))
            for bound, k in zip(BUCKETS_MS, histogram, strict=True):
                seen += k
                if seen >= rank:
                    p99 = bound
                    break
        return {
            "collections": n,
            "max_ms": round(max(maxima), 2),
            "max_cpu_ms": round(max_cpu, 2),
            "max_held_ms": None if max_held is None else round(max_held, 2),
            "p99_ms_at_most": p99 if p99 != float("inf") else round(max(maxima), 2),
            "total_ms": round(total, 1),
            "by_generation": {
                str(g): {"n": count[g], "max_ms": round(maxima[g], 2)} for g in range(3)
            },
            "histogram_ms": {
                f"<={b}" if b != float("inf") else f">{BUCKETS_MS[-2]}": k
                for b, k in zip(BUCKETS_MS, histogram, strict=True)
                if k
            },
            "frozen": _frozen[0],
            "thresholds": list(gc.get_threshold()),
        }

    def write_every(self, path: Path, seconds: float = 1.0) -> None:
        """Keep `path` up to date from a daemon thread (read by bench/bench_slack.py)."""

        def loop() -> None:
            while True:
                path.write_text(json.dumps(self.summary()), encoding="utf-8")
                time.sleep(seconds)

        threading.Thread(target=loop, name="gc-stats", daemon=True).start()
