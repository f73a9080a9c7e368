"""MS_AUTHORITY_URL: Microsoft 365 end to end against a local sign-in host.

The fake identity platform and Graph (tests/support/fake_graph.py) serve https on
loopback, named only by settings (MS_AUTHORITY_URL, GRAPH_API_URL), with no transport
hook: the sign-in pages and the Graph adapter reach it the way they reach Microsoft.
msal's instance discovery (at login.microsoftonline.com) must be off for such a host,
and each connection's msal application is built once: the tenant metadata is fetched
once per connection, not once per calendar call.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest

from adapters.calendar_factory import ConnectedCalendars
from bot.calendar_oauth import CalendarOAuth, start_link
from bot.services import Services
from bot.settings import Settings
from bot.wiring import build_services, build_worker
from handlers.calendars import CalendarEvent
from handlers.domain import UserProfile
from handlers.meetings import AttendeeKind, AttendeeRef, Location, LocationKind, MeetingRequest
from handlers.records_csv import import_records
from handlers.scheduling import Scheduled
from tests.support.calendar_fakes import FakeGraphDelta
from tests.support.clock import MutableClock
from tests.support.server import SECRET_KEY
from tests.support.tls import ca_bundle
from tests.support.wsgi_call import browse

TEAM, HOST, HOST_EMAIL = "T0001", "U1", "anna@contoso.example"
RECORDS = """type,id,name,email,phone,timezone,associations
contact,jane,Jane Doe,jane@acme.example,,America/New_York,
"""


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraphDelta]:
    monkeypatch.setenv(
        "REQUESTS_CA_BUNDLE", ca_bundle()
    )  # trust the loopback certificate, as an operator would
    with FakeGraphDelta(user_email=HOST_EMAIL, tls=True) as fake:
        yield fake


@pytest.fixture
def services(migrated_url: str, graph: FakeGraphDelta) -> Iterator[Services]:
    settings = Settings(
        DATABASE_URL=migrated_url,
        SECRET_KEY=SECRET_KEY,
        PUBLIC_URL="https://meetline.test",
        MS_CLIENT_ID=graph.client_id,
        MS_CLIENT_SECRET=graph.client_secret,
        MS_TENANT_ID=graph.tenant_id,
        MS_AUTHORITY_URL=graph.authority_url,
        GRAPH_API_URL=graph.graph_url,
    )
    built = build_services(settings, clock=MutableClock(datetime.now(UTC)))
    built.users.save(
        UserProfile(TEAM, HOST, name="Anna Host", email=HOST_EMAIL, timezone="Europe/Warsaw")
    )
    import_records(built.records, TEAM, RECORDS)
    try:
        yield built
    finally:
        built.engine.dispose()


def _sign_in(services: Services, graph: FakeGraphDelta) -> None:
    app = CalendarOAuth(
        services.settings,
        services.connections,
        services.signin,
        services.clock,
        email_of=lambda team, user: HOST_EMAIL,
    )
    link = start_link(services.settings, "microsoft", TEAM, HOST, services.clock.now())
    assert link is not None
    status, headers, page = browse(app, link)
    assert status.startswith("302"), page
    assert headers["Location"].startswith(
        f"{graph.authority_url}/{graph.tenant_id}/oauth2/v2.0/authorize"
    )
    code, state = graph.authorize(headers["Location"])
    status, _, page = browse(
        app,
        f"https://meetline.test/oauth/microsoft/callback?code={code}&state={state}",
        cookie=headers["Set-Cookie"],
    )
    assert status.startswith("200"), page
    assert services.connections.status(TEAM, HOST) is not None


def _book(services: Services, hour: int) -> int:
    jane = services.records.search(TEAM, "Jane Doe", limit=1)[0]
    request = MeetingRequest(
        idempotency_key=f"ms-{hour}",
        team_id=TEAM,
        organizer_id=HOST,
        host_id=HOST,
        timezone="Europe/Warsaw",
        record_id=jane.id,
        title="Demo for Acme",
        day=(services.clock.now() + timedelta(days=3)).date(),
        start_time=time(hour, 0),
        duration_minutes=45,
        attendees=(AttendeeRef(AttendeeKind.CONTACT, str(jane.id)),),
        location=Location(LocationKind.VIDEO, provider="teams"),
    )
    result = services.schedule(request)
    assert isinstance(result, Scheduled), result
    return result.meeting.id


def test_microsoft_365_signs_in_and_books_against_the_configured_authority(
    services: Services, graph: FakeGraphDelta
) -> None:
    _sign_in(services, graph)
    assert not any(r.path.endswith("/discovery/instance") for r in graph.requests), (
        "instance discovery was on"
    )
    after_signin = graph.metadata_fetches()

    first, second = _book(services, 10), _book(services, 14)
    build_worker(services).run_once()  # two calendar creates
    for meeting_id in (first, second):
        stored = services.meetings.get(TEAM, meeting_id)
        assert stored is not None and stored.calendar_provider == "microsoft" and stored.join_url
    assert len(graph.user_events()) == 2
    calendars = services.calendars
    account = calendars.account(TEAM, HOST)
    assert account is not None
    start = services.clock.now() + timedelta(days=5)
    calendar = calendars.calendar(account, interactive=True)
    assert calendar.free_busy([HOST_EMAIL], start, start + timedelta(hours=1))[HOST_EMAIL] == []
    extra = CalendarEvent(
        meeting_id=0,
        uid="uid-extra@meetline",
        sequence=0,
        title="Extra",
        start_utc=start,
        end_utc=start + timedelta(hours=1),
        organizer_email=HOST_EMAIL,
    )
    created = calendars.calendar(account).create_event(extra)
    calendars.calendar(account).cancel_event(created.event_id, extra)

    # Several calendar operations of one connection: its msal application read the
    # tenant metadata once (the sign-in pages read it on their own, before).
    assert graph.metadata_fetches() - after_signin == 1


def test_a_new_configuration_gets_new_msal_applications(
    services: Services, graph: FakeGraphDelta
) -> None:
    _sign_in(services, graph)
    calendars = services.calendars
    assert isinstance(calendars, ConnectedCalendars)
    account = calendars.account(TEAM, HOST)
    assert account is not None
    start = services.clock.now() + timedelta(days=5)
    before = graph.metadata_fetches()
    for _ in range(3):
        calendars.calendar(account).free_busy([HOST_EMAIL], start, start + timedelta(hours=1))
    assert graph.metadata_fetches() - before == 1
    calendars.config = calendars.config  # e.g. tests pointing it elsewhere: nothing stale is kept
    calendars.calendar(account).free_busy([HOST_EMAIL], start, start + timedelta(hours=1))
    assert graph.metadata_fetches() - before == 2


def test_ms_authority_url_must_be_https() -> None:
    with pytest.raises(ValueError, match="MS_AUTHORITY_URL"):
        Settings(MS_AUTHORITY_URL="http://login.example")
