"""Microsoft 365 calendars through Microsoft Graph behind `CalendarPort`, plus an msal
token provider.

Choices that matter, and why:

- **Idempotent create.** Every create carries a `transactionId` derived from the meeting
  UID, so Graph drops a retried POST instead of booking twice.
- **Invitations.** Graph mails attendees itself on create, update and cancel, so
  `sends_invitations` is True and Meetline must not send its own .ics.
- **Time zones.** Times go out as UTC wall time with `timeZone: "UTC"` and responses are
  requested in UTC (`Prefer: outlook.timezone="UTC"`); Windows zone names that still
  come back are mapped to IANA with icalendar's CLDR table. An unmappable zone makes that
  calendar *unknown* rather than guessed.
- **Teams.** `isOnlineMeeting` + `onlineMeetingProvider: teamsForBusiness`, link read from
  `onlineMeeting.joinUrl`. Outlook puts the Teams join blob into the event body, and a
  PATCH of `body` without it disables the meeting, so updates never touch the body of an
  online meeting (the description change is not carried to Teams events).
- **Retries** (429 with Retry-After, 5xx, connection failures) go through
  `adapters.http_retry`; a 401 means the connection must be re-made.
"""

from __future__ import annotations

import hashlib
import html
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msal
import requests
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from adapters.endpoints import GRAPH_URL, MS_AUTHORITY_URL
from adapters.http_retry import (
    HttpUnavailable,
    RetryPolicy,
    Sleep,
    retry_after_of,
    send_with_retry,
)
from handlers.calendars import (
    BusyInterval,
    CalendarAuthError,
    CalendarError,
    CalendarEvent,
    CalendarNotFoundError,
    CalendarResult,
)

_MICROSOFT_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.windows.net",
        "login.microsoft.com",
        "sts.windows.net",
    }
)
GRAPH_SCOPES = ("Calendars.ReadWrite", "User.Read")
SCHEDULES_PER_CALL = 20
MAX_WINDOW = timedelta(days=61)  # getSchedule refuses 62 days and more
VIEW_INTERVAL_MINUTES = 15
BUSY_STATUSES = frozenset({"busy", "tentative", "oof"})  # tentative counts: never double-book
BUSY_DIGITS = frozenset("123")


def transaction_id_for(uid: str) -> str:
    """Graph's de-duplication key for a meeting's create: stable across retries."""
    return "meetline-" + hashlib.sha256(f"meetline:{uid}".encode()).hexdigest()[:40]


def _wall_utc(moment: datetime) -> dict[str, str]:
    return {
        "dateTime": moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "timeZone": "UTC",
    }


def _zone(name: str | None) -> ZoneInfo:
    if not name or name.upper() in ("UTC", "Z", "COORDINATED UNIVERSAL TIME"):
        return ZoneInfo("UTC")
    return ZoneInfo(WINDOWS_TO_OLSON.get(name, name))


def _parse_graph_time(value: Mapping[str, Any]) -> datetime:
    """A Graph dateTimeTimeZone (wall time with up to 7 fractional digits) as aware UTC."""
    text = str(value["dateTime"])
    if "." in text:
        head, fraction = text.split(".", 1)
        text = f"{head}.{fraction[:6]}"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(value.get("timeZone")))
    return moment.astimezone(UTC)


def _html_body(ev: CalendarEvent) -> str:
    paragraphs = [html.escape(p).replace("\n", "<br>") for p in ev.description.split("\n\n") if p]
    if ev.join_url and ev.join_url not in ev.description:
        url = html.escape(ev.join_url, quote=True)
        paragraphs.append(f'<a href="{url}">{url}</a>')
    return "".join(f"<p>{p}</p>" for p in paragraphs)


TEAMS_SEPARATOR = "_" * 20


def teams_part(content: str, join_url: str | None) -> str | None:
    """The Teams block of an online meeting's body, from the start of the element around
    its separator line (or its join link) to the end; None when it cannot be found, in
    which case the body is left untouched: rewriting it without the block would turn the
    Teams meeting off."""
    anchor = content.find(TEAMS_SEPARATOR)
    if anchor < 0 and join_url:
        anchor = content.find(join_url)
    if anchor < 0:
        return None
    start = content.rfind("<div", 0, anchor)
    return content[start if start >= 0 else anchor :]


