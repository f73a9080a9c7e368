"""The host's Google calendar answers 500, then 429, then not at all (timeouts, with
the event created behind the client's back) for a while: the worker keeps the
meeting's calendar job until Google answers, and in the end there is one event, one
set of invitations (Google's, sent with the one successful insert), every reminder
once and one outcome prompt.

In-process: the real use case, storage, job worker and adapters against the fake
Google (tests/support/fake_google.py via calendar_fakes) and the stack's fake Slack and
SMTP sink; the calendar client's timeout is 1 s and its own retries are immediate.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import time as wall_time
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from sqlalchemy import select

from adapters.calendar_factory import CalendarConfig, ConnectedCalendars
from adapters.http_retry import RetryPolicy
from bot.services import Services
from bot.wiring import build_worker
from handlers.jobs import JobKind
from handlers.meetings import AttendeeKind, AttendeeRef, MeetingRequest, ReminderSpec, ReminderUnit
from handlers.scheduling import Scheduled, ScheduleMeeting
from storage.calendar_connections import SqlCalendarConnections
from storage.crypto import SecretBox
from storage.models import JobModel
from tests.drills.helpers import at_least, invitations, outcome_prompts, reminders
from tests.support.calendar_fakes import FakeGoogleAccount
from tests.support.server import SECRET_KEY
from tests.support.stack import HOST, Stack

HOST_EMAIL = "anna@meetline.example"


class UnreliableGoogle(FakeGoogleAccount):
    """The fake Google, plus `hang_next`: the next inserts are carried out only after
    the client has given up waiting (a timeout whose request did reach Google)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hangs = 0
        self.hang_seconds = 1.6

    def hang_next(self, count: int) -> None:
        with self.lock:
            self._hangs += count

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.command == "POST" and handler.path.split("?")[0].endswith("/events"):
            with self.lock:
                hang, self._hangs = self._hangs > 0, max(self._hangs - 1, 0)
            if hang:
                time.sleep(self.hang_seconds)
        super()._dispatch(handler)


@pytest.fixture
def google() -> Iterator[UnreliableGoogle]:
    with UnreliableGoogle(HOST_EMAIL) as fake:
        yield fake


def calendar_services(stack: Stack, google: UnreliableGoogle) -> Services:
    config = CalendarConfig(
        google_client_id=google.client_id,
        google_client_secret=google.client_secret,
        google_api_url=google.url,
        policy=RetryPolicy(max_attempts=2, base_delay=0, max_delay=0),
        sleep=lambda seconds: None,
        timeout=1.0,
        interactive_timeout=1.0,
    )
    connections = SqlCalendarConnections(stack.services.sessions, SecretBox(SECRET_KEY))
    calendars = ConnectedCalendars(connections, config)
    return replace(
        stack.services,
        calendars=calendars,
        connections=connections,
        conferencing=calendars.conferencing(),
    )


def schedule(services: Services, stack: Stack, title: str) -> int:
    jane = stack.record_id("Jane Doe")
    zofia = stack.record_id("Zofia Żółć")
    day = (stack.clock.now() + timedelta(days=3)).date()
    request = MeetingRequest(
        idempotency_key=f"drill-calendar-{time.time_ns()}",
        team_id="T0001",
        organizer_id=HOST,
        host_id=HOST,
        timezone="Europe/Warsaw",
        record_id=jane,
        title=title,
        day=day,
        start_time=wall_time(10, 0),
        duration_minutes=30,
        attendees=(
            AttendeeRef(AttendeeKind.CONTACT, str(jane)),
            AttendeeRef(AttendeeKind.CONTACT, str(zofia)),
        ),
        reminders=(ReminderSpec(1, ReminderUnit.HOURS),),
    )
    result = ScheduleMeeting(
        services.uow, services.people, services.clock, calendars=services.calendars
    )(request)
    assert isinstance(result, Scheduled), result
    return result.meeting.id


def calendar_job(stack: Stack, meeting_id: int) -> JobModel:
    with stack.services.sessions() as session:
        return session.scalars(
            select(JobModel).where(
                JobModel.meeting_id == meeting_id, JobModel.kind == JobKind.CALENDAR_CREATE
            )
        ).one()


def run(
    services: Services, stack: Stack, rounds: int = 1, step: timedelta = timedelta(minutes=5)
) -> None:
    for _ in range(rounds):
        stack.clock.set(max(stack.clock.now(), datetime.now().astimezone()))
        build_worker(services).run_once()
        stack.clock.advance(seconds=step.total_seconds())


def test_google_500_429_and_timeouts_end_in_one_event_one_invitation_each_and_every_reminder_once(
    stack: Stack, google: UnreliableGoogle
) -> None:
    services = calendar_services(stack, google)
    services.connections.save_google(
        "T0001", HOST, json.dumps(google.authorized_user_info()), HOST_EMAIL
    )
    title = "Drill calendar outage"
    google.fail_next(3, 500, path_contains="/events")
    google.fail_next(2, 429, retry_after="0", path_contains="/events")
    google.hang_next(3)
    meeting_id = schedule(services, stack, title)

    attempts = []
    for _ in range(10):
        run(services, stack)
        job = calendar_job(stack, meeting_id)
        attempts.append(job.attempts)
        if job.status != "queued":
            break
    job = calendar_job(stack, meeting_id)
    assert job.status == "done", (job.status, job.attempts, job.last_error)
    assert job.attempts >= 3  # it did fail for a while
    time.sleep(
        google.hang_seconds + 0.2
    )  # the last hung insert lands at Google after the client gave up

    (event,) = google.user_events()
    assert sorted(a["email"] for a in event["attendees"]) == [
        "jane@acme.example",
        "zofia@acme.example",
    ]
    inserts = google.calls("POST", "/events")
    assert len(inserts) >= 6 and all(r.query.get("sendUpdates") == "all" for r in inserts)
    created = [r for r in inserts if r.status == 200]
    assert len(created) == 1  # Google mailed its invitations with this one insert only
    stored = stack.services.meetings.get("T0001", meeting_id)
    assert (
        stored is not None
        and stored.calendar_provider == "google"
        and stored.calendar_event_id == event["id"]
    )
    assert invitations(stack, title) == {}  # Google sends them; ours would be doubles

    assert stored is not None
    at_least(stack, stored.start_utc - timedelta(minutes=59))
    run(services, stack, rounds=2)
    assert reminders(stack, title) == {"jane@acme.example": 1, "zofia@acme.example": 1}
    at_least(stack, stored.end_utc + timedelta(minutes=1))
    run(services, stack, rounds=2)
    assert len(outcome_prompts(stack, meeting_id)) == 1
    assert len(google.user_events()) == 1
