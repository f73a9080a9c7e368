"""The shape check in front of Bolt (`bot.envelope`): what Slack sends passes, what no
Slack client sends gets a reason (and the web server a 400) before any listener runs.

Bodies are built by `tests.support.slack_requests`, byte for byte as Slack sends them.
"""

from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from slack_bolt.request import BoltRequest

from bot.envelope import (
    MAX_ACTIONS,
    MAX_COMMAND_TEXT,
    MAX_INPUT,
    MAX_METADATA,
    MAX_QUERY,
    MAX_RICH_TEXT,
    MAX_SELECTED,
    SlackBody,
    envelope_problem,
    parse_form,
    read_body,
    slack_id_ok,
)
from tests.support.slack_requests import (
    FORM,
    JSON,
    block_actions,
    block_suggestion,
    event_body,
    interactive_body,
    select_value,
    slash_command_body,
    text_value,
    url_verification_body,
    users_value,
    view_submission,
)


def payload_problem(payload: dict[str, Any]) -> str | None:
    return envelope_problem(interactive_body(payload), FORM)


def submission(values: dict[str, dict[str, dict[str, Any]]], **kwargs: Any) -> dict[str, Any]:
    return view_submission("V123", "meet_modal", values, **kwargs)


# --------------------------------------------------------------------------- ids


@pytest.mark.parametrize(
    ("kind", "value", "ok"),
    [
        ("team", "T0001", True),
        ("team", "E0001", True),  # an Enterprise Grid org-wide install
        ("enterprise", "E0001", True),
        ("enterprise", "T0001", False),
        ("user", "U1", True),
        ("user", "W0123ABC", True),
        ("user", "u1", False),
        ("user", "U", False),
        ("user", "U" + "1" * 21, False),
        ("user", "U1 ", False),
        ("user", 123, False),
        ("user", None, False),
        ("channel", "C1", True),
        ("channel", "G1", True),
        ("channel", "D1", True),
        ("channel", "U1", False),
    ],
)
def test_slack_ids_have_a_type_letter_and_up_to_twenty_characters(
    kind: str, value: object, ok: bool
) -> None:
    assert slack_id_ok(kind, value) is ok


# --------------------------------------------------------------------------- what Slack sends


def test_every_kind_of_request_slack_sends_passes() -> None:
    assert envelope_problem(slash_command_body(text="Jane Doe tomorrow 3pm 45m Demo"), FORM) is None
    assert envelope_problem(slash_command_body(enterprise_id="E1"), FORM) is None
    assert envelope_problem(b"ssl_check=1&token=abc", FORM) is None
    assert envelope_problem(url_verification_body(), JSON) is None
    event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    assert envelope_problem(event_body(event), JSON) is None
    assert payload_problem(block_actions("outcome:COMPLETED", value='{"m": 1}')) is None
    assert payload_problem(block_suggestion("record", "Jane")) is None
    values = {
        "title": {"title": text_value("Demo")},
        "attendees": {"attendees": users_value(["U2", "W3"])},
        "duration": {"duration": select_value("30")},
    }
    assert payload_problem(submission(values, private_metadata='{"k": "new"}')) is None


def test_a_user_change_event_carries_a_whole_user_object_and_passes() -> None:
    event = {"type": "user_change", "user": {"id": "U2", "team_id": "T0001", "deleted": True}}
    assert envelope_problem(event_body(event), JSON) is None


def test_a_polish_command_text_passes() -> None:
    assert (
        envelope_problem(slash_command_body(text="Jan Kowalski jutro o 15 pół godziny"), FORM)
        is None
    )


# --------------------------------------------------------------------------- not a body at all


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"\xff\xfe", FORM, "not UTF-8"),
        (b"", FORM, "empty body"),
        (b"{", JSON, "not JSON"),
        (b"[1, 2]", JSON, "not an object"),
        (b"payload=%7Bnope", FORM, "payload is not JSON"),
        (b"hello=world", FORM, "neither a command, a payload nor an event"),
        (b'{"type": 1}', JSON, "type missing or not a string"),
        (b'{"token": "x"}', JSON, "type missing or not a string"),
    ],
)
def test_a_body_that_is_no_slack_request_is_refused(
    body: bytes, content_type: str, reason: str
) -> None:
    assert envelope_problem(body, content_type) == reason


