"""Tests of tests.support.fake_slack.FakeSlack against the real slack_sdk WebClient."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.models.blocks import ButtonElement, SectionBlock
from slack_sdk.models.views import View

from tests.support.fake_slack import FakeSlack

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
        }
    ],
}
HOME: dict[str, Any] = {
    "type": "home",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}],
}


def client(fake: FakeSlack, token: str = "xoxb-test", **kw: object) -> WebClient:
    return WebClient(token=token, base_url=fake.url, timeout=5, **kw)  # type: ignore[arg-type]


def test_url_and_context_manager() -> None:
    with FakeSlack() as fake:
        assert fake.url.startswith("http://127.0.0.1:")
        assert fake.url.endswith("/api/")
        assert client(fake).auth_test()["ok"] is True
    with pytest.raises(RuntimeError):
        _ = fake.port
    fake2 = FakeSlack().start()
    try:
        assert client(fake2).auth_test()["ok"] is True
    finally:
        fake2.stop()


def test_auth_test(fake_slack: FakeSlack) -> None:
    resp = client(fake_slack).auth_test()
    assert resp["team_id"] == "T0001"
    assert resp["user_id"] == "UBOT"
    assert resp["bot_id"] == "B0001"
    assert resp["url"].startswith("https://")
    call = fake_slack.last("auth.test")
    assert call.headers["authorization"] == "Bearer xoxb-test"
    assert call.path == "/api/auth.test"


def test_token_required(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc:
        WebClient(base_url=fake_slack.url).auth_test()
    assert exc.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as exc:
        client(fake_slack, token="xoxp-user").auth_test()
    assert exc.value.response["error"] == "invalid_auth"


def test_views_open_update_push_publish(fake_slack: FakeSlack) -> None:
    web = client(fake_slack)
    opened = web.views_open(trigger_id="1.2.abc", view=MODAL)["view"]
    assert opened["id"].startswith("V")
    assert opened["root_view_id"] == opened["id"]
    assert opened["state"] == {"values": {}}
    assert opened["hash"]
    assert opened["callback_id"] == "meet_form"

    call = fake_slack.last("views.open")
    assert call.args["trigger_id"] == "1.2.abc"
    assert call.args["view"] == MODAL  # decoded into a dict
    assert call.response is not None and call.body["view"]["id"] == opened["id"]

    second = web.views_open(trigger_id="1.2.def", view=MODAL)["view"]
    assert second["id"] != opened["id"]

    updated_view = {**MODAL, "title": {"type": "plain_text", "text": "Updated"}}
    updated = web.views_update(view_id=opened["id"], view=updated_view, hash=opened["hash"])["view"]
    assert updated["id"] == opened["id"]
    assert updated["hash"] != opened["hash"]
    assert fake_slack.get_view(opened["id"])["title"]["text"] == "Updated"

    with pytest.raises(SlackApiError) as exc:  # stale hash
        web.views_update(view_id=opened["id"], view=MODAL, hash=opened["hash"])
    assert exc.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as exc:
        web.views_update(view_id="VNOPE", view=MODAL)
    assert exc.value.response["error"] == "not_found"

    pushed = web.views_push(trigger_id="1.2.ghi", view=View(**MODAL))["view"]
    assert pushed["id"] not in (opened["id"], second["id"])
    assert fake_slack.last("views.push").args["view"]["callback_id"] == "meet_form"

    home1 = web.views_publish(user_id="U1", view=HOME)["view"]
    home2 = web.views_publish(user_id="U1", view=HOME)["view"]
    assert home1["id"] == home2["id"]
    assert fake_slack.last("views.publish").args["user_id"] == "U1"


def test_views_update_by_external_id(fake_slack: FakeSlack) -> None:
    web = client(fake_slack)
    opened = web.views_open(trigger_id="t", view={**MODAL, "external_id": "ext-1"})["view"]
    updated = web.views_update(external_id="ext-1", view={**MODAL, "external_id": "ext-1"})
    assert updated["view"]["id"] == opened["id"]
    assert fake_slack.get_view(external_id="ext-1")["id"] == opened["id"]
    with pytest.raises(SlackApiError) as exc:
        web.views_open(trigger_id="t2", view={**MODAL, "external_id": "ext-1"})
    assert exc.value.response["error"] == "duplicate_external_id"


def test_views_open_requires_trigger_id(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc:
        client(fake_slack).views_open(trigger_id="", view=MODAL)
    assert exc.value.response["error"] == "invalid_arguments"


def test_chat_methods(fake_slack: FakeSlack) -> None:
    web = client(fake_slack)
    blocks = [SectionBlock(text="*Hi*", accessory=ButtonElement(text="Go", action_id="go"))]
    first = web.chat_postMessage(channel="C1", text="hello", blocks=blocks)
    second = web.chat_postMessage(channel="C1", text="again")
    assert first["channel"] == "C1"
    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["text"] == "hello"
    call = fake_slack.calls("chat.postMessage")[0]
    assert call.args["blocks"][0]["accessory"]["action_id"] == "go"

    dm = web.chat_postMessage(channel="U42", text="dm")
    assert dm["channel"] == "DU42"

    upd = web.chat_update(channel="C1", ts=first["ts"], text="edited", blocks=[])
    assert upd["ts"] == first["ts"] and upd["channel"] == "C1"
    assert fake_slack.messages("C1")[0]["text"] == "edited"

    eph = web.chat_postEphemeral(channel="C1", user="U1", text="psst")
    assert eph["message_ts"]
    assert fake_slack.last("chat.postEphemeral").args["user"] == "U1"


def test_form_encoded_json_fields_are_decoded(fake_slack: FakeSlack) -> None:
    web = client(fake_slack)
    web.api_call(
        "chat.postMessage",
        params={"channel": "C1", "text": "x", "blocks": json.dumps([{"type": "divider"}])},
    )
    web.api_call("views.open", data={"trigger_id": "t", "view": json.dumps(MODAL)})
    assert fake_slack.last("chat.postMessage").args["blocks"] == [{"type": "divider"}]
    assert fake_slack.last("views.open").args["view"] == MODAL


def test_get_query_params(fake_slack: FakeSlack) -> None:
    req = urllib.request.Request(
        fake_slack.url + "users.info?user=UBOT", headers={"Authorization": "Bearer xoxb-x"}
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        body = json.loads(resp.read())
    assert body["ok"] is True and body["user"]["is_bot"] is True
    assert fake_slack.last("users.info").http_method == "GET"


def test_conversations_open(fake_slack: FakeSlack) -> None:
    resp = client(fake_slack).conversations_open(users="U7")
    assert resp["channel"]["id"] == "DU7"
    assert fake_slack.last("conversations.open").args["users"] == "U7"


def test_users_info_and_lookup(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U7", name="jane", real_name="Jane Doe", email="jane@example.com")
    fake_slack.add_user("U8", email="gone@example.com", deleted=True, tz="America/New_York")
    web = client(fake_slack)

    user = web.users_info(user="U7", include_locale=True)["user"]
    assert user["id"] == "U7"
    assert user["real_name"] == "Jane Doe"
    assert user["profile"]["email"] == "jane@example.com"
    assert user["tz"] == "Europe/Warsaw"
    assert user["tz_offset"] in (3600, 7200)
    assert user["locale"] == "en-US"
    assert "locale" not in web.users_info(user="U7")["user"]  # like Slack: only on request

    assert web.users_info(user="U8")["user"]["deleted"] is True

    with pytest.raises(SlackApiError) as exc:
        web.users_info(user="UNKNOWN")
    assert exc.value.response["error"] == "user_not_found"

    assert web.users_lookupByEmail(email="JANE@example.com")["user"]["id"] == "U7"
    for email in ("nobody@example.com", "gone@example.com"):
        with pytest.raises(SlackApiError) as exc:
            web.users_lookupByEmail(email=email)
        assert exc.value.response["error"] == "users_not_found"


def test_unknown_method_is_ok(fake_slack: FakeSlack) -> None:
    assert client(fake_slack).api_call("reactions.add", json={"name": "x"})["ok"] is True
    assert fake_slack.last("reactions.add").args == {"name": "x"}


def test_respond_with_override(fake_slack: FakeSlack) -> None:
    fake_slack.respond_with("conversations.info", {"channel": {"id": "C1", "is_im": False}})
    fake_slack.respond_with("team.info", lambda fake, args: {"team": {"id": fake.team_id}})
    web = client(fake_slack)
    assert web.conversations_info(channel="C1")["channel"]["id"] == "C1"
    assert web.team_info()["team"]["id"] == "T0001"


def test_response_url(fake_slack: FakeSlack) -> None:
    url = fake_slack.response_url("T0001/123/abc")
    resp = WebhookClient(url).send(text="done", replace_original=True)
    assert resp.status_code == 200 and resp.body == "ok"
    call = fake_slack.last("response_url")
    assert call.path == "/response/T0001/123/abc"
    assert call.args == {"text": "done", "replace_original": True}


def test_oauth_v2_access() -> None:
    with FakeSlack(oauth_client=("111.222", "s3cret")) as fake:
        web = WebClient(base_url=fake.url)
        resp = web.oauth_v2_access(client_id="111.222", client_secret="s3cret", code="abc")
        assert resp["access_token"] == "xoxb-installed"
        assert resp["token_type"] == "bot"
        assert resp["team"] == {"id": "T0001", "name": "Meetline Test"}
        assert resp["bot_user_id"] == "UBOT" and resp["app_id"] == "A0001"
        assert resp["authed_user"]["id"] == "U1"
        assert fake.last("oauth.v2.access").args["code"] == "abc"
        with pytest.raises(SlackApiError) as exc:
            web.oauth_v2_access(client_id="111.222", client_secret="wrong", code="abc")
        assert exc.value.response["error"] == "bad_client_secret"
        # the installed token works for later calls
        assert WebClient(token=resp["access_token"], base_url=fake.url).auth_test()["ok"]


def test_rate_limit_retry(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    web = client(fake_slack)
    web.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    started = time.monotonic()
    resp = web.chat_postMessage(channel="C1", text="hi")
    assert resp["ok"] is True
    assert time.monotonic() - started >= 0.9  # honoured Retry-After
    calls = fake_slack.calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]


def test_rate_limit_without_retry_handler_raises(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", times=2)
    web = client(fake_slack)
    for _ in range(2):
        with pytest.raises(SlackApiError) as exc:
            web.chat_postMessage(channel="C1", text="hi")
        assert exc.value.response.status_code == 429
        assert exc.value.response.headers["Retry-After"] == "1"
    assert web.chat_postMessage(channel="C1", text="hi")["ok"] is True


def test_server_error_raises(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("views.open", status=500)
    with pytest.raises(SlackApiError) as exc:
        client(fake_slack).views_open(trigger_id="t", view=MODAL)
    assert exc.value.response.status_code == 500
    assert client(fake_slack).views_open(trigger_id="t", view=MODAL)["ok"] is True


def test_error_injection(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("views.open", error="expired_trigger_id")
    with pytest.raises(SlackApiError) as exc:
        client(fake_slack).views_open(trigger_id="t", view=MODAL)
    assert exc.value.response.status_code == 200
    assert exc.value.response["error"] == "expired_trigger_id"
    assert fake_slack.last("views.open").ok is False


def test_failures_queue_in_order(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("auth.test", error="account_inactive")
    fake_slack.fail_next("auth.test", status=503)
    web = client(fake_slack)
    errors = []
    for _ in range(3):
        try:
            web.auth_test()
            errors.append("ok")
        except SlackApiError as e:
            errors.append(f"{e.response.status_code}:{e.response['error']}")
    assert errors == ["200:account_inactive", "503:internal_error", "ok"]


def test_delay_and_wait_for(fake_slack: FakeSlack) -> None:
    fake_slack.delay("chat.postMessage", 0.3)
    web = client(fake_slack)

    def post() -> None:
        time.sleep(0.1)
        web.chat_postMessage(channel="C1", text="later")

    thread = threading.Thread(target=post)
    started = time.monotonic()
    thread.start()
    calls = fake_slack.wait_for(
        "chat.postMessage", predicate=lambda c: c.args.get("text") == "later", timeout=3
    )
    assert calls[0].args["channel"] == "C1"
    thread.join()
    assert time.monotonic() - started >= 0.4

    fake_slack.delay("chat.postMessage", 0)
    with pytest.raises(AssertionError, match="timed out"):
        fake_slack.wait_for("chat.postMessage", count=5, timeout=0.2)


def test_clear(fake_slack: FakeSlack) -> None:
    client(fake_slack).auth_test()
    fake_slack.fail_next("auth.test")
    fake_slack.clear()
    assert fake_slack.calls() == []
    assert client(fake_slack).auth_test()["ok"] is True


def test_strict_views_rejects_invalid_payloads() -> None:
    with FakeSlack(strict_views=True) as fake:
        web = client(fake)
        bad = {**MODAL, "title": {"type": "plain_text", "text": "x" * 30}}
        with pytest.raises(SlackApiError) as exc:
            web.views_open(trigger_id="t", view=bad)
        assert exc.value.response["error"] == "invalid_arguments"
        assert web.views_open(trigger_id="t", view=MODAL)["ok"]
        with pytest.raises(SlackApiError) as exc:
            web.chat_postMessage(channel="C1", text="x", blocks=[{"type": "section"}])
        assert exc.value.response["error"] == "invalid_blocks"
