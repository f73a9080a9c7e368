"""An in-process fake of the Google Calendar API v3 (and Google's OAuth token endpoint).

``FakeGoogle`` is a real threaded HTTP server on 127.0.0.1 (port chosen by the OS) that
keeps events in memory and is strict where the real API is lenient, so mistakes show up
in tests rather than in production:

- every event body is validated against JSON Schema made from the ``calendar.v3``
  discovery document shipped in googleapiclient (``additionalProperties: false``, so a
  misspelt field such as ``reminders.override`` is a 400, while Google would drop it);
- more than 5 reminder overrides, and extended-property keys over 44 characters (which
  Google drops silently) or values over 1024, are 400s;
- writes without an explicit ``sendUpdates`` are 400s (Google would just not notify);
- a client-chosen event ``id`` must be base32hex, and reusing one is a 409;
- ``conferenceData.createRequest`` makes a Meet link only with ``conferenceDataVersion=1``.

Point the adapter at it with ``api_url=fake.url`` (the adapter appends ``/calendar/v3/``)
and ``token_uri=fake.token_uri``::

    with FakeGoogle() as fake:
        cal = GoogleCalendar.from_authorized_user_info(fake.authorized_user_info(), ...)

``FakeHttpService`` (below) is the threaded server, request log and failure injection the
Graph and Zoom fakes share.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import os
import re
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

import googleapiclient
import jsonschema

from tests.support.tls import server_context

__all__ = ["FakeGoogle", "FakeHttpService", "Reply", "Request", "calendar_v3_schema"]


# --------------------------------------------------------------------------- shared base


@dataclass
class Request:
    """One recorded HTTP request. Header names are lower-case; ``json`` is the parsed body."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    at: float
    status: int = 0

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Reply:
    status: int
    body: Any = None  # dict/list -> JSON, str -> text/plain, None -> empty
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Failure:
    status: int
    retry_after: str | None
    body: Any
    matches: Callable[[Request], bool]
    after_processing: bool = False


class FakeHttpService:
    """A threaded loopback HTTP server that records requests and can fail on demand.

    Subclasses implement :meth:`route` (and :meth:`error_body` for the API's error
    shape). Paths listed in ``no_failure_paths`` (token endpoints) are never failed by
    :meth:`fail_next`, so a test can fail the API without failing the sign-in.
    """

    no_failure_paths: tuple[str, ...] = ()

    def __init__(self, *, tls: bool = False) -> None:
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        self._failures: deque[_Failure] = deque()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                service._dispatch(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.tls = tls
        if tls:  # https with tests.support.tls's loopback certificate (trust tls.ca_bundle())
            self._server.socket = server_context().wrap_socket(
                self._server.socket, server_side=True
            )
        self._thread: threading.Thread | None = None
        self._stopped = False

    # lifecycle
    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving (calls are then refused); safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # test controls
    def fail_next(
        self,
        count: int,
        status: int,
        *,
        retry_after: str | float | None = None,
        body: Any = None,
        path_contains: str | None = None,
        after_processing: bool = False,
    ) -> None:
        """Answer the next `count` matching API calls with `status` (and `Retry-After`).

        With `after_processing` the request is carried out first and only the answer is
        replaced: the "response lost on the way back" case that idempotency is for.
        """

        def matches(req: Request) -> bool:
            return path_contains is None or path_contains in req.path

        with self.lock:
            for _ in range(count):
                self._failures.append(
                    _Failure(
                        status,
                        None if retry_after is None else str(retry_after),
                        body,
                        matches,
                        after_processing,
                    )
                )

    def clear_failures(self) -> None:
        with self.lock:
            self._failures.clear()

    def calls(self, method: str | None = None, path_contains: str = "") -> list[Request]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and path_contains in r.path
            ]

    # subclass hooks
    def route(self, req: Request) -> Reply:
        raise NotImplementedError

    def error_body(self, status: int, message: str, reason: str = "") -> Any:
        return {"error": {"code": status, "message": message, "reason": reason}}

    # plumbing
    def _next_failure(self, req: Request) -> _Failure | None:
        if any(req.path.startswith(p) for p in self.no_failure_paths):
            return None
        for failure in self._failures:
            if failure.matches(req):
                self._failures.remove(failure)
                return failure
        return None

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        parsed: Any = None
        if raw and "json" in headers.get("content-type", ""):
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        req = Request(
            method=handler.command,
            path=split.path,
            query={k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()},
            headers=headers,
            body=raw,
            json=parsed,
            at=time.time(),
        )
        with self.lock:
            self.requests.append(req)
            failure = self._next_failure(req)
            if failure is not None and failure.after_processing:
                try:
                    self.route(req)
                except Exception:
                    traceback.print_exc()
            if failure is not None:
                body = failure.body
                if body is None:
                    body = self.error_body(failure.status, f"injected {failure.status}")
                reply = Reply(failure.status, body)
                if failure.retry_after is not None:
                    reply.headers["Retry-After"] = failure.retry_after
            else:
                try:
                    reply = self.route(req)
                except Exception as exc:  # a bug in the fake must not hang the client
                    traceback.print_exc()
                    reply = Reply(500, self.error_body(500, f"fake crashed: {exc}"))
            req.status = reply.status
        self._write(handler, reply)

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.body is None:
            payload, ctype = b"", None
        elif isinstance(reply.body, str):
            payload, ctype = reply.body.encode(), "text/plain; charset=utf-8"
        else:
            payload, ctype = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
        handler.send_response(reply.status)
        if ctype:
            handler.send_header("Content-Type", ctype)
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if payload and handler.command != "HEAD":
            handler.wfile.write(payload)


