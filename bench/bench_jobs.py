"""Reminder e-mails through the job queue on PostgreSQL: 20,000 due `send_reminder_email`
jobs (2,000 meetings x 10 attendees; a tenth with --quick) drained by 1, 2 and 4
`meetline worker --once` processes in parallel, into a local SMTP sink.

The drains run in the order 1, 2, 4, 2, 1 workers (RUN_ORDER), and each rate is over
all of its runs: the machine's speed drifts within minutes, and one 1-worker run
before one 2-worker run once put the scaling at 1.39x between runs of 1.97-2.03x.

Reported: throughput (jobs done per second while every worker of the run was
working: from the moment the last of them finished its first job to the moment the
first of them finished its last; a worker process takes ~3 s of CPU to start, and with
2 workers started together one was finishing jobs while the other still competed for
the CPU to start, which counted start-up into the 2-worker rate), how it grows with
workers, the proof that each job's mail arrived exactly once (the sink counts
deliveries per job), and PostgreSQL round trips per job, counted on the wire by a proxy
(bench/pg_proxy.py) in a separate 1-worker run (the proxy costs CPU the throughput runs
must not pay).

The mail server is bench.mail_sink's: with it this process takes 0.4-0.8 ms of CPU per
mail (its polling of PostgreSQL's CPU included), with the tests' aiosmtpd it took
1.5-1.9 ms (why that matters: bench.mail_sink's docstring).

Baselines from the same run: one process sending the same number of reminder mails
through `SmtpMailer` directly, with no queue (what the queue costs), and the 1-worker
throughput for the 2- and 4-worker runs (how it scales).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select, text

from adapters.smtp_mail import SmtpMailer
from bench.common import (
    HostSteal,
    Row,
    cpu_seconds,
    postgres_available,
    scratch_postgres,
    server_url,
)
from bench.mail_sink import CountingSmtpServer
from bench.pg_proxy import RoundTripProxy
from bench.seed import HOST_EMAIL, expected_keys, queue_reminder_mails, seed_meetings
from handlers.invitations import Person, ReminderEmail
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import JobModel

REPO = Path(__file__).resolve().parents[1]
ATTENDEES = 10
WORKERS = (1, 2, 4)
RUN_ORDER = (1, 2, 4, 2, 1)  # quick: each count once
DRAIN_TARGET_SECONDS = 300  # 20,000 reminders out within 5 minutes with 4 workers
SCALING_TARGET = 1.8  # 2 workers at least this many times 1 worker's rate
ROUND_TRIPS_TARGET = 5.0  # per reminder job
ROUND_TRIP_JOBS = 2000
log = logging.getLogger(__name__)


def worker_env(database_url: str, smtp_url: str) -> dict[str, str]:
    """The environment of a `meetline worker` with no Slack (profiles come from the
    database) and the given mail server."""
    from tests.support.server import clean_env

    return clean_env(
        {
            "DATABASE_URL": database_url,
            "SMTP_URL": smtp_url,
            "MAIL_FROM": "Meetline <meetline@meetline.example>",
        }
    )


def _direct_smtp(sink: CountingSmtpServer, count: int) -> float:
    """Mails per second from one process calling SmtpMailer in a loop (no queue, no DB)."""
    mailer = SmtpMailer(sink.url, "meetline@meetline.example")
    start = datetime.now(UTC) + timedelta(days=2)
    t0 = time.perf_counter()
    for i in range(count):
        mailer.send_reminder(
            ReminderEmail(
                title=f"Direct #{i}",
                start_utc=start,
                end_utc=start + timedelta(minutes=30),
                organizer=Person(HOST_EMAIL, "Anna Host"),
                location="",
                timezone="Europe/Warsaw",
            ),
            Person(f"direct{i}@bench.example", ""),
        )
    return count / (time.perf_counter() - t0)


def _postgres_backends(conn: Connection, url: str) -> list[int]:
    """The server processes serving `url`'s database, read on `conn` (one connection
    for the whole drain: a connection per poll cost a backend's start-up each time)."""
    from sqlalchemy.engine import make_url

    return list(
        conn.execute(
            select(text("pid"))
            .select_from(text("pg_stat_activity"))
            .where(text("datname = :name"), text("pid <> pg_backend_pid()")),
            {"name": make_url(url).database},
        ).scalars()
    )


