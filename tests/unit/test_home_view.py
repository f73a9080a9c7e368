"""App Home as a member and as an admin reads it: what each can do, set-up hints for
admins only, upcoming meetings with whom and where, and nothing untrue for a newcomer.
Every view is checked against the Block Kit schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.views.calendar_views import CalendarHome, calendar_section
from bot.views.home import home_view
from handlers.i18n import translator
from handlers.meetings import Attendee, AttendeeKind, Location, LocationKind
from tests.fakes import a_meeting
from tests.support.blockkit import validate_home

START = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
NO_SIGN_IN = "Google and Microsoft 365 sign-in need `GOOGLE_CLIENT_ID`/`GOOGLE_CLIENT_SECRET` set by an admin."


def home(admin: bool, **calendar: Any) -> dict[str, Any]:
    upcoming = a_meeting(
        START,
        host_id="U1",
        location=Location(LocationKind.PHONE, "+48 22 123 45 67"),
        attendees=[Attendee(AttendeeKind.CONTACT, "Zofia Żółć", "zofia@acme.example", record_id=3)],
    )
    section = calendar_section(CalendarHome(admin=admin, **calendar), t=translator("en"))
    view = home_view("U1", [upcoming], extra_blocks=section, is_admin=admin)
    validate_home(view)
    return view


@pytest.mark.parametrize("admin", [False, True])
def test_setup_hints_are_for_admins_members_see_what_they_can_do(admin: bool) -> None:
    view = json.dumps(home(admin, provider="caldav", oauth_hint=NO_SIGN_IN))
    assert ("GOOGLE_CLIENT_ID" in view) is admin
    assert "calendar_connect_caldav" in view and "calendar_email_only" in view  # both can
    assert ("admin_open" in view) is admin


@pytest.mark.parametrize("admin", [False, True])
def test_without_secret_key_a_member_is_told_it_is_not_set_up_an_admin_what_to_set(
    admin: bool,
) -> None:
    view = json.dumps(home(admin, can_store=False))
    assert ("SECRET_KEY" in view) is admin
    assert ("not set up in this workspace yet" in view) is not admin


def test_an_upcoming_meeting_says_with_whom_and_where() -> None:
    blocks = {b["block_id"]: b for b in home(False)["blocks"]}
    line = blocks["up_7"]["text"]["text"]
    assert line.startswith("*Demo*\n")
    assert "With: Zofia Żółć" in line and "Where: Phone call: +48 22 123 45 67" in line


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_newcomers_home_claims_no_meetings_they_never_hosted(language: str) -> None:
    view = home_view("U9", t=translator(language))
    validate_home(view)
    text = json.dumps(view, ensure_ascii=False)
    assert "every meeting you hosted" not in text and "każde prowadzone" not in text
    waiting = {b["block_id"]: b for b in view["blocks"]}["awaiting_none"]
    assert waiting["elements"][0]["text"].startswith(
        {"en": "Nothing is waiting for an outcome.", "pl": "Nic nie czeka na wynik."}[language]
    )
