"""The durable job queue: dedupe, due order, leases, retries, and no double runs
when several workers (threads, and processes on PostgreSQL) claim at once."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from handlers.jobs import backoff_seconds
from storage.db import make_engine, make_session_factory
from storage.jobs import SqlJobQueue

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def queue(engine: Engine) -> SqlJobQueue:
    return SqlJobQueue(make_session_factory(engine), engine.dialect.name)


def test_dedupe_key_makes_enqueue_a_no_op(queue: SqlJobQueue) -> None:
    first = queue.enqueue("reminder", {"meeting_id": 1}, T0, dedupe_key="rem:1:0")
    assert isinstance(first, int)
    assert queue.enqueue("reminder", {"meeting_id": 1}, T0, dedupe_key="rem:1:0") is None
    other = queue.enqueue("reminder", {"meeting_id": 1}, T0, dedupe_key="rem:1:1")
    no_key = [queue.enqueue("reminder", {}, T0), queue.enqueue("reminder", {}, T0)]
    assert other and all(no_key) and len({first, other, *no_key}) == 4
    assert queue.stats()["queued"] == 4


def test_claims_due_jobs_oldest_first_and_not_future_ones(queue: SqlJobQueue) -> None:
    late = queue.enqueue("a", {"n": "late"}, T0 + timedelta(minutes=5))
    early = queue.enqueue("a", {"n": "early"}, T0 - timedelta(minutes=5))
    now_ = queue.enqueue("a", {"n": "now"}, T0)
    future = queue.enqueue("a", {"n": "future"}, T0 + timedelta(hours=1))

    claimed = queue.claim("w1", T0 + timedelta(minutes=5), limit=10, lease_seconds=7200)
    assert [j.id for j in claimed] == [early, now_, late]
    assert [j.payload["n"] for j in claimed] == ["early", "now", "late"]
    assert all(j.attempts == 1 and j.max_attempts == 8 for j in claimed)
    assert claimed[0].run_at == T0 - timedelta(minutes=5)
    assert claimed[0].run_at.tzinfo is not None
    # Running jobs with a live lease, and future jobs, are not handed out again.
    assert queue.claim("w2", T0 + timedelta(minutes=6)) == []
    assert [j.id for j in queue.claim("w2", T0 + timedelta(hours=1))] == [future]


def test_claim_respects_limit(queue: SqlJobQueue) -> None:
    for i in range(5):
        queue.enqueue("a", {"i": i}, T0 + timedelta(seconds=i))
    assert [j.payload["i"] for j in queue.claim("w", T0 + timedelta(minutes=1), limit=2)] == [0, 1]
    assert [j.payload["i"] for j in queue.claim("w", T0 + timedelta(minutes=1), limit=10)] == [
        2,
        3,
        4,
    ]


def test_expired_lease_is_claimed_again(queue: SqlJobQueue) -> None:
    job_id = queue.enqueue("a", {}, T0)
    (job,) = queue.claim("dead-worker", T0, lease_seconds=60)
    assert queue.claim("w2", T0 + timedelta(seconds=59)) == []
    (again,) = queue.claim("w2", T0 + timedelta(seconds=61))
    assert again.id == job_id and again.attempts == 2
    # The dead worker coming back cannot complete or fail what it no longer holds.
    assert not queue.complete(job_id, "dead-worker", T0)
    assert not queue.fail(job_id, "dead-worker", "boom", T0)
    assert queue.complete(job_id, "w2", T0 + timedelta(seconds=62))
    assert queue.stats()["done"] == 1


def test_complete_by_wrong_worker_is_ignored(queue: SqlJobQueue) -> None:
    job_id = queue.enqueue("a", {}, T0)
    assert job_id is not None
    queue.claim("w1", T0)
    assert queue.complete(job_id, "w2") is False
    assert queue.stats()["running"] == 1
    assert queue.complete(job_id, "w1") is True
    assert queue.complete(job_id, "w1") is False  # only once
    info = queue.get(job_id)
    assert info is not None and info.status == "done" and info.finished_at is not None


# Notes the commit mode of every transaction that changes a job, as PostgreSQL sees it.
_NOTE_COMMIT_MODES = (
    "CREATE TABLE commit_modes (n serial, mode text)",
    "CREATE FUNCTION note_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO commit_modes (mode) VALUES (current_setting('synchronous_commit')); "
    "RETURN NEW; END $$",
    "CREATE TRIGGER note_commit_mode BEFORE UPDATE ON jobs "
    "FOR EACH ROW EXECUTE FUNCTION note_commit_mode()",
)


def test_only_a_completion_commits_without_waiting_for_the_disk(migrated_url: str) -> None:
    """On PostgreSQL a completion commits asynchronously (storage.jobs `complete`: two
    workers no longer queue for each other's WAL flush). A claim does not, and the
    setting ends with the completion's own transaction: the pooled connection is then
    handed to work whose commit must be on disk before anyone is told it happened (a
    booking, a claim)."""
    engine = make_engine(migrated_url, pool_size=1, max_overflow=0)  # one connection
    try:
        if engine.dialect.name != "postgresql":
            pytest.skip("an asynchronous commit is PostgreSQL's")
        with engine.connect() as conn:  # the tests' databases default to off (speed)
            conn.exec_driver_sql("SET synchronous_commit = on")
            for statement in _NOTE_COMMIT_MODES:
                conn.exec_driver_sql(statement)
            conn.commit()
        queue = SqlJobQueue(make_session_factory(engine), engine.dialect.name)
        queue.enqueue("a", {}, T0)
        (job,) = queue.claim("w1", T0)
        assert queue.complete(job.id, "w1", T0) is True
        assert queue.stats()["done"] == 1
        with engine.connect() as conn:  # the connection the completion used
            modes = conn.exec_driver_sql("SELECT mode FROM commit_modes ORDER BY n").scalars()
            assert list(modes) == ["on", "off"]  # the claim's, the completion's
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
    finally:
        engine.dispose()


def test_failures_back_off_then_fail_for_good(queue: SqlJobQueue) -> None:
    job_id = queue.enqueue("a", {"meeting_id": 7}, T0, max_attempts=3)
    assert job_id is not None
    now = T0
    (job,) = queue.claim("w", now)
    assert queue.fail(job_id, "w", "smtp down", now)
    info = queue.get(job_id)
    assert info is not None and info.status == "queued" and info.last_error == "smtp down"
    assert info.run_at == now + timedelta(seconds=30)
    assert queue.claim("w", now + timedelta(seconds=29)) == []

    now += timedelta(seconds=30)
    (job,) = queue.claim("w", now)
    assert job.attempts == 2 and not job.is_last_attempt
    queue.fail(job_id, "w", "still down", now)
    info = queue.get(job_id)
    assert info is not None and info.run_at == now + timedelta(seconds=60)

    now += timedelta(seconds=60)
    (job,) = queue.claim("w", now)
    assert job.attempts == 3 and job.is_last_attempt
    queue.fail(job_id, "w", "gave up", now)
    failed = queue.list_failed()
    assert [(f.id, f.status, f.attempts, f.last_error) for f in failed] == [
        (job_id, "failed", 3, "gave up")
    ]
    assert queue.claim("w", now + timedelta(days=1)) == []
    assert queue.stats() == {
        "queued": 0,
        "running": 0,
        "done": 0,
        "failed": 1,
        "cancelled": 0,
        "dropped": 0,
    }


def test_fail_without_retry_and_backoff_cap(queue: SqlJobQueue) -> None:
    job_id = queue.enqueue("a", {}, T0)
    assert job_id is not None
    queue.claim("w", T0)
    queue.fail(job_id, "w", "bad request", T0, retry=False)
    info = queue.get(job_id)
    assert info is not None and info.status == "failed" and info.attempts == 1
    assert [backoff_seconds(n) for n in (1, 2, 3, 7, 8, 20)] == [30, 60, 120, 1920, 3600, 3600]


def test_lease_expiring_on_the_last_attempt_fails_the_job(queue: SqlJobQueue) -> None:
    job_id = queue.enqueue("a", {}, T0, max_attempts=1)
    queue.claim("dead", T0, lease_seconds=10)
    assert queue.claim("w", T0 + timedelta(seconds=11)) == []
    info = queue.get(job_id)  # type: ignore[arg-type]
    assert info is not None and info.status == "failed" and "lease" in (info.last_error or "")


def test_cancel_and_reschedule_by_meeting(queue: SqlJobQueue) -> None:
    r1 = queue.enqueue("reminder", {"meeting_id": 1}, T0)
    r2 = queue.enqueue("reminder", {"meeting_id": 1}, T0 + timedelta(hours=1))
    prompt = queue.enqueue("outcome_prompt", {"meeting_id": 1}, T0 + timedelta(hours=2))
    other = queue.enqueue("reminder", {"meeting_id": 2}, T0)

    moved = T0 + timedelta(days=1)
    assert queue.reschedule_where("outcome_prompt", 1, moved) == 1
    assert queue.get(prompt).run_at == moved  # type: ignore[arg-type, union-attr]
    assert queue.cancel_where("reminder", 1) == 2
    assert {queue.get(r).status for r in (r1, r2)} == {"cancelled"}  # type: ignore[arg-type, union-attr]
    assert queue.get(other).status == "queued"  # type: ignore[arg-type, union-attr]
    assert queue.cancel_where(None, 1) == 1  # any kind: the prompt too
    assert queue.cancel_where("reminder", 1) == 0
    assert [j.id for j in queue.claim("w", moved)] == [other]


# -- concurrency ------------------------------------------------------------------------

N_JOBS = 500


def _drain(url: str, worker: str, lease_seconds: int = 120) -> tuple[list[int], list[int]]:
    """Claim and complete until nothing is due: (ids claimed, ids completed)."""
    engine = make_engine(url)
    try:
        queue = SqlJobQueue(make_session_factory(engine), engine.dialect.name)
        claimed: list[int] = []
        done: list[int] = []
        now = T0 + timedelta(minutes=1)
        while True:
            jobs = queue.claim(worker, now, limit=10, lease_seconds=lease_seconds)
            if not jobs:
                return claimed, done
            for job in jobs:
                claimed.append(job.id)
                if queue.complete(job.id, worker, now):
                    done.append(job.id)
    finally:
        engine.dispose()


def _drain_into(url: str, worker: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    results.put(_drain(url, worker))


def _fill(queue: SqlJobQueue) -> set[int]:
    ids = set()
    for i in range(N_JOBS):
        job_id = queue.enqueue("race", {"i": i}, T0 + timedelta(milliseconds=i))
        assert job_id is not None
        ids.add(job_id)
    return ids


def _check(ids: set[int], outcomes: list[tuple[list[int], list[int]]], queue: SqlJobQueue) -> None:
    claims = Counter(job for claimed, _ in outcomes for job in claimed)
    completions = Counter(job for _, done in outcomes for job in done)
    assert set(claims) == ids and max(claims.values()) == 1  # leases never expired here
    assert set(completions) == ids and max(completions.values()) == 1
    assert sum(completions.values()) == N_JOBS
    assert queue.stats()["done"] == N_JOBS and queue.stats()["running"] == 0


def test_threads_racing_each_job_exactly_once(migrated_url: str, queue: SqlJobQueue) -> None:
    ids = _fill(queue)
    results: dict[str, tuple[list[int], list[int]]] = {}

    def run(name: str) -> None:
        results[name] = _drain(migrated_url, name)

    threads = [threading.Thread(target=run, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 4
    _check(ids, list(results.values()), queue)


def test_processes_racing_each_job_exactly_once(
    migrated_url: str, engine: Engine, queue: SqlJobQueue
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several worker processes is the PostgreSQL deployment")
    ids = _fill(queue)
    engine.dispose()  # children must not inherit pooled connections
    # fork starts in milliseconds; spawn (re-importing everything) where fork is missing.
    methods = multiprocessing.get_all_start_methods()
    ctx = (
        multiprocessing.get_context("fork")
        if "fork" in methods
        else multiprocessing.get_context("spawn")
    )
    results: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [
        ctx.Process(target=_drain_into, args=(migrated_url, f"p{i}", results)) for i in range(3)
    ]
    for p in procs:
        p.start()
    collected = [results.get(timeout=90) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    _check(ids, collected, queue)


def test_purge_finished_removes_only_old_finished_jobs_of_that_kind(migrated_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from storage.db import make_engine, make_session_factory
    from storage.jobs import SqlJobQueue

    engine = make_engine(migrated_url)
    queue = SqlJobQueue(make_session_factory(engine), engine.dialect.name)
    now = datetime.now(UTC)
    old = queue.enqueue("calendar_sync", {}, now - timedelta(days=3), dedupe_key="sync:old")
    fresh = queue.enqueue("calendar_sync", {}, now, dedupe_key="sync:fresh")
    other = queue.enqueue("send_invitation", {}, now - timedelta(days=3), dedupe_key="invite:old")
    for job in queue.claim("w", now, limit=10):
        queue.complete(job.id, "w", now - timedelta(days=2) if job.id in (old, other) else now)
    assert queue.purge_finished("calendar_sync", now - timedelta(days=1)) == 1
    assert old is not None and fresh is not None and other is not None
    assert queue.get(old) is None and queue.get(fresh) is not None and queue.get(other) is not None
    engine.dispose()
