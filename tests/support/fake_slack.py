"""An in-process fake of the Slack Web API for tests.

``FakeSlack`` is a real threaded HTTP server on ``127.0.0.1`` (port chosen by the OS). Point a
``slack_sdk.WebClient`` (or a Bolt ``App(client=...)``) at ``fake.url`` and every Web API call
is answered and recorded::

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        client.views_open(trigger_id="1.2.3", view={...})
        call = fake.wait_for("views.open")[0]
        assert call.args["view"]["callback_id"] == "meet_form"

Bolt runs listeners in a thread after ``ack()``: poll with :meth:`FakeSlack.wait_for`.

``response_url`` posts (Bolt's ``respond()``) are accepted at ``fake.response_url()`` and
recorded with method ``"response_url"``.

File uploads (``WebClient.files_upload_v2``) work like Slack's: files.getUploadURLExternal
returns an ``upload_url`` on the fake itself, the bytes POSTed (or PUT) there are kept
(recorded with method ``"file_upload"``), and files.completeUploadExternal shares them.
:meth:`FakeSlack.uploaded_files` returns the shared files with their bytes.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import email.parser
import email.policy
import itertools
import json
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Call", "FILE_UPLOAD_METHOD", "FakeSlack", "RESPONSE_URL_METHOD"]

#: ``Call.method`` used for posts to ``/response/<anything>`` (``respond()`` / response_url).
RESPONSE_URL_METHOD = "response_url"

#: ``Call.method`` used for the bytes sent to an upload_url from files.getUploadURLExternal.
FILE_UPLOAD_METHOD = "file_upload"

#: Form fields that slack_sdk (or an app) may send JSON-encoded; they are decoded in ``Call.args``.
JSON_FIELDS = frozenset(
    {
        "view",
        "blocks",
        "attachments",
        "metadata",
        "unfurls",
        "user_auth_blocks",
        "options",
        "option_groups",
        "profile",
    }
)

#: Methods that need no bot token.
NO_AUTH_METHODS = frozenset({"oauth.v2.access", "oauth.access", "oauth.v2.exchange", "api.test"})

Handler = Callable[["FakeSlack", dict[str, Any]], dict[str, Any]]


@dataclass
class Call:
    """One recorded HTTP call to the fake.

    ``method`` is the Web API method (``"chat.postMessage"``) or ``"response_url"``.
    ``args`` holds the decoded arguments (query string + form/JSON/multipart body; JSON-encoded
    fields like ``view`` and ``blocks`` are decoded). ``headers`` keys are lower-case.
    ``at`` is ``time.time()`` on arrival. ``status``/``response`` are what the fake answered
    (``response`` is ``None`` for plain-text answers such as response_url's ``ok``).
    """

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float
    path: str = ""
    http_method: str = "POST"
    raw_body: bytes = b""
    status: int = 200
    response: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and (self.response is None or bool(self.response.get("ok")))

    @property
    def body(self) -> dict[str, Any]:
        """The JSON the fake answered; fails the test when it answered plain text."""
        assert self.response is not None, f"{self.method} answered plain text"
        return self.response

    @property
    def view(self) -> dict[str, Any]:
        """The ``view`` argument of a views.* call."""
        view: dict[str, Any] = self.args["view"]
        return view


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    error: str | None
    remaining: int


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] | None = None


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True", "TRUE")


def _decode_json_fields(args: dict[str, Any]) -> dict[str, Any]:
    for key in JSON_FIELDS & args.keys():
        value = args[key]
        if isinstance(value, str) and value.strip()[:1] in ("{", "["):
            with contextlib.suppress(ValueError):
                args[key] = json.loads(value)
    return args


def _parse_form(text: str) -> dict[str, Any]:
    parsed = parse_qs(text, keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    out: dict[str, Any] = {}
    if not message.is_multipart():
        return out
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            out[name] = data
        else:
            out[name] = data.decode("utf-8", errors="replace")
    return out


def _tz_offset(tz: str) -> int:
    try:
        offset = datetime.now(UTC).astimezone(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset is not None else 0


class _Server(ThreadingHTTPServer):
    """A client that hangs up before its answer (a test done with it, a timeout) is not
    an error of the fake: no traceback in the test output for it."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return
        super().handle_error(request, client_address)


class FakeSlack:
    """Threaded fake Slack Web API server. See the module docstring.

    Args:
        team_id / team_name / team_domain: the workspace returned by auth.test & co.
        bot_user_id / bot_id / app_id: the bot identity (auth.test, message authorship).
        token_prefixes: bearer-token prefixes accepted (default: bot tokens only).
        oauth_client: optional ``(client_id, client_secret)``; when set, oauth.v2.access
            checks them (HTTP Basic auth or form fields) like Slack does.
        strict_views: when True, views.* and chat.* reject payloads that fail
            ``tests.support.blockkit`` validation with ``invalid_arguments`` / ``invalid_blocks``.
    """

    def __init__(
        self,
        *,
        team_id: str = "T0001",
        team_name: str = "Meetline Test",
        team_domain: str = "meetline-test",
        bot_user_id: str = "UBOT",
        bot_id: str = "B0001",
        app_id: str = "A0001",
        token_prefixes: tuple[str, ...] = ("xoxb-",),
        oauth_client: tuple[str, str] | None = None,
        strict_views: bool = False,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.token_prefixes = token_prefixes
        self.oauth_client = oauth_client
        self.strict_views = strict_views
        self.oauth_response: dict[str, Any] = {
            "access_token": "xoxb-installed",
            "token_type": "bot",
            "scope": "commands,chat:write,im:write,users:read,users:read.email",
            "bot_user_id": bot_user_id,
            "app_id": app_id,
            "team": {"id": team_id, "name": team_name},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "U1"},
        }

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._failures: dict[str, deque[_Failure]] = {}
        self._delays: dict[str, float] = {}
        self._custom: dict[str, dict[str, Any] | Handler] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._external_ids: dict[str, str] = {}
        self._home_ids: dict[str, str] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._view_seq = itertools.count(1)
        self._ts_seq = itertools.count(1)
        self._files: dict[str, dict[str, Any]] = {}
        self._file_seq = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

        self.add_user(bot_user_id, name="meetline", real_name="Meetline", is_bot=True)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Web API base URL for ``WebClient(base_url=...)``: ``http://127.0.0.1:PORT/api/``."""
        return f"{self.root_url}/api/"

    def response_url(self, suffix: str = "T0001/1/x") -> str:
        """A response_url pointing at the fake (use in slash-command / block_actions payloads)."""
        return f"{self.root_url}/response/{suffix.lstrip('/')}"

    # ------------------------------------------------------------------ configuration

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        email: str | None = None,
        tz: str = "Europe/Warsaw",
        locale: str = "en-US",
        deleted: bool = False,
        is_bot: bool = False,
        display_name: str = "",
        team_id: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> dict[str, Any]:
        """Register a user for users.info / users.lookupByEmail. Returns the user object.
        `is_admin` / `is_owner` are the workspace's own Slack admin and owner flags."""
        name = name or user_id.lower()
        real_name = real_name if real_name is not None else name
        profile: dict[str, Any] = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": display_name,
            "display_name_normalized": display_name,
            "first_name": real_name.split(" ")[0] if real_name else "",
            "last_name": " ".join(real_name.split(" ")[1:]) if real_name else "",
            "team": team_id or self.team_id,
        }
        if email is not None:
            profile["email"] = email
        if is_bot:
            profile["bot_id"] = self.bot_id if user_id == self.bot_user_id else f"B{user_id}"
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": name,
            "deleted": deleted,
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": _tz_offset(tz),
            "is_bot": is_bot,
            "is_app_user": False,
            "is_admin": is_admin or is_owner,
            "is_owner": is_owner,
            "updated": 1700000000,
            "profile": profile,
            "_locale": locale,
        }
        with self._lock:
            self._users[user_id] = user
        return self._public_user(user, include_locale=True)

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        retry_after: int | None = 1,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        - default / ``status=429``: HTTP 429 with ``Retry-After: retry_after`` and
          ``{"ok": false, "error": "ratelimited"}``;
        - ``status=500`` (or any other non-200 status): that HTTP status with
          ``{"ok": false, "error": error or "internal_error"}``;
        - ``error="expired_trigger_id"`` (status omitted or 200): HTTP 200
          ``{"ok": false, "error": "expired_trigger_id"}``.

        Failures queue up in order; ``method`` may be ``"response_url"``.
        """
        if status is None:
            status = 200 if error is not None else 429
        if status == 200 and error is None:
            raise ValueError("fail_next with status 200 needs an error")
        with self._lock:
            self._failures.setdefault(method, deque()).append(
                _Failure(status=status, retry_after=retry_after, error=error, remaining=times)
            )

    def delay(self, method: str, seconds: float) -> None:
        """Sleep ``seconds`` before answering ``method`` (0 removes the delay)."""
        with self._lock:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def respond_with(self, method: str, response: dict[str, Any] | Handler) -> None:
        """Override the answer for ``method``: a dict (``ok: true`` is added if missing) or
        ``handler(fake, args) -> dict``. Failure injection and token checks still apply."""
        with self._lock:
            self._custom[method] = response

    def clear(self) -> None:
        """Forget recorded calls, pending failures and delays (users, views and messages stay)."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._delays.clear()

    # ------------------------------------------------------------------ inspection

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def last(self, method: str) -> Call:
        found = self.calls(method)
        if not found:
            raise AssertionError(f"no {method} call recorded; calls: {self._summary()}")
        return found[-1]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until at least ``count`` calls of ``method`` (matching ``predicate``) were
        recorded; return all matching calls. Raises AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [
                    c
                    for c in self._calls
                    if c.method == method and (predicate is None or predicate(c))
                ]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {count} {method} call(s) "
                        f"(got {len(found)} matching); calls: {self._summary()}"
                    )
                self._cond.wait(min(remaining, 0.05))

    def get_view(
        self, view_id: str | None = None, *, external_id: str | None = None
    ) -> dict[str, Any]:
        """The current state of a view opened/pushed/updated/published through the fake."""
        with self._lock:
            if view_id is None and external_id is not None:
                view_id = self._external_ids.get(external_id)
            if view_id is None or view_id not in self._views:
                raise KeyError(view_id or external_id)
            return copy.deepcopy(self._views[view_id])

    def uploaded_files(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Files shared with files.completeUploadExternal, oldest first: ``id``, ``name``,
        ``title``, ``alt_txt``, ``snippet_type``, ``channels``, ``initial_comment`` and the
        uploaded ``data`` (bytes)."""
        with self._lock:
            return [
                copy.deepcopy(f)
                for f in self._files.values()
                if f["completed"] and (channel is None or channel in f["channels"])
            ]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages posted with chat.postMessage (as updated by chat.update), oldest first."""
        with self._lock:
            return [
                copy.deepcopy(m)
                for (ch, _), m in self._messages.items()
                if channel is None or ch == channel
            ]

    def _summary(self) -> str:
        return ", ".join(c.method for c in self._calls) or "(none)"

    # ------------------------------------------------------------------ request handling

    def _handle(
        self, http_method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> _Reply:
        arrived = time.time()
        split = urlsplit(path)
        route = split.path
        lower_headers = {k.lower(): v for k, v in headers.items()}
        args: dict[str, Any] = _parse_form(split.query) if split.query else {}
        if not route.startswith("/upload/"):  # upload bodies are raw file bytes
            args.update(self._parse_body(lower_headers.get("content-type", ""), body))
        _decode_json_fields(args)

        if route.startswith("/response/"):
            method = RESPONSE_URL_METHOD
        elif route.startswith("/upload/"):
            method = FILE_UPLOAD_METHOD
        elif route.startswith("/api/"):
            method = route[len("/api/") :].strip("/")
        else:
            method = route.strip("/")

        with self._lock:
            reply = self._injected_failure(method)
            if reply is None:
                if method == RESPONSE_URL_METHOD:
                    reply = _Reply(200, b"ok", "text/html")
                elif method == FILE_UPLOAD_METHOD:
                    reply = self._receive_upload(route, body)
                elif not method or "." not in method:
                    reply = _json_reply({"ok": False, "error": "unknown_method"}, status=404)
                else:
                    payload = self._auth_error(method, lower_headers, args)
                    if payload is None:
                        payload = self._dispatch(method, args, lower_headers)
                    reply = _json_reply(payload)
            self._calls.append(
                Call(
                    method=method,
                    args=args,
                    headers=lower_headers,
                    at=arrived,
                    path=route,
                    http_method=http_method,
                    raw_body=body,
                    status=reply.status,
                    response=reply.payload,
                )
            )
            self._cond.notify_all()
            pause = self._delays.get(method, 0.0)
        if pause:
            time.sleep(pause)
        return reply

    @staticmethod
    def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        ctype = content_type.split(";")[0].strip().lower()
        if ctype == "application/json":
            try:
                parsed = json.loads(body)
            except ValueError:
                return {"_raw": body.decode("utf-8", errors="replace")}
            return parsed if isinstance(parsed, dict) else {"_json": parsed}
        if ctype == "multipart/form-data":
            return _parse_multipart(content_type, body)
        return _parse_form(body.decode("utf-8", errors="replace"))

    def _injected_failure(self, method: str) -> _Reply | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.popleft()
        if failure.status == 429:
            headers = (
                {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
            )
            reply = _json_reply({"ok": False, "error": failure.error or "ratelimited"}, status=429)
            reply.headers.update(headers)
            return reply
        if failure.status == 200:
            return _json_reply({"ok": False, "error": failure.error})
        return _json_reply(
            {"ok": False, "error": failure.error or "internal_error"}, status=failure.status
        )

    def _auth_error(
        self, method: str, headers: Mapping[str, str], args: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        if method in NO_AUTH_METHODS:
            return None
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else ""
        if not token and isinstance(args.get("token"), str):
            token = args["token"]
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not token.startswith(self.token_prefixes):
            return {"ok": False, "error": "invalid_auth"}
        return None

    def _dispatch(
        self, method: str, args: dict[str, Any], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        custom = self._custom.get(method)
        if custom is not None:
            result = custom(self, args) if callable(custom) else copy.deepcopy(custom)
            result.setdefault("ok", True)
            return result
        if method == "oauth.v2.access":
            return self._oauth_v2_access(args, headers)
        handler = _HANDLERS.get(method)
        if handler is None:
            return {"ok": True}
        return handler(self, args)

    # ------------------------------------------------------------------ method implementations

    def _next_ts(self) -> str:
        n = next(self._ts_seq) * 100
        return f"{1700000000 + n // 1_000_000}.{n % 1_000_000:06d}"

    def _new_view_id(self) -> str:
        return f"V{next(self._view_seq):010d}"

    @staticmethod
    def _new_hash() -> str:
        return f"{time.time():.6f}.{secrets.token_hex(4)}"

    def _public_user(self, user: Mapping[str, Any], *, include_locale: bool) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in user.items() if not k.startswith("_")}
        if include_locale:
            out["locale"] = user["_locale"]
        return out

    def _strict_errors(self, kind: str, payload: Any) -> list[str]:
        if not self.strict_views:
            return []
        from tests.support import blockkit  # local import: blockkit imports this module

        try:
            if kind == "view":
                blockkit.validate_view(payload)
            else:
                blockkit.validate_blocks(payload)
        except AssertionError as exc:
            return str(exc).splitlines()
        return []

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "meetline",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "is_enterprise_install": False,
        }

    def _view_payload(self, view: Mapping[str, Any], view_id: str, root: str) -> dict[str, Any]:
        stored = copy.deepcopy(dict(view))
        stored.update(
            {
                "id": view_id,
                "team_id": self.team_id,
                "app_id": self.app_id,
                "bot_id": self.bot_id,
                "hash": self._new_hash(),
                "root_view_id": root,
                "previous_view_id": None,
                "state": {"values": {}},
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "external_id": view.get("external_id", ""),
            }
        )
        return stored

    def _check_view_args(self, args: dict[str, Any], *, trigger: bool) -> dict[str, Any] | None:
        view = args.get("view")
        if trigger and not args.get("trigger_id"):
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": ["[ERROR] missing required field: trigger_id"]},
            }
        if not isinstance(view, dict) or "type" not in view:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": ["[ERROR] missing or invalid field: view"]},
            }
        errors = self._strict_errors("view", view)
        if errors:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": errors},
            }
        return None

    def _open_view(self, args: dict[str, Any], *, trigger: bool) -> dict[str, Any]:
        bad = self._check_view_args(args, trigger=trigger)
        if bad is not None:
            return bad
        view = args["view"]
        external_id = view.get("external_id") or ""
        if external_id and external_id in self._external_ids:
            return {"ok": False, "error": "duplicate_external_id"}
        view_id = self._new_view_id()
        stored = self._view_payload(view, view_id, view_id)
        self._views[view_id] = stored
        if external_id:
            self._external_ids[external_id] = view_id
        return {"ok": True, "view": copy.deepcopy(stored)}

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._open_view(args, trigger=True)

    def _m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._open_view(args, trigger=True)

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        bad = self._check_view_args(args, trigger=False)
        if bad is not None:
            return bad
        view_id = args.get("view_id") or None
        external_id = args.get("external_id") or None
        if view_id is None and external_id is None:
            return {"ok": False, "error": "invalid_arguments"}
        if view_id is None:
            view_id = self._external_ids.get(str(external_id))
        if view_id is None or view_id not in self._views:
            return {"ok": False, "error": "not_found"}
        current = self._views[view_id]
        expected_hash = args.get("hash")
        if expected_hash and expected_hash != current.get("hash"):
            return {"ok": False, "error": "hash_conflict"}
        stored = self._view_payload(args["view"], view_id, current.get("root_view_id") or view_id)
        stored["previous_view_id"] = current.get("previous_view_id")
        new_external = stored.get("external_id") or ""
        if new_external:
            self._external_ids[new_external] = view_id
        self._views[view_id] = stored
        return {"ok": True, "view": copy.deepcopy(stored)}

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        bad = self._check_view_args(args, trigger=False)
        if bad is not None:
            return bad
        user_id = args.get("user_id")
        if not user_id:
            return {"ok": False, "error": "invalid_arguments"}
        view_id = self._home_ids.get(str(user_id)) or self._new_view_id()
        self._home_ids[str(user_id)] = view_id
        current = self._views.get(view_id)
        expected_hash = args.get("hash")
        if current is not None and expected_hash and expected_hash != current.get("hash"):
            return {"ok": False, "error": "hash_conflict"}
        stored = self._view_payload(args["view"], view_id, view_id)
        self._views[view_id] = stored
        return {"ok": True, "view": copy.deepcopy(stored)}

    def _channel_for(self, channel: str) -> str:
        return "D" + channel if channel.startswith(("U", "W")) else channel

    def _check_blocks(self, args: dict[str, Any]) -> dict[str, Any] | None:
        if "blocks" not in args:
            return None
        blocks = args["blocks"]
        if not isinstance(blocks, list):
            return {"ok": False, "error": "invalid_blocks_format"}
        errors = self._strict_errors("blocks", blocks) if blocks else []
        if errors:
            return {
                "ok": False,
                "error": "invalid_blocks",
                "response_metadata": {"messages": errors},
            }
        return None

    def _m_chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks") and not args.get("attachments"):
            return {"ok": False, "error": "no_text"}
        bad = self._check_blocks(args)
        if bad is not None:
            return bad
        channel = self._channel_for(str(channel))
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": args.get("text", ""),
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if key in args:
                message[key] = copy.deepcopy(args[key])
        self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = args.get("channel"), args.get("ts")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not ts:
            return {"ok": False, "error": "message_not_found"}
        bad = self._check_blocks(args)
        if bad is not None:
            return bad
        key = (str(channel), str(ts))
        message = self._messages.get(key) or {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
            "ts": ts,
        }
        for field_name in ("text", "blocks", "attachments", "metadata"):
            if field_name in args:
                message[field_name] = copy.deepcopy(args[field_name])
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        self._messages[key] = message
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": copy.deepcopy(message),
        }

    def _m_chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        bad = self._check_blocks(args)
        if bad is not None:
            return bad
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users")
        if args.get("channel"):
            return {"ok": True, "channel": {"id": args["channel"]}}
        if isinstance(users, list):
            users = ",".join(str(u) for u in users)
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        ids = [u.strip() for u in str(users).split(",") if u.strip()]
        channel_id = "D" + ids[0] if len(ids) == 1 else "G" + "".join(ids)
        return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel_id}}

    def _m_files_get_upload_url_external(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = args.get("filename")
        try:
            length = int(args.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not filename or length <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._file_seq):010d}"
        self._files[file_id] = {
            "id": file_id,
            "name": str(filename),
            "title": str(filename),
            "length": length,
            "alt_txt": args.get("alt_txt"),
            "snippet_type": args.get("snippet_type"),
            "data": None,
            "completed": False,
            "channels": [],
            "initial_comment": None,
        }
        return {
            "ok": True,
            "upload_url": f"{self.root_url}/upload/v1/{file_id}",
            "file_id": file_id,
        }

    def _receive_upload(self, route: str, body: bytes) -> _Reply:
        file_id = route.rstrip("/").rsplit("/", 1)[-1]
        stored = self._files.get(file_id)
        if stored is None or stored["completed"]:
            return _Reply(404, b"file not found", "text/plain")
        stored["data"] = body
        return _Reply(200, f"OK - {len(body)}".encode(), "text/plain")

    def _m_files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                files = None
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        channels = [
            c for c in str(args.get("channels") or args.get("channel_id") or "").split(",") if c
        ]
        chosen = []
        for item in files:
            stored = self._files.get(str(item.get("id") if isinstance(item, dict) else ""))
            if stored is None or stored["completed"]:
                return {"ok": False, "error": "file_not_found"}
            if stored["data"] is None:
                return {"ok": False, "error": "file_upload_not_complete"}
            if len(stored["data"]) != stored["length"]:
                return {"ok": False, "error": "file_size_mismatch"}
            chosen.append((stored, item))
        shared = []
        for stored, item in chosen:
            stored.update(
                completed=True,
                channels=channels,
                initial_comment=args.get("initial_comment"),
                title=str(item.get("title") or stored["name"]),
            )
            shared.append(self._public_file(stored))
        return {"ok": True, "files": shared}

    def _public_file(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": stored["id"],
            "name": stored["name"],
            "title": stored["title"],
            "size": len(stored["data"] or b""),
            "channels": list(stored["channels"]),
            "user": self.bot_user_id,
        }

    def _m_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(args.get("file") or ""))
        if stored is None or not stored["completed"]:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": self._public_file(stored)}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(args.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": self._public_user(user, include_locale=_truthy(args.get("include_locale"))),
        }

    def _m_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """Paginated like Slack: `limit` per page, `cursor` is the next index."""
        members = sorted(self._users.values(), key=lambda u: str(u.get("id")))
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 200)
        page = members[start : start + limit]
        next_cursor = str(start + limit) if start + limit < len(members) else ""
        return {
            "ok": True,
            "members": [
                self._public_user(u, include_locale=_truthy(args.get("include_locale")))
                for u in page
            ],
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _m_users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email", "")).strip().lower()
        for user in self._users.values():
            if user["profile"].get("email", "").lower() == email and not user["deleted"]:
                return {"ok": True, "user": self._public_user(user, include_locale=False)}
        return {"ok": False, "error": "users_not_found"}

    def _oauth_v2_access(self, args: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        if not args.get("code"):
            return {"ok": False, "error": "invalid_code"}
        if self.oauth_client is not None:
            client_id, client_secret = _oauth_credentials(args, headers)
            if client_id != self.oauth_client[0]:
                return {"ok": False, "error": "invalid_client_id"}
            if client_secret != self.oauth_client[1]:
                return {"ok": False, "error": "bad_client_secret"}
        return {"ok": True, **copy.deepcopy(self.oauth_response)}


_HANDLERS: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": FakeSlack._m_auth_test,
    "views.open": FakeSlack._m_views_open,
    "views.push": FakeSlack._m_views_push,
    "views.update": FakeSlack._m_views_update,
    "views.publish": FakeSlack._m_views_publish,
    "chat.postMessage": FakeSlack._m_chat_post_message,
    "chat.update": FakeSlack._m_chat_update,
    "chat.postEphemeral": FakeSlack._m_chat_post_ephemeral,
    "conversations.open": FakeSlack._m_conversations_open,
    "users.info": FakeSlack._m_users_info,
    "users.list": FakeSlack._m_users_list,
    "users.lookupByEmail": FakeSlack._m_users_lookup_by_email,
    "files.getUploadURLExternal": FakeSlack._m_files_get_upload_url_external,
    "files.completeUploadExternal": FakeSlack._m_files_complete_upload_external,
    "files.info": FakeSlack._m_files_info,
}


def _oauth_credentials(
    args: Mapping[str, Any], headers: Mapping[str, str]
) -> tuple[str | None, str | None]:
    auth = headers.get("authorization", "")
    if auth.startswith("Basic "):
        try:
            decoded = base64.b64decode(auth[len("Basic ") :]).decode("utf-8")
        except ValueError:
            return None, None
        cid, _, secret = decoded.partition(":")
        return cid, secret
    form_id, form_secret = args.get("client_id"), args.get("client_secret")
    return (str(form_id) if form_id else None, str(form_secret) if form_secret else None)


def _json_reply(payload: dict[str, Any], status: int = 200) -> _Reply:
    return _Reply(status=status, body=json.dumps(payload).encode("utf-8"), payload=payload)


def _make_handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        server_version = "FakeSlack/1.0"
        protocol_version = "HTTP/1.1"  # keep-alive, as Slack's API does
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stall

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = fake._handle(self.command, self.path, dict(self.headers.items()), body)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(reply.body)

        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            self._serve()

        def do_GET(self) -> None:  # noqa: N802
            self._serve()

        def do_PUT(self) -> None:  # noqa: N802 (upload URLs accept PUT too)
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return _Handler


def iter_views(fake: FakeSlack) -> Iterator[tuple[Call, dict[str, Any]]]:
    """Yield ``(call, view)`` for every recorded views.open/update/push/publish call."""
    for call in fake.calls():
        if call.method in ("views.open", "views.update", "views.push", "views.publish"):
            view = call.args.get("view")
            if isinstance(view, dict):
                yield call, view
