"""Tests of tests.support.blockkit validators."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from tests.support import blockkit
from tests.support.blockkit import (
    assert_all_views_valid,
    schema_available,
    validate_blocks,
    validate_home,
    validate_manifest,
    validate_modal,
    validate_options_response,
    validate_view,
)
from tests.support.fake_slack import FakeSlack

VALID_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "meet_form",
    "private_metadata": '{"rec":"contact:42"}',
    "title": {"type": "plain_text", "text": "Schedule meeting"},
    "submit": {"type": "plain_text", "text": "Save"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {
                "type": "plain_text_input",
                "action_id": "title_input",
                "focus_on_load": True,
            },
        },
        {
            "type": "input",
            "block_id": "date",
            "label": {"type": "plain_text", "text": "Date"},
            "element": {"type": "datepicker", "action_id": "date_input"},
        },
        {
            "type": "actions",
            "block_id": "more",
            "elements": [
                {
                    "type": "button",
                    "action_id": "add_note",
                    "text": {"type": "plain_text", "text": "Add note"},
                    "value": "note",
                }
            ],
        },
    ],
}


def modal(**changes: Any) -> dict[str, Any]:
    view = copy.deepcopy(VALID_MODAL)
    view.update(changes)
    return view


def errors_of(fn: Any, *args: Any) -> str:
    with pytest.raises(AssertionError) as exc:
        fn(*args)
    return str(exc.value)


@pytest.fixture(params=["schema", "no-schema"])
def schema_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run validator tests with and without the shared JSON Schema file."""
    if request.param == "schema":
        if not schema_available():
            pytest.skip("Block Kit schema not found")
    else:
        monkeypatch.setenv("BLOCK_KIT_SCHEMA", "/nonexistent/slack-block-kit.schema.json")
        assert not schema_available()
    return str(request.param)


def test_schema_is_found_in_this_checkout() -> None:
    path = blockkit.block_kit_schema_path()
    assert path is not None and path.name == "slack-block-kit.schema.json"
    assert blockkit.manifest_schema_available()


def test_schema_env_var_accepts_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    path = blockkit.block_kit_schema_path()
    if path is None:
        pytest.skip("Block Kit schema not found")
    monkeypatch.setenv("BLOCK_KIT_SCHEMA", str(path.parent))
    assert blockkit.block_kit_schema_path() == path
    assert blockkit.manifest_schema_path() == Path(path.parent, "slack-manifest.schema.json")


def test_valid_modal(schema_mode: str) -> None:
    validate_modal(VALID_MODAL)
    validate_view(VALID_MODAL)


def test_title_too_long(schema_mode: str) -> None:
    msg = errors_of(validate_modal, modal(title={"type": "plain_text", "text": "x" * 25}))
    assert "$.title.text" in msg


def test_submit_and_close_too_long(schema_mode: str) -> None:
    msg = errors_of(
        validate_modal,
        modal(
            submit={"type": "plain_text", "text": "s" * 25},
            close={"type": "plain_text", "text": "c" * 30},
        ),
    )
    assert "$.submit.text" in msg and "$.close.text" in msg


def test_button_without_text(schema_mode: str) -> None:
    view = modal()
    del view["blocks"][2]["elements"][0]["text"]
    msg = errors_of(validate_modal, view)
    assert "$.blocks[2]" in msg


def test_schema_reports_path_into_the_matching_block_type() -> None:
    if not schema_available():
        pytest.skip("Block Kit schema not found")
    view = modal()
    del view["blocks"][2]["elements"][0]["text"]
    msg = errors_of(validate_modal, view)
    assert "$.blocks[2].elements[0]: 'text' is a required property" in msg


def test_duplicate_block_id(schema_mode: str) -> None:
    view = modal()
    view["blocks"][1]["block_id"] = "title"
    assert "duplicate block_id 'title'" in errors_of(validate_modal, view)


def test_duplicate_action_id(schema_mode: str) -> None:
    view = modal()
    view["blocks"][1]["element"]["action_id"] = "title_input"
    # Slack requires action_ids unique within a block only; the strict mode is opt-in.
    validate_modal(view)
    strict = errors_of(lambda v: validate_modal(v, allow_repeated_action_ids=False), view)
    assert "duplicate action_id 'title_input'" in strict

    same_block = modal()
    same_block["blocks"][2]["elements"].append(
        copy.deepcopy(same_block["blocks"][2]["elements"][0])
    )
    msg = errors_of(lambda v: validate_modal(v, allow_repeated_action_ids=True), same_block)
    assert "within the block" in msg