class GraphCalendar:
    """One connected Microsoft 365 mailbox calendar.

    `token_provider` returns a valid access token (e.g. `MsalTokenProvider`) and raises
    `CalendarAuthError` when the user must sign in again. `user` is "me" (delegated) or a
    mailbox address/id (app-only or shared calendars).
    """

    provider = "microsoft"
    sends_invitations = True

    def __init__(
        self,
        token_provider: Callable[[], str],
        user: str = "me",
        api_url: str = GRAPH_URL,
        sleep: Sleep = time.sleep,
        *,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._token_provider = token_provider
        self._base = api_url.rstrip("/") + (
            "/me" if user == "me" else f"/users/{quote(user, safe='@')}"
        )
        self._sleep = sleep
        self._policy = policy or RetryPolicy()
        self._session = session or requests.Session()
        self._timeout = timeout
        self._rand = rand

    # ------------------------------------------------------------------ port
    def create_event(self, ev: CalendarEvent) -> CalendarResult:
        body = self._event_fields(ev)
        body["body"] = {"contentType": "html", "content": _html_body(ev)}
        body["transactionId"] = transaction_id_for(ev.uid)
        body["responseRequested"] = True
        if ev.want_video == "teams":
            body["isOnlineMeeting"] = True
            body["onlineMeetingProvider"] = "teamsForBusiness"
        event = self._call("POST", "/events", json=body).json()
        if ev.want_video == "teams" and not self._teams_link(event):
            # The Teams meeting is sometimes provisioned just after the create answers.
            event = self._call("GET", f"/events/{quote(event['id'], safe='')}").json()
        return self._result(event, ev)

    def update_event(self, event_id: str, ev: CalendarEvent) -> CalendarResult:
        path = f"/events/{quote(event_id, safe='')}"
        current = self._call(
            "GET", path, params={"$select": "id,isOnlineMeeting,onlineMeeting,body"}
        ).json()
        body = self._event_fields(ev)
        if not current.get("isOnlineMeeting"):
            body["body"] = {"contentType": "html", "content": _html_body(ev)}
        else:
            kept = teams_part(
                (current.get("body") or {}).get("content") or "",
                ((current.get("onlineMeeting") or {}).get("joinUrl")),
            )
            if kept is not None:  # the description changes, Teams' own block stays as it was
                body["body"] = {"contentType": "html", "content": _html_body(ev) + kept}
        event = self._call("PATCH", path, json=body).json()
        if not event.get("onlineMeeting") and current.get("onlineMeeting"):
            event["onlineMeeting"] = current["onlineMeeting"]
        return self._result(event, ev)

    def cancel_event(self, event_id: str, ev: CalendarEvent) -> None:
        path = f"/events/{quote(event_id, safe='')}"
        try:
            self._call("POST", f"{path}/cancel", json={})
        except CalendarNotFoundError:
            return
        except CalendarError as exc:
            if exc.transient or isinstance(exc, CalendarAuthError):
                raise
            # cancel is organizer-only and refused for some items; a delete still
            # removes the event (attendees are told by the cancel when it works).
            try:
                self._call("DELETE", path)
            except CalendarNotFoundError:
                return

    def free_busy(
        self, emails: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval] | None]:
        result: dict[str, list[BusyInterval] | None] = {email: None for email in emails}
        unique = list(dict.fromkeys(emails))
        known: dict[str, list[BusyInterval]] = {}
        failed: set[str] = set()
        window_start = start
        while window_start < end:
            window_end = min(end, window_start + MAX_WINDOW)
            for offset in range(0, len(unique), SCHEDULES_PER_CALL):
                batch = unique[offset : offset + SCHEDULES_PER_CALL]
                answers = self._get_schedule(batch, window_start, window_end)
                for email in batch:
                    busy = answers.get(email.lower())
                    if busy is None:
                        failed.add(email)
                    else:
                        known.setdefault(email, []).extend(busy)
            window_start = window_end
        for email in unique:
            if email not in failed:
                result[email] = sorted(known.get(email, []), key=lambda b: (b.start, b.end))
        return result

    # ------------------------------------------------------------------ details
    def _event_fields(self, ev: CalendarEvent) -> dict[str, Any]:
        return {
            "subject": ev.title,
            "location": {"displayName": ev.location or ev.join_url or ""},
            "start": _wall_utc(ev.start_utc),
            "end": _wall_utc(ev.end_utc),
            "attendees": [
                {
                    "emailAddress": {"address": g.email, "name": g.name or g.email},
                    "type": "required",
                }
                for g in ev.attendees
            ],
        }

    @staticmethod
    def _teams_link(event: Mapping[str, Any]) -> str | None:
        meeting = event.get("onlineMeeting") or {}
        link = meeting.get("joinUrl") or event.get("onlineMeetingUrl")
        return str(link) if link else None

    def _result(self, event: Mapping[str, Any], ev: CalendarEvent) -> CalendarResult:
        join_url = self._teams_link(event) if ev.want_video == "teams" else ev.join_url
        return CalendarResult(
            event_id=str(event["id"]),
            join_url=join_url,
            sends_invitations=True,
            etag=event.get("@odata.etag") or event.get("changeKey"),
            event_url=event.get("webLink"),
        )

    def _get_schedule(
        self, batch: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval] | None]:
        answer = self._call(
            "POST",
            "/calendar/getSchedule",
            json={
                "schedules": list(batch),
                "startTime": _wall_utc(start),
                "endTime": _wall_utc(end),
                "availabilityViewInterval": VIEW_INTERVAL_MINUTES,
            },
        ).json()
        out: dict[str, list[BusyInterval] | None] = {}
        for item in answer.get("value") or []:
            email = str(item.get("scheduleId", "")).lower()
            out[email] = None if item.get("error") else self._busy_of(item, start, end)
        return out

    @staticmethod
    def _busy_of(
        item: Mapping[str, Any], start: datetime, end: datetime
    ) -> list[BusyInterval] | None:
        items = item.get("scheduleItems") or []
        try:
            if items:
                spans = [
                    BusyInterval(
                        max(_parse_graph_time(s["start"]), start.astimezone(UTC)),
                        min(_parse_graph_time(s["end"]), end.astimezone(UTC)),
                    )
                    for s in items
                    if str(s.get("status", "busy")) in BUSY_STATUSES
                ]
                return [s for s in spans if s.end > s.start]
        except (KeyError, ValueError, ZoneInfoNotFoundError):
            return None  # a zone we cannot read: unknown, never a guess
        # No items (e.g. a restricted view): read the availabilityView digits instead.
        view = str(item.get("availabilityView") or "")
        if not view:
            return []
        step = timedelta(minutes=VIEW_INTERVAL_MINUTES)
        spans = []
        origin = start.astimezone(UTC)
        for index, digit in enumerate(view):
            if digit not in BUSY_DIGITS:
                continue
            lo, hi = origin + index * step, min(origin + (index + 1) * step, end.astimezone(UTC))
            if spans and spans[-1].end == lo:
                spans[-1] = BusyInterval(spans[-1].start, hi)
            else:
                spans.append(BusyInterval(lo, hi))
        return spans

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = self._base + path

        def send() -> requests.Response:
            headers = {
                "Authorization": f"Bearer {self._token_provider()}",
                "Prefer": 'outlook.timezone="UTC"',
                "Accept": "application/json",
            }
            return self._session.request(
                method, url, json=json, params=params, headers=headers, timeout=self._timeout
            )

        try:
            response = send_with_retry(
                send, policy=self._policy, sleep=self._sleep, rand=self._rand
            )
        except HttpUnavailable as exc:
            raise CalendarError(f"Microsoft Graph unreachable: {exc}", transient=True) from exc
        status = response.status_code
        if status < 400:
            return response
        message = f"Microsoft Graph {status} on {method} {path}: {self._error_text(response)}"
        if status == 401:
            raise CalendarAuthError(message)
        if status in self._policy.retry_statuses:
            raise CalendarError(message, transient=True, retry_after=retry_after_of(response))
        if status in (404, 410):
            raise CalendarNotFoundError(message)
        raise CalendarError(message, transient=False)

    @staticmethod
    def _error_text(response: requests.Response) -> str:
        try:
            error = response.json().get("error") or {}
            return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
        except ValueError:
            return response.text[:200]


