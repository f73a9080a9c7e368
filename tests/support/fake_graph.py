"""An in-process fake of Microsoft Graph calendar endpoints and the Entra ID token endpoint.

``FakeGraph`` is a real threaded HTTP server on 127.0.0.1 (OS-chosen port). Graph lives
under ``/v1.0`` (``api_url=fake.graph_url``); the identity platform under ``/login``
(reach it through :meth:`FakeGraph.msal_http`, since msal insists on an https authority),
or, with ``tls=True``, over https at :attr:`FakeGraph.authority_url` (the MS_AUTHORITY_URL
setting; trust ``tests.support.tls.ca_bundle()``).

It keeps events per mailbox and is strict where mistakes are costly:

- unknown event properties, offsets in ``dateTime``, unknown time zones, bad attendee
  shapes and ``end <= start`` are 400s;
- ``transactionId`` de-duplicates creates (a retried POST returns the first event) and
  cannot be changed, nor can ``isOnlineMeeting``/``onlineMeetingProvider``;
- a PATCH of ``body`` on a Teams meeting that drops the Teams blob disables the meeting
  (``fake.teams_blob_broken`` turns True), as Outlook does;
- ``getSchedule`` enforces 20 schedules and a window under 62 days, answers unknown
  mailboxes with a per-schedule ``error``, and can be told to answer in Windows zones.

Failure injection (``fail_next``) comes from ``FakeHttpService``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Self
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from tests.support.fake_google import FakeHttpService, Reply, Request, bearer

__all__ = ["FakeGraph", "MsalHttpToFake"]

EVENT_PROPERTIES = frozenset(
    {
        "subject",
        "body",
        "location",
        "locations",
        "start",
        "end",
        "attendees",
        "isOnlineMeeting",
        "onlineMeetingProvider",
        "transactionId",
        "responseRequested",
        "allowNewTimeProposals",
        "isReminderOn",
        "reminderMinutesBeforeStart",
        "showAs",
        "importance",
        "sensitivity",
        "categories",
        "isAllDay",
        "hideAttendees",
        "singleValueExtendedProperties",
    }
)
FIXED_AFTER_CREATE = ("transactionId", "isOnlineMeeting", "onlineMeetingProvider")
PROVIDERS = ("teamsForBusiness", "skypeForBusiness", "skypeForConsumer", "unknown")
BUSY_STATUSES = {"busy": "2", "tentative": "1", "oof": "3", "workingElsewhere": "4"}
TEAMS_MARKER = "________________________________________________________________________________"


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _zone(name: str) -> ZoneInfo:
    if name == "UTC":
        return ZoneInfo("UTC")
    iana = WINDOWS_TO_OLSON.get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise GraphError(
            400,
            "TimeZoneNotSupportedException",
            f"A valid TimeZone value must be specified. {name}",
        ) from exc


def _windows_name(zone: str) -> str:
    for windows, iana in WINDOWS_TO_OLSON.items():
        if iana == zone:
            return windows
    return zone


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class FakeGraph(FakeHttpService):
    """Graph + identity platform for one tenant.

    Arrange: ``mailboxes`` (email -> list of busy ``(start, end, status)``; the connected
    user is always there), ``restricted`` (mailboxes whose getSchedule answer carries only
    ``availabilityView``), ``response_timezone`` (a Windows zone name to answer in,
    ignoring ``Prefer``), ``access_token_lifetime``.
    Inspect: ``events`` (mailbox -> id -> event), ``cancelled`` (comments of cancels),
    ``teams_blob_broken``.
    """

    no_failure_paths = ("/login/",)

    def __init__(
        self,
        user_email: str = "host@contoso.com",
        tenant_id: str = "contoso-tenant",
        client_id: str = "meetline-app",
        client_secret: str = "meetline-secret",
        *,
        tls: bool = False,
    ) -> None:
        super().__init__(tls=tls)
        self.user_email = user_email
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.mailboxes: dict[str, list[tuple[datetime, datetime, str]]] = {user_email: []}
        self.restricted: set[str] = set()
        self.response_timezone: str | None = None
        self.events: dict[str, dict[str, dict[str, Any]]] = {user_email: {}}
        self.cancelled: list[tuple[str, str]] = []
        self.teams_blob_broken = False
        self.valid_tokens: set[str] = {"graph-initial"}
        self.refresh_tokens: set[str] = set()
        self.auth_codes: set[str] = {"auth-code-1"}
        self.access_token_lifetime = 3600
        self._counter = itertools.count(1)

    def __enter__(self) -> Self:
        self.start()
        return self

    @property
    def authority_url(self) -> str:
        """The sign-in host as MS_AUTHORITY_URL names it (the tenant is appended)."""
        return f"{self.url}/login" if self.tls else "https://login.microsoftonline.com"

    def metadata_fetches(self) -> int:
        """How often msal read the tenant's sign-in metadata (or asked for instance discovery)."""
        with self.lock:
            return sum(
                1
                for r in self.requests
                if r.path.endswith(("/openid-configuration", "/discovery/instance"))
            )

    @property
    def graph_url(self) -> str:
        return f"{self.url}/v1.0"

    def msal_http(self) -> MsalHttpToFake:
        return MsalHttpToFake(self)

    def revoke(self) -> None:
        with self.lock:
            self.valid_tokens.clear()
            self.refresh_tokens.clear()

    def user_events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [copy.deepcopy(e) for e in self.events[self.user_email].values()]

    # ------------------------------------------------------------------ routing
    def error_body(self, status: int, message: str, reason: str = "") -> Any:
        code = reason or {
            400: "BadRequest",
            401: "InvalidAuthenticationToken",
            404: "ErrorItemNotFound",
            429: "ApplicationThrottled",
            503: "ServiceNotAvailable",
        }.get(status, "generalException")
        return {"error": {"code": code, "message": message}}

    def route(self, req: Request) -> Reply:
        if req.path.startswith("/login/"):
            return self._identity(req)
        if not req.path.startswith("/v1.0/"):
            return Reply(404, self.error_body(404, "no such path"))
        if bearer(req) not in self.valid_tokens:
            return Reply(
                401,
                self.error_body(
                    401, "Access token has expired or is not valid.", "InvalidAuthenticationToken"
                ),
            )
        parts = [unquote(p) for p in req.path[len("/v1.0/") :].split("/") if p]
        try:
            if parts[:1] == ["me"]:
                mailbox, rest = self.user_email, parts[1:]
            elif parts[:1] == ["users"] and len(parts) > 1:
                mailbox, rest = parts[1].lower(), parts[2:]
                if mailbox not in self.events:
                    raise GraphError(
                        404, "ErrorInvalidUser", f"The requested user '{parts[1]}' is invalid."
                    )
            else:
                raise GraphError(400, "BadRequest", f"Unsupported segment {parts[:1]}")
            return self._mailbox(req, mailbox, rest)
        except GraphError as exc:
            return Reply(exc.status, self.error_body(exc.status, exc.message, exc.code))

    def _mailbox(self, req: Request, mailbox: str, rest: list[str]) -> Reply:
        events = self.events[mailbox]
        if rest == ["events"] and req.method == "POST":
            return self._create(req, mailbox, events)
        if rest == ["calendar", "getSchedule"] and req.method == "POST":
            return self._get_schedule(req)
        if len(rest) >= 2 and rest[0] == "events":
            event = events.get(rest[1])
            if event is None:
                raise GraphError(
                    404, "ErrorItemNotFound", "The specified object was not found in the store."
                )
            if len(rest) == 2 and req.method == "GET":
                return Reply(200, self._render(req, event))
            if len(rest) == 2 and req.method == "PATCH":
                return self._patch(req, event)
            if len(rest) == 2 and req.method == "DELETE":
                del events[rest[1]]
                return Reply(204)
            if rest[2:] == ["cancel"] and req.method == "POST":
                return self._cancel(req, mailbox, event)
        raise GraphError(400, "BadRequest", f"Unsupported {req.method} {'/'.join(rest)}")

    # ------------------------------------------------------------------ validation
    def _validate(self, body: Any, *, creating: bool) -> None:
        if not isinstance(body, dict):
            raise GraphError(400, "RequestBodyRead", "A JSON object is required.")
        for key in body:
            if key not in EVENT_PROPERTIES:
                raise GraphError(
                    400,
                    "RequestBodyRead",
                    f"The property '{key}' does not exist on type 'microsoft.graph.event'.",
                )
        if creating:
            for key in ("start", "end"):
                if key not in body:
                    raise GraphError(400, "ErrorInvalidRequest", f"{key} is required")
        for key in ("start", "end"):
            if key in body:
                self._when(body[key])
        if (
            "start" in body
            and "end" in body
            and self._when(body["end"]) <= self._when(body["start"])
        ):
            raise GraphError(
                400, "ErrorInvalidParameter", "The end time must be after the start time."
            )
        if "body" in body:
            content = body["body"]
            if not isinstance(content, dict) or str(content.get("contentType", "")).lower() not in (
                "text",
                "html",
            ):
                raise GraphError(400, "RequestBodyRead", "body needs contentType text or html")
            if not isinstance(content.get("content"), str):
                raise GraphError(400, "RequestBodyRead", "body.content must be a string")
        if "location" in body and not isinstance(
            (body["location"] or {}).get("displayName", ""), str
        ):
            raise GraphError(400, "RequestBodyRead", "location.displayName must be a string")
        for attendee in body.get("attendees") or []:
            address = ((attendee or {}).get("emailAddress") or {}).get("address")
            if not isinstance(address, str) or "@" not in address:
                raise GraphError(
                    400, "ErrorInvalidRecipients", "attendee emailAddress.address is required"
                )
            if attendee.get("type", "required") not in ("required", "optional", "resource"):
                raise GraphError(400, "RequestBodyRead", "attendee type is invalid")
            if set(attendee) - {"emailAddress", "type", "status"}:
                raise GraphError(
                    400, "RequestBodyRead", f"unknown attendee keys {sorted(attendee)}"
                )
        if "onlineMeetingProvider" in body and body["onlineMeetingProvider"] not in PROVIDERS:
            raise GraphError(400, "RequestBodyRead", "onlineMeetingProvider is invalid")
        if "isOnlineMeeting" in body and not isinstance(body["isOnlineMeeting"], bool):
            raise GraphError(400, "RequestBodyRead", "isOnlineMeeting must be a boolean")

    @staticmethod
    def _when(value: Any) -> datetime:
        if not isinstance(value, dict) or set(value) - {"dateTime", "timeZone"}:
            raise GraphError(400, "RequestBodyRead", "dateTimeTimeZone needs dateTime and timeZone")
        text = value.get("dateTime")
        if not isinstance(text, str):
            raise GraphError(400, "RequestBodyRead", "dateTime is required")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise GraphError(400, "RequestBodyRead", f"Cannot convert {text!r}") from exc
        if moment.tzinfo is not None:
            # Graph reads the wall time and ignores the offset: refuse it here.
            raise GraphError(
                400, "RequestBodyRead", f"fake: dateTime must not carry an offset: {text}"
            )
        return moment.replace(tzinfo=_zone(value.get("timeZone") or "UTC"))

    # ------------------------------------------------------------------ events
    def _render(self, req: Request, event: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(event)
        prefer = req.headers.get("prefer", "")
        zone = self.response_timezone
        if zone is None and 'outlook.timezone="' in prefer:
            zone = prefer.split('outlook.timezone="', 1)[1].split('"', 1)[0]
        for key in ("start", "end"):
            moment = self._when(event[key])
            if zone:
                local = moment.astimezone(_zone(zone)).replace(tzinfo=None)
                out[key] = {
                    "dateTime": local.isoformat(timespec="microseconds") + "0",
                    "timeZone": zone,
                }
        return out

    def _create(self, req: Request, mailbox: str, events: dict[str, dict[str, Any]]) -> Reply:
        body = req.json
        self._validate(body, creating=True)
        txn = body.get("transactionId")
        if txn:
            for existing in events.values():
                if existing.get("transactionId") == txn:
                    return Reply(201, self._render(req, existing))
        event_id = "AAMk" + base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")
        now = datetime.now(UTC).isoformat()
        event = copy.deepcopy(body)
        event.update(
            {
                "@odata.etag": f'W/"{next(self._counter)}"',
                "id": event_id,
                "changeKey": secrets.token_hex(8),
                "createdDateTime": now,
                "lastModifiedDateTime": now,
                "iCalUId": "040000008200E00074C5B7101A82E008" + secrets.token_hex(16).upper(),
                "isCancelled": False,
                "isOrganizer": True,
                "organizer": {"emailAddress": {"address": mailbox, "name": mailbox}},
                "webLink": f"https://outlook.office365.com/owa/?itemid={event_id}",
                "onlineMeeting": None,
            }
        )
        event.setdefault("body", {"contentType": "html", "content": ""})
        event.setdefault("location", {"displayName": ""})
        event.setdefault("isOnlineMeeting", False)
        for attendee in event.get("attendees") or []:
            attendee.setdefault("type", "required")
            attendee["status"] = {"response": "none", "time": "0001-01-01T00:00:00Z"}
        if event["isOnlineMeeting"] and event.get("onlineMeetingProvider") == "teamsForBusiness":
            digest = hashlib.sha1(event_id.encode()).hexdigest()
            join = f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{digest}%40thread.v2/0"
            event["onlineMeeting"] = {"joinUrl": join}
            event["body"]["content"] += (
                f"<div>{TEAMS_MARKER}<br>Microsoft Teams meeting<br>"
                f'<a href="{join}">Join the meeting now</a><br>{TEAMS_MARKER}</div>'
            )
        events[event_id] = event
        return Reply(201, self._render(req, event))

    def _patch(self, req: Request, event: dict[str, Any]) -> Reply:
        body = req.json
        self._validate(body, creating=False)
        for key in FIXED_AFTER_CREATE:
            if key in body and body[key] != event.get(key):
                raise GraphError(
                    400, "ErrorInvalidRequest", f"{key} cannot be changed after creation"
                )
        merged = {**event, **copy.deepcopy(body)}
        self._when(merged["start"])
        if self._when(merged["end"]) <= self._when(merged["start"]):
            raise GraphError(
                400, "ErrorInvalidParameter", "The end time must be after the start time."
            )
        if "body" in body and event.get("onlineMeeting"):
            join = event["onlineMeeting"]["joinUrl"]
            if join not in body["body"]["content"]:
                self.teams_blob_broken = True
                merged["onlineMeeting"] = None
        for attendee in merged.get("attendees") or []:
            attendee.setdefault("type", "required")
            attendee.setdefault("status", {"response": "none", "time": "0001-01-01T00:00:00Z"})
        merged["@odata.etag"] = f'W/"{next(self._counter)}"'
        merged["changeKey"] = secrets.token_hex(8)
        merged["lastModifiedDateTime"] = datetime.now(UTC).isoformat()
        event.clear()
        event.update(merged)
        return Reply(200, self._render(req, event))

    def _cancel(self, req: Request, mailbox: str, event: dict[str, Any]) -> Reply:
        payload = req.json or {}
        if set(payload) - {"Comment", "comment"}:
            raise GraphError(400, "RequestBodyRead", f"unknown cancel parameters {sorted(payload)}")
        if not event.get("isOrganizer"):
            raise GraphError(
                400, "ErrorAccessDenied", "You need to be an organizer to cancel a meeting."
            )
        self.cancelled.append(
            (event["id"], str(payload.get("Comment", payload.get("comment", ""))))
        )
        del self.events[mailbox][event["id"]]
        return Reply(202)

    # ------------------------------------------------------------------ availability
    def _get_schedule(self, req: Request) -> Reply:
        body = req.json or {}
        unknown = set(body) - {"schedules", "startTime", "endTime", "availabilityViewInterval"}
        if unknown:
            raise GraphError(400, "RequestBodyRead", f"unknown getSchedule keys {sorted(unknown)}")
        schedules = body.get("schedules") or []
        if not 1 <= len(schedules) <= 20:
            raise GraphError(400, "ErrorInvalidParameter", "schedules must hold 1 to 20 entries")
        start, end = self._when(body.get("startTime")), self._when(body.get("endTime"))
        if not timedelta(0) < end - start < timedelta(days=62):
            raise GraphError(400, "ErrorInvalidParameter", "The window must be under 62 days.")
        interval = int(body.get("availabilityViewInterval", 30))
        if not 5 <= interval <= 1440:
            raise GraphError(400, "ErrorInvalidParameter", "availabilityViewInterval out of range")
        prefer = req.headers.get("prefer", "")
        zone = self.response_timezone
        if zone is None:
            zone = (
                prefer.split('outlook.timezone="', 1)[1].split('"', 1)[0]
                if 'outlook.timezone="' in prefer
                else "UTC"
            )
        tz = _zone(zone)
        values = []
        for schedule in schedules:
            email = str(schedule).lower()
            if email not in self.mailboxes:
                values.append(
                    {
                        "scheduleId": schedule,
                        "availabilityView": "",
                        "scheduleItems": [],
                        "error": {
                            "message": "The user doesn't exist or is outside the organization.",
                            "responseCode": "ErrorMailboxNotFound",
                        },
                    }
                )
                continue
            spans = list(self.mailboxes[email])
            for event in self.events.get(email, {}).values():
                if event.get("showAs", "busy") != "free" and not event.get("isCancelled"):
                    spans.append((self._when(event["start"]), self._when(event["end"]), "busy"))
            view = []
            slot = start
            while slot < end:
                slot_end = slot + timedelta(minutes=interval)
                digit = "0"
                for s, e, status in spans:
                    if s < slot_end and e > slot:
                        digit = max(digit, BUSY_STATUSES.get(status, "0"))
                view.append(digit)
                slot = slot_end
            entry: dict[str, Any] = {"scheduleId": schedule, "availabilityView": "".join(view)}
            if email not in self.restricted:
                entry["scheduleItems"] = [
                    {
                        "isPrivate": False,
                        "status": status,
                        "subject": "Busy",
                        "start": {
                            "dateTime": s.astimezone(tz)
                            .replace(tzinfo=None)
                            .isoformat(timespec="microseconds")
                            + "0",
                            "timeZone": zone,
                        },
                        "end": {
                            "dateTime": e.astimezone(tz)
                            .replace(tzinfo=None)
                            .isoformat(timespec="microseconds")
                            + "0",
                            "timeZone": zone,
                        },
                    }
                    for s, e, status in sorted(spans)
                    if s < end and e > start
                ]
                entry["workingHours"] = {
                    "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                    "startTime": "08:00:00.0000000",
                    "endTime": "17:00:00.0000000",
                    "timeZone": {"name": _windows_name("Europe/Warsaw")},
                }
            values.append(entry)
        return Reply(200, {"value": values})

    # ------------------------------------------------------------------ identity platform
    def _identity(self, req: Request) -> Reply:
        parts = [p for p in req.path.split("/") if p][1:]  # drop "login"
        host = self.authority_url
        if parts[-2:] == ["discovery", "instance"]:
            tenant_endpoint = req.query.get("authorization_endpoint", "")
            tenant = (
                urlsplit(tenant_endpoint).path.split("/")[1] if tenant_endpoint else self.tenant_id
            )
            return Reply(
                200,
                {
                    "tenant_discovery_endpoint": f"{host}/{tenant}/v2.0/.well-known/openid-configuration",
                    "api-version": "1.1",
                    "metadata": [
                        {
                            "preferred_network": "login.microsoftonline.com",
                            "preferred_cache": "login.windows.net",
                            "aliases": ["login.microsoftonline.com", "login.windows.net"],
                        }
                    ],
                },
            )
        if parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            tenant = parts[0]
            return Reply(
                200,
                {
                    "authorization_endpoint": f"{host}/{tenant}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{host}/{tenant}/oauth2/v2.0/token",
                    "device_authorization_endpoint": f"{host}/{tenant}/oauth2/v2.0/devicecode",
                    "issuer": f"{host}/{self.tenant_id}/v2.0",
                },
            )
        if parts[1:] == ["oauth2", "v2.0", "token"] and req.method == "POST":
            return self._token(req.form())
        return Reply(404, {"error": "not_found"})

    def _token(self, form: dict[str, str]) -> Reply:
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return Reply(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret.",
                },
            )
        grant = form.get("grant_type")
        if grant == "authorization_code":
            if form.get("code") not in self.auth_codes:
                return Reply(
                    400,
                    {"error": "invalid_grant", "error_description": "AADSTS70008: code expired"},
                )
            self.auth_codes.discard(form["code"])
        elif grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return Reply(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "AADSTS700082: The refresh token has expired or was revoked.",
                        "suberror": "bad_token",
                    },
                )
            self.refresh_tokens.discard(form["refresh_token"])  # rotation, like Entra ID
        else:
            return Reply(400, {"error": "unsupported_grant_type"})
        n = next(self._counter)
        access, refresh = f"graph-at-{n}", f"graph-rt-{n}"
        self.valid_tokens.add(access)
        self.refresh_tokens.add(refresh)
        now = int(time.time())
        oid = "00000000-0000-0000-0000-00000000a11c"
        claims = {
            "aud": self.client_id,
            "iss": f"https://login.microsoftonline.com/{self.tenant_id}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "oid": oid,
            "sub": "subject-1",
            "tid": self.tenant_id,
            "preferred_username": self.user_email,
            "name": "Host User",
        }
        id_token = ".".join([_b64({"alg": "none", "typ": "JWT"}), _b64(claims), ""])
        return Reply(
            200,
            {
                "token_type": "Bearer",
                "scope": "Calendars.ReadWrite User.Read profile openid email",
                "expires_in": self.access_token_lifetime,
                "ext_expires_in": self.access_token_lifetime,
                "access_token": access,
                "refresh_token": refresh,
                "id_token": id_token,
                "client_info": _b64({"uid": oid, "utid": self.tenant_id}),
            },
        )


class MsalHttpToFake:
    """An msal ``http_client`` that sends login.microsoftonline.com calls to the fake.

    msal refuses non-https authorities, so the authority stays the real one and only the
    transport is redirected (over real HTTP, so the fake records every call).
    """

    def __init__(self, fake: FakeGraph) -> None:
        self._base = f"{fake.url}/login"
        self._session = requests.Session()

    def _local(self, url: str) -> str:
        parts = urlsplit(url)
        return self._base + parts.path + (f"?{parts.query}" if parts.query else "")

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self._session.get(self._local(url), **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self._session.post(self._local(url), **kwargs)

    def close(self) -> None:
        self._session.close()
