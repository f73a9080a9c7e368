"""Drills on what a running `meetline serve` accepts and what it writes down: huge and
slow requests, Slack ids and texts of shapes Slack never sends, mrkdwn in CRM data, and
the log and `jobs.last_error` under `-v` while mail fails and a workspace installs."""

from __future__ import annotations

import json
import re
import select
import socket
import time
import urllib.request
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select as sql_select

from storage.migrate import upgrade
from storage.models import JobModel
from tests.drills.conftest import fresh_database
from tests.drills.helpers import (
    at_least,
    book,
    booking_values,
    meeting_titled,
    outcome_prompts,
    run_until_quiet,
)
from tests.drills.test_slack_drills import SLACK_CONTROL, _mrkdwn_texts
from tests.e2e.forms import meet_values, rich_text_with_mentions
from tests.e2e.test_oauth_install import CLIENT, authorize_url
from tests.e2e.test_schedule_flow import contacts, in_days, open_form, reshape, submit
from tests.support.fake_slack import FakeSlack
from tests.support.server import (
    BOT_TOKEN,
    SECRET_KEY,
    SIGNING_SECRET,
    ServeProcess,
    clean_env,
)
from tests.support.slack_requests import (
    FORM,
    SlackClientSim,
    block_actions,
    block_suggestion,
    interactive_body,
    slash_command_body,
    view_submission,
)
from tests.support.stack import HOST, TEAMMATE, Stack

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
MIB = 1024 * 1024


def _host_port(stack: Stack) -> tuple[str, int]:
    parts = urlsplit(stack.serve.url)
    return str(parts.hostname), int(parts.port or 80)


def _healthz(stack: Stack, timeout: float) -> int:
    with urllib.request.urlopen(stack.serve.url + "/healthz", timeout=timeout) as resp:
        return int(resp.status)


# ------------------------------------------------------------------ serving limits


def test_a_200_mib_chunked_unsigned_body_is_cut_off_at_the_cap_with_413(stack: Stack) -> None:
    """The server answers 413 and closes once the cap is passed; the client cannot push
    the rest (what it got through is the cap plus the sockets' buffers)."""
    sock = socket.create_connection(_host_port(stack), timeout=10)
    sock.sendall(
        b"POST /slack/events HTTP/1.1\r\nHost: meetline\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"x" * 64 * 1024)
    sent, answer = 0, b""
    sock.setblocking(False)
    deadline = time.monotonic() + 60
    try:
        while sent < 200 * MIB and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 5)
            if readable:
                answer = sock.recv(65536)
                break
            if writable:
                try:
                    sent += sock.send(chunk)
                except BlockingIOError:
                    continue
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 32 * MIB, f"the server read {sent / MIB:.0f} MiB before refusing"
    assert _healthz(stack, 10) == 200


def test_a_declared_oversized_body_is_refused_before_it_is_sent(stack: Stack) -> None:
    sock = socket.create_connection(_host_port(stack), timeout=10)
    try:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: meetline\r\nContent-Type: application/json\r\n"
            b"Content-Length: 209715200\r\n\r\n"
        )
        answer = sock.recv(65536)  # no body byte was sent: the answer comes anyway
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_120_idle_and_half_open_connections_do_not_starve_healthz(stack: Stack) -> None:
    host_port = _host_port(stack)
    idle: list[socket.socket] = []
    try:
        for i in range(120):
            sock = socket.create_connection(host_port, timeout=10)
            if i % 2:  # half a request, never finished
                sock.sendall(
                    b"POST /slack/events HTTP/1.1\r\nHost: meetline\r\nContent-Length: 100\r\n"
                )
            idle.append(sock)
        assert _healthz(stack, 10) == 200
        signed = stack.client.command("help", user_id=HOST)
        assert signed.status == 200
    finally:
        for sock in idle:
            sock.close()


# ------------------------------------------------------------------ Slack ids by shape

JUNK_CHANNEL = "C" + "X" * 3000


def test_a_slash_command_with_a_3kb_junk_channel_id_is_refused_and_opens_nothing(
    stack: Stack,
) -> None:
    resp = stack.client.command("Jane Doe tomorrow 3pm", user_id=HOST, channel_id=JUNK_CHANNEL)
    assert resp.status == 400
    time.sleep(0.3)
    assert stack.slack.calls("views.open") == [] and stack.slack.calls("views.update") == []


