"""Build, sign and send real Slack requests (slash commands, interactions, events).

Bodies are ``bytes`` exactly as Slack sends them; :func:`sign` signs raw bytes.
:class:`SlackClientSim` POSTs them over HTTP (stdlib ``http.client``) to a running app at
``base_url + "/slack/events"`` and returns a :class:`Response` for any status (never raises
for 4xx/5xx).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

__all__ = [
    "FORM",
    "JSON",
    "Response",
    "SlackClientSim",
    "block_actions",
    "block_suggestion",
    "checkboxes_value",
    "date_value",
    "event_body",
    "interactive_body",
    "message_shortcut",
    "select_value",
    "sign",
    "slash_command_body",
    "text_value",
    "time_value",
    "url_verification_body",
    "users_value",
    "user_value",
    "view_closed",
    "view_submission",
]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

DEFAULT_TEAM = "T0001"
DEFAULT_APP = "A0001"
DEFAULT_USER = "U1"


def new_trigger_id() -> str:
    return f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


# ---------------------------------------------------------------------- signing


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack request-signing headers for ``body`` (``X-Slack-Request-Timestamp`` and
    ``X-Slack-Signature: v0=HMAC_SHA256(secret, "v0:{ts}:{body}")``)."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = b"v0:" + str(ts).encode("ascii") + b":" + body
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


# ---------------------------------------------------------------------- bodies


def slash_command_body(
    command: str = "/meet",
    text: str = "",
    user_id: str = DEFAULT_USER,
    team_id: str = DEFAULT_TEAM,
    channel_id: str = "C1",
    trigger_id: str | None = None,
    response_url: str | None = None,
    *,
    user_name: str | None = None,
    channel_name: str = "general",
    team_domain: str = "meetline-test",
    api_app_id: str = DEFAULT_APP,
    enterprise_id: str | None = None,
    **extra: str,
) -> bytes:
    """A form-encoded slash-command body, as Slack sends it."""
    fields: dict[str, str] = {
        "token": "verification-token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url
        or f"https://hooks.slack.com/commands/{team_id}/1/{secrets.token_hex(8)}",
        "trigger_id": trigger_id or new_trigger_id(),
    }
    if enterprise_id:
        fields["enterprise_id"] = enterprise_id
    fields.update(extra)
    return urlencode(fields).encode("utf-8")


def interactive_body(payload: dict[str, Any]) -> bytes:
    """``payload=<url-encoded JSON>`` (block_actions, view_submission, block_suggestion, ...)."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode("utf-8")


def event_body(
    event: dict[str, Any],
    event_id: str | None = None,
    team_id: str = DEFAULT_TEAM,
    *,
    api_app_id: str = DEFAULT_APP,
    event_time: int | None = None,
    bot_user_id: str = "UBOT",
) -> bytes:
    """A JSON ``event_callback`` envelope around ``event``."""
    now = int(time.time()) if event_time is None else event_time
    event = dict(event)
    event.setdefault("event_ts", f"{now}.000100")
    envelope = {
        "token": "verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": now,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": secrets.token_hex(12),
    }
    return json.dumps(envelope).encode("utf-8")


def url_verification_body(challenge: str = "challenge-token") -> bytes:
    return json.dumps(
        {"token": "verification-token", "challenge": challenge, "type": "url_verification"}
    ).encode("utf-8")


# ---------------------------------------------------------------------- state values


def text_value(value: str | None, *, type: str = "plain_text_input") -> dict[str, Any]:  # noqa: A002
    """A ``state.values[block][action]`` entry for text-like inputs (also email/url/number)."""
    return {"type": type, "value": value}


def select_value(
    value: str | None,
    text: str | None = None,
    *,
    type: str = "static_select",  # noqa: A002
) -> dict[str, Any]:
    """A single-select entry (static/external/radio): ``selected_option`` or ``None``."""
    option = None
    if value is not None:
        option = {"text": {"type": "plain_text", "text": text or value}, "value": value}
    return {"type": type, "selected_option": option}


def checkboxes_value(values: list[str], *, type: str = "checkboxes") -> dict[str, Any]:  # noqa: A002
    """Checkboxes / multi-select entry (``selected_options``)."""
    options = [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values]
    return {"type": type, "selected_options": options}


def date_value(date: str | None) -> dict[str, Any]:
    """Datepicker entry, ``date`` as ``YYYY-MM-DD``."""
    return {"type": "datepicker", "selected_date": date}


def time_value(hhmm: str | None, timezone: str | None = None) -> dict[str, Any]:
    """Timepicker entry, ``hhmm`` as ``HH:MM`` (``timezone`` when the element sets one)."""
    out: dict[str, Any] = {"type": "timepicker", "selected_time": hhmm}
    if timezone is not None:
        out["timezone"] = timezone
    return out


