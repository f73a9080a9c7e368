"""What every benchmark shares: the result rows, percentiles, scratch databases.

A benchmark module exposes ``run(quick: bool = False) -> dict`` whose ``"rows"`` are
:class:`Row` dicts (one line of the Markdown table each); everything else in the dict
is detail for the JSON log. Every row carries a baseline measured in the same run, so
a ratio is meaningful on a loaded machine where absolute numbers are not.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Row:
    """One line of the results table.

    ``ratio`` is value / baseline; ``passed`` is None when the row has no target.
    """

    metric: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    passed: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0) or self.value is None:
            return None
        return self.value / self.baseline

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ratio": self.ratio}


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 100 samples is the largest but one... of 101)."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def server_url() -> str:
    """The PostgreSQL server benchmarks create their scratch databases on."""
    from storage.db import normalize_url

    return normalize_url(
        os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
    )


def postgres_available() -> bool:
    try:
        engine = create_engine(server_url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - "not available" is an answer, not an error
        return False


@contextmanager
def scratch_postgres(label: str) -> Iterator[str]:
    """A fresh database on the benchmark server, dropped afterwards (even on errors)."""
    admin_url = server_url()
    name = f"meetline_bench_{label}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def vm_kib(pid: int, field: str) -> int | None:
    """A /proc/<pid>/status memory field in KiB (VmHWM = peak RSS, VmRSS = now)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (from /proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_jiffies() -> tuple[int, int] | None:
    """(stolen, all) clock ticks of every CPU since boot, from /proc/stat; None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(x) for x in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal (guest time is counted in user)
    return (ticks[7] if len(ticks) > 7 else 0), sum(ticks)


class HostSteal:
    """The share of this VM's CPU time the hypervisor ran someone else instead (Linux's
    "steal"), from creation to `percent()`.

    On a shared host it comes and goes within minutes, and it is why a ratio between two
    runs can move by more than its margin: in one lab session the same 2-worker jobs run
    did 282 jobs/s with 16% stolen and 403 jobs/s with 1%. Interleaved runs put such a
    minute on both sides of a ratio when they can; this says when they could not."""

    def __init__(self) -> None:
        self._start = _cpu_jiffies()

    def percent(self) -> float | None:
        now = _cpu_jiffies()
        if self._start is None or now is None or now[1] <= self._start[1]:
            return None
        return round(100 * (now[0] - self._start[0]) / (now[1] - self._start[1]), 1)
