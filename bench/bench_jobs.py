"""Reminder e-mails through the job queue on PostgreSQL: 20,000 due `send_reminder_email`
jobs (2,000 meetings x 10 attendees; a tenth with --quick) drained by 1, 2 and 4
`meetline worker --once` processes in parallel, into a local SMTP sink.

Reported: throughput (jobs done per second between the first and the last job
finished, so process start-up is left out), how it grows with workers, and the proof
that each job's mail arrived exactly once (the sink counts deliveries per job).

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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from adapters.smtp_mail import SmtpMailer
from bench.common import Row, postgres_available, scratch_postgres
from bench.seed import HOST_EMAIL, expected_keys, queue_reminder_mails, seed_meetings
from bench.sink import CountingSink
from handlers.invitations import Person, ReminderEmail
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import JobModel

REPO = Path(__file__).resolve().parents[1]
ATTENDEES = 10
WORKERS = (1, 2, 4)
DRAIN_TARGET_SECONDS = 300  # 20,000 reminders out within 5 minutes with 4 workers
log = logging.getLogger(__name__)


def worker_env(database_url: str, smtp_url: str) -> dict[str, str]:
    """The environment of a `meetline worker` with no Slack (profiles come from the
    database) and the given mail server."""
    from tests.support.server import clean_env

    return clean_env({"DATABASE_URL": database_url, "SMTP_URL": smtp_url,
                      "MAIL_FROM": "Meetline <meetline@meetline.example>"})


def _direct_smtp(sink: CountingSink, count: int) -> float:
    """Mails per second from one process calling SmtpMailer in a loop (no queue, no DB)."""
    mailer = SmtpMailer(sink.url, "meetline@meetline.example")
    start = datetime.now(UTC) + timedelta(days=2)
    t0 = time.perf_counter()
    for i in range(count):
        mailer.send_reminder(ReminderEmail(title=f"Direct #{i}", start_utc=start, end_utc=start + timedelta(minutes=30),
                                           organizer=Person(HOST_EMAIL, "Anna Host"), location="",
                                           timezone="Europe/Warsaw"),
                             Person(f"direct{i}@bench.example", ""))
    return count / (time.perf_counter() - t0)


def _drain(url: str, sink: CountingSink, workers: int, workdir: Path) -> dict[str, Any]:
    env = worker_env(url, sink.url)
    logs = [open(workdir / f"worker-{workers}-{i}.log", "wb") for i in range(workers)]  # noqa: SIM115
    t0 = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-m", "bot.cli", "worker", "--once"], env=env, cwd=REPO,
                              stdout=out, stderr=subprocess.STDOUT) for out in logs]
    codes = [p.wait(timeout=3600) for p in procs]
    wall = time.monotonic() - t0
    for out in logs:
        out.close()
    engine = make_engine(url)
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(JobModel.status, func.count()).group_by(JobModel.status)).tuples().all())
        first, last = conn.execute(select(func.min(JobModel.finished_at), func.max(JobModel.finished_at))).one()
        per_worker = conn.execute(select(JobModel.locked_by, func.count()).group_by(JobModel.locked_by)).all()
    engine.dispose()
    done = int(statuses.get("done", 0))
    span = (last - first).total_seconds() if first and last else float("nan")
    return {"workers": workers, "exit_codes": codes, "wall_seconds": round(wall, 1),
            "busy_seconds": round(span, 2), "statuses": statuses, "jobs_per_second": round(done / span, 1) if span else 0,
            "jobs_per_worker": sorted(n for _, n in per_worker)}


def run(quick: bool = False) -> dict[str, Any]:
    meetings = 200 if quick else 2000
    jobs = meetings * ATTENDEES
    results: dict[str, Any] = {"jobs": jobs}
    if not postgres_available():
        results["skipped"] = "no PostgreSQL server (set BENCH_DATABASE_URL)"
        results["rows"] = []
        return results
    with scratch_postgres("jobs") as url, CountingSink() as sink, \
            tempfile.TemporaryDirectory(prefix="meetline-bench-jobs-") as tmp:
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        t0 = time.perf_counter()
        seeded = seed_meetings(sessions, meetings, ATTENDEES)
        results["seed_seconds"] = round(time.perf_counter() - t0, 1)
        expected = expected_keys(seeded, ATTENDEES)
        results["direct_smtp_per_second"] = round(_direct_smtp(sink, min(jobs, 2000)), 1)
        runs = []
        for workers in WORKERS:
            sink.clear()
            queue_reminder_mails(sessions, seeded, ATTENDEES, salt=f"w{workers}")
            outcome = _drain(url, sink, workers, Path(tmp))
            delivered = set(sink.counts)
            outcome["missing"] = len(expected - delivered)
            outcome["unexpected"] = len(delivered - expected)
            outcome["duplicates"] = sum(n - 1 for n in sink.counts.values() if n > 1)
            outcome["mails"] = sink.total
            log.info("jobs with %s worker(s): %s", workers, outcome)
            runs.append(outcome)
        engine.dispose()
    results["runs"] = runs
    one = runs[0]["jobs_per_second"]
    table = [Row(metric=f"Jobs: {jobs:,} reminder mails, 1 worker (PostgreSQL)", value=one, unit="jobs/s",
                 baseline=results["direct_smtp_per_second"], baseline_name="SmtpMailer alone, no queue",
                 target="informational")]
    for outcome in runs[1:]:
        n, rate = outcome["workers"], outcome["jobs_per_second"]
        if n == 2:
            target, passed = ">= 1.5x of 1 worker", rate >= 1.5 * one
        else:
            two = runs[1]["jobs_per_second"]
            target, passed = f">= 2 workers' rate; drain in < {DRAIN_TARGET_SECONDS} s", \
                rate >= two * 0.95 and jobs / rate < DRAIN_TARGET_SECONDS * jobs / 20_000
        table.append(Row(metric=f"Jobs: {n} worker processes", value=rate, unit="jobs/s", baseline=one,
                         baseline_name="1 worker", target=target, passed=passed))
    wrong = sum(r["missing"] + r["duplicates"] + r["unexpected"] for r in runs)
    not_done = sum(sum(v for k, v in r["statuses"].items() if k != "done") for r in runs)
    table.append(Row(metric=f"Jobs: mails missing or duplicated ({len(runs)} runs x {jobs:,})", value=wrong + not_done,
                     unit="mails", baseline=None, target="0 (each exactly once)", passed=wrong + not_done == 0))
    results["rows"] = [r.as_dict() for r in table]
    return results


if __name__ == "__main__":
    import json

    logging.basicConfig(level=logging.INFO)
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, default=str))
    os._exit(0)
