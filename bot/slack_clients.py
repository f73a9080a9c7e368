"""Slack Web API clients: one configured the same way everywhere (retries on rate limits
and server errors), and the client of a workspace for work outside a Slack request
(jobs, sign-in pages, use cases that look up teammates)."""

from __future__ import annotations

import http.client
import io
from functools import lru_cache
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request

import urllib3
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

POOL = urllib3.PoolManager(num_pools=4, maxsize=32, retries=False)
"""Connections to Slack kept open between calls, shared by every client of the process.

slack_sdk's own transport (urllib) opens a TCP (and TLS) connection per call and closes
it; under a burst that is a handshake per views.open. maxsize is about the threads that
call Slack at once (HTTP threads and the after-ack pools); past it a connection is
opened and dropped after use, never waited for."""


class KeepAliveWebClient(WebClient):
    """slack_sdk's WebClient with pooled keep-alive connections (urllib3) in place of
    urllib. Everything above the transport (retry handlers, rate limits, parsing) is the
    SDK's: errors come back as the HTTPError urllib raises, which it already handles."""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if not url.lower().startswith(("http://", "https://")):
            return super()._perform_urllib_http_request_internal(url, req)
        resp = POOL.request(
            "POST",
            url,
            body=req.data,  # type: ignore[arg-type]
            headers=dict(req.header_items()),
            timeout=self.timeout,
            redirect=False,
        )
        headers = http.client.HTTPMessage()
        for key, value in resp.headers.items():
            headers[key] = value
        if resp.status >= 400:  # what urlopen raises, so the SDK's retry handlers see it
            raise HTTPError(url, resp.status, resp.reason or "", headers, io.BytesIO(resp.data))
        if headers.get_content_type() == "application/gzip":
            return {"status": resp.status, "headers": headers, "body": resp.data}
        charset = headers.get_content_charset() or "utf-8"
        return {"status": resp.status, "headers": headers, "body": resp.data.decode(charset)}


def keep_alive_like(client: WebClient) -> WebClient:
    """`client` (the one Bolt builds per request, always a plain WebClient) on the pooled
    transport, with the same token, endpoint and retry handlers."""
    if isinstance(client, KeepAliveWebClient):
        return client
    return KeepAliveWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        headers=client.headers,
        logger=client.logger,
        retry_handlers=client.retry_handlers,
    )


def make_client(api_url: str, token: str | None = None) -> WebClient:
    client = KeepAliveWebClient(token=token, base_url=api_url, timeout=10)
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
