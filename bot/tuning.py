"""Runtime tuning for a serving process: short pauses and quick turns under a burst.

Garbage collection. After start-up a process holds ~150k long-lived objects (modules,
SQLAlchemy mappers, Babel catalogues, Slack's models). CPython's full collections walk
all of them, which under load was a 100 ms (CPU) to 400 ms (wall) pause in the middle of
someone's ack. `gc.freeze()` after warm-up moves them to a permanent generation that
collections skip; the thresholds below keep young collections small (a request
allocates thousands of short-lived containers; most die by reference counting before
any collection) and full ones rare.

Out of band. Even small collections were the largest pauses under a burst: a young
collection walks every object still alive since the last one, and in a burst that is
the requests in flight (parsed 11 kB views, forms being built), so a collection that
takes 0.3 ms between requests took 2-8 ms of CPU in the middle of fifty, and was then
preempted for tens of ms on a busy machine. `OutOfBandGc` turns automatic collection
off and collects when the process is between bursts (no Slack request answered and no
deferred work for 50 ms; bot.after_ack.Activity), as Ruby servers do (Unicorn's OobGC,
Puma's out-of-band hook): by then the requests' objects are freed by reference counting
and a collection only walks what outlived them. Work that never pauses falls back to
CPython's own collection: busy for 5 s without a quiet moment, or 50,000 young objects,
and the thresholds below apply until the next quiet moment. What waits meanwhile is
only the garbage in reference cycles (about 30 small objects per request, measured).

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
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import configure_mappers

from bot.after_ack import Activity
from handlers.i18n import translator
from handlers.meet_text import parse_meet_text

THRESHOLDS = (1_000, 15, 100)
"""gen0 allocations, gen1 and gen2 collection counts (CPython's default: 700, 10, 10)."""


_frozen = [0]


def warm_up() -> None:
    """What the first requests would otherwise load lazily, and so leave unfrozen: the
    ORM's mappers (configured on first use: ~4,000 objects), both catalogues and the
    time parser's grammars (dateparser's among them)."""
    configure_mappers()
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


QUIET_SECONDS = 0.05
"""Nothing answered or deferred for this long: a collection now delays nobody."""
SUSTAINED_SECONDS = 5.0
"""Busy this long without a quiet moment: CPython collects by its thresholds again."""
YOUNG_MIN = 700
"""Fewer young objects than this (CPython's own gen0 threshold): nothing to collect."""
YOUNG_MAX = 50_000
"""More young objects than this: CPython collects by its thresholds again, busy or not."""
CHECK_SECONDS = 0.25
"""How often a waiting collector looks at the clock and the young generation's size."""


class OutOfBandGc:
    """Collections between bursts instead of in the middle of one (module docstring).

    One daemon thread. While Slack requests are being answered it sleeps; once nothing
    has happened for `quiet` seconds it collects the young generation (every 10th time
    the middle one too, every 100th everything not frozen), then waits for the next
    request; what survives its first collection is frozen too. Busy for `sustained`
    seconds with no quiet moment, or past `young_max` young objects, it lets CPython
    collect by its thresholds until the next quiet moment."""

    def __init__(
        self,
        activity: Activity,
        *,
        quiet: float = QUIET_SECONDS,
        sustained: float = SUSTAINED_SECONDS,
        young_min: int = YOUNG_MIN,
        young_max: int = YOUNG_MAX,
        check: float = CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._activity = activity
        self._quiet, self._sustained, self._check = quiet, sustained, check
        self._young_min, self._young_max = young_min, young_max
        self._clock = clock
        self._collections = 0
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> OutOfBandGc:
        gc.disable()
        self._thread = threading.Thread(target=self._run, name="meetline-gc", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread and give collection back to CPython (tests)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        gc.enable()

    def _run(self) -> None:
        quiet_at = self._clock()
        while not self._stopped.is_set():
            if self._activity.quiet_for(self._quiet, timeout=self._check):
                gc.disable()
                if gc.get_count()[0] >= self._young_min:
                    self._collect()
                quiet_at = self._clock()
                self._activity.wait_busy(timeout=self._check)
            elif (
                self._clock() - quiet_at >= self._sustained or gc.get_count()[0] >= self._young_max
            ):
                gc.enable()

    def _collect(self) -> None:
        self._collections += 1
        n = self._collections
        gc.collect(2 if n % 100 == 0 else 1 if n % 10 == 0 else 0)
        if n == 1:
            # What outlived the first burst is the rest of start-up (the servers' threads,
            # pooled connections, compiled statements): out of every later collection's way.
            gc.freeze()
            _frozen[0] = gc.get_freeze_count()  # --gc-stats reports what is frozen now


BUCKETS_MS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, float("inf"))
"""Upper bounds of the pause histogram."""
RECENT = 1000
"""Collections kept one by one (with their wall-clock time) in the summary."""


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
        # The latest collections one by one, so a reader can take those of a period only
        # (the benchmark leaves out its warm-up's, as it does for every other figure).
        self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT)

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
            self._recent.append(
                {
                    "at": time.time(),
                    "generation": generation,
                    "ms": round(pause_ms, 3),
                    "cpu_ms": round(cpu_ms, 3),
                    "held_ms": None if held_ms is None else round(held_ms, 3),
                }
            )

    def summary(self) -> dict[str, Any]:
        with self._lock:
            histogram = list(self._histogram)
            count, maxima, total = list(self._count), list(self._max), self._total
            max_cpu, max_held = self._max_cpu, self._max_held
            recent = list(self._recent)
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
            "recent": recent,
        }

    def write_every(self, path: Path, seconds: float = 1.0) -> None:
        """Keep `path` up to date from a daemon thread (read by bench/bench_slack.py)."""

        def loop() -> None:
            while True:
                path.write_text(json.dumps(self.summary()), encoding="utf-8")
                time.sleep(seconds)

        threading.Thread(target=loop, name="gc-stats", daemon=True).start()