def test_text_a_database_cannot_store_is_refused() -> None:
    nul = json.dumps({"type": "block_actions", "value": "a\u0000b"}).encode()
    surrogate = b'{"type": "block_actions", "value": "\\ud800"}'
    assert envelope_problem(nul, JSON) == "text that is not valid Unicode, or contains NUL"
    assert envelope_problem(surrogate, JSON) == "text that is not valid Unicode, or contains NUL"


# --------------------------------------------------------------------------- commands


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"team_id": "nope"}, "team_id is not a Slack team id"),
        ({"team_id": ""}, "team_id is not a Slack team id"),
        ({"user_id": "C1"}, "user_id is not a Slack user id"),
        ({"channel_id": "x" * 3000}, "channel_id is not a Slack channel id"),
        ({"enterprise_id": "T1"}, "enterprise_id is not a Slack enterprise id"),
    ],
)
def test_a_command_with_ids_slack_never_sends_is_refused(
    fields: dict[str, str], reason: str
) -> None:
    assert envelope_problem(slash_command_body(**fields), FORM) == reason


def test_a_command_without_a_channel_passes_but_one_longer_than_slack_allows_does_not() -> None:
    assert envelope_problem(slash_command_body(channel_id=""), FORM) is None
    assert envelope_problem(slash_command_body(text="x" * MAX_COMMAND_TEXT), FORM) is None
    assert (
        envelope_problem(slash_command_body(text="x" * (MAX_COMMAND_TEXT + 1)), FORM)
        == "command text too long"
    )


# --------------------------------------------------------------------------- payload shapes


def test_objects_bolt_reads_without_checks_must_be_objects() -> None:
    assert payload_problem({"type": "block_actions", "team": ["T1"]}) == "team has the wrong shape"
    assert payload_problem({"type": "block_actions", "user": {"id": 5}}) == "id is not a string"
    assert payload_problem({"type": "view_submission", "view": {"state": {"values": []}}}) == (
        "view state has the wrong shape"
    )
    assert payload_problem(
        {"type": "view_submission", "view": {"state": {"values": {"b": {"a": 1}}}}}
    ) == ("view state has the wrong shape")
    assert payload_problem({"type": "block_actions", "actions": {"action_id": "x"}}) == (
        "actions have the wrong shape"
    )
    assert payload_problem({"type": "block_actions", "actions": [{"action_id": 3}]}) == (
        "actions have the wrong shape"
    )
    assert payload_problem({"type": "workflow_step_edit"}) == "workflow_step missing"
    assert (
        payload_problem({"type": "block_actions", "trigger_id": 12}) == "trigger_id is not a string"
    )


def test_an_event_that_is_not_an_object_is_refused() -> None:
    assert envelope_problem(
        json.dumps({"type": "event_callback", "event": "x"}).encode(), JSON
    ) == ("event is not an object")
    assert envelope_problem(
        json.dumps({"type": "event_callback", "event": [1]}).encode(), JSON
    ) == ("event has the wrong shape")


def test_ids_inside_payloads_and_events_are_checked() -> None:
    bad_user = block_actions("x", user_id="someone")
    assert payload_problem(bad_user) == "user.id is not a Slack user id"
    event = {"type": "app_home_opened", "user": "U1", "channel": "#general"}
    assert envelope_problem(event_body(event), JSON) == "event.channel is not a Slack channel id"


def test_users_picked_in_a_form_must_be_slack_users() -> None:
    picked = submission({"host": {"host": {"type": "users_select", "selected_user": "admin"}}})
    assert payload_problem(picked) == "selected_user is not a Slack user id"
    many = submission({"attendees": {"attendees": users_value(["U2", "nobody"])}})
    assert payload_problem(many) == "selected_users are not Slack user ids"


# --------------------------------------------------------------------------- bounds


