"""The job worker as this app runs it: with the periodic calendar sync, in a background
thread (bot.wiring maps each job kind to its handler)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from handlers.calendar_sync import CalendarSync
from handlers.worker import RunStats, Worker

log = logging.getLogger(__name__)


class SyncingWorker(Worker):
    """The worker, plus the periodic two-way calendar sync: each run first queues the
    sync jobs of the current time bucket (at most once per bucket per process)."""

    def __init__(
        self,
        *args: Any,
        sync: CalendarSync | None = None,
        crm_schedule: Callable[[], int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._sync = sync
        self._crm_schedule = crm_schedule  # the CRM records' incremental syncs

    def run_once(self) -> RunStats:
        if self._sync is not None:
            try:
                self._sync.schedule_due()
            except Exception:  # the database may be restarting; the jobs themselves go on
                log.exception("scheduling calendar sync failed")
        if self._crm_schedule is not None:
            try:
                self._crm_schedule()
            except Exception:  # as above
                log.exception("scheduling CRM sync failed")
        return super().run_once()


def start_in_background(worker: Worker) -> threading.Thread:
    thread = threading.Thread(target=worker.run_forever, name="meetline-worker", daemon=True)
    thread.start()
    return thread
