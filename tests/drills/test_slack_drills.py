"""Drills on the Slack surface of a running `meetline serve`: Slack retrying, users
double-submitting, forged and replayed requests, someone else's meeting, mrkdwn and
CRLF injection, and the tokens stored at rest."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import icalendar
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text

from storage.crypto import SecretBox, SecretBoxError
from storage.db import make_engine
from storage.slack_stores import EncryptedInstallationStore
from tests.drills.helpers import (
    at_least,
    book,
    booking_values,
    invitations,
    mails_about,
    meeting_titled,
    meetings_titled,
    outcome_prompts,
    reminders,
    run_until_quiet,
)
from tests.e2e.forms import rich_text_with_mentions
from tests.e2e.test_schedule_flow import open_form
from tests.support.fake_slack import Call
from tests.support.server import OTHER_SECRET_KEY, SECRET_KEY
from tests.support.slack_requests import (
    FORM,
    JSON,
    Response,
    block_actions,
    event_body,
    interactive_body,
    sign,
    slash_command_body,
    view_submission,
)
from tests.support.stack import HOST, TEAMMATE, Stack

SECRET = "test-signing-secret-0123456789"


def at_once(*calls: Callable[[], Response]) -> list[Response]:
    """Run the calls concurrently (started together), as Slack's retries and double clicks arrive."""
    results: list[Any] = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def run(i: int) -> None:
        gate.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


# ------------------------------------------------------------------ retries and double submits


