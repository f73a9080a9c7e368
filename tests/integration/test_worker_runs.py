"""The job worker on the real queue (`handlers.worker.Worker` + `storage.jobs`), SQLite and
PostgreSQL: a crashing handler is retried with backoff and then reported once; a job kind
nobody handles fails at once instead of waiting forever; what is stored about a failure
never quotes the exception's text; a broken failure hook does not stop the worker.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from handlers.jobs import ClaimedJob
from handlers.worker import GiveUp, RetryLater, Worker
from storage.db import make_engine, make_session_factory
from storage.jobs import SqlJobQueue
from tests.support.clock import MutableClock

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@dataclass
class Reports:
    """The final-failure hook, recorded."""

    failures: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, job: ClaimedJob, error: str) -> None:
        self.failures.append((job.kind, error))


@pytest.fixture
def queue(migrated_url: str) -> Iterator[SqlJobQueue]:
    engine = make_engine(migrated_url)
    yield SqlJobQueue(make_session_factory(engine), engine.dialect.name)
    engine.dispose()


def crash(job: ClaimedJob) -> None:
    raise ValueError("SMTP said <jane@acme.example> and token=xoxb-1-2 are wrong")


def test_a_crashing_handler_is_retried_with_backoff_then_reported_once(queue: SqlJobQueue) -> None:
    clock, reports = MutableClock(NOW), Reports()
    job_id = queue.enqueue("invite", {"meeting_id": 1}, NOW, max_attempts=3)
    assert job_id is not None
    worker = Worker(queue, {"invite": crash}, clock, on_final_failure=reports)

    first = worker.run_once()
    assert (first.done, first.retried, first.failed) == (0, 1, 0)
    info = queue.get(job_id)
    assert info is not None and info.status == "queued" and info.last_error == "ValueError"
    assert info.run_at.replace(tzinfo=UTC) == NOW + timedelta(seconds=30)
    assert worker.run_once().total == 0  # not before its backoff

    clock.advance(seconds=30)
    assert worker.run_once().retried == 1
    clock.advance(seconds=60)
    last = worker.run_once()
    assert (last.retried, last.failed) == (0, 1)
    assert reports.failures == [("invite", "ValueError")]
    (failed,) = queue.list_failed()
    assert failed.id == job_id and failed.attempts == 3 and failed.last_error == "ValueError"


def test_retry_later_on_the_last_attempt_is_a_final_failure_with_our_message(
    queue: SqlJobQueue,
) -> None:
    def busy(job: ClaimedJob) -> None:
        raise RetryLater("the mail could not be sent for now (SMTP 451)")

    reports = Reports()
    queue.enqueue("reminder_mail", {"meeting_id": 1}, NOW, max_attempts=1)
    stats = Worker(
        queue, {"reminder_mail": busy}, MutableClock(NOW), on_final_failure=reports
    ).run_once()
    assert stats.failed == 1
    assert reports.failures == [("reminder_mail", "the mail could not be sent for now (SMTP 451)")]


def test_give_up_fails_at_once_without_retrying(queue: SqlJobQueue) -> None:
    def refused(job: ClaimedJob) -> None:
        raise GiveUp("the mail was refused (SMTP 550)")

    reports = Reports()
    job_id = queue.enqueue("invite", {"meeting_id": 1}, NOW)
    stats = Worker(
        queue, {"invite": refused}, MutableClock(NOW), on_final_failure=reports
    ).run_once()
    assert (stats.failed, stats.retried) == (1, 0)
    info = queue.get(job_id or 0)
    assert info is not None and info.attempts == 1 and info.status == "failed"


def test_a_job_kind_nobody_handles_fails_at_once(queue: SqlJobQueue) -> None:
    reports = Reports()
    queue.enqueue("retired_kind", {}, NOW)
    worker = Worker(queue, {"invite": crash}, MutableClock(NOW), on_final_failure=reports)
    assert worker.kinds == {"invite"}
    assert worker.run_once().failed == 1
    assert reports.failures == [("retired_kind", "no handler for job kind 'retired_kind'")]


def test_a_failing_hook_does_not_stop_the_other_jobs(queue: SqlJobQueue) -> None:
    def broken_hook(job: ClaimedJob, error: str) -> None:
        raise RuntimeError("Slack is down too")

    done: list[int] = []
    queue.enqueue("retired_kind", {}, NOW)
    queue.enqueue("ok", {"n": 1}, NOW)
    handlers = {"ok": lambda job: done.append(int(job.payload["n"]))}
    stats = Worker(queue, handlers, MutableClock(NOW), on_final_failure=broken_hook).run_once()
    assert (stats.done, stats.failed) == (1, 1) and done == [1]


def test_run_forever_works_until_stopped(queue: SqlJobQueue) -> None:
    clock = MutableClock(NOW)
    seen: list[int] = []
    worker: Worker

    def handle(job: ClaimedJob) -> None:
        seen.append(int(job.payload["n"]))
        if len(seen) == 3:
            worker.stop()

    for n in range(3):
        queue.enqueue("ok", {"n": n}, NOW)
    worker = Worker(queue, {"ok": handle}, clock, batch=2)
    runner = threading.Thread(target=worker.run_forever, kwargs={"idle_seconds": 0.01})
    runner.start()
    runner.join(timeout=20)
    assert not runner.is_alive()
    assert sorted(seen) == [0, 1, 2]
    assert queue.stats()["done"] == 3


class AwayForAWhile:
    """The queue with its database away for the first `failures` completions (a restart
    or a failover): `complete` raises as psycopg does when the server went away."""

    def __init__(self, queue: SqlJobQueue, failures: int) -> None:
        self._queue = queue
        self.failures = failures
        self.attempts = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._queue, name)

    def complete(self, job_id: int, worker_id: str, now: datetime | None = None) -> bool:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise ConnectionError("terminating connection due to administrator command")
        return self._queue.complete(job_id, worker_id, now)


def test_a_completion_waits_out_a_database_restart_so_nothing_runs_twice(
    queue: SqlJobQueue,
) -> None:
    """The mail went out, then the database restarted: the completion is tried again
    until it is back, the job ends done, its effect happened once, and the rest of the
    batch goes on instead of waiting for the lease."""
    ids = [queue.enqueue("send", {"n": n}, NOW) for n in range(3)]
    ran: list[int] = []
    flaky = AwayForAWhile(queue, failures=2)
    stats = Worker(flaky, {"send": lambda job: ran.append(job.id)}, MutableClock(NOW)).run_once()  # type: ignore[arg-type]
    assert (stats.done, stats.retried, stats.failed) == (3, 0, 0)
    assert ran == ids and flaky.attempts == 5
    assert {k: n for k, n in queue.stats().items() if n} == {"done": 3}


def test_a_database_away_for_longer_stops_the_batch_and_leaves_its_jobs_leased(
    queue: SqlJobQueue,
) -> None:
    """Past the retry window the error goes up and the batch stops (every job run while
    nothing can be recorded would be repeated); the jobs stay leased, to run again
    after the lease: at least once, never lost."""
    ids = [queue.enqueue("send", {"n": n}, NOW) for n in range(3)]
    ran: list[int] = []
    worker = Worker(
        AwayForAWhile(queue, failures=1000),  # type: ignore[arg-type]
        {"send": lambda job: ran.append(job.id)},
        MutableClock(NOW),
        complete_retry_seconds=0.5,
    )
    with pytest.raises(ConnectionError):
        worker.run_once()
    assert ran == ids[:1]
    assert {k: n for k, n in queue.stats().items() if n} == {"running": 3}
