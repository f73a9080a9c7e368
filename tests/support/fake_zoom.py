"""An in-process fake of Zoom's Server-to-Server OAuth token endpoint and meetings API.

``FakeZoom`` is a real threaded HTTP server on 127.0.0.1: the token endpoint is
``fake.oauth_url`` and the API root is ``fake.api_url``. It checks what the real service
checks and a little more: Basic client credentials and ``grant_type=account_credentials``
with the right ``account_id``; bearer tokens it issued (``expire_tokens()`` makes them
stale, as after an hour); hosts that belong to the account; meeting bodies (known keys,
``type``, ``start_time`` as ``yyyy-MM-ddTHH:mm:ssZ``, positive ``duration``, ``topic``
≤ 200, ``password`` ≤ 10, an IANA ``timezone``). Failure injection comes from
``FakeHttpService.fail_next`` (never applied to the token endpoint).
"""

from __future__ import annotations

import base64
import copy
import itertools
import re
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.support.fake_google import FakeHttpService, Reply, Request, bearer

__all__ = ["FakeZoom"]

MEETING_KEYS = frozenset(
    {
        "topic",
        "type",
        "start_time",
        "duration",
        "timezone",
        "agenda",
        "password",
        "settings",
        "schedule_for",
        "default_password",
        "pre_schedule",
        "recurrence",
        "tracking_fields",
        "template_id",
    }
)
START_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class ZoomError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class FakeZoom(FakeHttpService):
    """Arrange ``users`` (host emails in the account); inspect ``meetings`` and
    ``token_requests``."""

    no_failure_paths = ("/oauth/",)

    def __init__(
        self,
        account_id: str = "acct-1",
        client_id: str = "zoom-client",
        client_secret: str = "zoom-secret",
        users: tuple[str, ...] = ("host@example.com",),
    ) -> None:
        super().__init__()
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.users = set(users)
        self.meetings: dict[int, dict[str, Any]] = {}
        self.valid_tokens: set[str] = set()
        self.token_requests = 0
        self._ids = itertools.count(81234567890)
        self._tokens = itertools.count(1)

    def __enter__(self) -> Self:
        self.start()
        return self

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/oauth/token"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    def expire_tokens(self) -> None:
        with self.lock:
            self.valid_tokens.clear()

    def error_body(self, status: int, message: str, reason: str = "") -> Any:
        return {"code": {429: 429, 401: 124}.get(status, status), "message": message}

    # ------------------------------------------------------------------ routing
    def route(self, req: Request) -> Reply:
        if req.path == "/oauth/token" and req.method == "POST":
            return self._token(req)
        if not req.path.startswith("/v2/"):
            return Reply(404, self.error_body(404, "Not found"))
        if bearer(req) not in self.valid_tokens:
            return Reply(401, {"code": 124, "message": "Invalid access token."})
        parts = req.path[len("/v2/") :].split("/")
        try:
            if (
                len(parts) == 3
                and parts[0] == "users"
                and parts[2] == "meetings"
                and req.method == "POST"
            ):
                return self._create(req, parts[1])
            if len(parts) == 2 and parts[0] == "meetings":
                try:
                    meeting = self.meetings[int(parts[1])]
                except (ValueError, KeyError):
                    raise ZoomError(
                        404, 3001, f"Meeting {parts[1]} is not found or has expired."
                    ) from None
                if req.method == "GET":
                    return Reply(200, copy.deepcopy(meeting))
                if req.method == "PATCH":
                    self._validate(req.json, creating=False)
                    meeting.update(copy.deepcopy(req.json))
                    return Reply(204)
                if req.method == "DELETE":
                    del self.meetings[meeting["id"]]
                    return Reply(204)
            raise ZoomError(404, 404, f"no route {req.method} {req.path}")
        except ZoomError as exc:
            return Reply(exc.status, {"code": exc.code, "message": exc.message})

    def _token(self, req: Request) -> Reply:
        self.token_requests += 1
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if req.headers.get("authorization") != f"Basic {expected}":
            return Reply(
                400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
            )
        params = {**req.query, **req.form()}
        if params.get("grant_type") != "account_credentials":
            return Reply(
                400, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"}
            )
        if params.get("account_id") != self.account_id:
            return Reply(400, {"reason": "Invalid account_id", "error": "invalid_request"})
        token = f"zoom-at-{next(self._tokens)}"
        self.valid_tokens.add(token)
        return Reply(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": 3599,
                "scope": "meeting:write:admin meeting:read:admin",
                "api_url": "https://api.zoom.us",
            },
        )

    def _validate(self, body: Any, *, creating: bool) -> None:
        if not isinstance(body, dict):
            raise ZoomError(400, 300, "Request Body should be a valid JSON object.")
        unknown = set(body) - MEETING_KEYS
        if unknown:
            raise ZoomError(400, 300, f"Invalid field(s): {sorted(unknown)}")
        if creating and body.get("type", 2) not in (1, 2, 3, 8):
            raise ZoomError(400, 300, "Invalid meeting type.")
        if "start_time" in body and not START_TIME.match(str(body["start_time"])):
            raise ZoomError(400, 300, f"Invalid start_time {body['start_time']!r}")
        if "duration" in body and (not isinstance(body["duration"], int) or body["duration"] <= 0):
            raise ZoomError(400, 300, "Invalid duration.")
        if len(str(body.get("topic", ""))) > 200:
            raise ZoomError(400, 300, "Topic is longer than 200 characters.")
        if len(str(body.get("password", ""))) > 10:
            raise ZoomError(400, 300, "Password is longer than 10 characters.")
        if "timezone" in body:
            try:
                ZoneInfo(str(body["timezone"]))
            except (ZoneInfoNotFoundError, ValueError):
                raise ZoomError(400, 300, f"Invalid timezone {body['timezone']!r}") from None

    def _create(self, req: Request, host: str) -> Reply:
        if host not in self.users:
            raise ZoomError(404, 1001, f"User does not exist: {host}.")
        self._validate(req.json, creating=True)
        meeting_id = next(self._ids)
        meeting = {
            "id": meeting_id,
            "uuid": base64.b64encode(str(meeting_id).encode()).decode(),
            "host_email": host,
            "type": 2,
            "status": "waiting",
            "password": "a1B2c3",
            "join_url": f"https://zoom.us/j/{meeting_id}?pwd=fakepwd",
            "start_url": f"https://zoom.us/s/{meeting_id}?zak=fake",
            **copy.deepcopy(req.json),
        }
        self.meetings[meeting_id] = meeting
        return Reply(201, copy.deepcopy(meeting))