def user_value(user_id: str | None) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": user_id}


def users_value(user_ids: list[str]) -> dict[str, Any]:
    return {"type": "multi_users_select", "selected_users": list(user_ids)}


# ---------------------------------------------------------------------- payloads


def _view_for_payload(
    view: dict[str, Any] | None,
    *,
    view_id: str,
    callback_id: str = "",
    private_metadata: str = "",
    team_id: str = DEFAULT_TEAM,
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": {"type": "plain_text", "text": "Meetline"},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": None,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": DEFAULT_APP,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": "B0001",
    }
    if view:
        base.update(view)
    return base


def view_submission(
    view_id: str,
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    private_metadata: str = "",
    user_id: str = DEFAULT_USER,
    team_id: str = DEFAULT_TEAM,
    hash: str | None = None,  # noqa: A002 (Slack's field name)
    *,
    root_view_id: str | None = None,
    view: dict[str, Any] | None = None,
    api_app_id: str = DEFAULT_APP,
    trigger_id: str | None = None,
    response_urls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``view_submission`` payload. ``values`` is ``state.values``:
    ``{block_id: {action_id: {"type": ..., "value"/"selected_option"/...: ...}}}``
    (see :func:`text_value`, :func:`select_value`, ...). ``view`` (e.g. a view recorded by the
    fake) supplies the other view fields; explicit arguments win."""
    full_view = _view_for_payload(view, view_id=view_id, team_id=team_id)
    full_view.update(
        {
            "id": view_id,
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "root_view_id": root_view_id or full_view.get("root_view_id") or view_id,
        }
    )
    if hash is not None:
        full_view["hash"] = hash
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "meetline-test"},
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id,
        },
        "api_app_id": api_app_id,
        "token": "verification-token",
        "trigger_id": trigger_id or new_trigger_id(),
        "view": full_view,
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_closed(
    view_id: str,
    callback_id: str,
    private_metadata: str = "",
    user_id: str = DEFAULT_USER,
    team_id: str = DEFAULT_TEAM,
) -> dict[str, Any]:
    """A ``view_closed`` payload (needs ``notify_on_close``)."""
    return {
        "type": "view_closed",
        "team": {"id": team_id, "domain": "meetline-test"},
        "user": {"id": user_id, "team_id": team_id},
        "api_app_id": DEFAULT_APP,
        "view": _view_for_payload(
            None,
            view_id=view_id,
            callback_id=callback_id,
            private_metadata=private_metadata,
            team_id=team_id,
        ),
        "is_cleared": False,
        "is_enterprise_install": False,
    }


def block_actions(
    action_id: str,
    value: str | None = None,
    block_id: str = "actions",
    user_id: str = DEFAULT_USER,
    container: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    selected_option: dict[str, Any] | None = None,
    trigger_id: str | None = None,
    *,
    team_id: str = DEFAULT_TEAM,
    channel_id: str = "D1",
    message_ts: str = "1700000000.000100",
    message: dict[str, Any] | None = None,
    response_url: str | None = None,
    action_type: str | None = None,
    action: dict[str, Any] | None = None,
    api_app_id: str = DEFAULT_APP,
) -> dict[str, Any]:
    """A ``block_actions`` payload with one action.

    With ``view`` (a modal/home view dict; at least ``id``) the action comes from a view:
    ``container = {"type": "view", "view_id": view["id"]}``, ``view`` included, no
    ``response_url``. Otherwise it comes from a message in ``channel_id`` at ``message_ts``,
    with ``response_url`` (pass ``fake.response_url()`` to capture ``respond()``).
    ``action_type`` defaults to ``"static_select"`` when ``selected_option`` is given, else
    ``"button"``. ``action`` adds/overrides fields of the action (e.g. ``selected_date``).
    """
    kind = action_type or ("static_select" if selected_option is not None else "button")
    act: dict[str, Any] = {
        "type": kind,
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": _action_ts(),
    }
    if kind == "button":
        act["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
    if value is not None:
        act["value"] = value
    if selected_option is not None:
        act["selected_option"] = selected_option
    if action:
        act.update(action)

    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id,
        },
        "api_app_id": api_app_id,
        "token": "verification-token",
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": "meetline-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [act],
    }
    if view is not None:
        full_view = _view_for_payload(
            view, view_id=str(view.get("id") or "V0000000001"), team_id=team_id
        )
        payload["view"] = full_view
        payload["container"] = container or {
            "type": "view",
            "view_id": full_view["id"],
        }
    else:
        msg = message or {
            "type": "message",
            "user": "UBOT",
            "bot_id": "B0001",
            "ts": message_ts,
            "text": "",
            "blocks": [],
        }
        payload["container"] = container or {
            "type": "message",
            "message_ts": msg.get("ts", message_ts),
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel_id, "name": "directmessage"}
        payload["message"] = msg
        payload["state"] = {"values": {}}
        payload["response_url"] = (
            response_url or f"https://hooks.slack.com/actions/{team_id}/1/{secrets.token_hex(8)}"
        )
    return payload


def message_shortcut(
    callback_id: str,
    message: dict[str, Any],
    channel_id: str = "C1",
    user_id: str = DEFAULT_USER,
    *,
    team_id: str = DEFAULT_TEAM,
    api_app_id: str = DEFAULT_APP,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A ``message_action`` payload: a message shortcut chosen on ``message`` (with its
    ``ts``, ``text`` and, in a thread, ``thread_ts``) in ``channel_id``."""
    return {
        "type": "message_action",
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
        "action_ts": _action_ts(),
        "message_ts": message.get("ts"),
        "token": "verification-token",
        "api_app_id": api_app_id,
        "team": {"id": team_id, "domain": "meetline-test"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": team_id},
        "channel": {"id": channel_id, "name": "deals"},
        "message": {"type": "message", **message},
        "response_url": f"https://hooks.slack.com/app/{team_id}/1/{secrets.token_hex(8)}",
        "is_enterprise_install": False,
        "enterprise": None,
    }


def block_suggestion(
    action_id: str,
    value: str,
    block_id: str = "block",
    view: dict[str, Any] | None = None,
    user_id: str = DEFAULT_USER,
    *,
    team_id: str = DEFAULT_TEAM,
    api_app_id: str = DEFAULT_APP,
) -> dict[str, Any]:
    """A ``block_suggestion`` (external_select options load) payload; ``value`` is the query."""
    full_view = _view_for_payload(
        view, view_id=str((view or {}).get("id") or "V0000000001"), team_id=team_id
    )
    return {
        "type": "block_suggestion",
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id,
        },
        "container": {"type": "view", "view_id": full_view["id"]},
        "api_app_id": api_app_id,
        "token": "verification-token",
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": {"id": team_id, "domain": "meetline-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": full_view,
    }


# ---------------------------------------------------------------------- HTTP client


@dataclass
class Response:
    """An HTTP response. ``headers`` keys are lower-case; ``elapsed`` is wall seconds."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class SlackClientSim:
    """Plays Slack: signs and POSTs bodies to ``base_url + path`` (default ``/slack/events``)."""

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        *,
        path: str = "/slack/events",
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.signing_secret = signing_secret
        self.path = path
        self.timeout = timeout

    @property
    def url(self) -> str:
        return self.base_url + self.path

    def post(
        self,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        sign: bool = True,
        timestamp: int | None = None,
        *,
        path: str | None = None,
    ) -> Response:
        """POST ``body``; signed unless ``sign=False``. ``headers`` are added last (they can
        override the signature, e.g. ``X-Slack-Retry-Num``)."""
        all_headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if sign:
            all_headers.update(_sign(self.signing_secret, body, timestamp))
        if headers:
            all_headers.update(headers)
        return http_request(
            "POST", self.base_url + (path or self.path), body, all_headers, timeout=self.timeout
        )

    def get(self, path_and_query: str, headers: dict[str, str] | None = None) -> Response:
        """Unsigned GET ``base_url + path_and_query`` (OAuth install / redirect pages)."""
        return http_request(
            "GET", self.base_url + path_and_query, None, headers, timeout=self.timeout
        )

    def command(self, text: str = "", **kw: Any) -> Response:
        """Send a slash command (``kw`` as for :func:`slash_command_body`)."""
        return self.post(slash_command_body(text=text, **kw), FORM)

    def interact(self, payload: dict[str, Any], **kw: Any) -> Response:
        """Send an interactive payload (``kw`` as for :meth:`post`)."""
        return self.post(interactive_body(payload), FORM, **kw)

    def event(self, event: dict[str, Any], **kw: Any) -> Response:
        """Send an Events API event (``kw`` as for :func:`event_body`)."""
        return self.post(event_body(event, **kw), JSON)


_sign = sign


def http_request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    timeout: float = 10.0,
) -> Response:
    """One HTTP request with ``http.client``; returns a :class:`Response` for every status."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"unsupported URL: {url}")
    conn_cls = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_cls(parts.hostname, parts.port, timeout=timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    started = time.perf_counter()
    try:
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        elapsed = time.perf_counter() - started
        return Response(
            status=resp.status,
            body=data,
            headers={k.lower(): v for k, v in resp.getheaders()},
            elapsed=elapsed,
        )
    finally:
        conn.close()
