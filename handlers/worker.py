"""The job worker: claims due jobs, runs their handler, records the result.

Effects must be idempotent per job (a worker can die after the effect and before
`complete`; the lease then expires and the job runs again), so handlers check state
first (e.g. "already invited at this SEQUENCE") before acting.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from handlers.jobs import ClaimedJob, JobQueue
from handlers.ports import Clock
from handlers.redaction import error_summary, redact

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """A transient failure: run the job again after the queue's backoff.

    The message is stored in `jobs.last_error` and may be shown to the organizer: say
    what failed and give a status code, never an address, a title or a server's reply."""


class GiveUp(Exception):
    """A permanent failure: retrying cannot help. The message follows RetryLater's rule."""


class Dropped(Exception):
    """Nothing left to do, and doing it now would mislead (a reminder of a meeting that
    has started): the job ends as dropped, with this reason where operators read job
    errors, and is never retried. The message follows RetryLater's rule."""


def stored_error(exc: BaseException) -> str:
    """The failure as kept in `jobs.last_error` and the log: our own message (scrubbed,
    as a safety net) for RetryLater/GiveUp, else only the exception's class and status
    code, because library and server messages quote recipients, bodies and tokens."""
    if isinstance(exc, RetryLater | GiveUp | Dropped):
        return redact(str(exc))
    return error_summary(exc)


JobHandler = Callable[[ClaimedJob], None]
# Set up for one claimed batch and torn down after it (e.g. read the batch's meetings in
# one go, keep one mail server connection open): `Deliveries.batch`.
BatchScope = Callable[[Sequence[ClaimedJob]], AbstractContextManager[object]]
FailureHook = Callable[[ClaimedJob, str], None]


@dataclass
class RunStats:
    done: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0

    @property
    def total(self) -> int:
        return self.done + self.retried + self.failed + self.dropped


class Worker:
    def __init__(
        self,
        queue: JobQueue,
        handlers: Mapping[str, JobHandler],
        clock: Clock,
        *,
        on_final_failure: FailureHook | None = None,
        worker_id: str | None = None,
        batch: int = 10,
        lease_seconds: int = 300,
        batch_scope: BatchScope | None = None,
        complete_retry_seconds: float = 30.0,
    ) -> None:
        self._queue = queue
        self._handlers = dict(handlers)
        self._clock = clock
        self._on_final_failure = on_final_failure
        self.worker_id = worker_id or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self._batch = batch
        self._lease = lease_seconds
        self._batch_scope = batch_scope
        self._complete_retry = complete_retry_seconds
        self._stop = threading.Event()

    @property
    def kinds(self) -> set[str]:
        """The job kinds this worker can run (a queued kind missing here never runs)."""
        return set(self._handlers)

    def run_once(self) -> RunStats:
        """Run every job that is due now, then return."""
        stats = RunStats()
        while True:
            jobs = self._queue.claim(
                self.worker_id, self._clock.now(), limit=self._batch, lease_seconds=self._lease
            )
            if not jobs:
                return stats
            scope = self._batch_scope(jobs) if self._batch_scope else contextlib.nullcontext()
            with scope:
                for job in jobs:
                    self._run(job, stats)

    def run_forever(self, idle_seconds: float = 1.0) -> None:
        while not self._stop.is_set():
            try:
                stats = self.run_once()
            except Exception:  # the database may be restarting: wait and try again
                log.exception("worker loop failed; retrying")
                stats = RunStats()
            if stats.total == 0:
                self._stop.wait(idle_seconds)

    def stop(self) -> None:
        self._stop.set()

    def _run(self, job: ClaimedJob, stats: RunStats) -> None:
        handler = self._handlers.get(job.kind)
        now = self._clock.now
        if handler is None:
            self._final(job, f"no handler for job kind {job.kind!r}", stats)
            return
        try:
            handler(job)
        except RetryLater as exc:
            if job.is_last_attempt:
                self._final(job, stored_error(exc) or "gave up after retries", stats)
            else:
                log.info("job %s (%s) will be retried: %s", job.id, job.kind, stored_error(exc))
                self._queue.fail(
                    job.id, self.worker_id, stored_error(exc)[:2000], now(), retry=True
                )
                stats.retried += 1
        except GiveUp as exc:
            self._final(job, stored_error(exc), stats)
        except Dropped as exc:
            log.info("job %s (%s) dropped: %s", job.id, job.kind, stored_error(exc))
            self._queue.drop(job.id, self.worker_id, stored_error(exc)[:2000], now())
            stats.dropped += 1
        except Exception as exc:  # a bug or an unexpected outage: retry, keep the trace in the log
            log.exception(
                "job %s (%s) failed", job.id, job.kind
            )  # the log's filter scrubs the trace
            if job.is_last_attempt:
                self._final(job, stored_error(exc), stats)
            else:
                self._queue.fail(
                    job.id, self.worker_id, stored_error(exc)[:2000], now(), retry=True
                )
                stats.retried += 1
        else:
            self._complete(job)
            stats.done += 1

    def _complete(self, job: ClaimedJob) -> None:
        """Mark the job done, trying again while the database is away (restarting,
        failing over) for up to `complete_retry_seconds`. Its effect has happened: a
        completion given up on leaves the job leased, so it runs again after the lease
        (its mail sent twice) and the rest of the batch waits for its lease too. Past
        the window the error goes up and the batch stops: jobs run while the database
        cannot record them would all be repeated."""
        deadline = time.monotonic() + self._complete_retry
        pause = 0.1
        while True:
            try:
                self._queue.complete(job.id, self.worker_id, self._clock.now())
                return
            except Exception as exc:
                if self._stop.is_set() or time.monotonic() + pause > deadline:
                    raise
                log.warning(
                    "completing job %s failed (%s); trying again", job.id, error_summary(exc)
                )
            self._stop.wait(pause)
            pause = min(pause * 2, 2.0)

    def _final(self, job: ClaimedJob, error: str, stats: RunStats) -> None:
        log.error("job %s (%s) failed for good: %s", job.id, job.kind, error)
        self._queue.fail(job.id, self.worker_id, error[:2000], self._clock.now(), retry=False)
        stats.failed += 1
        if self._on_final_failure is not None:
            try:
                self._on_final_failure(job, error)
            except Exception:
                log.exception("reporting the failure of job %s failed", job.id)