def steady_window(
    finished: Sequence[tuple[str, datetime]],
) -> tuple[int, float]:
    """Jobs finished, and seconds, while every worker was working: from the last
    worker's first finished job to the first worker's last one. With one worker that
    is its first to its last job."""
    firsts: dict[str, datetime] = {}
    lasts: dict[str, datetime] = {}
    for worker, at in finished:
        firsts[worker] = min(at, firsts.get(worker, at))
        lasts[worker] = max(at, lasts.get(worker, at))
    if not firsts:
        return 0, 0.0
    start, end = max(firsts.values()), min(lasts.values())
    if end <= start:
        return 0, 0.0
    done = sum(1 for _, at in finished if start < at <= end)
    return done, (end - start).total_seconds()


def _drain(
    url: str, sink: CountingSmtpServer, workers: int, workdir: Path, worker_url: str | None = None
) -> dict[str, Any]:
    """Run `workers` worker processes (on `worker_url`, default `url`) until they exit;
    what they did is read on `url`."""
    env = worker_env(worker_url or url, sink.url)
    logs = [open(workdir / f"worker-{workers}-{i}.log", "wb") for i in range(workers)]  # noqa: SIM115
    bench_cpu = time.process_time()  # this process: the SMTP sink
    stolen = HostSteal()
    first_seen: dict[int, float] = {}
    last_seen: dict[int, float] = {}
    t0 = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "worker", "--once"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        for out in logs
    ]
    worker_cpu = 0.0
    running = {p.pid: p for p in procs}
    codes: dict[int, int] = {}
    monitor_engine = make_engine(server_url())
    # Autocommit: in a transaction pg_stat_activity is the snapshot of its first read.
    monitor = monitor_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        while running:
            for pid in list(running):
                done_pid, status, usage = os.wait4(pid, os.WNOHANG)
                if done_pid:
                    codes[pid] = os.waitstatus_to_exitcode(status)
                    worker_cpu += usage.ru_utime + usage.ru_stime
                    running.pop(pid).returncode = codes[pid]
            if time.monotonic() - t0 > 3600:
                raise TimeoutError("the workers did not finish within an hour")
            try:  # PostgreSQL's share: CPU of the server processes serving this database
                for pid in _postgres_backends(monitor, url):
                    used = cpu_seconds(pid)
                    if used is not None:
                        first_seen.setdefault(pid, used)
                        last_seen[pid] = used
            except Exception:  # noqa: BLE001 - a measurement, never a failure
                pass
            time.sleep(0.5)
    finally:
        monitor.close()
        monitor_engine.dispose()
    wall = time.monotonic() - t0
    sink_cpu = time.process_time() - bench_cpu
    for out in logs:
        out.close()
    engine = make_engine(url)
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(select(JobModel.status, func.count()).group_by(JobModel.status))
            .tuples()
            .all()
        )
        finished = conn.execute(
            select(JobModel.locked_by, JobModel.finished_at).where(JobModel.status == "done")
        ).all()
        per_worker = conn.execute(
            select(JobModel.locked_by, func.count()).group_by(JobModel.locked_by)
        ).all()
        errors = conn.execute(
            select(JobModel.last_error, func.count())
            .where(JobModel.last_error.is_not(None))
            .group_by(JobModel.last_error)
            .order_by(func.count().desc())
            .limit(3)
        ).all()
    engine.dispose()
    done = int(statuses.get("done", 0))
    done_at = [(str(worker), at) for worker, at in finished if at is not None]
    span = (
        (max(at for _, at in done_at) - min(at for _, at in done_at)).total_seconds()
        if done_at
        else float("nan")
    )
    steady_jobs, steady_seconds = steady_window(done_at)
    per_job = 1000 / max(done, 1)
    return {
        "workers": workers,
        "exit_codes": [codes[p.pid] for p in procs],
        "wall_seconds": round(wall, 1),
        "busy_seconds": round(span, 2),
        "steady_jobs": steady_jobs,
        "steady_seconds": round(steady_seconds, 2),
        "statuses": statuses,
        "jobs_per_second": round(steady_jobs / steady_seconds, 1) if steady_seconds else 0,
        "jobs_per_worker": sorted(n for _, n in per_worker),
        "retried_errors": [(str(e)[:300], n) for e, n in errors],
        "host_steal_percent": stolen.percent(),
        "cpu_ms_per_job": {
            "workers (incl. start-up)": round(worker_cpu * per_job, 2),
            "postgres backends": round(
                sum(last_seen[p] - first_seen[p] for p in last_seen) * per_job, 2
            ),
            "smtp sink (bench process)": round(sink_cpu * per_job, 2),
        },
    }


