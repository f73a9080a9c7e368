"""`/meet next` over signed HTTP: the caller's own next meeting in their own workspace, in
their zone and language; never a teammate's meeting, never another workspace's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.domain import RecordKind, RecordRow, UserProfile
from handlers.i18n import translator
from handlers.meetings import Attendee, Location, LocationKind, Meeting, NewMeeting
from tests.support.blockkit import validate_blocks
from tests.support.stack import HOST, TEAMMATE, Stack

TEAM, OTHER_TEAM = "T0001", "T0002"


def store_meeting(
    stack: Stack,
    title: str,
    starts_in: timedelta,
    *,
    team: str = TEAM,
    host: str = HOST,
    join_url: str | None = None,
    attendees: tuple[Attendee, ...] = (),
) -> Meeting:
    """A booked meeting, written through the repositories the served app reads."""
    records = stack.services.records
    found = records.search(team, "Jane", limit=1)
    if not found:
        records.import_rows(
            team, [RecordRow(1, RecordKind.CONTACT, "jane", "Jane Elsewhere", None, None, None)]
        )
        found = records.search(team, "Jane", limit=1)
    start = (datetime.now(UTC) + starts_in).replace(second=0, microsecond=0)
    new = NewMeeting(
        team_id=team,
        idempotency_key=uuid.uuid4().hex,
        uid=f"{uuid.uuid4().hex}@meetline",
        title=title,
        start_utc=start,
        end_utc=start + timedelta(minutes=30),
        timezone="America/New_York",
        duration_minutes=30,
        location=Location(LocationKind.VIDEO, "", "google_meet"),
        host_id=host,
        organizer_id=host,
        record_id=found[0].id,
        attendees=attendees,
        record_ids=(found[0].id,),
        reminders=(),
    )
    meeting, _ = stack.services.meetings.create(new, lambda _: [], [])
    if join_url:
        stack.services.meetings.set_calendar_event(team, meeting.id, "google", "evt1", join_url)
    return meeting


def test_next_shows_only_my_own_meeting_in_my_zone(stack: Stack) -> None:
    stack.services.users.save(UserProfile(TEAM, HOST, name="Anna Host", timezone="Europe/Warsaw"))
    mine = store_meeting(
        stack, "Anna's pricing call", timedelta(days=2), join_url="https://meet.example/anna"
    )
    store_meeting(stack, "Bob's own call", timedelta(hours=2), host=TEAMMATE)
    store_meeting(stack, "Another workspace's call", timedelta(hours=1), team=OTHER_TEAM)

    reply = stack.client.command("next", user_id=HOST).json()

    assert reply["response_type"] == "ephemeral"
    validate_blocks(reply["blocks"])
    lines = reply["blocks"][0]["text"]["text"].splitlines()
    assert lines[0] == "*Anna's pricing call*"
    en, warsaw = translator("en"), ZoneInfo("Europe/Warsaw")
    when = (
        f"{en.format_date(mine.start_utc, warsaw, 'full')}, {en.format_time(mine.start_utc, warsaw)}"
        f"–{en.format_time(mine.end_utc, warsaw)} (Europe/Warsaw)"
    )
    assert lines[1] == " ".join(when.split())  # Babel's narrow spaces read as spaces
    assert "Google Meet: https://meet.example/anna" in lines[-1]
    assert "Bob" not in str(reply) and "Another workspace" not in str(reply)


def test_nothing_coming_up_in_polish(stack: Stack) -> None:
    store_meeting(stack, "Bob's own call", timedelta(hours=2), host=TEAMMATE)
    store_meeting(stack, "Another workspace's call", timedelta(hours=1), team=OTHER_TEAM)
    stack.services.users.save(UserProfile(TEAM, HOST, name="Anna Host", locale="pl-PL"))

    for alias in ("następne", "nastepne", "NEXT"):
        reply = stack.client.command(alias, user_id=HOST).json()
        assert reply["response_type"] == "ephemeral"
        assert (
            reply["text"]
            == "Brak nadchodzących spotkań. Uruchom `/meet`, aby zaplanować spotkanie."
        )
        validate_blocks(reply["blocks"])
    help_text = stack.client.command("pomoc", user_id=HOST).json()["text"]
    assert "*/meet następne*" in help_text