def test_malformed_user_team_and_channel_ids_are_refused_and_change_nothing(stack: Stack) -> None:
    before = stack.meetings_json()
    commands = [
        slash_command_body(text="Jane Doe", user_id="u1<!channel>", team_id="T0001"),
        slash_command_body(text="Jane Doe", user_id=HOST, team_id="T0001' OR 1=1"),
        slash_command_body(text="Jane Doe", user_id=HOST, team_id="T0001", channel_id="general"),
        slash_command_body(text="Jane Doe", user_id="", team_id="T0001"),
    ]
    for body in commands:
        resp = stack.client.post(body, FORM)
        assert resp.status == 400, body
    view = open_form(stack)
    opened = len(stack.slack.calls("views.open"))
    payloads = [
        view_submission(
            view["id"],
            "meet_form",
            booking_values(stack, "Drill junk user"),
            private_metadata=view["private_metadata"],
            view=view,
            user_id="U" + "1" * 500,
        ),
        view_submission(
            view["id"],
            "meet_form",
            booking_values(
                stack,
                "Drill junk host",
            )
            | {"host": {"host_select": {"type": "users_select", "selected_user": "<@U2>"}}},
            private_metadata=view["private_metadata"],
            view=view,
            user_id=HOST,
        ),
        block_actions(
            "meeting_cancel:1",
            json.dumps({"m": 1}),
            block_id="manage",
            user_id=HOST,
            channel_id="C" + "1" * 100,
        ),
    ]
    for payload in payloads:
        resp = stack.client.post(interactive_body(payload), FORM)
        assert resp.status == 400, payload.get("type")
    time.sleep(0.3)
    assert stack.meetings_json() == before
    assert len(stack.slack.calls("views.open")) == opened
    assert stack.slack.calls("chat.postMessage") == [] and stack.slack.calls("chat.update") == []


def test_junk_channel_in_private_metadata_is_not_echoed_into_the_next_view(stack: Stack) -> None:
    """A forged private_metadata (signed payloads carry whatever the sender wrote) with a
    "channel" filling it to Slack's 3,000 characters: the re-rendered form keeps its
    metadata short and drops it. (Longer metadata is refused as malformed: Slack never
    sends it.)"""
    view = open_form(stack)
    meta = json.loads(view["private_metadata"])
    room = 3000 - len(json.dumps(meta | {"ch": "C"}))
    assert room > 2000
    view = view | {"private_metadata": json.dumps(meta | {"ch": "C" + "X" * room})}
    assert len(view["private_metadata"]) == 3000
    values = booking_values(stack, "Drill metadata") | {
        "location_kind": {
            "location_kind_select": {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "Phone call"},
                    "value": "phone",
                },
            }
        }
    }
    updated = reshape(stack, view, values, "location_kind_select", "location_kind")
    assert len(updated["private_metadata"]) <= 3000
    assert "XXXX" not in updated["private_metadata"]
    assert json.loads(updated["private_metadata"])["k"] == meta["k"]


# ------------------------------------------------------------------ bounded texts and lists


def test_overlong_texts_and_lists_are_refused_and_store_nothing(stack: Stack) -> None:
    before = stack.meetings_json()
    resp = stack.client.command("Jane Doe " + "x" * 5000, user_id=HOST)
    assert resp.status == 400
    resp = stack.client.interact(
        block_suggestion("record_select", "J" * 5000, block_id="record", user_id=HOST)
    )
    assert resp.status == 400
    view = open_form(stack)
    many = [(f"c:{n}", f"Contact {n}") for n in range(150)]
    long_notes = rich_text_with_mentions("n" * 20_000, TEAMMATE)
    for values in (
        booking_values(stack, "T" * 5000),
        booking_values(stack, "Drill many attendees")
        | {
            "attendees": {
                "attendee_select": {
                    "type": "multi_external_select",
                    "selected_options": [
                        {"text": {"type": "plain_text", "text": t}, "value": v} for v, t in many
                    ],
                }
            }
        },
        booking_values(stack, "Drill long notes", notes=long_notes),
    ):
        resp = submit(stack, view, values)
        assert resp.status == 400, resp.text
    time.sleep(0.3)
    assert stack.meetings_json() == before
    # Within the bounds the same form still books.
    assert (
        submit(stack, view, booking_values(stack, "Drill bounded")).json()["response_action"]
        == "update"
    )