def bearer(req: Request) -> str | None:
    auth = req.headers.get("authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") else None


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- schema


def _convert(node: dict[str, Any]) -> dict[str, Any]:
    """One discovery-document schema node as JSON Schema (draft 7)."""
    if "$ref" in node:
        return {"$ref": f"#/definitions/{node['$ref']}"}
    kind = node.get("type")
    out: dict[str, Any] = {}
    if kind == "object":
        out["type"] = "object"
        if "properties" in node:
            out["properties"] = {k: _convert(v) for k, v in node["properties"].items()}
        if "additionalProperties" in node:
            out["additionalProperties"] = _convert(node["additionalProperties"])
        elif "properties" in node:
            out["additionalProperties"] = False
    elif kind == "array":
        out["type"] = "array"
        if "items" in node:
            out["items"] = _convert(node["items"])
    elif kind == "string":
        out["type"] = "string"  # int64 travels as a string in discovery-based APIs
        if "enum" in node:
            out["enum"] = node["enum"]
    elif kind in ("integer", "number", "boolean"):
        out["type"] = kind
    # "any" and untyped nodes accept anything
    return out


@cache
def calendar_v3_schema() -> dict[str, Any]:
    """JSON Schema definitions for every schema in the shipped calendar.v3 discovery doc."""
    path = os.path.join(
        os.path.dirname(googleapiclient.__file__),
        "discovery_cache",
        "documents",
        "calendar.v3.json",
    )
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": {name: _convert(node) for name, node in doc["schemas"].items()},
    }


def schema_errors(kind: str, body: Any) -> list[str]:
    schema = dict(calendar_v3_schema())
    schema["$ref"] = f"#/definitions/{kind}"
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<body>'}: {err.message}"
        for err in validator.iter_errors(body)
    ]


def _strip_nulls(value: Any) -> Any:
    # PATCH may send null to delete a key; the schema describes values, not deletions.
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    # Google's patch: objects merge, arrays and scalars replace, null deletes.
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


# --------------------------------------------------------------------------- the fake

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
SEND_UPDATES = ("all", "externalOnly", "none")
API = "/calendar/v3/"


class GoogleApiError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