def test_an_event_delivered_three_times_at_once_is_handled_once(stack: Stack) -> None:
    event = {"type": "app_home_opened", "user": HOST, "tab": "home"}
    body = event_body(event, event_id="EvDrill3x")
    retries = [
        {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"} for n in (1, 2, 3)
    ]
    answers = at_once(*(lambda h=h: stack.client.post(body, JSON, headers=h) for h in retries))
    assert [r.status for r in answers] == [200, 200, 200]
    stack.slack.wait_for("views.publish")
    time.sleep(0.5)
    assert len(stack.slack.calls("views.publish")) == 1


def test_double_and_triple_submits_book_one_meeting_and_mail_once(stack: Stack) -> None:
    title = "Drill double submit"
    view = open_form(stack)
    payload = view_submission(
        view["id"],
        "meet_form",
        booking_values(stack, title),
        private_metadata=view["private_metadata"],
        view=view,
        user_id=HOST,
    )
    body = interactive_body(payload)
    # Three clicks arriving together, then Slack retrying the same delivery later.
    answers = at_once(*(lambda: stack.client.post(body, FORM) for _ in range(3)))
    answers.append(stack.client.post(body, FORM, headers={"X-Slack-Retry-Num": "1"}))
    assert all(r.status == 200 and r.json()["response_action"] == "update" for r in answers), [
        r.text for r in answers
    ]
    (meeting,) = meetings_titled(stack, title)
    time.sleep(0.5)
    confirmations = [
        c for c in stack.slack.calls("chat.postMessage") if title in c.args.get("text", "")
    ]
    assert len(confirmations) == 1
    run_until_quiet(stack)
    assert invitations(stack, title) == {
        ("jane@acme.example", "REQUEST", 0): 1,
        ("zofia@acme.example", "REQUEST", 0): 1,
        ("anna@meetline.example", "REQUEST", 0): 1,
    }
    at_least(stack, datetime.fromisoformat(meeting["start"]) - timedelta(minutes=59))
    run_until_quiet(stack)
    assert reminders(stack, title) == {"jane@acme.example": 1, "zofia@acme.example": 1}
    at_least(stack, datetime.fromisoformat(meeting["end"]) + timedelta(minutes=1))
    run_until_quiet(stack)
    assert len(outcome_prompts(stack, meeting["id"])) == 1


# ------------------------------------------------------------------ signatures and replays


def test_bad_stale_and_foreign_signatures_are_refused_and_change_nothing(stack: Stack) -> None:
    body = slash_command_body(text="Jane Doe", user_id=HOST)
    now = int(time.time())
    forged = [
        ({}, "no signature headers"),
        (sign("another-apps-secret-000000000", body), "another app's secret"),
        (sign(SECRET, body, now - 6 * 60), "stale: 6 minutes old"),
        (sign(SECRET, body, now + 6 * 60), "from the future"),
        (
            {
                **sign(SECRET, body),
                "X-Slack-Signature": "v1=" + sign(SECRET, body)["X-Slack-Signature"][3:],
            },
            "v1",
        ),
        ({**sign(SECRET, body), "X-Slack-Request-Timestamp": f"{now}.5"}, "non-integer timestamp"),
        ({**sign(SECRET, body), "X-Slack-Request-Timestamp": "-1"}, "negative timestamp"),
        (sign(SECRET, body + b"&text=x"), "signed a different body"),
    ]
    for headers, why in forged:
        resp = stack.client.post(body, FORM, headers=headers, sign=False)
        assert resp.status == 401, (why, resp.status, resp.text)
        assert "Traceback" not in resp.text
    time.sleep(0.3)
    assert stack.slack.calls("views.open") == []


def test_a_replayed_submission_books_nothing_new(stack: Stack) -> None:
    """Slack's request signing accepts a replay of the exact signed bytes for five
    minutes (there is no nonce): what protects the data is that a replayed Save is
    idempotent, and a replay older than five minutes is refused."""
    title = "Drill replayed save"
    view = open_form(stack)
    body = interactive_body(
        view_submission(
            view["id"],
            "meet_form",
            booking_values(stack, title),
            private_metadata=view["private_metadata"],
            view=view,
            user_id=HOST,
        )
    )
    signed_at = int(time.time())
    headers = sign(SECRET, body, signed_at)
    first = stack.client.post(body, FORM, headers=headers, sign=False)
    assert first.status == 200 and first.json()["response_action"] == "update"
    replay = stack.client.post(
        body, FORM, headers=headers, sign=False
    )  # the same bytes, the same signature
    assert replay.status == 200
    assert len(meetings_titled(stack, title)) == 1
    stale = stack.client.post(body, FORM, headers=sign(SECRET, body, signed_at - 301), sign=False)
    assert stale.status == 401
    time.sleep(0.3)
    assert (
        len([c for c in stack.slack.calls("chat.postMessage") if title in c.args.get("text", "")])
        == 1
    )


# ------------------------------------------------------------------ someone else's meeting


def _buttons(call: Call) -> dict[str, dict[str, Any]]:
    return {
        e["action_id"].split(":")[0]: e
        for b in call.args.get("blocks") or []
        if b.get("type") == "actions"
        for e in b["elements"]
    }


def test_a_teammate_cannot_edit_cancel_or_set_the_outcome_of_the_hosts_meeting(
    stack: Stack,
) -> None:
    title = "Drill not yours"
    meeting = book(stack, title)
    confirmation = next(
        c for c in stack.slack.wait_for("chat.postMessage") if title in c.args.get("text", "")
    )
    buttons = _buttons(confirmation)
    opened = len(stack.slack.calls("views.open"))
    for name in ("meeting_edit", "meeting_cancel"):
        b = buttons[name]
        resp = stack.client.interact(
            block_actions(b["action_id"], b["value"], block_id="manage", user_id=TEAMMATE)
        )
        assert resp.status == 200
    refusals = stack.slack.wait_for("chat.postEphemeral", count=2)
    assert all(c.args["user"] == TEAMMATE and "Only the host" in c.args["text"] for c in refusals)
    assert len(stack.slack.calls("views.open")) == opened  # no edit form for the teammate

    # Forged: the edit form's submission, with the host's meeting id in private_metadata.
    forged_meta = json.dumps({"k": "forged-edit-key", "tz": "Europe/Warsaw", "m": meeting["id"]})
    values = booking_values(stack, "Hijacked by a teammate", days=9)
    resp = stack.client.interact(
        view_submission(
            "V0FORGED", "meet_form", values, private_metadata=forged_meta, user_id=TEAMMATE
        )
    )
    assert resp.status == 200 and resp.json()["response_action"] == "errors"
    assert "Only the host" in json.dumps(resp.json()["errors"])

    # Forged: outcome buttons (as if from the host's DM) and "change outcome".
    for action_id, value in (
        ("outcome_completed", {"m": meeting["id"], "o": "COMPLETED"}),
        ("outcome_no_show", {"m": meeting["id"], "o": "NO_SHOW"}),
        ("outcome_change", {"m": meeting["id"]}),
    ):
        resp = stack.client.interact(
            block_actions(action_id, json.dumps(value), block_id="outcome", user_id=TEAMMATE)
        )
        assert resp.status == 200
    stack.slack.wait_for("chat.postEphemeral", count=5)
    after = meeting_titled(stack, title)
    assert (after["status"], after["outcome"], after["sequence"], after["start"]) == (
        "scheduled",
        "SCHEDULED",
        0,
        meeting["start"],
    )
    assert meetings_titled(stack, "Hijacked by a teammate") == []
    assert stack.slack.calls("chat.update") == []


# ------------------------------------------------------------------ injection


INJECTED_TITLE = "<!channel> Pricing <https://evil.example/login|click to confirm> <@U2> &amp; *x*"
# A real @-mention in the notes legitimately renders as <@U2>; a typed one in the title must not.
SLACK_CONTROL = ("<!channel", "<!here", "<!everyone", "<https://evil", "<!subteam", "Pricing <@")


def _mrkdwn_texts(node: Any) -> list[str]:
    """Every string Slack would render as mrkdwn: text objects of type mrkdwn."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            found.append(node["text"])
        for value in node.values():
            found += _mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            found += _mrkdwn_texts(item)
    return found


def test_mrkdwn_in_titles_and_notes_is_escaped_in_every_message(stack: Stack) -> None:
    notes = rich_text_with_mentions(
        "Bring <!here> and <https://evil.example|the contract>", TEAMMATE
    )
    description = "See <https://evil.example|our page> <!channel>"
    meeting = book(stack, INJECTED_TITLE, notes=notes, description=description)
    run_until_quiet(stack)  # the mention DM to the teammate
    at_least(stack, datetime.fromisoformat(meeting["end"]) + timedelta(minutes=1))
    run_until_quiet(stack)  # the outcome prompt
    assert len(outcome_prompts(stack, meeting["id"])) == 1
    stack.client.post(event_body({"type": "app_home_opened", "user": HOST, "tab": "home"}), JSON)
    stack.slack.wait_for("views.publish")
    timeline = stack.client.command("timeline Jane Doe", user_id=HOST).json()

    rendered: list[tuple[str, str]] = []
    for call in stack.slack.calls():
        if call.method.startswith("chat."):
            if isinstance(
                call.args.get("text"), str
            ):  # a message's text is mrkdwn unless mrkdwn=false
                rendered.append((call.method, call.args["text"]))
            rendered += [(call.method, t) for t in _mrkdwn_texts(call.args.get("blocks"))]
        elif call.method.startswith("views."):
            rendered += [(call.method, t) for t in _mrkdwn_texts(call.args.get("view"))]
    rendered += [("timeline", t) for t in _mrkdwn_texts(timeline.get("blocks"))]
    assert any(
        "&lt;!channel&gt; Pricing &lt;https://evil.example/login|click to confirm&gt; &lt;@U2&gt; &amp;amp;"
        in t
        for _, t in rendered
    )  # the title did come through, escaped
    leaks = [(where, t) for where, t in rendered for marker in SLACK_CONTROL if marker in t]
    assert leaks == []


def test_crlf_in_titles_and_descriptions_makes_no_mail_headers_or_ics_lines(stack: Stack) -> None:
    title = "Drill CRLF\r\nBcc: evil@evil.example\r\nX-Injected: yes"
    description = (
        "Agenda\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nATTENDEE:mailto:evil@evil.example\r\nX-INJECTED:1"
    )
    view = open_form(stack)
    # Later than the module's other meetings: their drills moved the shared clock past
    # those, and a reminder after its meeting's start is dropped, not sent.
    values = booking_values(stack, title, days=5, description=description, include_description=True)
    resp = stack.client.interact(
        view_submission(
            view["id"],
            "meet_form",
            values,
            private_metadata=view["private_metadata"],
            view=view,
            user_id=HOST,
        )
    )
    assert resp.json()["response_action"] == "update"
    (meeting,) = [m for m in stack.meetings_json() if m["title"].startswith("Drill CRLF")]
    assert "\r" not in meeting["title"] and "\n" not in meeting["title"]
    run_until_quiet(stack)
    at_least(stack, datetime.fromisoformat(meeting["start"]) - timedelta(minutes=59))
    run_until_quiet(stack)
    mails = mails_about(stack, "Drill CRLF")
    assert len(mails) == 5  # 3 invitations + 2 reminders
    for mail in mails:
        headers = mail.raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
        assert mail.message["Bcc"] is None and mail.message["X-Injected"] is None, headers
        assert not any(
            line.lower().startswith(("bcc:", "x-injected:")) for line in headers.splitlines()
        )
        assert all("evil" not in r for r in mail.rcpt_tos)
        for part in mail.message.walk():
            if part.get_content_type() in ("text/calendar", "application/ics"):
                ics = part.get_payload(decode=True)
                lines = ics.decode().replace("\r\n ", "").split("\r\n")  # unfolded
                assert sum(line == "BEGIN:VEVENT" for line in lines) == 1
                assert not any(
                    line.startswith(("X-INJECTED", "ATTENDEE:mailto:evil")) for line in lines
                )
                (event,) = icalendar.Calendar.from_ical(ics).walk("VEVENT")
                assert "\n" not in str(event["SUMMARY"]) and "\r" not in str(event["SUMMARY"])
                assert [str(a) for a in event.get("ATTENDEE")] == [
                    "mailto:jane@acme.example",
                    "mailto:zofia@acme.example",
                ]


# ------------------------------------------------------------------ secrets at rest


def test_slack_tokens_are_stored_encrypted_and_unreadable_with_another_secret_key(
    stack: Stack,
) -> None:
    url = stack.env["DATABASE_URL"]
    engine = make_engine(url)
    try:
        store = EncryptedInstallationStore("drill-client", engine, SecretBox(SECRET_KEY))
        store.save(
            Installation(
                app_id="A0001",
                team_id="TDRILL",
                user_id="UINSTALLER",
                bot_token="xoxb-drill-bot-token-plaintext",
                bot_id="B1",
                bot_user_id="UBOT",
                user_token="xoxp-drill-user-token-plaintext",
                installed_at=time.time(),
            )
        )
        with engine.connect() as conn:
            tables = [
                t
                for t in ("slack_installations", "slack_bots")
                if conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            ]
            dump = " ".join(
                str(row) for t in tables for row in conn.execute(text(f"SELECT * FROM {t}"))
            )
        assert tables == ["slack_installations", "slack_bots"]
        assert "xoxb-drill" not in dump and "xoxp-drill" not in dump
        assert "enc1:" in dump
        bot = store.find_bot(enterprise_id=None, team_id="TDRILL")
        assert bot is not None and bot.bot_token == "xoxb-drill-bot-token-plaintext"
        thief = EncryptedInstallationStore("drill-client", engine, SecretBox(OTHER_SECRET_KEY))
        for read in (
            lambda: thief.find_bot(enterprise_id=None, team_id="TDRILL"),
            lambda: thief.find_installation(enterprise_id=None, team_id="TDRILL"),
        ):
            try:
                found = read()
            except SecretBoxError:
                continue
            raise AssertionError(f"read with the wrong SECRET_KEY: {found}")
    finally:
        engine.dispose()