def test_form_inputs_are_bounded_by_what_slack_lets_a_user_type() -> None:
    at_limit = submission({"title": {"title": text_value("x" * MAX_INPUT)}})
    assert payload_problem(at_limit) is None
    beyond = submission({"title": {"title": text_value("x" * (MAX_INPUT + 1))}})
    assert payload_problem(beyond) == "input longer than Slack allows"


def test_private_metadata_beyond_slacks_limit_is_refused() -> None:
    assert payload_problem(submission({}, private_metadata="x" * MAX_METADATA)) is None
    assert payload_problem(submission({}, private_metadata="x" * (MAX_METADATA + 1))) == (
        "view private_metadata too long"
    )


def test_multi_selects_are_bounded() -> None:
    users = [f"U{i}" for i in range(MAX_SELECTED + 1)]
    assert payload_problem(submission({"attendees": {"attendees": users_value(users)}})) == (
        "too many selected items"
    )


def test_internal_notes_are_bounded_in_characters() -> None:
    def notes(text: str) -> dict[str, Any]:
        rich = {
            "type": "rich_text",
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
            ],
        }
        return submission(
            {"notes": {"notes": {"type": "rich_text_input", "rich_text_value": rich}}}
        )

    assert payload_problem(notes("x" * (MAX_RICH_TEXT - 100))) is None
    assert payload_problem(notes("x" * (MAX_RICH_TEXT + 1))) == "rich text too long"


def test_a_search_is_bounded_and_actions_are_counted() -> None:
    assert payload_problem(block_suggestion("record", "x" * MAX_QUERY)) is None
    assert (
        payload_problem(block_suggestion("record", "x" * (MAX_QUERY + 1))) == "search text too long"
    )
    crowded = block_actions("x")
    crowded["actions"] = [{"action_id": f"a{i}", "block_id": "b"} for i in range(MAX_ACTIONS + 1)]
    assert payload_problem(crowded) == "too many actions"
    long_value = block_actions("x", value="v" * 2001)
    assert payload_problem(long_value) == "action too long"


# ------------------------------------------------------------- one parse for Bolt


def _random_text(rng: random.Random) -> str:
    alphabet = 'aZ09 +%&=\\"{}[]:,\x00é中\U0001f600\n\r\t;#?/xX'
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))


def test_the_form_parser_reads_every_body_as_the_standard_library_does() -> None:
    rng = random.Random(13)
    for _ in range(3000):
        fields = {f"k{i}{_random_text(rng)}": _random_text(rng) for i in range(rng.randint(1, 4))}
        encoded = urlencode(fields)
        assert parse_form(encoded) == dict(parse_qsl(encoded, keep_blank_values=True))
        # Raw bodies too, percent signs not followed by hex digits included.
        raw = "&".join(f"{k}={v}" for k, v in fields.items())
        expected = parse_qsl(raw, keep_blank_values=True)
        if len({k for k, _ in expected}) == len(expected):
            assert parse_form(raw) == dict(expected), raw


def test_a_field_given_twice_is_refused() -> None:
    body = interactive_body(block_actions("outcome_held", "42"))
    assert envelope_problem(body + b"&payload=%7B%7D", FORM) == "a form field given twice"
    assert envelope_problem(b"command=%2Fmeet&command=%2Fother", FORM) == (
        "a form field given twice"
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (slash_command_body(text="Jan Kowalski jutro o 15 + 50% rabatu"), FORM),
        (interactive_body(submission({"title": {"title_input": text_value("Demo & 100%")}})), FORM),
        (b"ssl_check=1&token=abc", FORM),
        (url_verification_body(), JSON),
    ],
    ids=["command", "payload", "ssl_check", "json"],
)
def test_bolt_gets_the_body_it_would_have_parsed_itself(body: bytes, content_type: str) -> None:
    read = read_body(body, content_type)
    assert isinstance(read, SlackBody)
    bolt_own = BoltRequest(body=body.decode(), headers={"content-type": content_type}).body
    handed = BoltRequest(body=read.data, mode="socket_mode").body  # as bot.web hands it
    assert handed == bolt_own