class FakeGoogle(FakeHttpService):
    """Google Calendar v3 + OAuth token endpoint, for one connected user (`user_email`).

    State a test can arrange or inspect: ``events`` (by ``(calendar, id)``),
    ``other_calendars`` (email -> busy spans, for freebusy; any other email is
    ``notFound``), ``valid_tokens``, ``refresh_tokens``, ``meet_pending_reads``
    (how many GETs see a Meet conference as ``pending`` before it succeeds).
    """

    no_failure_paths = ("/token",)

    def __init__(
        self,
        user_email: str = "host@example.com",
        client_id: str = "meetline-client.apps.googleusercontent.com",
        client_secret: str = "meetline-secret",
    ) -> None:
        super().__init__()
        self.user_email = user_email
        self.client_id = client_id
        self.client_secret = client_secret
        self.events: dict[tuple[str, str], dict[str, Any]] = {}
        self.other_calendars: dict[str, list[tuple[datetime, datetime]]] = {}
        self.valid_tokens: set[str] = {"ya29.initial"}
        self.refresh_tokens: set[str] = {"1//refresh"}
        self.meet_pending_reads = 0
        self._counter = itertools.count(1)
        self.meet_links_created = 0

    # ------------------------------------------------------------ helpers for tests
    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def authorized_user_info(self, *, expired: bool = False) -> dict[str, Any]:
        """What `Credentials.to_json()` stores for a connected user."""
        info: dict[str, Any] = {
            "token": "ya29.initial",
            "refresh_token": "1//refresh",
            "token_uri": self.token_uri,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scopes": ["https://www.googleapis.com/auth/calendar"],
        }
        # google-auth treats a blob without expiry as expired, so give the live token one.
        expiry = (
            datetime(2020, 1, 1, tzinfo=UTC) if expired else datetime.now(UTC) + timedelta(hours=1)
        )
        info["expiry"] = expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
        return info

    def revoke(self) -> None:
        """The user removed Meetline's access in their Google account."""
        with self.lock:
            self.valid_tokens.clear()
            self.refresh_tokens.clear()

    def user_events(self, include_cancelled: bool = False) -> list[dict[str, Any]]:
        with self.lock:
            return [
                copy.deepcopy(e)
                for (cal, _), e in self.events.items()
                if cal == self.user_email and (include_cancelled or e["status"] != "cancelled")
            ]

    def add_busy(self, email: str, start: datetime, end: datetime) -> None:
        with self.lock:
            self.other_calendars.setdefault(email, []).append((start, end))

    # ------------------------------------------------------------ routing
    def error_body(self, status: int, message: str, reason: str = "") -> Any:
        reason = reason or {
            400: "badRequest",
            401: "authError",
            403: "forbidden",
            404: "notFound",
            409: "duplicate",
            410: "deleted",
            412: "conditionNotMet",
            429: "rateLimitExceeded",
        }.get(status, "backendError")
        return {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"domain": "global", "reason": reason, "message": message}],
            }
        }

    def route(self, req: Request) -> Reply:
        if req.path == "/token" and req.method == "POST":
            return self._token(req)
        if not req.path.startswith(API):
            return Reply(404, self.error_body(404, f"no such path {req.path}"))
        token = bearer(req)
        if token is None or token not in self.valid_tokens:
            return Reply(
                401,
                self.error_body(
                    401,
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                ),
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        parts = [unquote(p) for p in req.path[len(API) :].split("/") if p]
        try:
            if parts == ["freeBusy"] and req.method == "POST":
                return self._freebusy(req)
            if len(parts) >= 3 and parts[0] == "calendars" and parts[2] == "events":
                cal = self.user_email if parts[1] == "primary" else parts[1]
                if cal != self.user_email:
                    raise GoogleApiError(404, "notFound", "Not Found")
                if len(parts) == 3 and req.method == "POST":
                    return self._insert(req, cal)
                if len(parts) == 3 and req.method == "GET":
                    return self._list(req, cal)
                if len(parts) == 4:
                    handler = {
                        "GET": self._get,
                        "PATCH": self._patch,
                        "PUT": self._put,
                        "DELETE": self._delete,
                    }.get(req.method)
                    if handler is not None:
                        return handler(req, cal, parts[3])
            raise GoogleApiError(404, "notFound", f"no route for {req.method} {req.path}")
        except GoogleApiError as exc:
            return Reply(exc.status, self.error_body(exc.status, exc.message, exc.reason))

    # ------------------------------------------------------------ OAuth
    def _token(self, req: Request) -> Reply:
        form = req.form()
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return Reply(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        if form.get("grant_type") != "refresh_token":
            return Reply(400, {"error": "unsupported_grant_type"})
        if form.get("refresh_token") not in self.refresh_tokens:
            return Reply(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            )
        token = f"ya29.refreshed-{next(self._counter)}"
        self.valid_tokens.add(token)
        return Reply(
            200,
            {
                "access_token": token,
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/calendar",
                "token_type": "Bearer",
            },
        )

    # ------------------------------------------------------------ validation
    def _send_updates(self, req: Request) -> str:
        value = req.query.get("sendUpdates")
        if value is None:
            raise GoogleApiError(
                400, "required", "fake: sendUpdates must be explicit (Google would not notify)"
            )
        if value not in SEND_UPDATES:
            raise GoogleApiError(400, "invalidParameter", f"Invalid sendUpdates {value!r}")
        return value

    def _validate_event(self, body: Any, *, partial: bool) -> None:
        if not isinstance(body, dict):
            raise GoogleApiError(400, "parseError", "body must be a JSON object")
        errors = schema_errors("Event", _strip_nulls(body) if partial else body)
        if errors:
            raise GoogleApiError(400, "invalid", "; ".join(errors))
        overrides = (body.get("reminders") or {}).get("overrides") or []
        if len(overrides) > 5:
            raise GoogleApiError(400, "cannotUseMoreThan5Reminders", "at most 5 reminder overrides")
        for item in overrides:
            minutes = (item or {}).get("minutes")
            if minutes is not None and not 0 <= minutes <= 40320:
                raise GoogleApiError(400, "invalid", "reminder minutes out of 0..40320")
        for scope in ("private", "shared"):
            props = (body.get("extendedProperties") or {}).get(scope) or {}
            for key, value in props.items():
                if len(key) > 44:
                    raise GoogleApiError(
                        400, "invalid", f"fake: extended property key over 44 chars: {key!r}"
                    )
                if value is not None and len(value) > 1024:
                    raise GoogleApiError(
                        400, "invalid", f"fake: extended property {key!r} over 1024"
                    )
        for name in ("start", "end"):
            when = body.get(name)
            if when is None:
                if not partial:
                    raise GoogleApiError(400, "required", f"Missing {name} time.")
                continue
            if "dateTime" in when:
                moment = datetime.fromisoformat(when["dateTime"].replace("Z", "+00:00"))
                if moment.tzinfo is None and not when.get("timeZone"):
                    raise GoogleApiError(400, "invalid", f"{name}: offset or timeZone required")
            elif "date" not in when:
                raise GoogleApiError(400, "required", f"{name}: dateTime or date required")

    # ------------------------------------------------------------ events
    def _stamp(self, event: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        event["updated"] = now.isoformat().replace("+00:00", "Z")
        event["etag"] = f'"{int(now.timestamp() * 1000)}{next(self._counter):04d}"'

    def _apply_conference(self, req: Request, event: dict[str, Any]) -> None:
        if req.query.get("conferenceDataVersion", "0") != "1":
            event.pop("conferenceData", None)  # version 0 ignores conference data
            return
        create = (event.get("conferenceData") or {}).get("createRequest")
        if not create or "conferenceId" in (event.get("conferenceData") or {}):
            return
        if (create.get("conferenceSolutionKey") or {}).get("type") != "hangoutsMeet":
            raise GoogleApiError(400, "invalid", "Invalid conference type value.")
        if not create.get("requestId"):
            raise GoogleApiError(400, "required", "conferenceData.createRequest.requestId")
        self.meet_links_created += 1
        code = hashlib.sha1(f"{event['id']}{create['requestId']}".encode()).hexdigest()
        letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in code[:10])
        conference_id = f"{letters[:3]}-{letters[3:7]}-{letters[7:10]}"
        uri = f"https://meet.google.com/{conference_id}"
        pending = self.meet_pending_reads > 0
        event["conferenceData"] = {
            "createRequest": {
                **create,
                "status": {"statusCode": "pending" if pending else "success"},
            },
            "conferenceSolution": {
                "key": {"type": "hangoutsMeet"},
                "name": "Google Meet",
            },
            "conferenceId": conference_id,
            "_pending_reads": self.meet_pending_reads,
            "_uri": uri,
        }
        if not pending:
            self._finish_conference(event)

    @staticmethod
    def _finish_conference(event: dict[str, Any]) -> None:
        data = event["conferenceData"]
        data["createRequest"]["status"] = {"statusCode": "success"}
        uri = data["_uri"]
        data["entryPoints"] = [
            {"entryPointType": "video", "uri": uri, "label": uri.removeprefix("https://")}
        ]
        event["hangoutLink"] = uri

    @staticmethod
    def _public(event: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(event)
        data = out.get("conferenceData")
        if data:
            for key in [k for k in data if k.startswith("_")]:
                del data[key]
        return out

    def _find(self, cal: str, event_id: str) -> dict[str, Any]:
        event = self.events.get((cal, event_id))
        if event is None:
            raise GoogleApiError(404, "notFound", "Not Found")
        return event

    def _check_if_match(self, req: Request, event: dict[str, Any]) -> None:
        wanted = req.headers.get("if-match")
        if wanted is not None and wanted != event["etag"]:
            raise GoogleApiError(412, "conditionNotMet", "Precondition Failed")

    def _insert(self, req: Request, cal: str) -> Reply:
        self._send_updates(req)
        body = req.json
        self._validate_event(body, partial=False)
        event_id = body.get("id")
        if event_id is None:
            event_id = base64.b32hexencode(os.urandom(10)).decode().lower()
        elif not EVENT_ID.match(event_id):
            raise GoogleApiError(400, "invalid", "Invalid resource id value.")
        if (cal, event_id) in self.events:
            raise GoogleApiError(409, "duplicate", "The requested identifier already exists.")
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        event = copy.deepcopy(body)
        event.update(
            {
                "kind": "calendar#event",
                "id": event_id,
                "status": body.get("status", "confirmed"),
                "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
                "created": now,
                "iCalUID": body.get("iCalUID") or f"{event_id}@google.com",
                "sequence": 0,
                "organizer": {"email": cal, "self": True},
                "creator": {"email": self.user_email, "self": True},
                "reminders": body.get("reminders") or {"useDefault": True},
            }
        )
        for attendee in event.get("attendees", []):
            attendee.setdefault("responseStatus", "needsAction")
        self._apply_conference(req, event)
        self._stamp(event)
        self.events[(cal, event_id)] = event
        return Reply(200, self._public(event))

    def _get(self, req: Request, cal: str, event_id: str) -> Reply:
        event = self._find(cal, event_id)
        data = event.get("conferenceData") or {}
        if data.get("_pending_reads"):
            data["_pending_reads"] -= 1
            if data["_pending_reads"] == 0:
                self._finish_conference(event)
        return Reply(200, self._public(event))

    def _patch(self, req: Request, cal: str, event_id: str) -> Reply:
        self._send_updates(req)
        event = self._find(cal, event_id)
        self._check_if_match(req, event)
        body = req.json
        self._validate_event(body, partial=True)
        if "id" in body and body["id"] != event_id:
            raise GoogleApiError(400, "invalid", "id cannot be changed")
        had_conference = "conferenceId" in (event.get("conferenceData") or {})
        merged = copy.deepcopy(event)
        _merge(merged, body)
        if had_conference and req.query.get("conferenceDataVersion", "0") != "1":
            merged["conferenceData"] = event["conferenceData"]
        elif not had_conference:
            self._apply_conference(req, merged)
        merged["sequence"] = event.get("sequence", 0) + 1
        self._stamp(merged)
        self.events[(cal, event_id)] = merged
        return Reply(200, self._public(merged))

    def _put(self, req: Request, cal: str, event_id: str) -> Reply:
        self._send_updates(req)
        event = self._find(cal, event_id)
        self._check_if_match(req, event)
        self._validate_event(req.json, partial=False)
        replaced = copy.deepcopy(req.json)
        for key in ("kind", "id", "htmlLink", "created", "iCalUID", "organizer", "creator"):
            replaced[key] = event[key]
        replaced.setdefault("status", "confirmed")
        replaced["sequence"] = event.get("sequence", 0) + 1
        self._stamp(replaced)
        self.events[(cal, event_id)] = replaced
        return Reply(200, self._public(replaced))

    def _delete(self, req: Request, cal: str, event_id: str) -> Reply:
        self._send_updates(req)
        event = self._find(cal, event_id)
        self._check_if_match(req, event)
        if event["status"] == "cancelled":
            raise GoogleApiError(410, "deleted", "Resource has been deleted")
        event["status"] = "cancelled"
        self._stamp(event)
        return Reply(204)

    def _list(self, req: Request, cal: str) -> Reply:
        show_deleted = req.query.get("showDeleted") == "true"
        wanted = req.query.get("privateExtendedProperty")
        items = []
        for (c, _), event in sorted(self.events.items()):
            if c != cal or (event["status"] == "cancelled" and not show_deleted):
                continue
            if wanted:
                key, _, value = wanted.partition("=")
                if ((event.get("extendedProperties") or {}).get("private") or {}).get(key) != value:
                    continue
            if "iCalUID" in req.query and event["iCalUID"] != req.query["iCalUID"]:
                continue
            items.append(self._public(event))
        return Reply(200, {"kind": "calendar#events", "items": items})

    # ------------------------------------------------------------ freebusy
    def _freebusy(self, req: Request) -> Reply:
        body = req.json
        errors = schema_errors("FreeBusyRequest", body)
        if errors:
            raise GoogleApiError(400, "invalid", "; ".join(errors))
        for key in ("timeMin", "timeMax"):
            if key not in (body or {}):
                raise GoogleApiError(400, "required", f"Missing {key}.")
        items = body.get("items") or []
        if len(items) > 50:
            raise GoogleApiError(400, "tooManyCalendarsRequested", "Too many calendars requested.")
        lo, hi = parse_time(body["timeMin"]), parse_time(body["timeMax"])
        if hi <= lo:
            raise GoogleApiError(400, "timeRangeEmpty", "The specified time range is empty.")
        calendars: dict[str, Any] = {}
        for item in items:
            cal_id = item["id"]
            key = self.user_email if cal_id == "primary" else cal_id
            if key == self.user_email:
                spans = [
                    (parse_time(e["start"]["dateTime"]), parse_time(e["end"]["dateTime"]))
                    for (c, _), e in self.events.items()
                    if c == key
                    and e["status"] != "cancelled"
                    and e.get("transparency") != "transparent"
                    and "dateTime" in e["start"]
                ]
            elif key in self.other_calendars:
                spans = list(self.other_calendars[key])
            else:
                calendars[cal_id] = {
                    "errors": [{"domain": "global", "reason": "notFound"}],
                    "busy": [],
                }
                continue
            busy = [
                {"start": rfc3339(max(s, lo)), "end": rfc3339(min(e, hi))}
                for s, e in sorted(spans)
                if s < hi and e > lo
            ]
            calendars[cal_id] = {"busy": busy}
        return Reply(
            200,
            {
                "kind": "calendar#freeBusy",
                "timeMin": body["timeMin"],
                "timeMax": body["timeMax"],
                "calendars": calendars,
            },
        )

    def __enter__(self) -> Self:
        self.start()
        return self
