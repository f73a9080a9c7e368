"""Slack Web API clients: one configured the same way everywhere (retries on rate limits
and server errors), and the client of a workspace for work outside a Slack request
(jobs, sign-in pages, use cases that look up teammates)."""

from __future__ import annotations

import http.client
import io
import select
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import Request

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

IDLE_PER_HOST = 32
MAX_HEADER_LINE, MAX_HEADERS = 65536, 100  # http.client's own limits
"""Idle connections kept per Slack host: about the threads that call Slack at once (HTTP
threads and the after-ack pools). Past it a connection is closed after use, never
waited for."""


class SlackResponse(http.client.HTTPResponse):
    """http.client's response with its header block read by a short loop instead of the
    `email` package's feed parser, which was the largest single cost of a Slack call
    (py-spy on bench.request_cpu: 9% of a /meet's CPU, 0.14 ms a call, for the eight or
    so headers Slack sends). The headers are the same `HTTPMessage` (case-insensitive,
    repeated names kept, folded lines joined), so http.client, urllib's HTTPError and the
    SDK read them as before; what `begin` does after the headers is http.client's own
    (chunked, length, keep-alive)."""

    def begin(self) -> None:
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            _header_lines(self.fp)  # an interim 100 answer's headers
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = _parse_headers(self.fp)
        self._after_headers(status)

    def _after_headers(self, status: int) -> None:
        """http.client.HTTPResponse.begin from its headers on: how the body is framed."""
        transfer = self.headers.get("transfer-encoding")
        self.chunked = bool(transfer and transfer.lower() == "chunked")
        self.chunk_left = None
        self.will_close = self._check_close()  # type: ignore[attr-defined]
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        bodiless = (http.client.NO_CONTENT, http.client.NOT_MODIFIED)
        if status in bodiless or 100 <= status < 200 or self._method == "HEAD":  # type: ignore[attr-defined]
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


def _header_lines(fp: Any) -> list[bytes]:
    lines: list[bytes] = []
    while True:
        line = fp.readline(MAX_HEADER_LINE + 1)
        if len(line) > MAX_HEADER_LINE:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            return lines
        lines.append(line)
        if len(lines) > MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")


def _parse_headers(fp: Any) -> http.client.HTTPMessage:
    message = http.client.HTTPMessage()
    fields: list[list[str]] = []
    for raw in _header_lines(fp):
        line = raw.decode("iso-8859-1").rstrip("\r\n")
        if line[:1] in (" ", "\t"):  # a folded line continues the field before it
            if fields:
                fields[-1][1] = f"{fields[-1][1]} {line.strip()}"
            continue
        name, sep, value = line.partition(":")
        if not sep:  # no header: the email parser takes it and the rest as a body
            break
        fields.append([name, value.strip()])
    for name, value in fields:
        message[name] = value
    return message


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type value, without the email package."""
    for param in (content_type or "").split(";")[1:]:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            return val.strip().strip('"') or None
    return None


class _SlackConnection(http.client.HTTPConnection):
    response_class = SlackResponse


class _SlackTlsConnection(http.client.HTTPSConnection):
    response_class = SlackResponse


class ConnectionPool:
    """Keep-alive HTTP/1.1 connections to Slack, shared by every client of the process.

    slack_sdk's own transport (urllib) opens a TCP (and TLS) connection per call and
    closes it; under a burst that is a handshake per views.open. The standard library's
    http.client keeps one open and costs less CPU per call than urllib or urllib3 (measured
    on a 6.7 kB views.update against the fake Slack: 0.36 ms against 0.59 ms for urllib
    and 0.78 ms for the urllib3 pool this replaced). A connection is used by one thread at
    a time: taken from the idle list, or opened, and put back only after its response was
    read in full and the server did not ask to close it."""

    def __init__(self, idle_per_host: int = IDLE_PER_HOST) -> None:
        self._idle: dict[tuple[str, str], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._max_idle = idle_per_host
        self._tls = ssl.create_default_context()

    @contextmanager
    def connection(
        self, scheme: str, netloc: str, timeout: float, tls: ssl.SSLContext | None = None
    ) -> Iterator[http.client.HTTPConnection]:
        key = (scheme, netloc)
        conn = self._take(key)
        if conn is None:
            conn = (
                _SlackTlsConnection(netloc, timeout=timeout, context=tls or self._tls)
                if scheme == "https"
                else _SlackConnection(netloc, timeout=timeout)
            )
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        reusable = False
        try:
            yield conn
            reusable = True
        finally:
            if reusable and tls is None:
                self._give_back(key, conn)
            else:
                conn.close()

    def _take(self, key: tuple[str, str]) -> http.client.HTTPConnection | None:
        while True:
            with self._lock:
                idle = self._idle.get(key)
                conn = idle.pop() if idle else None
            if conn is None or not _dropped(conn):
                return conn
            conn.close()  # the server closed it while idle: try the next one

    def _give_back(self, key: tuple[str, str], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._max_idle:
                idle.append(conn)
                return
        conn.close()


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """An idle connection whose socket is readable was closed by the server (or holds
    bytes nobody asked for): either way it must not carry the next request."""
    sock = conn.sock
    if sock is None:
        return False  # not connected yet: http.client connects on first use
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


POOL = ConnectionPool()


class KeepAliveWebClient(WebClient):
    """slack_sdk's WebClient over `POOL`'s keep-alive connections in place of urllib.
    Everything above the transport (retry handlers, rate limits, parsing) is the SDK's:
    errors come back as the HTTPError urllib raises, which it already handles. A proxy
    setting falls back to the SDK's urllib transport, which knows proxies."""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or self.proxy:
            return super()._perform_urllib_http_request_internal(url, req)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        # A caller's own TLS context (WebClient(ssl=...)) gets connections of its own.
        with POOL.connection(parts.scheme, parts.netloc, self.timeout, self.ssl) as conn:
            conn.request("POST", path, body=req.data, headers=dict(req.header_items()))
            resp = conn.getresponse()
            data = resp.read()
            if resp.will_close:
                conn.close()
        if resp.status >= 400:  # what urlopen raises, so the SDK's retry handlers see it
            raise HTTPError(url, resp.status, resp.reason or "", resp.headers, io.BytesIO(data))
        content_type = resp.headers.get("content-type")
        if (content_type or "").split(";")[0].strip().lower() == "application/gzip":
            return {"status": resp.status, "headers": resp.headers, "body": data}
        charset = charset_of(content_type) or "utf-8"
        return {"status": resp.status, "headers": resp.headers, "body": data.decode(charset)}


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
