"""The durable job queue on SQL (handlers.jobs.JobQueue).

Claiming is the delicate part. On PostgreSQL several worker processes claim at once:
`SELECT ... FOR UPDATE SKIP LOCKED` hands each row to exactly one of them without
blocking the others. SQLite has one writer at a time, so the claim runs in a
`BEGIN IMMEDIATE` transaction and needs nothing more. Either way a claim is a lease:
a job whose worker died (lease expired while "running") is due again.

A claimed job carries the workspace of its meeting, read from the meeting row, so the
worker's every lookup is scoped to that workspace like a Slack request's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from handlers.jobs import (
    CANCELLED,
    DONE,
    DROPPED,
    FAILED,
    QUEUED,
    RUNNING,
    STATUSES,
    ClaimedJob,
    JobInfo,
    JobQueue,
    backoff_seconds,
)
from handlers.redaction import redact
from storage.db import Sessions, write_session
from storage.models import JobModel, MeetingModel, naive_utc
from storage.record_tables import autocommit_driver

_MAX_ERROR_CHARS = 4000


def _now() -> datetime:
    return datetime.now(UTC)


# SqlJobQueue.complete on PostgreSQL: the job, if this worker still holds it, done, with
# an asynchronous commit (set_config(..., true) lasts for this statement's transaction
# only; see `complete`).
_COMPLETE_PG = (
    "UPDATE jobs SET status = %(done)s, finished_at = %(now)s, locked_until = NULL, "
    "last_error = NULL FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async "
    "WHERE id = %(id)s AND status = %(running)s AND locked_by = %(worker)s"
)


class SqlJobQueue:
    def __init__(self, session_factory: Sessions, engine_dialect_name: str) -> None:
        self._sessions = session_factory
        self._dialect = engine_dialect_name
        # PostgreSQL, outside a unit of work: statements run on a pooled connection.
        bind = getattr(session_factory, "kw", {}).get("bind")
        self._pg_engine: Engine | None = (
            bind if isinstance(bind, Engine) and bind.dialect.name == "postgresql" else None
        )

    # -- producing ---------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        run_at: datetime,
        dedupe_key: str | None = None,
        max_attempts: int = 8,
    ) -> int | None:
        meeting_id = payload.get("meeting_id")
        values: dict[str, Any] = {
            "kind": kind,
            "payload": payload,
            "run_at": run_at,
            "status": QUEUED,
            "attempts": 0,
            "max_attempts": max_attempts,
            "dedupe_key": dedupe_key,
            "meeting_id": meeting_id if isinstance(meeting_id, int) else None,
            "created_at": _now(),
        }
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(JobModel)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[JobModel.dedupe_key])
            .returning(JobModel.id)
        )
        with write_session(self._sessions) as session:
            return session.execute(stmt).scalar_one_or_none()

    def cancel_where(self, kind: str | None, meeting_id: int, now: datetime | None = None) -> int:
        stmt = (
            update(JobModel)
            .where(*self._meeting_filter(kind, meeting_id), JobModel.status == QUEUED)
            .values(status=CANCELLED, finished_at=now or _now())
        )
        with write_session(self._sessions) as session:
            return _rowcount(session.execute(stmt))

    def reschedule_where(self, kind: str | None, meeting_id: int, run_at: datetime) -> int:
        stmt = (
            update(JobModel)
            .where(*self._meeting_filter(kind, meeting_id), JobModel.status == QUEUED)
            .values(run_at=run_at)
        )
        with write_session(self._sessions) as session:
            return _rowcount(session.execute(stmt))

    @staticmethod
    def _meeting_filter(kind: str | None, meeting_id: int) -> list[Any]:
        conditions: list[Any] = [JobModel.meeting_id == meeting_id]
        if kind is not None:
            conditions.append(JobModel.kind == kind)
        return conditions

    # -- consuming ---------------------------------------------------------------

    def claim(
        self, worker_id: str, now: datetime, limit: int = 10, lease_seconds: int = 300
    ) -> list[ClaimedJob]:
        """Two statements in one transaction: fail the jobs whose every attempt ended in
        a dead worker, then lock and take the due ones, each with its meeting's
        workspace (a subquery of the same statement)."""
        if limit <= 0:
            return []
        expired = and_(JobModel.status == RUNNING, JobModel.locked_until < now)
        with write_session(self._sessions) as session:
            # A job whose every attempt ended in a dead worker must not loop forever.
            session.execute(
                update(JobModel)
                .where(
                    JobModel.id.in_(
                        self._due_ids(
                            and_(expired, JobModel.attempts >= JobModel.max_attempts), None
                        )
                    )
                )
                .values(
                    status=FAILED,
                    finished_at=now,
                    locked_by=None,
                    locked_until=None,
                    last_error="lease expired on the last attempt (worker stopped?)",
                )
            )
            due = or_(and_(JobModel.status == QUEUED, JobModel.run_at <= now), expired)
            team = (
                select(MeetingModel.team_id)
                .where(MeetingModel.id == JobModel.meeting_id)
                .scalar_subquery()
            )
            rows = session.execute(
                update(JobModel)
                .where(JobModel.id.in_(self._due_ids(due, limit)))
                .values(
                    status=RUNNING,
                    locked_by=worker_id,
                    locked_until=now + timedelta(seconds=lease_seconds),
                    attempts=JobModel.attempts + 1,
                )
                .returning(
                    JobModel.id,
                    JobModel.kind,
                    JobModel.payload,
                    JobModel.attempts,
                    JobModel.max_attempts,
                    JobModel.run_at,
                    team.label("team_id"),
                )
            ).all()
        jobs = [
            ClaimedJob(
                id=r.id,
                kind=r.kind,
                payload=dict(r.payload or {}),
                attempts=r.attempts,
                max_attempts=r.max_attempts,
                run_at=r.run_at,
                team_id=r.team_id or "",
            )
            for r in rows
        ]
        jobs.sort(key=lambda j: (j.run_at, j.id))
        return jobs

    def _due_ids(self, condition: Any, limit: int | None) -> Any:
        """The ids to take, oldest first; on PostgreSQL locked as they are read, skipping
        rows another worker holds (SQLite's claim holds the write lock already)."""
        query = select(JobModel.id).where(condition).order_by(JobModel.run_at, JobModel.id)
        if limit is not None:
            query = query.limit(limit)
        if self._dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return query

    def complete(self, job_id: int, worker_id: str, now: datetime | None = None) -> bool:
        """One statement per job, right after its effect: a worker killed in the middle
        of a batch leaves the jobs it finished done, so none is sent twice. On
        PostgreSQL it runs in autocommit (no BEGIN and COMMIT round trips), written out
        and run on a pooled psycopg connection: built and run by SQLAlchemy it was 13% of
        a reminder job's CPU in the worker (py-spy), and the workers share the cores with
        PostgreSQL and the mail server.

        Its commit there is asynchronous (synchronous_commit off for that transaction
        alone): it does not wait for the WAL to reach the disk. With two workers the
        completions queued for that flush: each worker waited behind the other's and two
        workers sent 1.6x one worker's reminders; without the wait, 1.85x (jobs
        benchmark). What it risks is narrow: a worker that dies loses nothing (the
        server has the commit), nor does a clean restart of PostgreSQL; only a crash of
        PostgreSQL or its machine can forget the completions of the last moments
        (wal_writer_delay, 200 ms by default, three times at most), and those reminders
        are then sent again when their lease expires. Never lost either way."""
        if self._pg_engine is not None:
            params = {
                "id": job_id,
                "worker": worker_id,
                "now": naive_utc(now or _now()),
                "done": DONE,
                "running": RUNNING,
            }
            with autocommit_driver(self._pg_engine) as driver, driver.cursor() as cursor:
                cursor.execute(_COMPLETE_PG, params)
                return bool(cursor.rowcount == 1)
        stmt = (
            update(JobModel)
            .where(*self._held(job_id, worker_id))
            .values(status=DONE, finished_at=now or _now(), locked_until=None, last_error=None)
        )
        if self._dialect != "postgresql":
            with write_session(self._sessions) as session:
                return _rowcount(session.execute(stmt)) == 1
        with self._sessions() as session:
            connection = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            return _rowcount(connection.execute(stmt)) == 1

    def fail(
        self, job_id: int, worker_id: str, error: str, now: datetime, retry: bool = True
    ) -> bool:
        with write_session(self._sessions) as session:
            job = session.execute(
                select(JobModel).where(*self._held(job_id, worker_id))
            ).scalar_one_or_none()
            if job is None:
                return False
            job.last_error = redact(error)[
                -_MAX_ERROR_CHARS:
            ]  # kept for operators: no addresses, no tokens
            job.locked_until = None
            if retry and job.attempts < job.max_attempts:
                job.status = QUEUED
                job.locked_by = None
                job.run_at = now + timedelta(seconds=backoff_seconds(job.attempts))
            else:
                job.status = FAILED
                job.finished_at = now
            return True

    def drop(self, job_id: int, worker_id: str, reason: str, now: datetime) -> bool:
        stmt = (
            update(JobModel)
            .where(*self._held(job_id, worker_id))
            .values(
                status=DROPPED,
                finished_at=now,
                locked_until=None,
                last_error=redact(reason)[-_MAX_ERROR_CHARS:],
            )
        )
        with write_session(self._sessions) as session:
            return _rowcount(session.execute(stmt)) == 1

    @staticmethod
    def _held(job_id: int, worker_id: str) -> Sequence[Any]:
        return (JobModel.id == job_id, JobModel.status == RUNNING, JobModel.locked_by == worker_id)

    # -- observing -------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        with self._sessions() as session:
            for status, count in session.execute(
                select(JobModel.status, func.count()).group_by(JobModel.status)
            ):
                counts[status] = count
        return counts

    def purge_finished(self, kind: str, older_than: datetime) -> int:
        """Delete finished jobs of a recurring kind (their dedupe keys are time buckets,
        never reused), so periodic work does not grow the table without bound."""
        with write_session(self._sessions) as session:
            result = session.execute(
                delete(JobModel).where(
                    JobModel.kind == kind,
                    JobModel.status.in_((DONE, FAILED, CANCELLED, DROPPED)),
                    JobModel.finished_at < older_than,
                )
            )
            return _rowcount(result)

    def list_failed(self, limit: int = 100) -> list[JobInfo]:
        with self._sessions() as session:
            jobs = session.execute(
                select(JobModel)
                .where(JobModel.status == FAILED)
                .order_by(JobModel.finished_at.desc(), JobModel.id.desc())
                .limit(limit)
            ).scalars()
            return [_info(j) for j in jobs]

    def get(self, job_id: int) -> JobInfo | None:
        with self._sessions() as session:
            job = session.get(JobModel, job_id)
            return _info(job) if job is not None else None


def _info(job: JobModel) -> JobInfo:
    return JobInfo(
        id=job.id,
        kind=job.kind,
        payload=dict(job.payload or {}),
        status=job.status,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        run_at=job.run_at,
        last_error=job.last_error,
        dedupe_key=job.dedupe_key,
        finished_at=job.finished_at,
    )


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


if TYPE_CHECKING:  # mypy proves the port is implemented; nothing runs

    def _implements(queue: SqlJobQueue) -> JobQueue:
        return queue
