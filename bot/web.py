"""The HTTP surface: one WSGI app behind a production server (waitress).

Routes: POST /slack/events (everything Slack sends), GET /healthz, in
multi-workspace mode /slack/install and /slack/oauth_redirect, and the calendar sign-in
under /oauth/ (bot.calendar_oauth).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.calendar_oauth import CalendarOAuth
from bot.envelope import read_body
from bot.services import Services
from bot.serving import MAX_BODY
from storage.db import ping

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


class WebApp:
    def __init__(
        self, app: App, services: Services, calendar_oauth: CalendarOAuth | None = None
    ) -> None:
        self._slack = SlackRequestHandler(app, path="/slack/events")
        self._verifier = SignatureVerifier(services.settings.SLACK_SIGNING_SECRET or "")
        self._services = services
        self._slack_paths = {"/slack/events"}
        if app.oauth_flow is not None:
            self._slack_paths |= {app.oauth_flow.install_path, app.oauth_flow.redirect_uri_path}
        self._calendar_oauth = calendar_oauth

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        length = _content_length(environ)
        if length is None or length > MAX_BODY:  # waitress stops reading at the same cap
            return self._json(start_response, 413, {"error": "request too large"})
        if path == "/healthz" and method in ("GET", "HEAD"):
            ok = ping(self._services.engine)
            return self._json(start_response, 200 if ok else 503, {"ok": ok})
        if path.startswith("/oauth/") and self._calendar_oauth is not None:
            return self._calendar_oauth(environ, start_response)
        if path == "/slack/events" and method == "POST":
            with self._services.after_ack.answering():
                return self._slack_event(environ, start_response, length)
        if path in self._slack_paths:  # the install pages (GET)
            return self._bolt(environ, start_response)
        return self._json(start_response, 404, {"error": "not found"})

    def _slack_event(
        self, environ: dict[str, Any], start_response: StartResponse, length: int
    ) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(length) if length else b""
        if not self._signed(body, environ):
            return self._json(start_response, 401, {"error": "invalid request"})
        read = read_body(body, str(environ.get("CONTENT_TYPE", "")))
        if isinstance(read, str):
            log.info("malformed Slack request refused: %s", read)
            return self._json(start_response, 400, {"error": "malformed request"})
        return self._bolt(environ, start_response, read.data)

    def _bolt(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        parsed: dict[str, Any] | None = None,
    ) -> Iterable[bytes]:
        try:
            if parsed is None:  # the install pages
                return self._slack(environ, start_response)
            return self._dispatch(environ, start_response, parsed)
        except Exception:  # a signed but malformed body: never a 5xx or a traceback
            log.warning("malformed Slack request refused", exc_info=True)
            return self._json(start_response, 400, {"error": "malformed request"})

    def _dispatch(
        self, environ: dict[str, Any], start_response: StartResponse, parsed: dict[str, Any]
    ) -> Iterable[bytes]:
        """Bolt's WSGI adapter, given the body we parsed and checked: one parse per request
        (Bolt would parse the JSON text again, 2-3% of a Save's CPU). Bolt takes a parsed
        body only in its "socket_mode", where the mode's one other effect is to skip
        Bolt's signature check, which is off here anyway: `_signed` checked the bytes
        Slack signed (tests/unit/test_envelope.py: Bolt gets the body it would parse)."""
        request = WsgiHttpRequest(environ)
        answer = self._slack.app.dispatch(
            BoltRequest(
                body=parsed,
                query=request.query_string,
                headers=request.get_headers(),
                mode="socket_mode",
            )
        )
        response = WsgiHttpResponse(status=answer.status, headers=answer.headers, body=answer.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def _signed(self, body: bytes, environ: dict[str, Any]) -> bool:
        headers = _slack_headers(environ)
        if not headers["x-slack-request-timestamp"].isdigit():
            return False
        try:
            return self._verifier.is_valid_request(body, headers)
        except UnicodeDecodeError:  # Slack always sends UTF-8
            return False

    @staticmethod
    def _json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
        reason = {
            200: "OK",
            400: "Bad Request",
            401: "Unauthorized",
            404: "Not Found",
            413: "Payload Too Large",
            503: "Service Unavailable",
        }
        data = json.dumps(body).encode()
        start_response(
            f"{status} {reason.get(status, '')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]


def _content_length(environ: dict[str, Any]) -> int | None:
    """The declared body size; None when it is not a number (refused like a huge body).

    waitress turns a chunked body into a Content-Length after reading it, and refuses
    one that grows past `max_request_body_size` while reading, so every body that
    reaches the app has a length we can trust before reading it."""
    raw = str(environ.get("CONTENT_LENGTH") or "0").strip()
    return int(raw) if raw.isdigit() else None


def _slack_headers(environ: dict[str, Any]) -> dict[str, str]:
    return {
        "x-slack-request-timestamp": str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")),
        "x-slack-signature": str(environ.get("HTTP_X_SLACK_SIGNATURE", "")),
    }
