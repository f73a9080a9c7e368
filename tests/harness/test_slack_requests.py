"""Tests of tests.support.slack_requests (signing, bodies) and an end-to-end Bolt round trip."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from tests.support.blockkit import assert_all_views_valid, validate_options_response
from tests.support.bolt_server import BoltTestServer
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import (
    FORM,
    SlackClientSim,
    block_actions,
    block_suggestion,
    event_body,
    interactive_body,
    select_value,
    sign,
    slash_command_body,
    text_value,
    view_submission,
)

SECRET = "test-signing-secret"
MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "meet_form",
    "title": {"type": "plain_text", "text": "Schedule meeting"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "title_input"},
        },
        {
            "type": "input",
            "block_id": "record",
            "label": {"type": "plain_text", "text": "Contact"},
            "element": {
                "type": "external_select",
                "action_id": "record_select",
                "min_query_length": 0,
            },
        },
    ],
}


# ---------------------------------------------------------------------- signing


def test_signature_accepted_by_slack_sdk() -> None:
    body = slash_command_body(text="Jane tomorrow 3pm")
    headers = sign(SECRET, body)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert verifier.is_valid(
        body=body,
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )
    assert headers["X-Slack-Signature"] == verifier.generate_signature(
        timestamp=headers["X-Slack-Request-Timestamp"], body=body
    )


def test_tampered_body_wrong_secret_and_old_timestamp_rejected() -> None:
    body = slash_command_body(text="Jane")
    verifier = SignatureVerifier(SECRET)
    headers = sign(SECRET, body)
    assert not verifier.is_valid_request(body + b"&x=1", headers)
    assert not verifier.is_valid_request(body, sign("other-secret", body))
    old = sign(SECRET, body, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, old)

    # the same old signature is fine for a verifier whose clock is in the past
    class PastClock:
        def now(self) -> float:
            return time.time() - 600

    assert SignatureVerifier(SECRET, clock=PastClock()).is_valid_request(body, old)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- bodies


def test_slash_command_body_is_form_encoded() -> None:
    body = slash_command_body(
        text="Jane tomorrow 3pm", trigger_id="1.2.abc", response_url="http://x/response/1"
    )
    fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert fields["command"] == "/meet"
    assert fields["text"] == "Jane tomorrow 3pm"
    assert fields["user_id"] == "U1" and fields["team_id"] == "T0001"
    assert fields["channel_id"] == "C1"
    assert fields["trigger_id"] == "1.2.abc"
    assert fields["response_url"] == "http://x/response/1"


def test_interactive_and_event_bodies() -> None:
    payload = block_actions("outcome_completed", value='{"m":1}')
    body = interactive_body(payload)
    assert body.startswith(b"payload=")
    assert json.loads(parse_qs(body.decode())["payload"][0]) == payload

    env = json.loads(
        event_body({"type": "app_home_opened", "user": "U1", "tab": "home"}, event_id="Ev1")
    )
    assert env["type"] == "event_callback"
    assert env["event_id"] == "Ev1" and env["team_id"] == "T0001"
    assert env["event"]["type"] == "app_home_opened"


def test_payload_builders() -> None:
    sub = view_submission(
        "V1",
        "meet_form",
        {"title": {"title_input": text_value("Demo")}},
        private_metadata='{"k":1}',
        hash="h1",
    )
    assert sub["type"] == "view_submission"
    assert sub["view"]["id"] == "V1" and sub["view"]["root_view_id"] == "V1"
    assert sub["view"]["state"]["values"]["title"]["title_input"]["value"] == "Demo"
    assert sub["view"]["hash"] == "h1" and sub["view"]["private_metadata"] == '{"k":1}'

    in_view = block_actions("add_note", view={"id": "V9", "callback_id": "meet_form"})
    assert in_view["container"] == {"type": "view", "view_id": "V9"}
    assert "response_url" not in in_view and in_view["view"]["callback_id"] == "meet_form"

    in_msg = block_actions("pick", selected_option=select_value("a")["selected_option"])
    assert in_msg["actions"][0]["type"] == "static_select"
    assert in_msg["container"]["type"] == "message" and in_msg["response_url"]

    sugg = block_suggestion("record_select", "jan", view={"id": "V2"})
    assert sugg["value"] == "jan" and sugg["container"]["view_id"] == "V2"


# ---------------------------------------------------------------------- end to end


@pytest.fixture
def bolt_app(fake_slack: FakeSlack, clean_slack_env: None) -> App:
    app = App(signing_secret=SECRET, client=WebClient(token="xoxb-test", base_url=fake_slack.url))

    @app.command("/meet")
    def meet(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.options("record_select")
    def options(ack: Ack, payload: dict[str, Any]) -> None:
        q = payload["value"]
        ack(options=[{"text": {"type": "plain_text", "text": f"{q} Doe"}, "value": "contact:42"}])

    @app.view("meet_form")
    def submit(ack: Ack, view: dict[str, Any], client: WebClient, body: dict[str, Any]) -> None:
        title = view["state"]["values"]["title"]["title_input"]["value"]
        if not title:
            ack(response_action="errors", errors={"title": "Required"})
            return
        ack()
        client.chat_postMessage(channel=body["user"]["id"], text=f"Saved {title}")

    @app.action("outcome_completed")
    def outcome(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="Recorded", replace_original=True)

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(
            user_id=event["user"],
            view={"type": "home", "blocks": [{"type": "divider"}]},
        )

    return app


@pytest.fixture
def sim(bolt_app: App) -> Iterator[SlackClientSim]:
    with BoltTestServer(bolt_app) as server:
        yield SlackClientSim(server.url, SECRET)


def test_bolt_round_trip(fake_slack: FakeSlack, sim: SlackClientSim) -> None:
    assert fake_slack.calls("auth.test")  # App() verified the token against the fake

    resp = sim.command("Jane tomorrow 3pm")
    assert resp.status == 200, resp.text
    assert resp.elapsed < 3
    opened = fake_slack.wait_for("views.open")[0]
    assert opened.args["view"]["callback_id"] == "meet_form"
    view = opened.body["view"] if opened.response else {}

    opts = sim.interact(block_suggestion("record_select", "Jane", block_id="record", view=view))
    assert opts.status == 200
    validate_options_response(opts.json())
    assert opts.json()["options"][0]["value"] == "contact:42"

    errors = sim.interact(
        view_submission(view["id"], "meet_form", {"title": {"title_input": text_value(None)}})
    )
    assert errors.json() == {"response_action": "errors", "errors": {"title": "Required"}}

    ok = sim.interact(
        view_submission(view["id"], "meet_form", {"title": {"title_input": text_value("Demo")}})
    )
    assert ok.status == 200 and ok.body == b""
    posted = fake_slack.wait_for("chat.postMessage")[0]
    assert posted.args["channel"] == "U1" and posted.args["text"] == "Saved Demo"

    clicked = sim.interact(
        block_actions("outcome_completed", value="1", response_url=fake_slack.response_url())
    )
    assert clicked.status == 200
    assert fake_slack.wait_for("response_url")[0].args["text"] == "Recorded"

    event = sim.event({"type": "app_home_opened", "user": "U1", "tab": "home"})
    assert event.status == 200
    fake_slack.wait_for("views.publish")

    assert assert_all_views_valid(fake_slack) == 2  # views.open + views.publish


def test_bolt_rejects_bad_signatures(fake_slack: FakeSlack, sim: SlackClientSim) -> None:
    body = slash_command_body(text="x")
    assert sim.post(body, FORM, sign=False).status == 401
    old = sim.post(body, FORM, timestamp=int(time.time()) - 600)
    assert old.status == 401 and old.json() == {"error": "invalid request"}
    tampered = sim.post(body, FORM, headers={"X-Slack-Signature": "v0=" + "0" * 64})
    assert tampered.status == 401
    assert fake_slack.calls("views.open") == []


def test_unhandled_request_is_404(sim: SlackClientSim) -> None:
    resp = sim.interact(block_actions("nobody_listens"))
    assert resp.status == 404
    assert sim.post(b"", FORM, path="/nope").status == 404
