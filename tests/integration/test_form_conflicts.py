"""The /meet form's calendar notice (`bot.availability.FreeBusyCheck`): busy times of the
host and of teammate attendees shown next to the time, free alternatives one click away,
and at Save the same check as warnings; a calendar that fails never blocks the form.

Real SQL storage and the real Google adapter against the fake Google Calendar server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.calendar_factory import CalendarConfig, ConnectedCalendars
from adapters.http_retry import RetryPolicy
from bot.availability import FreeBusyCheck
from bot.views.meet_modal import meet_form_view
from bot.views.meet_state import FormState, to_request
from handlers.calendars import CalendarEvent
from handlers.domain import UserProfile
from storage.calendar_connections import SqlCalendarConnections
from storage.crypto import SecretBox
from storage.db import make_engine, make_session_factory
from storage.users import SqlUserRepository
from storage.workspaces import SqlWorkspaceRepository
from tests.support.blockkit import validate_modal
from tests.support.calendar_fakes import FakeGoogleAccount
from tests.support.clock import MutableClock
from tests.support.server import SECRET_KEY

TEAM = "T0001"
HOST, BOB = "U1", "U2"
HOST_EMAIL = "anna@meetline.example"
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday
DAY = date(2026, 12, 3)  # Thursday; Warsaw is UTC+1
START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # 10:00 in Warsaw

FORM = FormState(
    timezone="Europe/Warsaw",
    key="idem-1",
    day=DAY,
    time="10:00",
    duration="45",
    attendees=(("u:U2", "@Bob"), ("c:7", "Jane Doe")),
    language="en",
)


@dataclass
class World:
    check: FreeBusyCheck
    google: FakeGoogleAccount


@pytest.fixture
def world(migrated_url: str) -> Iterator[World]:
    engine = make_engine(migrated_url)
    sessions = make_session_factory(engine)
    users = SqlUserRepository(sessions)
    users.save(
        UserProfile(TEAM, HOST, name="Anna Host", email=HOST_EMAIL, timezone="Europe/Warsaw")
    )
    users.save(
        UserProfile(
            TEAM, BOB, name="Bob Mate", email="bob@meetline.example", timezone="Europe/London"
        )
    )
    with FakeGoogleAccount(HOST_EMAIL) as google:
        config = CalendarConfig(
            google_client_id=google.client_id,
            google_client_secret=google.client_secret,
            google_api_url=google.url,
            policy=RetryPolicy(max_attempts=1, base_delay=0.0, max_delay=0.0),
            sleep=lambda seconds: None,
            interactive_timeout=5,
        )
        store = SqlCalendarConnections(sessions, SecretBox(SECRET_KEY))
        store.save_google(TEAM, HOST, json.dumps(google.authorized_user_info()), HOST_EMAIL)
        calendars = ConnectedCalendars(store, config)
        account = calendars.account(TEAM, HOST)
        assert account is not None
        busy = CalendarEvent(
            meeting_id=999, uid="busy-1@test", sequence=0, title="Dentist",
            start_utc=START - timedelta(minutes=30), end_utc=START + timedelta(minutes=30),
            organizer_email=HOST_EMAIL,
        )  # fmt: skip
        calendars.calendar(account).create_event(busy)
        google.add_busy(
            "bob@meetline.example", START + timedelta(minutes=30), START + timedelta(hours=1)
        )
        check = FreeBusyCheck(calendars, users, SqlWorkspaceRepository(sessions), MutableClock(NOW))
        yield World(check, google)
    engine.dispose()


def test_the_form_names_who_is_busy_and_offers_the_next_free_times(world: World) -> None:
    state = world.check.form(TEAM, HOST, FORM)
    assert state.conflicts == ("You are busy 09:30–10:30.", "Bob Mate is busy 10:30–11:00.")
    assert state.suggestions == (
        ("2026-12-03T11:00", "Thu 03 Dec 11:00"),
        ("2026-12-03T11:15", "Thu 03 Dec 11:15"),
        ("2026-12-03T11:30", "Thu 03 Dec 11:30"),
    )
    view = meet_form_view(state)
    validate_modal(view)
    (slots,) = [b for b in view["blocks"] if b["block_id"] == "conflict_slots"]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in slots["elements"]] == [
        ("use_slot_0", "2026-12-03T11:00", "Use Thu 03 Dec 11:00"),
        ("use_slot_1", "2026-12-03T11:15", "Use Thu 03 Dec 11:15"),
        ("use_slot_2", "2026-12-03T11:30", "Use Thu 03 Dec 11:30"),
    ]


def test_the_notice_and_the_buttons_speak_polish(world: World) -> None:
    state = world.check.form(TEAM, HOST, replace(FORM, language="pl"))
    assert state.conflicts == (
        "Masz wtedy zajęty kalendarz: 09:30–10:30.",
        "Bob Mate: kalendarz zajęty 10:30–11:00.",
    )
    assert state.suggestions[0] == ("2026-12-03T11:00", "czw. 3 gru 11:00")


def test_a_free_time_gets_no_notice(world: World) -> None:
    state = world.check.form(
        TEAM, HOST, replace(FORM, time="14:00", conflicts=("old",), suggestions=(("x", "y"),))
    )
    assert (state.conflicts, state.suggestions) == ((), ())


@pytest.mark.parametrize(
    "changes",
    [
        {"day": None},
        {"time": None},
        {"duration": "custom", "duration_custom": None},
        {"duration": "custom", "duration_custom": "forty"},
    ],
)
def test_an_incomplete_time_clears_the_notice(world: World, changes: dict[str, object]) -> None:
    stale = replace(
        FORM, conflicts=("You are busy 09:30–10:30.",), suggestions=(("2026-12-03T11:00", "Thu"),)
    )
    state = world.check.form(TEAM, HOST, replace(stale, **changes))  # type: ignore[arg-type]
    assert (state.conflicts, state.suggestions) == ((), ())


def test_a_custom_length_is_checked_too(world: World) -> None:
    state = world.check.form(
        TEAM, HOST, replace(FORM, time="10:35", duration="custom", duration_custom="40")
    )
    assert state.conflicts == ("Bob Mate is busy 10:30–11:00.",)


def test_save_rechecks_and_returns_the_conflicts_as_warnings(world: World) -> None:
    req = to_request(FORM, team_id=TEAM, user_id=HOST, phone_region=None)
    assert world.check(req) == ("You are busy 09:30–10:30.", "Bob Mate is busy 10:30–11:00.")
    assert world.check(replace(req, start_time=None)) == ()


def test_an_unreachable_calendar_never_blocks_the_form_or_the_save(world: World) -> None:
    world.google.stop()
    state = world.check.form(TEAM, HOST, FORM)
    assert (state.conflicts, state.suggestions) == (
        ("Could not read your calendar to check for conflicts.",),
        (),
    )
    req = to_request(FORM, team_id=TEAM, user_id=HOST, phone_region=None)
    assert world.check(req) == ("Could not read your calendar to check for conflicts.",)