def test_two_focus_on_load(schema_mode: str) -> None:
    view = modal()
    view["blocks"][1]["element"]["focus_on_load"] = True
    assert "focus_on_load" in errors_of(validate_modal, view)


def test_private_metadata_too_long(schema_mode: str) -> None:
    assert "private_metadata" in errors_of(validate_modal, modal(private_metadata="x" * 3001))


def test_too_many_blocks(schema_mode: str) -> None:
    blocks = [{"type": "divider", "block_id": f"d{i}"} for i in range(101)]
    assert "at most 100" in errors_of(validate_home, {"type": "home", "blocks": blocks})
    assert "at most 50" in errors_of(validate_blocks, blocks[:51])
    validate_blocks(blocks[:50])


def test_input_requires_submit(schema_mode: str) -> None:
    view = modal()
    del view["submit"]
    assert "submit" in errors_of(validate_modal, view)


def test_home_and_dispatch(schema_mode: str) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}],
    }
    validate_home(home)
    validate_view(home)
    assert "expected 'home'" in errors_of(validate_home, VALID_MODAL)
    assert "expected 'modal'" in errors_of(validate_modal, home)
    assert "unknown view type" in errors_of(validate_view, {"type": "nope", "blocks": []})


def test_message_blocks(schema_mode: str) -> None:
    rows: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": f"m{i}",
            "text": {"type": "mrkdwn", "text": f"Meeting {i}"},
            "accessory": {
                "type": "button",
                "action_id": "outcome_completed",  # same listener on every row: fine
                "text": {"type": "plain_text", "text": "Done"},
                "value": str(i),
            },
        }
        for i in range(3)
    ]
    validate_blocks(rows)
    bad = copy.deepcopy(rows)
    bad[0]["accessory"]["text"]["text"] = "x" * 76
    assert "$[0]" in errors_of(validate_blocks, bad)


def test_options_response() -> None:
    ok = {"options": [{"text": {"type": "plain_text", "text": "Jane Doe"}, "value": "contact:42"}]}
    validate_options_response(ok)
    validate_options_response(
        {
            "option_groups": [
                {"label": {"type": "plain_text", "text": "Contacts"}, "options": ok["options"]}
            ]
        }
    )
    too_many = {
        "options": [
            {"text": {"type": "plain_text", "text": str(i)}, "value": str(i)} for i in range(101)
        ]
    }
    assert "at most 100" in errors_of(validate_options_response, too_many)
    long_text = {"options": [{"text": {"type": "plain_text", "text": "x" * 76}, "value": "1"}]}
    assert "at most 75" in errors_of(validate_options_response, long_text)
    long_value = {"options": [{"text": {"type": "plain_text", "text": "x"}, "value": "v" * 151}]}
    assert "$.options[0].value" in errors_of(validate_options_response, long_value)
    int_value = {"options": [{"text": {"type": "plain_text", "text": "x"}, "value": 42}]}
    assert "must be a string" in errors_of(validate_options_response, int_value)


def test_manifest() -> None:
    manifest = {
        "display_information": {"name": "Meetline"},
        "features": {
            "bot_user": {"display_name": "Meetline", "always_online": False},
            "slash_commands": [
                {
                    "command": "/meet",
                    "url": "https://example.com/slack/events",
                    "description": "Schedule a meeting",
                    "should_escape": False,
                }
            ],
        },
        "oauth_config": {"scopes": {"bot": ["commands", "chat:write"]}},
        "settings": {
            "interactivity": {
                "is_enabled": True,
                "request_url": "https://example.com/slack/events",
            },
        },
    }
    validate_manifest(manifest)
    with pytest.raises(AssertionError, match="display_information"):
        validate_manifest({"features": {}})


def test_assert_all_views_valid(fake_slack: FakeSlack) -> None:
    web = WebClient(token="xoxb-test", base_url=fake_slack.url)
    web.views_open(trigger_id="t", view=VALID_MODAL)
    web.chat_postMessage(channel="C1", text="hi")  # no blocks: not counted
    web.chat_postMessage(channel="C1", text="hi", blocks=[{"type": "divider"}])
    assert assert_all_views_valid(fake_slack) == 2

    web.views_publish(
        user_id="U1",
        view={
            "type": "home",
            "blocks": [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}],
        },
    )
    msg = errors_of(assert_all_views_valid, fake_slack)
    assert "views.publish" in msg and "duplicate block_id 'a'" in msg