def _rate(runs: list[dict[str, Any]]) -> float:
    """Jobs per second over all of `runs`: their jobs done over their seconds, both
    within each run's steady window."""
    done = sum(int(r["steady_jobs"]) for r in runs)
    busy = sum(r["steady_seconds"] for r in runs)
    if any(set(r["statuses"]) != {"done"} for r in runs):
        return 0.0  # a run that did not finish every job has no rate to compare
    return round(done / busy, 1) if busy else 0.0


def _steal(runs: list[dict[str, Any]]) -> float | None:
    """The host's steal over `runs`, weighted by their length: what the machine lost to
    other guests while they ran (bench.common.HostSteal). A scaling ratio whose two
    sides lost very different shares measured the host as much as the workers."""
    known = [(r["host_steal_percent"], r["wall_seconds"]) for r in runs]
    if not known or any(p is None for p, _ in known):
        return None
    seconds = sum(w for _, w in known)
    return round(sum(p * w for p, w in known) / seconds, 1) if seconds else None


def run(quick: bool = False) -> dict[str, Any]:
    meetings = 200 if quick else 2000
    jobs = meetings * ATTENDEES
    results: dict[str, Any] = {"jobs": jobs}
    if not postgres_available():
        results["skipped"] = "no PostgreSQL server (set BENCH_DATABASE_URL)"
        results["rows"] = []
        return results
    with (
        scratch_postgres("jobs") as url,
        tempfile.TemporaryDirectory(prefix="meetline-bench-jobs-") as tmp,
    ):
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        t0 = time.perf_counter()
        seeded = seed_meetings(sessions, meetings, ATTENDEES)
        results["seed_seconds"] = round(time.perf_counter() - t0, 1)
        expected = expected_keys(seeded, ATTENDEES)
        with CountingSmtpServer() as sink:
            results["direct_smtp_per_second"] = round(_direct_smtp(sink, min(jobs, 2000)), 1)
        # Round trips per job: one worker through the counting proxy.
        counted = seeded[: max(1, min(jobs, ROUND_TRIP_JOBS) // ATTENDEES)]
        queue_reminder_mails(sessions, counted, ATTENDEES, salt="rt")
        with (
            RoundTripProxy(url) as proxy,
            CountingSmtpServer() as sink,
        ):
            outcome = _drain(url, sink, 1, Path(tmp), worker_url=proxy.url)
            trips = proxy.round_trips
        done = int(outcome["statuses"].get("done", 0))
        results["round_trips"] = {
            "jobs": done,
            "round_trips": trips,
            "per_job": round(trips / max(done, 1), 2),
        }
        runs = []
        for n, workers in enumerate(WORKERS if quick else RUN_ORDER):
            queue_reminder_mails(sessions, seeded, ATTENDEES, salt=f"w{workers}-{n}")
            with engine.connect() as conn:  # as autovacuum would, after replacing every row
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE jobs")
                )
            with CountingSmtpServer() as sink:  # a fresh mail server (and port) per run
                outcome = _drain(url, sink, workers, Path(tmp))
            delivered = set(sink.counts)
            outcome["missing"] = len(expected - delivered)
            outcome["unexpected"] = len(delivered - expected)
            outcome["duplicates"] = sum(n - 1 for n in sink.counts.values() if n > 1)
            outcome["mails"] = sink.total
            if outcome["missing"]:
                outcome["worker_log_tail"] = [
                    (Path(tmp) / f"worker-{workers}-{i}.log").read_text(errors="replace")[-1500:]
                    for i in range(workers)
                ]
            log.info("jobs with %s worker(s): %s", workers, outcome)
            runs.append(outcome)
        engine.dispose()
    results["runs"] = runs
    rates = {workers: _rate([r for r in runs if r["workers"] == workers]) for workers in WORKERS}
    results["jobs_per_second"] = rates
    one = rates[1]
    table = [
        Row(
            metric=f"Jobs: {jobs:,} reminder mails, 1 worker (PostgreSQL)",
            value=one,
            unit="jobs/s",
            baseline=results["direct_smtp_per_second"],
            baseline_name="SmtpMailer alone, no queue",
            target="informational",
        )
    ]
    for n in WORKERS[1:]:
        rate = rates[n]
        if n == 2:
            target = f">= {SCALING_TARGET}x of 1 worker"
            passed = one > 0 and rate >= SCALING_TARGET * one
        else:
            two = rates[2]
            target, passed = (
                f">= 2 workers' rate; drain in < {DRAIN_TARGET_SECONDS} s",
                two > 0
                and rate >= two * 0.95
                and jobs / rate < DRAIN_TARGET_SECONDS * jobs / 20_000,
            )
        table.append(
            Row(
                metric=f"Jobs: {n} worker processes",
                value=rate,
                unit="jobs/s",
                baseline=one,
                baseline_name="1 worker",
                target=target,
                passed=passed,
            )
        )
    steal = {workers: _steal([r for r in runs if r["workers"] == workers]) for workers in WORKERS}
    results["host_steal_percent"] = steal
    if steal[1] is not None and steal[2] is not None:
        table.append(
            Row(
                metric="Jobs: CPU time the host took (steal) during the 2-worker runs",
                value=steal[2],
                unit="%",
                baseline=steal[1],
                baseline_name="during the 1-worker runs",
                target="informational",
            )
        )
    per_job = results["round_trips"]["per_job"]
    table.append(
        Row(
            metric=(
                "Jobs: PostgreSQL round trips per reminder job "
                f"(1 worker, {results['round_trips']['jobs']:,} jobs)"
            ),
            value=per_job,
            unit="round trips",
            target=f"<= {ROUND_TRIPS_TARGET:.0f}",
            passed=results["round_trips"]["jobs"] > 0 and per_job <= ROUND_TRIPS_TARGET,
        )
    )
    wrong = sum(r["missing"] + r["duplicates"] + r["unexpected"] for r in runs)
    not_done = sum(sum(v for k, v in r["statuses"].items() if k != "done") for r in runs)
    table.append(
        Row(
            metric=f"Jobs: mails missing or duplicated ({len(runs)} runs x {jobs:,})",
            value=wrong + not_done,
            unit="mails",
            baseline=None,
            target="0 (each exactly once)",
            passed=wrong + not_done == 0,
        )
    )
    results["rows"] = [r.as_dict() for r in table]
    return results


if __name__ == "__main__":
    import json

    logging.basicConfig(level=logging.INFO)
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, default=str))
    os._exit(0)
