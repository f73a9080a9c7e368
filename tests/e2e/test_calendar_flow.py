"""Meetings in the host's real calendar, end to end: `meetline serve` over HTTP against a
fake Slack, the fake Google Calendar and Zoom, a real Radicale and a real SMTP server,
with the worker run in-process under a test clock.

One stack serves the whole module (starting `meetline serve` is the slow part); each
test sets the host's calendar connection it needs and clears what it inspects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from caldav.davclient import DAVClient
from sqlalchemy import select

from adapters.http_retry import RetryPolicy
from bot.settings import Settings
from bot.wiring import build_services, calendar_config
from handlers.jobs import JobKind
from handlers.ports import CalendarConnections
from storage.migrate import upgrade
from storage.models import JobModel, MeetingModel
from tests.e2e.forms import meet_values
from tests.e2e.test_schedule_flow import contacts, in_days, jane, open_form, submit
from tests.support.blockkit import assert_all_views_valid
from tests.support.calendar_fakes import FakeGoogleAccount
from tests.support.clock import MutableClock
from tests.support.fake_slack import FakeSlack
from tests.support.fake_zoom import FakeZoom
from tests.support.radicale_server import RadicaleServer
from tests.support.server import (
    BOT_TOKEN,
    SECRET_KEY,
    SIGNING_SECRET,
    ServeProcess,
    clean_env,
    run_cli,
)
from tests.support.slack_requests import (
    SlackClientSim,
    block_actions,
    event_body,
    text_value,
    view_submission,
)
from tests.support.smtp_sink import SmtpSink, ics_bytes
from tests.support.stack import HOST, RECORDS_CSV, TEAMMATE, Stack

TEAM = "T0001"
HOST_EMAIL = "anna@meetline.example"
DAV_PASSWORD = "s3cret-app-password"
PUBLIC_URL = "https://meetline.test"
WARSAW = ZoneInfo("Europe/Warsaw")
FAST = RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0)


@dataclass
class CalendarStack:
    stack: Stack
    google: FakeGoogleAccount
    zoom: FakeZoom
    dav: RadicaleServer

    @property
    def store(self) -> CalendarConnections:
        return self.stack.services.connections

    def connect_google(self) -> None:
        self.store.save_google(
            TEAM, HOST, json.dumps(self.google.authorized_user_info()), HOST_EMAIL
        )


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CalendarStack]:
    workdir = tmp_path_factory.mktemp("calendar-e2e")
    database_url = f"sqlite:///{workdir / 'e2e.db'}"
    with (
        FakeSlack() as slack,
        SmtpSink() as smtp,
        FakeGoogleAccount(HOST_EMAIL) as google,
        FakeZoom(users=(HOST_EMAIL,)) as zoom,
        RadicaleServer(workdir / "dav", users={HOST_EMAIL: DAV_PASSWORD}) as dav,
    ):
        dav.make_calendar(HOST_EMAIL, DAV_PASSWORD, "Work")
        slack.add_user(
            HOST, name="anna", real_name="Anna Host", email=HOST_EMAIL, tz="Europe/Warsaw"
        )
        slack.add_user(
            TEAMMATE,
            name="bob",
            real_name="Bob Mate",
            email="bob@meetline.example",
            tz="Europe/London",
        )
        values = {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": slack.url,
            "DATABASE_URL": database_url,
            "SMTP_URL": smtp.url,
            "MAIL_FROM": "meetline@meetline.example",
            "SECRET_KEY": SECRET_KEY,
            "PUBLIC_URL": PUBLIC_URL,
            "GOOGLE_CLIENT_ID": google.client_id,
            "GOOGLE_CLIENT_SECRET": google.client_secret,
            "GOOGLE_API_URL": google.url,
            "ZOOM_ACCOUNT_ID": zoom.account_id,
            "ZOOM_CLIENT_ID": zoom.client_id,
            "ZOOM_CLIENT_SECRET": zoom.client_secret,
            "ZOOM_API_URL": zoom.api_url,
            "CALDAV_ALLOW_HOSTS": dav.allow_host,  # Radicale is plain http on loopback
        }
        env = clean_env(
            {**values, "OAUTHLIB_INSECURE_TRANSPORT": "1"}
        )  # the fake token endpoint is http
        upgrade(database_url)
        (workdir / "records.csv").write_text(RECORDS_CSV, encoding="utf-8")
        imported = run_cli(["import", str(workdir / "records.csv")], env, workdir)
        assert imported.returncode == 0, imported.stderr
        clock = MutableClock()
        settings = Settings(**values)
        # The in-process worker retries without sleeping; the job queue does the waiting.
        services = build_services(
            settings,
            clock=clock,
            calendar_seams=replace(
                calendar_config(settings), policy=FAST, sleep=lambda seconds: None
            ),
        )
        with ServeProcess(env, workdir, ["--no-worker"]) as serve:
            stack = Stack(
                slack,
                smtp,
                serve,
                SlackClientSim(serve.url, SIGNING_SECRET),
                services,
                clock,
                env,
                workdir,
            )
            try:
                yield CalendarStack(stack, google, zoom, dav)
            finally:
                services.engine.dispose()


@pytest.fixture
def cal(module_stack: CalendarStack) -> Iterator[CalendarStack]:
    module_stack.stack.clock.set(datetime.now(UTC))
    module_stack.stack.slack.clear()
    module_stack.stack.smtp.clear()
    yield module_stack
    google = module_stack.google
    google.clear_failures()
    google.valid_tokens.add("ya29.initial")
    google.refresh_tokens.add("1//refresh")
    module_stack.stack.run_worker()  # what this test queued must not run under the next one's calendar


# --------------------------------------------------------------------------- helpers


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def book(stack: Stack, values: dict[str, Any]) -> dict[str, Any]:
    view = open_form(stack)
    resp = submit(stack, view, values)
    assert resp.status == 200 and resp.json()["response_action"] == "update", resp.text
    key = json.loads(view["private_metadata"])["k"]
    with stack.services.sessions() as session:
        row = session.scalars(select(MeetingModel).where(MeetingModel.idempotency_key == key)).one()
        return {"id": row.id, "uid": row.uid, "start": row.start_at}


def home(stack: Stack, event_id: str) -> dict[str, Any]:
    count = len(stack.slack.calls("views.publish"))
    stack.client.post(
        event_body({"type": "app_home_opened", "user": HOST, "tab": "home"}, event_id=event_id),
        "application/json",
    )
    return stack.slack.wait_for("views.publish", count=count + 1)[-1].args["view"]  # type: ignore[no-any-return]


def home_button(view: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in view["blocks"]:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {[b['block_id'] for b in view['blocks']]}")


def calendar_part(message: EmailMessage) -> icalendar.Calendar:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return icalendar.Calendar.from_ical(ics_bytes(part))
    raise AssertionError("no text/calendar part")


def dms(stack: Stack, user: str = HOST) -> list[str]:
    return [
        c.args.get("text", "")
        for c in stack.slack.calls("chat.postMessage")
        if c.args.get("channel") == user
    ]


# --------------------------------------------------------------------------- tests


def test_google_sign_in_then_a_meet_booking_lands_in_google(cal: CalendarStack) -> None:
    stack = cal.stack
    cal.store.disconnect(TEAM, HOST)
    view = home(stack, "EvCal1")
    assert "No calendar connected" in dump(view)
    link = home_button(view, "calendar_connect_google")["url"]
    assert link.startswith(f"{PUBLIC_URL}/oauth/google/start?")
    started = stack.client.get(link.removeprefix(PUBLIC_URL))
    assert started.status == 302
    code, state = cal.google.issue_code(started.headers["location"])
    cookie = started.headers["set-cookie"].split(";")[
        0
    ]  # the browser brings back what the start set
    done = stack.client.get(
        f"/oauth/google/callback?state={state}&code={code}", headers={"Cookie": cookie}
    )
    assert done.status == 200 and "connected" in done.text
    assert any(
        "Google Calendar (anna@meetline.example) is connected" in t
        for t in (c.args.get("text", "") for c in stack.slack.wait_for("chat.postMessage"))
    )
    assert "Connected to *Google Calendar*" in dump(
        stack.slack.wait_for("views.publish")[-1].args["view"]
    )

    values = meet_values(
        record=jane(stack),
        day=in_days(3),
        at="10:30",
        duration="45",
        title="Demo for Acme",
        attendees=contacts(stack, "Jane Doe", "John Nomail"),
        location="video",
        provider="google_meet",
        description="Agenda: pricing",
    )
    meeting = book(stack, values)
    stack.run_worker()
    (event,) = [
        e
        for e in cal.google.user_events()
        if e["extendedProperties"]["private"]["meetline_id"] == str(meeting["id"])
    ]
    start = datetime.combine(in_days(3), datetime.strptime("10:30", "%H:%M").time(), WARSAW)
    assert event["summary"] == "Demo for Acme" and event["description"] == "Agenda: pricing"
    assert event["start"] == {
        "dateTime": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timeZone": "Europe/Warsaw",
    }
    assert [a["email"] for a in event["attendees"]] == ["jane@acme.example"]
    assert event["conferenceData"]["conferenceSolution"]["key"]["type"] == "hangoutsMeet"
    stored = stack.services.meetings.get("T0001", meeting["id"])
    assert stored is not None and stored.join_url == event["hangoutLink"]
    assert any(event["hangoutLink"] in t for t in dms(stack))  # the link, once Google made it
    stack.run_worker()
    assert stack.smtp.messages == []  # Google invites; Meetline sends no .ics of its own
    assert_all_views_valid(stack.slack)


def test_the_form_warns_of_a_busy_calendar_and_offers_free_times(cal: CalendarStack) -> None:
    stack = cal.stack
    cal.connect_google()
    day = in_days(4)
    busy_start = datetime.combine(day, datetime.strptime("10:00", "%H:%M").time(), WARSAW)
    with cal.google.lock:
        cal.google.events[(HOST_EMAIL, "busyslot01")] = {
            "id": "busyslot01",
            "status": "confirmed",
            "summary": "Dentist",
            "start": {"dateTime": busy_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
            "end": {
                "dateTime": (busy_start + timedelta(hours=1))
                .astimezone(UTC)
                .strftime("%Y-%m-%dT%H:%M:%SZ")
            },
        }
    view = open_form(stack)
    values = meet_values(
        record=jane(stack), day=day, at="10:30", attendees=contacts(stack, "Jane Doe")
    )
    count = len(stack.slack.calls("views.update"))
    stack.client.interact(
        block_actions(
            "time_pick",
            block_id="time",
            view=view | {"state": {"values": values}},
            action_type="timepicker",
            action={"selected_time": "10:30"},
            user_id=HOST,
        )
    )
    updated = stack.slack.wait_for("views.update", count=count + 1)[-1].view
    notice = next(b for b in updated["blocks"] if b["block_id"] == "conflicts")
    assert "You are busy 10:00–11:00." in dump(notice)
    slots = next(b for b in updated["blocks"] if b["block_id"] == "conflict_slots")["elements"]
    assert slots and slots[0]["action_id"] == "use_slot_0"
    # One click on a free time sets it (new block ids, so Slack shows the new value).
    count += 1
    stack.client.interact(
        block_actions(
            slots[0]["action_id"],
            slots[0]["value"],
            block_id="conflict_slots",
            view=updated | {"id": view["id"], "state": {"values": values}},
            user_id=HOST,
        )
    )
    moved = stack.slack.wait_for("views.update", count=count + 1)[-1].view
    time_block = next(b for b in moved["blocks"] if b["block_id"] == "time_1")
    assert time_block["element"]["initial_time"] == slots[0]["value"][11:]
    assert "conflicts" not in [b["block_id"] for b in moved["blocks"]]
    # Saving at the busy time anyway: a warning in the confirmation, not an error.
    resp = submit(stack, view, values)
    assert resp.json()["response_action"] == "update"
    assert "You are busy 10:00–11:00." in dump(resp.json())
    assert_all_views_valid(stack.slack)


def test_caldav_connect_checks_the_password_and_bookings_mail_our_invitation(
    cal: CalendarStack,
) -> None:
    stack = cal.stack
    cal.store.disconnect(TEAM, HOST)
    view = home(stack, "EvCal2")
    button = home_button(view, "calendar_connect_caldav")
    stack.client.interact(
        block_actions(
            button["action_id"],
            button["value"],
            block_id="calendar_actions",
            view={"id": "VHOME", "type": "home"},
            user_id=HOST,
        )
    )
    modal = stack.slack.wait_for("views.open")[-1]
    modal_id = modal.body["view"]["id"]

    def connect(password: str) -> Any:
        values = {
            "caldav_url": {"value": text_value(cal.dav.url)},
            "caldav_username": {"value": text_value(HOST_EMAIL)},
            "caldav_password": {"value": text_value(password)},
            "caldav_calendar": {"value": text_value(None)},
        }
        return stack.client.interact(
            view_submission(
                modal_id, "calendar_caldav", values, view=modal.args["view"], user_id=HOST
            )
        )

    wrong = connect("not-the-password")
    assert wrong.json()["response_action"] == "errors"
    assert set(wrong.json()["errors"]) == {"caldav_password"}
    assert cal.store.status(TEAM, HOST) is None
    right = connect(DAV_PASSWORD)
    assert right.status == 200 and "errors" not in right.text
    assert cal.stack.services.calendars.connection_for(TEAM, HOST).provider == "caldav"  # type: ignore[union-attr]

    meeting = book(
        stack,
        meet_values(
            record=jane(stack),
            day=in_days(5),
            at="09:00",
            title="CalDAV demo",
            attendees=contacts(stack, "Jane Doe"),
        ),
    )
    stack.run_worker()
    with DAVClient(cal.dav.url, username=HOST_EMAIL, password=DAV_PASSWORD) as client:
        uids = [
            str(e.icalendar_instance.walk("VEVENT")[0]["UID"])
            for e in client.principal().calendars()[0].events()
        ]
    assert meeting["uid"] in uids
    (mail,) = stack.smtp.wait_for(1)
    assert list(mail.rcpt_tos) == ["jane@acme.example"]  # the host's calendar already holds it
    event = calendar_part(mail.message).walk("VEVENT")[0]
    assert str(event["UID"]) == meeting["uid"]
    assert_all_views_valid(stack.slack)


def test_zoom_link_reaches_the_invitation_of_an_email_only_host(cal: CalendarStack) -> None:
    stack = cal.stack
    view = home(stack, "EvCal3")
    email_only = home_button(view, "calendar_email_only")
    stack.client.interact(
        block_actions(
            email_only["action_id"],
            email_only["value"],
            block_id="calendar_actions",
            view={"id": "VHOME", "type": "home"},
            user_id=HOST,
        )
    )
    stack.wait_until(
        lambda: (status := cal.store.status(TEAM, HOST)) is not None and status.provider == "email"
    )
    meeting = book(
        stack,
        meet_values(
            record=jane(stack),
            day=in_days(6),
            at="11:00",
            title="Zoom call",
            attendees=contacts(stack, "Jane Doe"),
            location="video",
            provider="zoom",
        ),
    )
    stack.run_worker()
    zoom_meeting = next(m for m in cal.zoom.meetings.values() if m["topic"] == "Zoom call")
    join_url = zoom_meeting["join_url"]
    mails = stack.smtp.wait_for(2)
    assert sorted(r for m in mails for r in m.rcpt_tos) == [HOST_EMAIL, "jane@acme.example"]
    event = calendar_part(mails[0].message).walk("VEVENT")[0]
    assert join_url in str(event["LOCATION"])
    stored = stack.services.meetings.get("T0001", meeting["id"])
    assert stored is not None and stored.join_url == join_url
    assert_all_views_valid(stack.slack)


def test_throttling_outages_and_a_revoked_token(cal: CalendarStack) -> None:
    stack = cal.stack
    cal.connect_google()
    values = meet_values(
        record=jane(stack),
        day=in_days(7),
        at="13:00",
        title="Retry demo",
        attendees=contacts(stack, "Jane Doe"),
    )

    def events_titled(title: str) -> list[dict[str, Any]]:
        return [e for e in cal.google.user_events() if e["summary"] == title]

    # 429 with Retry-After, then success: handled inside one run.
    cal.google.fail_next(1, 429, retry_after="1", path_contains="/events")
    book(stack, values)
    stack.run_worker()
    assert len(events_titled("Retry demo")) == 1

    # 5xx beyond the in-process retries: the job is retried later, one event in the end.
    cal.google.fail_next(2, 503, path_contains="/events")
    book(
        stack,
        meet_values(
            record=jane(stack),
            day=in_days(7),
            at="15:00",
            title="Outage demo",
            attendees=contacts(stack, "Jane Doe"),
        ),
    )
    stack.run_worker()
    assert events_titled("Outage demo") == []
    stack.clock.advance(minutes=2)
    stack.run_worker()
    assert len(events_titled("Outage demo")) == 1
    assert stack.smtp.messages == []

    # Down for the whole booking: the meeting stays, the job is retried to the end, the
    # organizer hears of it, and the attendees are invited by email instead.
    cal.google.fail_next(500, 503, path_contains="/calendar/v3")
    down = book(
        stack,
        meet_values(
            record=jane(stack),
            day=in_days(8),
            at="09:30",
            title="Down demo",
            attendees=contacts(stack, "Jane Doe"),
        ),
    )
    for _ in range(9):
        stack.run_worker()
        stack.clock.advance(hours=2)
    with stack.services.sessions() as session:
        job = session.scalars(
            select(JobModel).where(
                JobModel.kind == JobKind.CALENDAR_CREATE, JobModel.meeting_id == down["id"]
            )
        ).one()
        assert job.status == "failed" and job.attempts == job.max_attempts
    assert any("“Down demo” could not be added to the host's calendar" in t for t in dms(stack))
    assert sorted(r for m in stack.smtp.wait_for(2) for r in m.rcpt_tos) == [
        HOST_EMAIL,
        "jane@acme.example",
    ]
    kept = stack.services.meetings.get("T0001", down["id"])
    assert kept is not None and kept.status == "scheduled"
    cal.google.clear_failures()

    # The user revoked Meetline in Google: a reconnect DM, and email invitations instead.
    stack.clock.set(datetime.now(UTC))
    stack.smtp.clear()
    stack.slack.clear()
    cal.store.save_google(
        TEAM, HOST, json.dumps(cal.google.authorized_user_info(expired=True)), HOST_EMAIL
    )
    cal.google.revoke()
    book(
        stack,
        meet_values(
            record=jane(stack),
            day=in_days(9),
            at="09:30",
            title="Revoked demo",
            attendees=contacts(stack, "Jane Doe"),
        ),
    )
    stack.run_worker()
    reconnect = [
        c
        for c in stack.slack.calls("chat.postMessage")
        if "calendar_reconnect" in dump(c.args.get("blocks"))
    ]
    assert len(reconnect) == 1 and reconnect[0].args["channel"] == HOST
    assert sorted(r for m in stack.smtp.wait_for(2) for r in m.rcpt_tos) == [
        HOST_EMAIL,
        "jane@acme.example",
    ]
    assert cal.stack.services.calendars.connection_for(TEAM, HOST).active is False  # type: ignore[union-attr]
    assert "stopped working" in dump(home(stack, "EvCal4"))
    assert_all_views_valid(stack.slack)


def test_booking_on_behalf_of_a_teammate_with_a_connected_calendar(cal: CalendarStack) -> None:
    stack = cal.stack
    cal.store.save_google(
        TEAM, TEAMMATE, json.dumps(cal.google.authorized_user_info()), "bob@meetline.example"
    )
    for user, seat in ((HOST, "professional"), (TEAMMATE, "enterprise")):
        assert stack.cli("users", "set", user, "--team", TEAM, "--seat", seat).returncode == 0
    values = meet_values(
        record=jane(stack),
        day=in_days(6),
        at="09:30",
        duration="30",
        title="Handover",
        attendees=contacts(stack, "Jane Doe"),
    )
    values["host"] = {"host_select": {"type": "users_select", "selected_user": TEAMMATE}}
    meeting = book(stack, values)
    stored = stack.services.meetings.get("T0001", meeting["id"])
    assert stored is not None and stored.host_id == TEAMMATE and stored.organizer_id == HOST
    assert [a.email for a in stored.attendees] == [
        "jane@acme.example"
    ]  # the organizer is not added
    stack.run_worker()
    (event,) = [
        e
        for e in cal.google.user_events()
        if (e.get("extendedProperties") or {}).get("private", {}).get("meetline_id")
        == str(meeting["id"])
    ]
    assert [a["email"] for a in event["attendees"]] == ["jane@acme.example"]
    entries = stack.services.meetings.timeline("T0001", stack.record_id("Jane Doe"))
    mine = [e for e in entries if e.meeting_id == meeting["id"]]
    assert mine and mine[0].data["host"] == TEAMMATE and mine[0].data["organizer"] == HOST
    cal.store.disconnect(TEAM, TEAMMATE)
    for user in (HOST, TEAMMATE):
        assert stack.cli("users", "set", user, "--team", TEAM, "--seat", "none").returncode == 0
