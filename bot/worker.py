"""Composition of the job worker: which handler runs which job kind, with which adapters."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

from slack_sdk import WebClient

from bot.app import make_client
from bot.i18n_context import language_lookup
from bot.notifier import ClientForTeam, SlackNotifier
from bot.profiles import ProfileService
from bot.services import Services
from handlers.calendar_booking import CalendarBooking
from handlers.calendar_sync import CalendarSync
from handlers.deliveries import Deliveries
from handlers.domain import UserProfile
from handlers.jobs import ClaimedJob, JobKind
from handlers.worker import RunStats, Worker
from storage.crypto import SecretBox
from storage.slack_stores import EncryptedInstallationStore

log = logging.getLogger(__name__)


class TeamPeople:
    """PeopleDirectory for background work: cached profiles, refreshed from Slack."""

    def __init__(self, services: Services, client_for: ClientForTeam) -> None:
        self._profiles = ProfileService(services.users, services.clock, services.settings.admin_ids)
        self._users = services.users
        self._client_for = client_for

    def user(self, team_id: str, user_id: str) -> UserProfile | None:
        client = self._client_for(team_id)
        if client is None:
            cached = self._users.get(team_id, user_id)
            return None if cached is None or cached.extra.get("deleted") else cached
        return self._profiles.lookup(client, team_id, user_id)


def client_for_team(services: Services) -> ClientForTeam:
    settings = services.settings
    if settings.slack_mode == "single":
        shared = make_client(settings.SLACK_API_URL, settings.SLACK_BOT_TOKEN)
        return lambda team_id: shared
    if settings.slack_mode != "oauth" or not settings.SECRET_KEY or not settings.SLACK_CLIENT_ID:
        return lambda team_id: None
    store = EncryptedInstallationStore(settings.SLACK_CLIENT_ID, services.engine, SecretBox(settings.SECRET_KEY))

    @lru_cache(maxsize=256)
    def token_for(team_id: str) -> str | None:
        bot = store.find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot else None

    def client(team_id: str) -> WebClient | None:
        token = token_for(team_id)
        return make_client(settings.SLACK_API_URL, token) if token else None

    return client


def build_worker(services: Services, client_for: ClientForTeam | None = None) -> Worker:
    client_for = client_for or client_for_team(services)
    notifier = SlackNotifier(client_for, language_lookup(services))
    deliveries = Deliveries(
        services.meetings, services.records, TeamPeople(services, client_for), services.jobs, services.clock,
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
        services.meetings, TeamPeople(services, client_for), services.jobs, services.clock, calendars,
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
