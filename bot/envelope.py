"""A shape check of signed Slack bodies before Bolt sees them.

Bolt's own middleware assumes Slack's shapes (an `event` object, string `type`s, a list
of action objects…) and answers 500 when a signed body breaks them; a malformed body is
the sender's mistake, so it gets a 400 here and never reaches a listener.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

_STRING_KEYS = ("id", "team_id", "user_id", "channel_id", "view_id", "api_app_id", "callback_id",
                "private_metadata", "hash", "root_view_id", "enterprise_id", "token", "event_id")
_OBJECT_FIELDS = ("event", "view", "team", "user", "container", "channel", "message", "enterprise")


def envelope_problem(body: bytes, content_type: str) -> str | None:
    """Why this body cannot be a Slack request, or None when its shape is plausible."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    if not text:
        return "empty body"
    if "application/json" in content_type:
        try:
            data: Any = json.loads(text)
        except ValueError:
            return "not JSON"
        return _payload_problem(data)
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        try:
            return _payload_problem(json.loads(form["payload"][0]))
        except ValueError:
            return "payload is not JSON"
    if "command" in form:
        return None
    if "ssl_check" in form:
        return None
    return "neither a command, a payload nor an event"


def _payload_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "not an object"
    if not _storable(data):
        return "text that is not valid Unicode, or contains NUL"
    if not isinstance(data.get("type"), str):
        return "type missing or not a string"
    problem = _nested_problem(data, depth=0)
    if problem:
        return problem
    view = data.get("view")
    if isinstance(view, dict):
        state = view.get("state", {})
        values = state.get("values", {}) if isinstance(state, dict) else None
        if not isinstance(values, dict) or not all(
                isinstance(b, dict) and all(isinstance(a, dict) for a in b.values()) for b in values.values()):
            return "view state has the wrong shape"
    if "event" in data and not isinstance(data["event"], dict):
        return "event is not an object"
    if "view" in data and not isinstance(data["view"], dict):
        return "view is not an object"
    actions = data.get("actions")
    if actions is not None and not (isinstance(actions, list) and all(_action_ok(a) for a in actions)):
        return "actions have the wrong shape"
    if data["type"] == "workflow_step_edit" and not isinstance(data.get("workflow_step"), dict):
        return "workflow_step missing"
    for key in ("action_id", "block_id", "callback_id", "trigger_id", "value"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            return f"{key} is not a string"
    return None


def _action_ok(action: Any) -> bool:
    return (isinstance(action, dict) and isinstance(action.get("action_id", ""), str)
            and isinstance(action.get("block_id", ""), str))


_NESTED = ("event", "message", "previous_message", "item", "assistant_thread", "view", "container")


def _nested_problem(obj: dict[str, Any], depth: int) -> str | None:
    """Bolt reads ids from these objects and the ones nested in them without type checks."""
    for name in _OBJECT_FIELDS + _NESTED:
        if obj.get(name) is not None and not isinstance(obj[name], dict | str):
            return f"{name} has the wrong shape"
    for key in _STRING_KEYS:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            return f"{key} is not a string"
    if depth < 3:
        for name in _OBJECT_FIELDS + _NESTED:
            inner = obj.get(name)
            if isinstance(inner, dict):
                problem = _nested_problem(inner, depth + 1)
                if problem:
                    return problem
    return None


def _storable(value: Any, depth: int = 0) -> bool:
    """Lone surrogates and NUL are valid JSON but no text a database (PostgreSQL) stores."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if depth > 20:
        return True
    if isinstance(value, dict):
        return all(_storable(k, depth + 1) and _storable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v, depth + 1) for v in value)
    return True