# --------------------------------------------------------------------------- msal


def msal_application(
    client_id: str,
    client_secret: str,
    *,
    authority_url: str = MS_AUTHORITY_URL,
    tenant_id: str = "common",
    token_cache: Any = None,
    http_client: Any = None,
) -> Any:
    """An msal confidential client for `authority_url` (MS_AUTHORITY_URL) and the tenant.

    The sign-in pages and the Graph adapter both build theirs here, so both reach the same
    sign-in host. Building one fetches the tenant's metadata (OpenID configuration); for
    a host that is not Microsoft's own (a sovereign cloud proxy, a test server) msal's
    instance discovery at login.microsoftonline.com is turned off, since that host would
    not know it."""
    kwargs: dict[str, Any] = {}
    if http_client is not None:
        kwargs["http_client"] = http_client
    if token_cache is not None:
        kwargs["token_cache"] = token_cache
    if (urlsplit(authority_url).hostname or "").lower() not in _MICROSOFT_HOSTS:
        kwargs.update(instance_discovery=False, validate_authority=False)
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=client_secret,
        authority=f"{authority_url.rstrip('/')}/{tenant_id or 'common'}",
        **kwargs,
    )


class MsalTokenProvider:
    """Delegated Graph tokens for one connected user, from their stored msal token cache.

    The cache is one (encrypted) blob per user: `load_cache` reads it before every token
    request and `save_cache` receives it whenever msal changed it (new access token,
    rotated refresh token), because `SerializableTokenCache` never persists itself.

    The msal application is built on first use, not here: its constructor does HTTP
    (tenant discovery), which must not happen while wiring adapters or in offline tests.
    Keep one provider per connection (adapters.calendar_factory does), so the metadata
    is fetched once, not on every calendar call. `http_client` is passed through to msal.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        tenant_id: str = "common",
        username: str | None = None,
        load_cache: Callable[[], str | None],
        save_cache: Callable[[str], None],
        scopes: Sequence[str] = GRAPH_SCOPES,
        authority_url: str = MS_AUTHORITY_URL,
        http_client: Any = None,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._authority_url = authority_url
        self._tenant_id = tenant_id
        self._username = username
        self._load_cache = load_cache
        self._save_cache = save_cache
        self._scopes = list(scopes)
        self._http_client = http_client
        self._app: Any = None
        self._cache: Any = None
        self._lock = threading.Lock()

    def _application(self) -> Any:
        if self._app is None:
            self._cache = msal.SerializableTokenCache()
            try:
                self._app = msal_application(
                    self._client_id,
                    self._client_secret,
                    authority_url=self._authority_url,
                    tenant_id=self._tenant_id,
                    token_cache=self._cache,
                    http_client=self._http_client,
                )
            except ValueError as exc:
                raise CalendarError(
                    f"Microsoft sign-in is misconfigured: {exc}", transient=False
                ) from exc
        return self._app

    def __call__(self) -> str:
        with self._lock:
            try:
                app = self._application()
                blob = self._load_cache()
                if blob:
                    self._cache.deserialize(blob)
                accounts = (
                    app.get_accounts(username=self._username)
                    if self._username
                    else app.get_accounts()
                )
                if not accounts:
                    raise CalendarAuthError("no Microsoft account in the stored token cache")
                result = app.acquire_token_silent(self._scopes, account=accounts[0])
            except requests.RequestException as exc:
                raise CalendarError(
                    f"Microsoft sign-in unreachable: {exc}", transient=True
                ) from exc
            if self._cache.has_state_changed:
                self._save_cache(self._cache.serialize())
                self._cache.has_state_changed = False
        if not result:
            raise CalendarAuthError("Microsoft sign-in expired; the user must reconnect")
        if "access_token" not in result:
            error = str(result.get("error", ""))
            text = (
                f"Microsoft sign-in failed: {error} {result.get('error_description', '')}".strip()
            )
            if error in ("temporarily_unavailable", "server_error"):
                raise CalendarError(text, transient=True)
            raise CalendarAuthError(text)
        return str(result["access_token"])
