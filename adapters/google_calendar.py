"""Google Calendar (API v3) behind `CalendarPort`, via googleapiclient.

Choices that matter, and why:

- **Idempotent create.** The event `id` is derived from the meeting UID (base32hex), so a
  retried insert collides with the first one (409) instead of making a second event; on
  409 the existing event is fetched and returned.
- **Invitations.** `sendUpdates` is sent on every write: left out, Google sends nothing.
  With the default "all" Google mails the attendees, so `sends_invitations` is True and
  Meetline must not mail its own .ics.
- **Meet.** A conference is asked for with `conferenceData.createRequest` *and*
  `conferenceDataVersion=1` (without it the request is silently ignored). The request id
  is derived from the event id, so a retry cannot make a second conference; creation can
  be asynchronous, so a `pending` status is polled a few times.
- **Retries** are our own loop around `execute(num_retries=0)` rather than
  googleapiclient's, so the sleep is injectable and `Retry-After` is honoured. 429, 5xx,
  rate-limit 403s and connection failures are retried; what is left is a transient
  `CalendarError` for the job queue.
- **Auth.** google-auth refreshes an expired access token through `token_uri` (and once
  more on a 401). A refresh refused with `invalid_grant`, or a 401 that survives it, is a
  `CalendarAuthError`: the user must reconnect.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import google_auth_httplib2
import httplib2
from google.auth import exceptions as google_auth_exceptions
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from adapters.http_retry import RetryPolicy, Sleep, parse_retry_after
from handlers.calendars import (
    BusyInterval,
    CalendarAuthError,
    CalendarError,
    CalendarEvent,
    CalendarNotFoundError,
    CalendarResult,
)

SendUpdates = Literal["all", "externalOnly", "none"]

SCOPES = ("https://www.googleapis.com/auth/calendar",)
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
FREEBUSY_BATCH = 50  # calendarExpansionMax
MEET_POLLS = 4


def event_id_for(uid: str) -> str:
    """The Google event id for a meeting UID: base32hex (a-v, 0-9), stable across retries."""
    digest = hashlib.sha256(f"meetline:{uid}".encode()).digest()
    return base64.b32hexencode(digest).decode("ascii").rstrip("=").lower()


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _error_reasons(exc: HttpError) -> set[str]:
    try:
        data = json.loads(exc.content.decode("utf-8"))
        errors = data["error"].get("errors") or []
        reasons = {str(e.get("reason", "")) for e in errors if isinstance(e, dict)}
        for detail in data["error"].get("details") or []:
            if isinstance(detail, dict) and detail.get("reason"):
                reasons.add(str(detail["reason"]))
        return reasons
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()


def _join_url(event: Mapping[str, Any]) -> str | None:
    if event.get("hangoutLink"):
        return str(event["hangoutLink"])
    for entry in (event.get("conferenceData") or {}).get("entryPoints") or []:
        if entry.get("entryPointType") == "video" and entry.get("uri"):
            return str(entry["uri"])
    return None


def _conference_status(event: Mapping[str, Any]) -> str | None:
    data = event.get("conferenceData") or {}
    status = ((data.get("createRequest") or {}).get("status") or {}).get("statusCode")
    return str(status) if status else None


class GoogleCalendar:
    """One connected Google calendar.

    `credentials_or_http` is google-auth `Credentials` (the usual case; refreshed through
    their `token_uri`) or a ready `httplib2.Http`-like object (tests with HttpMock).
    `api_url` is GOOGLE_API_URL: the root of a fake in tests (``/calendar/v3/`` is added).
    `on_credentials_changed` receives `Credentials.to_json()` after a refresh, to be
    stored (encrypted) so the next job starts with the fresh access token.
    """

    provider = "google"

    def __init__(
        self,
        credentials_or_http: Any,
        calendar_id: str = "primary",
        api_url: str | None = None,
        send_updates: SendUpdates = "all",
        *,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        rand: Callable[[], float] = random.random,
        timeout: float = 30.0,
        on_credentials_changed: Callable[[str], None] | None = None,
    ) -> None:
        if send_updates not in ("all", "externalOnly", "none"):
            raise ValueError(
                f"send_updates must be all, externalOnly or none, not {send_updates!r}"
            )
        self.calendar_id = calendar_id
        self.send_updates: SendUpdates = send_updates
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rand = rand
        self._on_credentials_changed = on_credentials_changed
        self._credentials: Credentials | None = None
        if hasattr(credentials_or_http, "before_request"):
            self._credentials = credentials_or_http
            http: Any = google_auth_httplib2.AuthorizedHttp(
                credentials_or_http, http=httplib2.Http(timeout=timeout)
            )
        else:
            http = credentials_or_http
        options = {"api_endpoint": api_url.rstrip("/") + "/calendar/v3/"} if api_url else None
        self._service = build(
            "calendar",
            "v3",
            http=http,
            client_options=options,
            static_discovery=True,
            cache_discovery=False,
        )

    @classmethod
    def from_authorized_user_info(
        cls,
        info: Mapping[str, Any] | str,
        *,
        calendar_id: str = "primary",
        api_url: str | None = None,
        token_uri: str | None = None,
        send_updates: SendUpdates = "all",
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        rand: Callable[[], float] = random.random,
        timeout: float = 30.0,
        on_credentials_changed: Callable[[str], None] | None = None,
    ) -> GoogleCalendar:
        """From stored `Credentials.to_json()` (a JSON string or its dict).

        `token_uri` overrides the stored one (a fake's ``/token`` in tests). A stored blob
        without a refresh token is refused at once: it would stop working within the hour.
        """
        data = dict(json.loads(info) if isinstance(info, str) else info)
        try:
            credentials = Credentials.from_authorized_user_info(data)
        except ValueError as exc:
            raise CalendarAuthError(f"stored Google credentials are unusable: {exc}") from exc
        # from_authorized_user_info always resets token_uri to Google's own endpoint, and
        # with_token_uri's copy forgets the expiry (an expired token would then be sent).
        expiry = credentials.expiry
        credentials = credentials.with_token_uri(
            token_uri or data.get("token_uri") or credentials.token_uri
        )
        credentials.expiry = expiry
        return cls(
            credentials,
            calendar_id=calendar_id,
            api_url=api_url,
            send_updates=send_updates,
            policy=policy,
            sleep=sleep,
            rand=rand,
            timeout=timeout,
            on_credentials_changed=on_credentials_changed,
        )

    # ------------------------------------------------------------------ port
    @property
    def sends_invitations(self) -> bool:
        # "externalOnly" still mails every guest outside Google; Google users see the
        # event in their calendar directly, so a Meetline .ics would double it.
        return self.send_updates != "none"

    def create_event(self, ev: CalendarEvent) -> CalendarResult:
        event_id = event_id_for(ev.uid)
        body = self._body(ev)
        body["id"] = event_id
        if ev.want_video == "google_meet":
            body["conferenceData"] = self._meet_request(event_id)
        insert = self._service.events().insert(
            calendarId=self.calendar_id,
            body=body,
            sendUpdates=self.send_updates,
            conferenceDataVersion=1,
        )
        try:
            event = self._execute(insert)
        except _Conflict:
            event = self._adopt_existing(event_id, ev)
        return self._result(event, ev)

    def update_event(self, event_id: str, ev: CalendarEvent) -> CalendarResult:
        body = self._body(ev)
        if ev.want_video == "google_meet":
            current = self._get(event_id)
            if current.get("status") == "cancelled":
                raise CalendarNotFoundError(f"event {event_id} was deleted in Google Calendar")
            if _join_url(current) is None and _conference_status(current) != "pending":
                # A fresh request id: a repeated one is ignored by Google.
                body["conferenceData"] = self._meet_request(f"{event_id}-{ev.sequence}")
        event = self._patch(event_id, body)
        if event.get("status") == "cancelled":
            # Deleted events keep answering; an update must not pretend it is visible.
            # `create_event` with the same uid brings it back if the use case wants that.
            raise CalendarNotFoundError(f"event {event_id} was deleted in Google Calendar")
        return self._result(event, ev)

    def cancel_event(self, event_id: str, ev: CalendarEvent) -> None:
        request = self._service.events().delete(
            calendarId=self.calendar_id, eventId=event_id, sendUpdates=self.send_updates
        )
        try:
            self._execute(request)
        except CalendarNotFoundError:
            return  # already deleted (410) or never there (404): cancelled either way

    def free_busy(
        self, emails: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval] | None]:
        result: dict[str, list[BusyInterval] | None] = {email: None for email in emails}
        unique = list(dict.fromkeys(emails))
        for offset in range(0, len(unique), FREEBUSY_BATCH):
            batch = unique[offset : offset + FREEBUSY_BATCH]
            request = self._service.freebusy().query(
                body={
                    "timeMin": _rfc3339(start),
                    "timeMax": _rfc3339(end),
                    "timeZone": "UTC",
                    "items": [{"id": email} for email in batch],
                }
            )
            answer = self._execute(request)
            calendars = answer.get("calendars") or {}
            for email in batch:
                entry = calendars.get(email)
                if entry is None or entry.get("errors"):
                    continue  # notFound, groupTooBig, …: unknown, never free
                result[email] = [
                    BusyInterval(_parse_time(b["start"]), _parse_time(b["end"]))
                    for b in entry.get("busy") or []
                ]
        return result

    # ------------------------------------------------------------------ details
    def _body(self, ev: CalendarEvent) -> dict[str, Any]:
        description = ev.description
        if ev.join_url and ev.join_url not in description:
            description = f"{description}\n\n{ev.join_url}".strip()
        body: dict[str, Any] = {
            "summary": ev.title,
            "description": description,
            "location": ev.location or ev.join_url or "",
            "start": {"dateTime": _rfc3339(ev.start_utc), "timeZone": ev.timezone},
            "end": {"dateTime": _rfc3339(ev.end_utc), "timeZone": ev.timezone},
            "attendees": [
                {"email": g.email, "displayName": g.name} if g.name else {"email": g.email}
                for g in ev.attendees
            ],
            "extendedProperties": {
                "private": {"meetline_id": str(ev.meeting_id), "meetline_uid": ev.uid[:1024]}
            },
        }
        return body

    @staticmethod
    def _meet_request(request_id: str) -> dict[str, Any]:
        return {
            "createRequest": {
                "requestId": request_id,
                "conferenceSolutionKey": {"type": "hangoutsMeet"},
            }
        }

    def _get(self, event_id: str) -> dict[str, Any]:
        event: dict[str, Any] = self._execute(
            self._service.events().get(calendarId=self.calendar_id, eventId=event_id)
        )
        return event

    def _patch(self, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        event: dict[str, Any] = self._execute(
            self._service.events().patch(
                calendarId=self.calendar_id,
                eventId=event_id,
                body=body,
                sendUpdates=self.send_updates,
                conferenceDataVersion=1,
            )
        )
        return event

    def _adopt_existing(self, event_id: str, ev: CalendarEvent) -> dict[str, Any]:
        event = self._get(event_id)
        private = (event.get("extendedProperties") or {}).get("private") or {}
        if private.get("meetline_uid") not in (None, ev.uid[:1024]):
            raise CalendarError(f"event id {event_id} is taken by another meeting", transient=False)
        if event.get("status") == "cancelled":
            # Deleted events keep their id; bring it back rather than fail forever.
            body = self._body(ev)
            body["status"] = "confirmed"
            if ev.want_video == "google_meet" and _join_url(event) is None:
                body["conferenceData"] = self._meet_request(f"{event_id}-{ev.sequence}")
            event = self._patch(event_id, body)
        return event

    def _result(self, event: dict[str, Any], ev: CalendarEvent) -> CalendarResult:
        if ev.want_video == "google_meet":
            polls = 0
            while _join_url(event) is None and _conference_status(event) == "pending":
                if polls >= MEET_POLLS:
                    break
                polls += 1
                self._sleep(self._policy.backoff(polls, self._rand))
                event = self._get(str(event["id"]))
            join_url = _join_url(event)
        else:
            join_url = ev.join_url
        return CalendarResult(
            event_id=str(event["id"]),
            join_url=join_url,
            sends_invitations=self.sends_invitations,
            etag=event.get("etag"),
            event_url=event.get("htmlLink"),
        )

    def _execute(self, request: Any) -> Any:
        policy = self._policy
        token_before = self._credentials.token if self._credentials is not None else None
        try:
            for attempt in range(1, policy.max_attempts + 1):
                last = attempt == policy.max_attempts
                try:
                    return request.execute(num_retries=0)
                except HttpError as exc:
                    status = exc.status_code
                    reasons = _error_reasons(exc)
                    retryable = status in policy.retry_statuses or (
                        status == 403 and bool(reasons & RATE_LIMIT_REASONS)
                    )
                    if not retryable:
                        raise self._map_http_error(exc, status, reasons) from exc
                    hint = parse_retry_after(exc.resp.get("retry-after"))
                    if last or (hint is not None and hint > policy.max_wait):
                        raise CalendarError(
                            f"Google Calendar unavailable ({status}): {exc.reason}",
                            transient=True,
                            retry_after=hint,
                        ) from exc
                    self._sleep(hint if hint is not None else policy.backoff(attempt, self._rand))
                except google_auth_exceptions.RefreshError as exc:
                    if getattr(exc, "retryable", False) and not last:
                        self._sleep(policy.backoff(attempt, self._rand))
                        continue
                    if getattr(exc, "retryable", False):
                        raise CalendarError(
                            f"Google token refresh failed: {exc}", transient=True
                        ) from exc
                    raise CalendarAuthError(f"Google access was revoked or expired: {exc}") from exc
                except (
                    OSError,
                    httplib2.HttpLib2Error,
                    google_auth_exceptions.TransportError,
                ) as exc:
                    if last:
                        raise CalendarError(
                            f"Google Calendar unreachable: {type(exc).__name__}: {exc}",
                            transient=True,
                        ) from exc
                    self._sleep(policy.backoff(attempt, self._rand))
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            self._notify_refresh(token_before)

    def _notify_refresh(self, token_before: str | None) -> None:
        creds = self._credentials
        if creds is not None and self._on_credentials_changed and creds.token != token_before:
            self._on_credentials_changed(creds.to_json())

    @staticmethod
    def _map_http_error(exc: HttpError, status: int, reasons: set[str]) -> CalendarError:
        message = f"Google Calendar {status}: {exc.reason}"
        if status == 401:
            return CalendarAuthError(message)
        if status == 403 and reasons & SCOPE_REASONS:
            return CalendarAuthError(f"{message} (reconnect to grant calendar access)")
        if status in (404, 410):
            return CalendarNotFoundError(message)
        if status == 409:
            return _Conflict(message)
        if status == 412:
            return CalendarError(f"{message} (changed concurrently)", transient=False)
        return CalendarError(message, transient=False)


class _Conflict(CalendarError):
    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)
