"""Composition of the job worker: which handler runs which job kind, with which adapters."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

from slack_sdk import WebClient

from bot.app import make_client
from bot.notifier import ClientForTeam, SlackNotifier
from bot.profiles import ProfileService
from bot.services import Services
from handlers.deliveries import JOB_REMINDER_MAIL, Deliveries
from handlers.domain import UserProfile
from handlers.scheduling import JOB_INVITE, JOB_MENTION, JOB_OUTCOME, JOB_REMIND
from handlers.worker import Worker
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
    notifier = SlackNotifier(client_for)
    deliveries = Deliveries(
        services.meetings, services.records, TeamPeople(services, client_for), services.jobs, services.clock,
        mailer=services.mailer, notifier=notifier, mail_from=services.settings.MAIL_FROM,
    )
    handlers = {
        JOB_INVITE: deliveries.send_invitation,
        JOB_REMIND: deliveries.send_reminder,
        JOB_REMINDER_MAIL: deliveries.send_reminder_email,
        JOB_MENTION: deliveries.mention_dm,
        JOB_OUTCOME: deliveries.outcome_prompt,
    }
    return Worker(services.jobs, handlers, services.clock, on_final_failure=deliveries.report_failure)


def start_in_background(worker: Worker) -> threading.Thread:
    thread = threading.Thread(target=worker.run_forever, name="meetline-worker", daemon=True)
    thread.start()
    return thread
