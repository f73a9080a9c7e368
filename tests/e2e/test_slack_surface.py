"""The Slack surface over real HTTP: signatures, /meet, pickers, events, health."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.blockkit import assert_all_views_valid, validate_options_response
from tests.support.slack_requests import (
    FORM,
    block_suggestion,
    event_body,
    http_request,
    slash_command_body,
    url_verification_body,
)
from tests.support.stack import HOST, Stack


def test_unsigned_tampered_and_stale_requests_are_refused(stack: Stack) -> None:
    body = slash_command_body(text="Jane Doe", user_id=HOST)
    assert stack.client.post(body, FORM, sign=False).status == 401
    tampered = stack.client.post(body, FORM, headers={"X-Slack-Signature": "v0=" + "0" * 64})
    assert tampered.status == 401
    stale = stack.client.post(body, FORM, timestamp=int(time.time()) - 600)
    assert stale.status == 401
    assert "Traceback" not in stale.text
    time.sleep(0.3)
    assert stack.slack.calls("views.open") == []


def test_healthz_answers_while_the_database_does(stack: Stack) -> None:
    resp = http_request("GET", stack.serve.url + "/healthz")
    assert resp.status == 200 and resp.json() == {"ok": True}
    assert http_request("GET", stack.serve.url + "/nope").status == 404


def test_meet_opens_at_once_then_fills_the_form_from_the_text(stack: Stack) -> None:
    resp = stack.client.command('Jane Doe tomorrow 3pm 45m "Quarterly review"', user_id=HOST)
    assert resp.status == 200 and resp.elapsed < 3
    opened = stack.slack.wait_for("views.open")[0]
    assert opened.args["view"]["blocks"][0]["block_id"] == "loading"
    update = stack.slack.wait_for("views.update")[0]
    view = update.args["view"]
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["record"]["element"]["initial_option"]["text"]["text"].startswith(
        "Contact: Jane Doe"
    )
    tomorrow = (datetime.now(ZoneInfo("Europe/Warsaw")) + timedelta(days=1)).date()
    assert blocks["date"]["element"]["initial_date"] == tomorrow.isoformat()
    assert blocks["time"]["element"]["initial_time"] == "15:00"
    assert blocks["time"]["element"]["timezone"] == "Europe/Warsaw"
    assert blocks["duration"]["element"]["initial_option"]["value"] == "45"
    assert blocks["title"]["element"]["initial_value"] == "Quarterly review"
    attendee_values = [o["value"] for o in blocks["attendees"]["element"]["initial_options"]]
    assert attendee_values == [f"c:{stack.record_id('Jane Doe')}"]
    assert assert_all_views_valid(stack.slack) >= 2


def test_an_unreadable_time_is_reported_not_guessed(stack: Stack) -> None:
    stack.client.command("Jane Doe tomorrow 25pm", user_id=HOST)
    view = stack.slack.wait_for("views.update")[0].args["view"]
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert "initial_time" not in blocks["time"]["element"]
    assert "notices" in blocks
    assert_all_views_valid(stack.slack)


@pytest.mark.both_databases
def test_record_picker_searches_all_kinds_best_matches_first(stack: Stack) -> None:
    resp = stack.client.interact(block_suggestion("record_select", "acme", block_id="record"))
    assert resp.status == 200
    body = resp.json()
    validate_options_response(body)
    labels = [o["text"]["text"] for o in body["options"]]
    assert labels[0].startswith("Company: Acme")
    assert any(label.startswith("Deal: Acme renewal") for label in labels)
    assert any(label.startswith("Contact: Jane Doe") for label in labels)  # found by company
    accents = stack.client.interact(
        block_suggestion("record_select", "zolc", block_id="record")
    ).json()
    assert [o["text"]["text"] for o in accents["options"]][0].startswith("Contact: Zofia Żółć")
    by_email = stack.client.interact(
        block_suggestion("record_select", "jane@acme", block_id="record")
    ).json()
    assert by_email["options"][0]["text"]["text"].startswith("Contact: Jane Doe")


@pytest.mark.both_databases
def test_attendee_picker_offers_contacts_and_teammates(stack: Stack) -> None:
    def groups() -> dict[str, list[str]]:
        body = stack.client.interact(
            block_suggestion("attendee_select", "", block_id="attendees")
        ).json()
        validate_options_response(body)
        return {
            g["label"]["text"]: [o["value"] for o in g["options"]] for g in body["option_groups"]
        }

    groups()  # the first load starts syncing the member directory (users.list)
    stack.wait_until(lambda: "u:U2" in groups().get("Teammates", []))
    found = groups()
    assert f"c:{stack.record_id('Jane Doe')}" in found["Contacts"]
    assert f"c:{stack.record_id('Acme')}" not in found["Contacts"]  # companies are not attendees
    assert "u:U3" not in found["Teammates"]  # deactivated
    assert "u:UBOT" not in found["Teammates"]
    bob = stack.client.interact(
        block_suggestion("attendee_select", "bob", block_id="attendees")
    ).json()
    assert [o["value"] for g in bob["option_groups"] for o in g["options"]] == ["u:U2"]


@pytest.mark.both_databases
def test_events_are_handled_once_even_when_slack_retries(stack: Stack) -> None:
    event = {"type": "app_home_opened", "user": HOST, "tab": "home", "event_ts": "1.2"}
    for retry in range(3):
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else None
        )
        resp = stack.client.post(
            event_body(event, event_id="Ev123"), "application/json", headers=headers
        )
        assert resp.status == 200
    stack.slack.wait_for("views.publish")
    time.sleep(0.5)
    assert len(stack.slack.calls("views.publish")) == 1
    assert_all_views_valid(stack.slack)


def test_url_verification_is_answered(stack: Stack) -> None:
    resp = stack.client.post(url_verification_body("abc123"), "application/json")
    assert resp.status == 200 and "abc123" in resp.text


def test_malformed_payloads_get_no_5xx_and_change_nothing(stack: Stack) -> None:
    for body in (b"payload=%7Bnot-json", b"payload=%5B%5D", b"command=%2Fmeet", b"\xff\xfe", b""):
        resp = stack.client.post(body, FORM)
        assert resp.status < 500, (body, resp.status, resp.text)
        assert "Traceback" not in resp.text
    assert stack.meetings_json() == []