# ------------------------------------------------------------------ mrkdwn in CRM data

EVIL_NAME = "<!channel> <https://evil.example|click>"
EVIL_TITLE = "<!here> Pricing <https://evil.example/login|confirm>"


def _evil_record(stack: Stack) -> int:
    path = stack.workdir / "evil.csv"
    path.write_text(
        "type,id,name,email,phone,timezone,associations\n"
        f"contact,evil,{EVIL_NAME},evil@acme.example,,Europe/Warsaw,\n",
        encoding="utf-8",
    )
    result = stack.cli("import", str(path), "--team", "T0001")
    assert result.returncode == 0, result.stderr
    found = [
        r for r in stack.services.records.search("T0001", "click", limit=20) if r.name == EVIL_NAME
    ]
    assert found
    return found[0].id


def _another_form(stack: Stack) -> dict[str, Any]:
    """A new form (open_form would return an earlier one still in the recordings)."""
    opened, updated = len(stack.slack.calls("views.open")), len(stack.slack.calls("views.update"))
    stack.client.command("", user_id=HOST)
    return stack.slack.wait_for("views.update", count=updated + 1)[-1].view | {
        "id": stack.slack.wait_for("views.open", count=opened + 1)[-1].body["view"]["id"]
    }


def _rendered(stack: Stack, *replies: dict[str, Any]) -> list[tuple[str, str]]:
    """Every text Slack renders as mrkdwn: messages' fallback `text`, mrkdwn text objects
    in blocks and views, and the replies we answered directly."""
    rendered: list[tuple[str, str]] = []
    for call in stack.slack.calls():
        if call.method.startswith("chat."):
            if isinstance(call.args.get("text"), str):
                rendered.append((call.method, call.args["text"]))
            rendered += [(call.method, t) for t in _mrkdwn_texts(call.args.get("blocks"))]
        elif call.method.startswith("views."):
            rendered += [(call.method, t) for t in _mrkdwn_texts(call.args.get("view"))]
    for reply in replies:
        if isinstance(reply.get("text"), str):
            rendered.append(("reply", reply["text"]))
        rendered += [("reply", t) for t in _mrkdwn_texts(reply.get("blocks"))]
    return rendered


def test_a_record_named_with_mrkdwn_renders_as_text_in_every_message(stack: Stack) -> None:
    record_id = _evil_record(stack)
    record = (f"r:{record_id}", f"Contact: {EVIL_NAME}")
    attendees = [(f"c:{record_id}", EVIL_NAME), *contacts(stack, "Jane Doe")]
    stack.smtp.reject(
        "evil@acme.example", 550, "5.1.1 <evil@acme.example>: Recipient address rejected"
    )
    for title, days in ((EVIL_TITLE, 3), (EVIL_TITLE + " 2", 5)):
        values = meet_values(
            record=record,
            day=in_days(days),
            at="10:30",
            title=title,
            attendees=attendees,
            reminders=[("1", "hours")],
            notes=rich_text_with_mentions("see the record", TEAMMATE),
        )
        assert submit(stack, _another_form(stack), values).json()["response_action"] == "update"
    kept, dropped = meeting_titled(stack, EVIL_TITLE), meeting_titled(stack, EVIL_TITLE + " 2")
    run_until_quiet(stack)  # invitations (one refused: the organizer is told), the mention DM

    cancel = next(
        e
        for c in stack.slack.calls("chat.postMessage")
        for b in c.args.get("blocks") or []
        if b.get("type") == "actions"
        for e in b["elements"]
        if e["action_id"] == f"meeting_cancel:{dropped['id']}"
    )
    stack.client.interact(
        block_actions(cancel["action_id"], cancel["value"], block_id="manage", user_id=HOST)
    )
    stack.slack.wait_for("chat.update")

    at_least(stack, datetime.fromisoformat(kept["end"]) + timedelta(minutes=1))
    run_until_quiet(stack)
    (prompt,) = outcome_prompts(stack, kept["id"])
    button = next(
        e
        for b in prompt.args["blocks"]
        if b.get("type") == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("outcome_completed")
    )
    stack.client.interact(
        block_actions(button["action_id"], button["value"], block_id="outcome", user_id=HOST)
    )
    stack.slack.wait_for("chat.update", count=2)
    timeline = stack.client.command(f"timeline {EVIL_NAME}", user_id=HOST).json()

    rendered = _rendered(stack, timeline)
    where = {w for w, _ in rendered}
    assert {"chat.postMessage", "chat.update", "reply"} <= where
    assert any(
        "&lt;!channel&gt; &lt;https://evil.example|click&gt;" in t
        for _, t in rendered
        if _ == "reply"
    )
    assert any("could not be delivered" in t for _, t in rendered)  # the failure DM was among them
    leaks = [(w, t) for w, t in rendered for marker in (*SLACK_CONTROL, "<!here") if marker in t]
    assert leaks == []


