"""A shape check of signed Slack bodies before Bolt sees them.

Bolt's own middleware assumes Slack's shapes (an `event` object, string `type`s, a list
of action objects…) and answers 500 when a signed body breaks them; a malformed body is
the sender's mistake, so it gets a 400 here and never reaches a listener.

The same goes for what Slack itself bounds: ids have Slack's shape (`T…`, `U…`, `C…`),
inputs are no longer than Slack lets a user type, lists no longer than Slack sends. A
signed body beyond those was not written by Slack (a leaked signing secret, a replay
tool, a bug), and letting it through would carry a 3 kB "channel id" into a modal's
`private_metadata` or a 100 kB "title" into the database.

The body is parsed here once and handed to Bolt parsed (`SlackBody.data`; Bolt takes a
dict body as it is): a Save's body is an 11 kB form-encoded payload, and the standard
library's form parser, run by this check and again by Bolt, cost 0.7 ms of a Save's
CPU; handed as JSON text it was still parsed twice. Since Bolt no longer sees the signed bytes, the signature is checked
before this (bot.web), and Bolt's own check is off (bot.app).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote_plus

_ID_SHAPES: Final = {
    "team": re.compile(r"[TE][A-Z0-9]{1,20}"),
    "enterprise": re.compile(r"E[A-Z0-9]{1,20}"),
    "user": re.compile(r"[UW][A-Z0-9]{1,20}"),
    "channel": re.compile(r"[CGD][A-Z0-9]{1,20}"),
}
MAX_COMMAND_TEXT: Final = 2000  # `/meet Jane Doe tomorrow 3pm 45m Demo` is 36
MAX_QUERY: Final = 500  # an options load's search text
MAX_INPUT: Final = 3000  # Slack's largest max_length of a plain_text_input
MAX_RICH_TEXT: Final = 10_000  # internal notes: characters across all elements
MAX_RICH_NODES: Final = 2_000
MAX_SELECTED: Final = 100  # multi-selects: Slack's max_selected_items
MAX_ACTIONS: Final = 25
MAX_METADATA: Final = 3000  # Slack's own private_metadata limit
MAX_IDENTIFIER: Final = 255  # action_id, block_id, callback_id
MAX_VALUE: Final = 2000  # a button's or option's value


def slack_id_ok(kind: str, value: object) -> bool:
    """Whether `value` has the shape of a Slack id of `kind` (team, enterprise, user,
    channel): a type letter and up to 20 upper-case letters and digits."""
    return isinstance(value, str) and _ID_SHAPES[kind].fullmatch(value) is not None


_STRING_KEYS = (
    "id",
    "team_id",
    "user_id",
    "channel_id",
    "view_id",
    "api_app_id",
    "callback_id",
    "private_metadata",
    "hash",
    "root_view_id",
    "enterprise_id",
    "token",
    "event_id",
)
_OBJECT_FIELDS = ("event", "view", "team", "user", "container", "channel", "message", "enterprise")


@dataclass(frozen=True)
class SlackBody:
    """A signed body whose shape passed: what Bolt gets, already parsed (Bolt takes a
    dict body as it is; given text it would parse the JSON again)."""

    data: dict[str, Any]


def read_body(body: bytes, content_type: str) -> SlackBody | str:
    """The body as Bolt will read it, or why it cannot be a Slack request."""
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
        return _payload_problem(data, _may_hold_unstorable(text)) or SlackBody(data)
    form = parse_form(text)
    if form is None:
        return "a form field given twice"
    if "payload" in form:
        raw = form["payload"]
        try:
            data = json.loads(raw)
        except ValueError:
            return "payload is not JSON"
        return _payload_problem(data, _may_hold_unstorable(raw)) or SlackBody(data)
    if "command" in form:
        return _command_problem(form) or SlackBody(dict(form))
    if "ssl_check" in form:
        return SlackBody(dict(form))
    return "neither a command, a payload nor an event"


def envelope_problem(body: bytes, content_type: str) -> str | None:
    """Why this body cannot be a Slack request, or None when its shape is plausible."""
    read = read_body(body, content_type)
    return read if isinstance(read, str) else None


def parse_form(text: str) -> dict[str, str] | None:
    """An application/x-www-form-urlencoded body's fields, as `urllib.parse.parse_qsl`
    reads them (blank values kept), or None when a field comes twice: Slack never sends
    that, and two readers of such a body (first wins, last wins) could disagree."""
    fields: dict[str, str] = {}
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = _unquote_plus(name)
        if name in fields:
            return None
        fields[name] = _unquote_plus(value)
    return fields


def _unquote_plus(value: str) -> str:
    """`urllib.parse.unquote_plus`, in C for the well-formed case.

    Percent escapes become the `\\xHH` escapes of Python's bytes literals (after
    doubling every backslash already there), which `codecs.escape_decode` turns into
    bytes at C speed: 0.04 ms for a Save's 11 kB body against 0.36 ms for urllib's
    loop over each escape. Anything else (a `%` not followed by two hex digits) goes to
    urllib, so both read every input alike (tests/unit/test_envelope.py compares them
    on generated bodies)."""
    if "%" not in value:
        return value.replace("+", " ")
    escaped = value.replace("+", " ").replace("\\", "\\\\").replace("%", "\\x")
    try:
        raw: bytes = codecs.escape_decode(escaped.encode("utf-8"))[0]
    except ValueError:
        return unquote_plus(value)
    return raw.decode("utf-8", "replace")


# A NUL or a lone surrogate in a decoded JSON string can only come from a \u escape (the
# text is valid UTF-8 and json.loads refuses raw control characters), so JSON without
# such an escape needs no walk through every string of a 50 KB view.
_UNSTORABLE_ESCAPE: Final = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def _may_hold_unstorable(json_text: str) -> bool:
    return _UNSTORABLE_ESCAPE.search(json_text) is not None


def _payload_problem(data: Any, check_text: bool = True) -> str | None:
    if not isinstance(data, dict):
        return "not an object"
    if check_text and not _storable(data):
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
            isinstance(b, dict) and all(isinstance(a, dict) for a in b.values())
            for b in values.values()
        ):
            return "view state has the wrong shape"
    if "event" in data and not isinstance(data["event"], dict):
        return "event is not an object"
    if "view" in data and not isinstance(data["view"], dict):
        return "view is not an object"
    actions = data.get("actions")
    if actions is not None and not (
        isinstance(actions, list) and all(_action_ok(a) for a in actions)
    ):
        return "actions have the wrong shape"
    if data["type"] == "workflow_step_edit" and not isinstance(data.get("workflow_step"), dict):
        return "workflow_step missing"
    for key in ("action_id", "block_id", "callback_id", "trigger_id", "value"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            return f"{key} is not a string"
    return _ids_problem(data) or (
        None if data["type"] == "event_callback" else _bounds_problem(data)
    )


def _command_problem(form: dict[str, str]) -> str | None:
    for key, kind, required in (
        ("team_id", "team", True),
        ("user_id", "user", True),
        ("channel_id", "channel", False),
        ("enterprise_id", "enterprise", False),
    ):
        value = form.get(key, "")
        if (value or required) and not slack_id_ok(kind, value):
            return f"{key} is not a Slack {kind} id"
    if len(form.get("text", "")) > MAX_COMMAND_TEXT:
        return "command text too long"
    return None


# Where a payload or an event carries ids: (path of keys, kind). Present means checked.
_ID_PATHS: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (("team_id",), "team"),
    (("enterprise_id",), "enterprise"),
    (("user_id",), "user"),
    (("channel_id",), "channel"),
    (("team", "id"), "team"),
    (("enterprise", "id"), "enterprise"),
    (("user", "id"), "user"),
    (("user", "team_id"), "team"),
    (("channel", "id"), "channel"),
    (("container", "channel_id"), "channel"),
    (("view", "team_id"), "team"),
    (("event", "user"), "user"),
    (("event", "channel"), "channel"),
    (("event", "team"), "team"),
)
_SELECTED: Final = (
    ("selected_user", "user"),
    ("selected_channel", "channel"),
    ("selected_conversation", "channel"),
)
_SELECTED_LISTS: Final = (
    ("selected_users", "user"),
    ("selected_channels", "channel"),
    ("selected_conversations", "channel"),
)


def _ids_problem(data: dict[str, Any]) -> str | None:
    for path, kind in _ID_PATHS:
        value: Any = data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        # Objects where a string is expected were refused above; events such as
        # user_change carry a whole user object under "user".
        if isinstance(value, str) and value and not slack_id_ok(kind, value):
            return f"{'.'.join(path)} is not a Slack {kind} id"
    for element in _state_elements(data):
        for key, kind in _SELECTED:
            if element.get(key) is not None and not slack_id_ok(kind, element[key]):
                return f"{key} is not a Slack {kind} id"
        for key, kind in _SELECTED_LISTS:
            if key in element and not (
                isinstance(element[key], list) and all(slack_id_ok(kind, v) for v in element[key])
            ):
                return f"{key} are not Slack {kind} ids"
    return None


def _state_elements(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    view = data.get("view")
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    if isinstance(values, dict):
        for block in values.values():
            if isinstance(block, dict):
                yield from (e for e in block.values() if isinstance(e, dict))


def _bounds_problem(data: dict[str, Any]) -> str | None:
    """Lengths and counts no Slack client produces (commands and events aside)."""
    view: dict[str, Any] = data["view"] if isinstance(data.get("view"), dict) else {}
    for key, limit in (
        ("private_metadata", MAX_METADATA),
        ("callback_id", MAX_IDENTIFIER),
        ("external_id", MAX_IDENTIFIER),
    ):
        if len(str(view.get(key) or "")) > limit:
            return f"view {key} too long"
    if data["type"] == "block_suggestion" and len(str(data.get("value") or "")) > MAX_QUERY:
        return "search text too long"
    for key in ("action_id", "block_id", "callback_id"):
        if len(str(data.get(key) or "")) > MAX_IDENTIFIER:
            return f"{key} too long"
    actions = data.get("actions") or []
    if len(actions) > MAX_ACTIONS:
        return "too many actions"
    for action in actions:
        if (
            len(str(action.get("action_id") or "")) > MAX_IDENTIFIER
            or len(str(action.get("block_id") or "")) > MAX_IDENTIFIER
            or len(str(action.get("value") or "")) > MAX_VALUE
        ):
            return "action too long"
    for element in _state_elements(data):
        if len(str(element.get("value") or "")) > MAX_INPUT:
            return "input longer than Slack allows"
        for key in ("selected_options", *(k for k, _ in _SELECTED_LISTS)):
            if isinstance(element.get(key), list) and len(element[key]) > MAX_SELECTED:
                return "too many selected items"
        rich = element.get("rich_text_value")
        if rich is not None and not _rich_text_bounded(rich):
            return "rich text too long"
    return None


def _rich_text_bounded(rich: Any) -> bool:
    chars = nodes = 0
    stack = [rich]
    while stack:
        node = stack.pop()
        nodes += 1
        if nodes > MAX_RICH_NODES:
            return False
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            chars += len(node)
            if chars > MAX_RICH_TEXT:
                return False
    return True


def _action_ok(action: Any) -> bool:
    return (
        isinstance(action, dict)
        and isinstance(action.get("action_id", ""), str)
        and isinstance(action.get("block_id", ""), str)
    )


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
