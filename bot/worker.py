"""Composition of the job worker: which handler runs which job kind, with which adapters."""

from __future__ import annotations

import logging
import threading
from typing import Any

from bot.i18n_context import language_lookup
from bot.notifier import SlackNotifier
from bot.services import Services
from handlers.calendar_booking import CalendarBooking
from handlers.calendar_sync import CalendarSync
from handlers.deliveries import Deliveries
from handlers.jobs import ClaimedJob, JobKind
from handlers.worker import RunStats, Worker

log = logging.getLogger(__name__)


def build_worker(services: Services) -> Worker:
    notifier = SlackNotifier(services.slack_clients, language_lookup(services))
    deliveries = Deliveries(
        services.meetings, services.records, services.people, services.jobs, services.clock,
        mailer=services.mailer, notifier=notifier, mail_from=services.settings.MAIL_FROM,
        workspaces=services.workspaces,
    )
    handlers = {
        JobKind.INVITE: deliveries.send_invitation,
        JobKind.REMIND: deliveries.send_reminder,
        JobKind.REMINDER_MAIL: deliveries.send_reminder_email,
        JobKind.MENTION: deliveries.mention_dm,
        JobKind.OUTCOME: deliveries.outcome_prompt,
        JobKind.OUTCOME_NUDGE: deliveries.outcome_nudge,
        JobKind.OUTCOME_DIGEST: deliveries.outcome_digest,
    }
    calendars = services.calendars
    booking = CalendarBooking(
        services.meetings, services.people, services.jobs, services.clock, calendars,
        conferencing=services.conferencing, notifier=notifier, mail_from=services.settings.MAIL_FROM,
    )
    handlers |= {
        JobKind.CALENDAR_CREATE: booking.calendar_create,
        JobKind.CALENDAR_UPDATE: booking.calendar_update,
        JobKind.CALENDAR_CANCEL: booking.calendar_cancel,
    }
    sync = CalendarSync(calendars, services.meetings, services.jobs, services.clock, notifier=notifier,
                        conferencing=services.conferencing)
    handlers |= {JobKind.CALENDAR_SYNC: sync.sync}

    def on_final_failure(job: ClaimedJob, error: str) -> None:
        booking.on_final_failure(job, error)  # a calendar down for good: invite by email instead
        deliveries.report_failure(job, error)

    return SyncingWorker(services.jobs, handlers, services.clock, on_final_failure=on_final_failure, sync=sync)


class SyncingWorker(Worker):
    """The worker, plus the periodic two-way calendar sync: each run first queues the
    sync jobs of the current time bucket (at most once per bucket per process)."""

    def __init__(self, *args: Any, sync: CalendarSync | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync = sync

    def run_once(self) -> RunStats:
        if self._sync is not None:
            try:
                self._sync.schedule_due()
            except Exception:  # the database may be restarting; the jobs themselves go on
                log.exception("scheduling calendar sync failed")
        return super().run_once()


def start_in_background(worker: Worker) -> threading.Thread:
    thread = threading.Thread(target=worker.run_forever, name="meetline-worker", daemon=True)
    thread.start()
    return thread