# ------------------------------------------------------------------ logs and last_error


def _no_secrets(log: str, *secrets: str) -> None:
    found = [s for s in secrets if s in log]
    assert found == [], found
    emails = [m.group(0) for m in EMAIL.finditer(log)]
    assert emails == []


def test_verbose_logs_of_a_booking_with_failing_mail_hold_no_token_email_note_or_title(
    stack: Stack,
) -> None:
    title = "Drill confidential pricing review"
    note = "walk-away price is 42k, do not share"
    description = "Agenda for the attendees only"
    with ServeProcess(stack.env, stack.workdir, ["--no-worker", "-v"]) as verbose:
        served = replace(stack, serve=verbose, client=SlackClientSim(verbose.url, SIGNING_SECRET))
        stack.smtp.reject(
            "jane@acme.example", 550, "5.1.1 <jane@acme.example>: Recipient address rejected"
        )
        stack.smtp.reject("zofia@acme.example", 451, "4.2.0 <zofia@acme.example>: Try again later")
        meeting = book(
            served, title, notes=rich_text_with_mentions(note, TEAMMATE), description=description
        )
        assert served.client.command("timeline Jane Doe", user_id=HOST).status == 200
        worker = stack.cli("-v", "worker", "--once")
        assert worker.returncode == 0, worker.stderr
        served_log = verbose.log()
    log = served_log + worker.stdout + worker.stderr
    assert (
        "Meetline listening" in served_log and "will be retried" in worker.stderr
    )  # the logs were written
    _no_secrets(log, BOT_TOKEN, SIGNING_SECRET, title, note, description)

    with stack.services.sessions() as session:
        errors = session.scalars(
            sql_select(JobModel.last_error).where(
                JobModel.meeting_id == meeting["id"], JobModel.last_error.is_not(None)
            )
        ).all()
    assert len(errors) >= 2, errors  # the refused and the deferred invitation
    assert all(e and "@" not in e and title not in e for e in errors), errors
    assert any("SMTP 550" in (e or "") for e in errors) and any(
        "SMTP 451" in (e or "") for e in errors
    )


def test_an_oauth_install_under_verbose_logging_leaves_no_token_in_the_log(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url, FakeSlack(oauth_client=CLIENT) as slack:
        slack.add_user("U1", name="anna", real_name="Anna Host", email="anna@meetline.example")
        env = clean_env(
            {
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_CLIENT_ID": CLIENT[0],
                "SLACK_CLIENT_SECRET": CLIENT[1],
                "SECRET_KEY": SECRET_KEY,
                "PUBLIC_URL": "https://meetline.example",
                "SLACK_API_URL": slack.url,
                "DATABASE_URL": url,
            }
        )
        upgrade(url)
        with ServeProcess(env, tmp_path, ["--no-worker", "-v"]) as serve:
            sim = SlackClientSim(serve.url, SIGNING_SECRET)
            install = sim.get("/slack/install")
            cookie = install.headers["set-cookie"].split(";")[0]
            state = parse_qs(urlsplit(authorize_url(install.text)).query)["state"][0]
            done = sim.get(f"/slack/oauth_redirect?code=abc&state={state}", {"Cookie": cookie})
            assert done.status == 200 and "Meetline is installed" in done.text
            assert sim.command("", user_id="U1").status == 200
            slack.wait_for("views.open")
            log = serve.log()
    assert "Meetline listening" in log
    _no_secrets(log, "xoxb-installed", CLIENT[1], SECRET_KEY, SIGNING_SECRET)
