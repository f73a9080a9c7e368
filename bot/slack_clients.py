"""Slack Web API clients: one configured the same way everywhere (retries on rate limits
and server errors), and the client of a workspace for work outside a Slack request
(jobs, sign-in pages, use cases that look up teammates)."""

from __future__ import annotations

from functools import lru_cache

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.engine import Engine

from bot.notifier import ClientForTeam
from bot.settings import Settings
from storage.crypto import SecretBox
from storage.slack_stores import EncryptedInstallationStore


def make_client(api_url: str, token: str | None = None) -> WebClient:
    client = WebClient(token=token, base_url=api_url, timeout=10)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    client.retry_handlers.append(ServerErrorRetryHandler(max_retry_count=1))
    return client


def client_for_team(settings: Settings, engine: Engine) -> ClientForTeam:
    """The bot token's client (single workspace), the installation's (multi-workspace),
    or None when the workspace has no installation."""
    if settings.slack_mode == "single":
        shared = make_client(settings.SLACK_API_URL, settings.SLACK_BOT_TOKEN)
        return lambda team_id: shared
    if settings.slack_mode != "oauth" or not settings.SECRET_KEY or not settings.SLACK_CLIENT_ID:
        return lambda team_id: None
    store = EncryptedInstallationStore(
        settings.SLACK_CLIENT_ID, engine, SecretBox(settings.SECRET_KEY)
    )

    @lru_cache(maxsize=256)
    def token_for(team_id: str) -> str | None:
        bot = store.find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot else None

    def client(team_id: str) -> WebClient | None:
        token = token_for(team_id)
        return make_client(settings.SLACK_API_URL, token) if token else None

    return client
