"""Calendar booking, sync, free/busy and connecting, in-process: the real use cases and
SQL storage against the fake Google / Graph / Zoom servers and a real Radicale."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import msal
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from caldav.davclient import DAVClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.calendar_factory import CalendarConfig, ConnectedCalendars
from adapters.http_retry import RetryPolicy
from bot.calendar_oauth import CalendarOAuth, start_link
from bot.settings import Settings
from handlers.availability import Availability
from handlers.calendar_booking import CalendarBooking
from handlers.calendar_sync import CalendarSync, as_new_meeting
from handlers.calendars import CalendarEvent
from handlers.domain import UserProfile
from handlers.jobs import ClaimedJob, JobKind
from handlers.meetings import (
    AttendeeKind,
    AttendeeRef,
    Location,
    LocationKind,
    Meeting,
    MeetingRequest,
    MeetingUpdate,
)
from handlers.records_csv import import_records
from handlers.scheduling import Scheduled, ScheduleMeeting
from handlers.worker import RunStats, Worker
from storage.calendar_connections import SqlCalendarConnections
from storage.calendar_models import CalendarConnectionModel
from storage.crypto import SecretBox
from storage.db import make_engine, make_session_factory
from storage.jobs import SqlJobQueue
from storage.meetings import SqlMeetingRepository
from storage.models import Base, JobModel, TimelineEntryModel
from storage.records import SqlRecordRepository
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.support.calendar_fakes import FakeGoogleAccount, FakeGraphDelta
from tests.support.clock import MutableClock
from tests.support.fake_google import rfc3339
from tests.support.fake_zoom import FakeZoom
from tests.support.radicale_server import RadicaleServer
from tests.support.server import SECRET_KEY
from tests.support.wsgi_call import browse

TEAM = "T0001"
HOST = "U1"
BOB = "U2"
HOST_EMAIL = "anna@meetline.example"
SECRET = SECRET_KEY
RECORDS = """type,id,name,email,phone,timezone,associations
contact,jane,Jane Doe,jane@acme.example,,America/New_York,
contact,john,John Nomail,,+48 600 100 200,Europe/Warsaw,
"""
FAST = RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0)


@dataclass
class Recorder:
    dms: list[tuple[str, str]] = field(default_factory=list)
    disconnected: list[tuple[str, str]] = field(default_factory=list)

    def notify_user(self, team_id: str, user_id: str, text: str) -> None:
        self.dms.append((user_id, text))

    def calendar_disconnected(self, team_id: str, user_id: str, provider: str) -> None:
        self.disconnected.append((user_id, provider))


class People:
    def __init__(self) -> None:
        self.users = {
            HOST: UserProfile(
                TEAM, HOST, name="Anna Host", email=HOST_EMAIL, timezone="Europe/Warsaw"
            ),
            BOB: UserProfile(
                TEAM, BOB, name="Bob Mate", email="bob@meetline.example", timezone="Europe/London"
            ),
        }

    def user(self, team_id: str, user_id: str) -> UserProfile | None:
        return self.users.get(user_id)


@dataclass
class World:
    sessions: sessionmaker[Session]
    store: SqlCalendarConnections
    calendars: ConnectedCalendars
    meetings: SqlMeetingRepository
    jobs: SqlJobQueue
    records: SqlRecordRepository
    clock: MutableClock
    people: People
    notes: Recorder
    google: FakeGoogleAccount
    zoom: FakeZoom
    handled: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def booking(self) -> CalendarBooking:
        return CalendarBooking(
            self.meetings,
            self.people,
            self.jobs,
            self.clock,
            self.calendars,
            conferencing=self.calendars.conferencing(),
            notifier=self.notes,
            mail_from="meetline@meetline.example",
        )

    def sync(self) -> CalendarSync:
        return CalendarSync(
            self.calendars,
            self.meetings,
            self.jobs,
            self.clock,
            notifier=self.notes,
            conferencing=self.calendars.conferencing(),
        )

    def book(
        self,
        *,
        location: Location | None = None,
        teammate: bool = False,
        day_offset: int = 3,
        at: time = time(10, 0),
        key: str | None = None,
    ) -> Meeting:
        jane = self.records.search(TEAM, "Jane Doe", limit=1)[0]
        john = self.records.search(TEAM, "John Nomail", limit=1)[0]
        refs = [
            AttendeeRef(AttendeeKind.CONTACT, str(jane.id)),
            AttendeeRef(AttendeeKind.CONTACT, str(john.id)),
        ]
        if teammate:
            refs.append(AttendeeRef(AttendeeKind.USER, BOB))
        day = (self.clock.now() + timedelta(days=day_offset)).date()
        request = MeetingRequest(
            idempotency_key=key or f"k-{len(self.meetings.list_meetings(TEAM))}",
            team_id=TEAM,
            organizer_id=HOST,
            host_id=HOST,
            timezone="Europe/Warsaw",
            record_id=jane.id,
            title="Demo for Acme",
            day=day,
            start_time=at,
            duration_minutes=45,
            attendees=tuple(refs),
            location=location or Location(),
            description="Agenda: pricing",
        )
        result = ScheduleMeeting(
            SqlUnitOfWorkFactory(self.sessions), self.people, self.clock, calendars=self.calendars
        )(request)
        assert isinstance(result, Scheduled), result
        return result.meeting

    def run(self) -> RunStats:
        booking, sync = self.booking(), self.sync()

        def record(job: Any) -> None:
            self.handled.append((job.kind, dict(job.payload)))

        handlers: dict[str, Callable[[Any], None]] = {
            JobKind.CALENDAR_CREATE: booking.calendar_create,
            JobKind.CALENDAR_UPDATE: booking.calendar_update,
            JobKind.CALENDAR_CANCEL: booking.calendar_cancel,
            JobKind.CALENDAR_SYNC: sync.sync,
            JobKind.INVITE: record,
            JobKind.MENTION: record,
        }
        return Worker(
            self.jobs, handlers, self.clock, on_final_failure=booking.on_final_failure
        ).run_once()

    def invited(self, meeting_id: int) -> list[tuple[str, int, str]]:
        return sorted(
            (p["email"], p["sequence"], p.get("method", "REQUEST"))
            for k, p in self.handled
            if k == JobKind.INVITE and p["meeting_id"] == meeting_id
        )

    def connect_google(self) -> None:
        self.store.save_google(
            TEAM, HOST, json.dumps(self.google.authorized_user_info()), HOST_EMAIL
        )

    def timeline_kinds(self, meeting_id: int) -> list[str]:
        with self.sessions() as session:
            return [
                e.kind
                for e in session.scalars(
                    select(TimelineEntryModel).where(TimelineEntryModel.meeting_id == meeting_id)
                )
            ]


@pytest.fixture
def world(migrated_url: str) -> Iterator[World]:
    """On SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set (root conftest)."""
    engine = make_engine(migrated_url)
    sessions = make_session_factory(engine)
    with FakeGoogleAccount(HOST_EMAIL) as google, FakeZoom(users=(HOST_EMAIL,)) as zoom:
        config = CalendarConfig(
            google_client_id=google.client_id,
            google_client_secret=google.client_secret,
            google_api_url=google.url,
            zoom_account_id=zoom.account_id,
            zoom_client_id=zoom.client_id,
            zoom_client_secret=zoom.client_secret,
            zoom_api_url=zoom.api_url,
            policy=FAST,
            sleep=lambda seconds: None,
            interactive_timeout=5,
        )
        store = SqlCalendarConnections(sessions, SecretBox(SECRET))
        records = SqlRecordRepository(sessions)
        import_records(records, TEAM, RECORDS)
        yield World(
            sessions,
            store,
            ConnectedCalendars(store, config),
            SqlMeetingRepository(sessions),
            SqlJobQueue(sessions, engine.dialect.name),
            records,
            MutableClock(datetime.now(UTC)),
            People(),
            Recorder(),
            google,
            zoom,
        )
    engine.dispose()


# --------------------------------------------------------------------------- schema


def _schema_drift(url: str) -> list[Any]:
    import storage.calendar_models  # noqa: F401  (the tables under test)

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
    finally:
        engine.dispose()
    mine = ("calendar_connections", "calendar_oauth_flows")
    return [d for d in diff if any(t in repr(d) for t in mine)]


def test_the_migration_creates_the_calendar_tables_as_modelled(migrated_url: str) -> None:
    assert _schema_drift(migrated_url) == []


def test_credentials_are_stored_encrypted(world: World) -> None:
    world.connect_google()
    with world.sessions() as session:
        row = session.scalars(select(CalendarConnectionModel)).one()
    assert (
        row.credentials and row.credentials.startswith("enc1:") and "refresh" not in row.credentials
    )
    info = world.store.connection_for(TEAM, HOST)
    assert info is not None and info.provider == "google" and info.sends_invitations and info.active


# --------------------------------------------------------------------------- booking


def test_google_meet_booking_creates_one_event_and_no_invitations_of_ours(world: World) -> None:
    world.connect_google()
    meeting = world.book(location=Location(LocationKind.VIDEO, provider="google_meet"))
    world.run()
    (event,) = world.google.user_events()
    assert event["summary"] == "Demo for Acme" and event["description"] == "Agenda: pricing"
    assert [a["email"] for a in event["attendees"]] == ["jane@acme.example"]  # John has no email
    assert event["extendedProperties"]["private"]["meetline_id"] == str(meeting.id)
    insert = world.google.calls("POST", "/events")[0]
    assert insert.query["sendUpdates"] == "all" and insert.query["conferenceDataVersion"] == "1"
    stored = world.meetings.get(TEAM, meeting.id)
    assert stored is not None and stored.calendar_provider == "google"
    assert stored.calendar_event_url == event["htmlLink"]  # the CRM's copy links to it
    assert stored.join_url == event["hangoutLink"] and (stored.join_url or "").startswith(
        "https://meet.google.com/"
    )
    assert world.invited(meeting.id) == []  # Google mails the attendees itself
    assert world.notes.dms == [(HOST, f"Google Meet link for “Demo for Acme”: {stored.join_url}")]
    # The job again (a crash after the insert): still one event, one Meet link.
    world.booking().calendar_create(_job(JobKind.CALENDAR_CREATE, {"meeting_id": meeting.id}))
    assert len(world.google.user_events()) == 1 and world.google.meet_links_created == 1


def test_throttling_and_server_errors_are_retried_until_the_event_exists(world: World) -> None:
    world.connect_google()
    world.google.fail_next(1, 429, retry_after="0", path_contains="/events")
    meeting = world.book()
    assert world.run().done >= 1
    assert len(world.google.user_events()) == 1
    world.google.fail_next(
        2, 503, path_contains="/events"
    )  # both in-process attempts of the policy
    second = world.book(day_offset=4)
    stats = world.run()
    assert stats.retried == 1 and len(world.google.user_events()) == 1
    world.clock.advance(minutes=1)
    world.run()
    assert len(world.google.user_events()) == 2
    assert {
        m.calendar_provider
        for m in (world.meetings.get(TEAM, meeting.id), world.meetings.get(TEAM, second.id))
        if m
    } == {"google"}


def test_a_calendar_down_for_good_falls_back_to_email_invitations(world: World) -> None:
    world.connect_google()
    world.google.stop()
    meeting = world.book()
    for _ in range(8):
        world.run()
        world.clock.advance(hours=2)
    with world.sessions() as session:
        job = session.scalars(
            select(JobModel).where(JobModel.kind == JobKind.CALENDAR_CREATE)
        ).one()
        assert (
            job.status == "failed" and job.attempts == 8 and "unavailable" in (job.last_error or "")
        )
    assert world.invited(meeting.id) == [
        ("anna@meetline.example", 0, "REQUEST"),
        ("jane@acme.example", 0, "REQUEST"),
    ]
    assert world.meetings.get(TEAM, meeting.id) is not None  # the meeting is kept


def test_a_revoked_google_token_reconnect_dm_and_email_invitations(world: World) -> None:
    world.google.authorized_user_info()
    world.store.save_google(
        TEAM, HOST, json.dumps(world.google.authorized_user_info(expired=True)), HOST_EMAIL
    )
    world.google.revoke()
    meeting = world.book()
    world.run()
    assert world.notes.disconnected == [(HOST, "google")]
    info = world.store.connection_for(TEAM, HOST)
    assert info is not None and not info.active
    assert world.invited(meeting.id) == [
        ("anna@meetline.example", 0, "REQUEST"),
        ("jane@acme.example", 0, "REQUEST"),
    ]
    # The next booking does not even try the calendar (and does not DM again).
    world.book(day_offset=5)
    world.run()
    assert world.notes.disconnected == [(HOST, "google")]


def test_zoom_without_a_calendar_stores_the_link_before_anything_else(world: World) -> None:
    meeting = world.book(location=Location(LocationKind.VIDEO, provider="zoom"))
    world.google.stop()  # irrelevant: no calendar is connected
    world.run()
    (zoom_meeting,) = world.zoom.meetings.values()
    assert zoom_meeting["host_email"] == HOST_EMAIL and zoom_meeting["duration"] == 45
    stored = world.meetings.get(TEAM, meeting.id)
    assert stored is not None and stored.join_url == zoom_meeting["join_url"]
    assert stored.calendar_provider == "zoom" and stored.calendar_event_id == str(
        zoom_meeting["id"]
    )
    assert world.invited(meeting.id) == [
        ("anna@meetline.example", 0, "REQUEST"),
        ("jane@acme.example", 0, "REQUEST"),
    ]
    world.booking().calendar_create(_job(JobKind.CALENDAR_CREATE, {"meeting_id": meeting.id}))
    assert len(world.zoom.meetings) == 1


def test_zoom_link_survives_a_calendar_retry_without_a_second_zoom_meeting(world: World) -> None:
    world.connect_google()
    world.google.fail_next(2, 500, path_contains="/events")
    meeting = world.book(location=Location(LocationKind.VIDEO, provider="zoom"))
    assert world.run().retried == 1
    world.clock.advance(minutes=1)
    world.run()
    assert len(world.zoom.meetings) == 1
    (event,) = world.google.user_events()
    join_url = next(iter(world.zoom.meetings.values()))["join_url"]
    assert event["location"] == join_url and join_url in event["description"]
    stored = world.meetings.get(TEAM, meeting.id)
    assert (
        stored is not None and stored.calendar_provider == "google" and stored.join_url == join_url
    )


def test_update_and_cancel_follow_an_edit(world: World) -> None:
    world.connect_google()
    meeting = world.book(location=Location(LocationKind.VIDEO, provider="zoom"))
    world.run()
    stored = world.meetings.get(TEAM, meeting.id)
    assert stored is not None and stored.calendar_event_id
    moved = stored.start_utc + timedelta(hours=2)
    world.meetings.update(
        MeetingUpdate(
            meeting.id, as_new_meeting(stored, moved, moved + timedelta(minutes=45), ()), 1
        ),
        [],
        (),
        [],
    )
    booking = world.booking()
    booking.calendar_update(
        _job(JobKind.CALENDAR_UPDATE, {"meeting_id": meeting.id, "sequence": 1})
    )
    (event,) = world.google.user_events()
    assert event["start"]["dateTime"] == rfc3339(moved)
    after = world.meetings.get(TEAM, meeting.id)
    assert after is not None and after.calendar_event_url == event["htmlLink"]
    zoom_meeting = next(iter(world.zoom.meetings.values()))
    assert zoom_meeting["start_time"] == rfc3339(moved)
    booking.calendar_cancel(
        _job(JobKind.CALENDAR_CANCEL, {"meeting_id": meeting.id, "sequence": 2})
    )
    assert world.google.user_events() == [] and world.zoom.meetings == {}


def test_caldav_host_gets_the_event_and_attendees_get_our_invitation(
    world: World, tmp_path: Path
) -> None:
    with RadicaleServer(tmp_path / "dav", users={HOST_EMAIL: "s3cret"}) as dav:
        dav.make_calendar(HOST_EMAIL, "s3cret", "Work")
        world.calendars.config = replace(
            world.calendars.config, outbound=dav.policy
        )  # CALDAV_ALLOW_HOSTS
        world.store.save_caldav(
            TEAM,
            HOST,
            url=dav.url,
            username=HOST_EMAIL,
            password="s3cret",
            calendar=None,
            email=HOST_EMAIL,
        )
        meeting = world.book()
        world.run()
        with DAVClient(dav.url, username=HOST_EMAIL, password="s3cret") as client:
            (stored_event,) = client.principal().calendars()[0].events()
        vevent = stored_event.icalendar_instance.walk("VEVENT")[0]
        assert str(vevent["UID"]) == meeting.uid and str(vevent["SUMMARY"]) == "Demo for Acme"
        # The event is in the host's own calendar: only the attendees need our .ics.
        assert world.invited(meeting.id) == [("jane@acme.example", 0, "REQUEST")]

        # The host moves it in their calendar app: sync moves the meeting and re-invites.
        later = meeting.start_utc + timedelta(days=1)
        cal = icalendar.Calendar.from_ical(stored_event.data)
        event = cal.walk("VEVENT")[0]
        del event["DTSTART"], event["DTEND"]
        event.add("dtstart", later)
        event.add("dtend", later + timedelta(minutes=45))
        event["SEQUENCE"] = 1
        stored_event.data = cal.to_ical().decode()
        stored_event.save(increase_seqno=False)
        world.handled.clear()
        world.sync().sync(_job(JobKind.CALENDAR_SYNC, {"connection_id": _connection_id(world)}))
        world.run()
        moved = world.meetings.get(TEAM, meeting.id)
        assert moved is not None and moved.start_utc == later and moved.sequence == 1
        assert world.invited(meeting.id) == [("jane@acme.example", 1, "REQUEST")]
        assert "calendar_changed" in world.timeline_kinds(meeting.id)
        # Unchanged since (same ctag): the next sync reads nothing and changes nothing.
        world.sync().sync(_job(JobKind.CALENDAR_SYNC, {"connection_id": _connection_id(world)}))
        assert world.meetings.get(TEAM, meeting.id).sequence == 1  # type: ignore[union-attr]


def test_google_sync_moves_and_cancels_meetings_and_recovers_from_an_expired_token(
    world: World,
) -> None:
    world.connect_google()
    meeting = world.book()
    other = world.book(day_offset=6)
    world.run()
    stored = world.meetings.get(TEAM, meeting.id)
    assert stored is not None and stored.calendar_event_id
    assert world.sync().schedule_due() == 1
    world.run()  # first sync: a full listing, nothing to change
    assert world.store.account(TEAM, HOST).sync_state  # type: ignore[union-attr]
    later = stored.start_utc + timedelta(hours=3)
    world.google.user_moves(stored.calendar_event_id, later, later + timedelta(minutes=30))
    world.google.expire_sync_tokens()
    world.sync().sync(_job(JobKind.CALENDAR_SYNC, {"connection_id": _connection_id(world)}))
    moved = world.meetings.get(TEAM, meeting.id)
    assert moved is not None and (moved.start_utc, moved.end_utc) == (
        later,
        later + timedelta(minutes=30),
    )
    assert moved.sequence == 0  # Google told the attendees; our SEQUENCE is for our own mails
    assert "calendar_changed" in world.timeline_kinds(meeting.id)
    with world.sessions() as session:
        outcome = session.scalars(
            select(JobModel).where(
                JobModel.kind == JobKind.OUTCOME,
                JobModel.meeting_id == meeting.id,
                JobModel.status == "queued",
            )
        ).one()
        assert outcome.run_at == later + timedelta(minutes=30)
    gone = world.meetings.get(TEAM, other.id)
    assert gone is not None and gone.calendar_event_id
    world.google.user_deletes(gone.calendar_event_id)
    world.sync().sync(_job(JobKind.CALENDAR_SYNC, {"connection_id": _connection_id(world)}))
    cancelled = world.meetings.get(TEAM, other.id)
    assert (
        cancelled is not None
        and cancelled.status == "cancelled"
        and cancelled.outcome == "CANCELED"
    )
    assert any("syncToken" in call for call in world.google.list_calls)


def test_graph_delta_sync_moves_a_meeting(world: World) -> None:
    with FakeGraphDelta(user_email=HOST_EMAIL) as graph:
        world.calendars.config = CalendarConfig(
            ms_client_id=graph.client_id,
            ms_client_secret=graph.client_secret,
            ms_tenant_id=graph.tenant_id,
            graph_api_url=graph.graph_url,
            msal_http_client=graph.msal_http(),
            policy=FAST,
            sleep=lambda seconds: None,
        )
        cache = _msal_cache(graph)
        world.store.save_microsoft(TEAM, HOST, cache, HOST_EMAIL)
        meeting = world.book(location=Location(LocationKind.VIDEO, provider="teams"))
        world.run()
        stored = world.meetings.get(TEAM, meeting.id)
        assert (
            stored is not None
            and stored.calendar_provider == "microsoft"
            and stored.calendar_event_id
        )
        assert world.invited(meeting.id) == []
        sync = world.sync()
        job = _job(JobKind.CALENDAR_SYNC, {"connection_id": _connection_id(world)})
        sync.sync(job)
        later = stored.start_utc + timedelta(hours=1)
        graph.user_moves(stored.calendar_event_id, later, later + timedelta(minutes=45))
        sync.sync(job)
        moved = world.meetings.get(TEAM, meeting.id)
        assert moved is not None and moved.start_utc == later


def test_free_busy_names_conflicts_and_suggests_free_times(world: World) -> None:
    world.connect_google()
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date()
    start = datetime.combine(tomorrow, time(10, 0), tzinfo=UTC).astimezone(UTC)
    world.google.add_busy("bob@meetline.example", start, start + timedelta(minutes=30))
    # The host's own calendar holds an event at the same time.
    world.calendars.calendar(world.calendars.account(TEAM, HOST)).create_event(  # type: ignore[arg-type]
        _event(start - timedelta(minutes=30), start + timedelta(minutes=60))
    )
    availability = Availability(world.calendars, world.people, world.clock)
    warnings = availability.conflicts(
        TEAM, HOST, [BOB, "U404"], start, start + timedelta(minutes=45)
    )
    local = start.astimezone(ZoneInfo("Europe/Warsaw"))
    assert warnings == [
        f"You are busy {(local - timedelta(minutes=30)):%H:%M}–{(local + timedelta(minutes=60)):%H:%M}.",
        f"Bob Mate is busy {local:%H:%M}–{(local + timedelta(minutes=30)):%H:%M}.",
    ]
    slots = availability.suggest_slots(
        TEAM, HOST, [BOB], start, start + timedelta(minutes=45), (time(9), time(17))
    )
    assert slots and all(
        not (
            s < start + timedelta(minutes=60)
            and start - timedelta(minutes=30) < s + timedelta(minutes=45)
        )
        for s in slots
    )
    world.google.stop()
    assert availability.conflicts(TEAM, HOST, [], start, start + timedelta(minutes=45)) == [
        "Could not read your calendar to check for conflicts."
    ]


# --------------------------------------------------------------------------- connecting


def _settings(world: World, **extra: Any) -> Settings:
    return Settings(
        SECRET_KEY=SECRET,
        PUBLIC_URL="https://meetline.test",
        GOOGLE_CLIENT_ID=world.google.client_id,
        GOOGLE_CLIENT_SECRET=world.google.client_secret,
        GOOGLE_API_URL=world.google.url,
        **extra,
    )


def test_google_sign_in_stores_the_tokens_and_tells_the_user(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake token endpoint is plain http
    settings = _settings(world)
    connected: list[tuple[str, str, str, str | None]] = []
    app = CalendarOAuth(
        settings,
        world.store,
        world.calendars,
        world.clock,
        on_connected=lambda *a: connected.append(a),
        email_of=lambda team, user: HOST_EMAIL.upper(),
    )  # addresses match case-insensitively
    link = start_link(settings, "google", TEAM, HOST, world.clock.now())
    assert link is not None
    status, headers, _ = browse(app, link)
    assert status.startswith("302")
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    code, state = world.google.issue_code(headers["Location"])
    scopes = parse_qs(urlsplit(headers["Location"]).query)["scope"][0].split()
    assert "https://www.googleapis.com/auth/calendar.events" in scopes
    status, _, page = browse(
        app, f"https://meetline.test/oauth/google/callback?state={state}&code={code}", cookie=cookie
    )
    assert status.startswith("200") and "connected" in page
    assert connected == [(TEAM, HOST, "google", HOST_EMAIL)]
    # The stored credentials work (refresh through the fake's token endpoint).
    world.book()
    world.run()
    assert len(world.google.user_events()) == 1
    # The state is one-time, and an old link expires.
    status, _, _ = browse(
        app, f"https://meetline.test/oauth/google/callback?state={state}&code={code}", cookie=cookie
    )
    assert status.startswith("400")
    assert browse(app, link)[0].startswith("400")  # a link is used up once opened
    fresh = start_link(settings, "google", TEAM, HOST, world.clock.now())
    assert fresh is not None
    world.clock.advance(minutes=11)  # and expires unopened after ten minutes
    assert browse(app, fresh)[0].startswith("400")


def test_microsoft_sign_in_with_msal_against_the_fake_identity_platform(world: World) -> None:
    with FakeGraphDelta(user_email=HOST_EMAIL) as graph:
        settings = _settings(
            world,
            MS_CLIENT_ID=graph.client_id,
            MS_CLIENT_SECRET=graph.client_secret,
            MS_TENANT_ID=graph.tenant_id,
        )
        world.calendars.config = CalendarConfig(
            ms_client_id=graph.client_id,
            ms_client_secret=graph.client_secret,
            ms_tenant_id=graph.tenant_id,
            graph_api_url=graph.graph_url,
            msal_http_client=graph.msal_http(),
            policy=FAST,
            sleep=lambda seconds: None,
        )
        connected: list[Any] = []
        app = CalendarOAuth(
            settings,
            world.store,
            world.calendars,
            world.clock,
            on_connected=lambda *a: connected.append(a),
            email_of=lambda team, user: HOST_EMAIL,
        )
        link = start_link(settings, "microsoft", TEAM, HOST, world.clock.now())
        assert link is not None
        status, headers, _ = browse(app, link)
        assert status.startswith("302") and "/oauth2/v2.0/authorize" in headers["Location"]
        assert parse_qs(urlsplit(headers["Location"]).query)["response_mode"] == ["query"]
        code, state = graph.authorize(headers["Location"])
        status, _, page = browse(
            app,
            f"https://meetline.test/oauth/microsoft/callback?code={code}&state={state}",
            cookie=headers["Set-Cookie"],
        )
        assert status.startswith("200"), page
        assert connected == [(TEAM, HOST, "microsoft", HOST_EMAIL)]
        meeting = world.book(location=Location(LocationKind.VIDEO, provider="teams"))
        world.run()
        (event,) = graph.user_events()
        assert event["isOnlineMeeting"] is True
        stored = world.meetings.get(TEAM, meeting.id)
        assert stored is not None and stored.join_url and "teams" in stored.join_url


# --------------------------------------------------------------------------- helpers


def _job(kind: str, payload: dict[str, Any]) -> ClaimedJob:
    # As the queue claims it: with the workspace of the job's meeting.
    return ClaimedJob(
        id=0,
        kind=kind,
        payload=payload,
        attempts=1,
        max_attempts=8,
        run_at=datetime.now(UTC),
        team_id=TEAM if "meeting_id" in payload else "",
    )


def _connection_id(world: World) -> int:
    account = world.store.account(TEAM, HOST)
    assert account is not None
    return account.id


def _event(start: datetime, end: datetime) -> CalendarEvent:
    return CalendarEvent(
        meeting_id=999,
        uid="busy-1@test",
        sequence=0,
        title="Busy",
        start_utc=start,
        end_utc=end,
        organizer_email=HOST_EMAIL,
    )


def _msal_cache(graph: FakeGraphDelta) -> str:
    """What a finished Microsoft sign-in leaves in the token cache."""
    cache = msal.SerializableTokenCache()
    app = msal.ConfidentialClientApplication(
        graph.client_id,
        client_credential=graph.client_secret,
        authority=f"https://login.microsoftonline.com/{graph.tenant_id}",
        token_cache=cache,
        http_client=graph.msal_http(),
    )
    flow = app.initiate_auth_code_flow(
        ["Calendars.ReadWrite", "User.Read"],
        redirect_uri="https://meetline.test/cb",
        response_mode="form_post",
    )
    code, state = graph.authorize(flow["auth_uri"])
    result = app.acquire_token_by_auth_code_flow(flow, {"code": code, "state": state})
    assert "access_token" in result, result
    return str(cache.serialize())
