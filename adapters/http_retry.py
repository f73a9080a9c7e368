"""Retrying HTTP calls to providers that throttle (Graph, Zoom) — and the backoff rules the
Google adapter reuses around googleapiclient.

Built on `requests`, which msal already depends on, so no extra package is needed; the
Graph and Zoom adapters talk JSON over plain HTTPS and need nothing richer.

Rules, in order of precedence:

- 429 and 5xx answers and connection failures are retried; other answers are returned to
  the caller, which maps them to its own errors.
- A `Retry-After` header is obeyed exactly (seconds or an HTTP date). When it asks for
  longer than `RetryPolicy.max_wait`, no request thread should block that long: the answer
  is returned at once and the caller reports `retry_after` to the job queue instead.
- Otherwise the wait grows exponentially with "equal jitter" (half fixed, half random) so
  several workers throttled together do not come back in lockstep.
- `sleep` and `rand` are injectable, so tests assert the waits without waiting.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

Sleep = Callable[[float], None]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. `max_attempts` counts the first call, so 4 means 3 retries."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_wait: float = 60.0
    retry_statuses: frozenset[int] = field(default=RETRY_STATUSES)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Wait after failed attempt number `attempt` (1-based) when the server gave no hint."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + rand() * ceiling / 2


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpUnavailable(Exception):
    """Every attempt failed to get an answer at all (refused, reset, timed out)."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


def retry_after_of(response: requests.Response) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"))


def send_with_retry(
    send: Callable[[], requests.Response],
    *,
    policy: RetryPolicy | None = None,
    sleep: Sleep = time.sleep,
    rand: Callable[[], float] = random.random,
) -> requests.Response:
    """Call `send` until it answers with a status worth keeping, and return that answer.

    The last answer is returned even when it is still a 429/5xx after `max_attempts`:
    the caller turns it into a transient error carrying `retry_after_of(response)`.
    Raises `HttpUnavailable` when the last attempt got no answer at all.

    `send` must be safe to repeat: Graph creates carry a `transactionId`, updates and
    deletes are naturally idempotent; a repeated Zoom create at worst leaves an unused
    meeting, which is better than a booking without a link.
    """
    policy = policy or RetryPolicy()
    for attempt in range(1, policy.max_attempts + 1):
        last = attempt == policy.max_attempts
        try:
            response = send()
        except (requests.ConnectionError, requests.Timeout) as exc:
            if last:
                raise HttpUnavailable(f"{type(exc).__name__}: {exc}", attempt) from exc
            sleep(policy.backoff(attempt, rand))
            continue
        if response.status_code not in policy.retry_statuses or last:
            return response
        hint = retry_after_of(response)
        if hint is not None and hint > policy.max_wait:
            return response
        response.close()
        sleep(hint if hint is not None else policy.backoff(attempt, rand))
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns
