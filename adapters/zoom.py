"""Zoom meetings (Server-to-Server OAuth app) behind `ConferencingPort`.

Choices that matter, and why:

- **Tokens.** Server-to-Server OAuth has no refresh token: an `account_credentials`
  grant gives a one-hour token. It is cached (with a minute's margin) because Zoom rate-
  limits the token endpoint too; a 401 from the API drops it and fetches a new one once.
- **Idempotency.** Zoom has no idempotency key, so `create_meeting` is not idempotent:
  the caller stores the returned meeting id before anything else and updates on retry.
  Retries inside one call (429/5xx/connection) can at worst leave an unused meeting,
  which is better than a booking without a link.
- **Limits.** 100 create/update calls per user per day; a 429 whose `Retry-After` is
  longer than the policy's `max_wait` is returned at once as a transient error with
  `retry_after`, for the job queue to wait instead of a worker thread.
- Meeting times go out in UTC (`…Z`) with the host's IANA zone for Zoom's own display.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from adapters.http_retry import (
    HttpUnavailable,
    RetryPolicy,
    Sleep,
    retry_after_of,
    send_with_retry,
)
from handlers.calendars import ConferenceLink, ConferencingError

ZOOM_API_URL = "https://api.zoom.us/v2"
ZOOM_OAUTH_URL = "https://zoom.us/oauth/token"
TOKEN_MARGIN_SECONDS = 60
MAX_TOPIC = 200


def _zoom_time(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("start_utc must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ZoomConferencing:
    """Zoom meetings for hosts in one Zoom account (ZOOM_ACCOUNT_ID/CLIENT_ID/SECRET)."""

    provider = "zoom"

    def __init__(
        self,
        account_id: str,
        client_id: str,
        client_secret: str,
        api_url: str = ZOOM_API_URL,
        oauth_url: str = ZOOM_OAUTH_URL,
        sleep: Sleep = time.sleep,
        *,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._account_id = account_id
        self._client_id = client_id
        self._client_secret = client_secret
        self._api_url = api_url.rstrip("/")
        self._oauth_url = oauth_url
        self._sleep = sleep
        self._policy = policy or RetryPolicy()
        self._session = session or requests.Session()
        self._timeout = timeout
        self._clock = clock
        self._rand = rand
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ port
    def create_meeting(
        self,
        topic: str,
        start_utc: datetime,
        duration_minutes: int,
        host_email: str,
        timezone: str,
    ) -> ConferenceLink:
        body = self._meeting_fields(topic, start_utc, duration_minutes, timezone)
        body["type"] = 2  # scheduled
        response = self._call("POST", f"/users/{quote(host_email, safe='@')}/meetings", json=body)
        data = response.json()
        return ConferenceLink(
            provider="zoom", meeting_id=str(data["id"]), join_url=str(data["join_url"])
        )

    def update_meeting(
        self,
        meeting_id: str,
        topic: str,
        start_utc: datetime,
        duration_minutes: int,
        timezone: str,
    ) -> None:
        body = self._meeting_fields(topic, start_utc, duration_minutes, timezone)
        self._call("PATCH", f"/meetings/{quote(str(meeting_id), safe='')}", json=body)

    def delete_meeting(self, meeting_id: str) -> None:
        try:
            self._call("DELETE", f"/meetings/{quote(str(meeting_id), safe='')}")
        except _NotFound:
            return  # already gone: deleted either way

    # ------------------------------------------------------------------ details
    @staticmethod
    def _meeting_fields(
        topic: str, start_utc: datetime, duration_minutes: int, timezone: str
    ) -> dict[str, Any]:
        if duration_minutes <= 0:
            raise ValueError("duration_minutes must be positive")
        return {
            "topic": " ".join(topic.split())[:MAX_TOPIC] or "Meeting",
            "start_time": _zoom_time(start_utc),
            "duration": int(duration_minutes),
            "timezone": timezone,
        }

    def _access_token(self, *, force: bool = False) -> str:
        with self._lock:
            if not force and self._token and self._clock() < self._token_expires:
                return self._token

            def send() -> requests.Response:
                return self._session.post(
                    self._oauth_url,
                    data={"grant_type": "account_credentials", "account_id": self._account_id},
                    auth=(self._client_id, self._client_secret),
                    timeout=self._timeout,
                )

            response = self._send(send, "token")
            if response.status_code >= 400:
                if response.status_code in self._policy.retry_statuses:
                    raise ConferencingError(
                        f"Zoom sign-in unavailable ({response.status_code})",
                        transient=True,
                        retry_after=retry_after_of(response),
                    )
                raise ConferencingError(
                    f"Zoom refused the app credentials ({response.status_code}): {self._error_text(response)}",
                    transient=False,
                )
            data = response.json()
            self._token = str(data["access_token"])
            lifetime = float(data.get("expires_in", 3600))
            self._token_expires = self._clock() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS)
            return self._token

    def _send(self, send: Callable[[], requests.Response], what: str) -> requests.Response:
        try:
            return send_with_retry(send, policy=self._policy, sleep=self._sleep, rand=self._rand)
        except HttpUnavailable as exc:
            raise ConferencingError(f"Zoom unreachable ({what}): {exc}", transient=True) from exc

    def _call(
        self, method: str, path: str, *, json: Mapping[str, Any] | None = None
    ) -> requests.Response:
        url = self._api_url + path
        for fresh_token in (False, True):
            token = self._access_token(force=fresh_token)

            def send(token: str = token) -> requests.Response:
                return self._session.request(
                    method,
                    url,
                    json=json,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    timeout=self._timeout,
                )

            response = self._send(send, f"{method} {path}")
            if response.status_code == 401 and not fresh_token:
                continue  # token revoked or expired early: fetch a new one, once
            break
        status = response.status_code
        if status < 400:
            return response
        message = f"Zoom {status} on {method} {path}: {self._error_text(response)}"
        if status in self._policy.retry_statuses:
            raise ConferencingError(message, transient=True, retry_after=retry_after_of(response))
        if status == 404:
            raise _NotFound(message)
        raise ConferencingError(message, transient=False)

    @staticmethod
    def _error_text(response: requests.Response) -> str:
        try:
            data = response.json()
        except ValueError:
            return response.text[:200]
        if isinstance(data, dict):
            return str(data.get("message") or data.get("reason") or data.get("error") or data)
        return str(data)[:200]


class _NotFound(ConferencingError):
    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)
