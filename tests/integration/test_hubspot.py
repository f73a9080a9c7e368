"""adapters/hubspot.py (hubspot-api-client) against FakeHubSpot over real HTTP: the
token check, record pages (full and incremental, deletions), and meeting engagements;
then outcomes written back through the real wiring (storage, job queue, worker)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.hubspot import (
    SCOPES,
    HubSpotClient,
    HubSpotMeetingLog,
    HubSpotRecordSource,
    HubSpotRejected,
)
from bench.seed import HOST, HOST_EMAIL, TEAM, seed_meetings
from bot.services import Services
from bot.settings import Settings
from bot.wiring import build_services, build_worker
from handlers.crm import CrmBusy, CrmMissingScopes, CrmRefused, LoggedMeeting, RecordPage
from handlers.domain import Record, RecordKind, UserProfile
from handlers.outcomes import RecordOutcome
from storage.crm_connections import SqlCrmConnections
from storage.unit_of_work import SqlUnitOfWork
from storage.workspaces import SqlWorkspaceRepository
from tests.support.clock import MutableClock
from tests.support.fake_hubspot import ALL_SCOPES, FakeHubSpot
from tests.support.server import SECRET_KEY

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
TOKEN = "pat-eu1-good"


@pytest.fixture
def fake() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as server:
        server.grant(TOKEN)
        yield server


@pytest.fixture
def client(fake: FakeHubSpot) -> HubSpotClient:
    return HubSpotClient(TOKEN, fake.url)


def _crm(fake: FakeHubSpot) -> dict[str, str]:
    """Acme (company), its deal, Jane (contact of both) and a ticket of Jane's."""
    acme = fake.put("companies", {"name": "Acme", "domain": "acme.test"}, at=T0)
    deal = fake.put("deals", {"dealname": "Acme renewal", "dealstage": "qualified"}, at=T0)
    jane = fake.put(
        "contacts",
        {
            "firstname": "Jane",
            "lastname": "Doe",
            "email": "jane@acme.test",
            "phone": "+48 600 100 200",
            "hs_timezone": "europe_slash_warsaw",
        },
        at=T0,
    )
    ticket = fake.put("tickets", {"subject": "Login fails"}, at=T0)
    fake.associate("contacts", jane, "companies", acme)
    fake.associate("contacts", jane, "deals", deal)
    fake.associate("deals", deal, "companies", acme)
    fake.associate("tickets", ticket, "contacts", jane)
    return {"acme": acme, "deal": deal, "jane": jane, "ticket": ticket}


def _pull(source: HubSpotRecordSource, since: datetime | None = None) -> list[RecordPage]:
    pages, cursor = [], None
    while True:
        page = source.page(cursor, since)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_the_token_check_names_every_missing_scope(fake: FakeHubSpot) -> None:
    HubSpotClient(TOKEN, fake.url).check()
    fake.grant("pat-partial", ALL_SCOPES - {"tickets", "crm.objects.deals.read"})
    with pytest.raises(CrmMissingScopes) as missing:
        HubSpotClient("pat-partial", fake.url).check()
    assert set(missing.value.scopes) == {"tickets", "crm.objects.deals.read"}
    assert set(missing.value.scopes) <= set(SCOPES)
    with pytest.raises(CrmRefused):
        HubSpotClient("pat-wrong", fake.url).check()


def test_a_full_pull_brings_every_kind_with_its_associations_in_pages(
    fake: FakeHubSpot, client: HubSpotClient
) -> None:
    ids = _crm(fake)
    for n in range(5):
        fake.put("contacts", {"firstname": f"Person{n}", "email": f"p{n}@x.test"}, at=T0)
    pages = _pull(HubSpotRecordSource(client, page_size=2))
    rows = {r.external_id: r for p in pages for r in p.rows}
    assert len(rows) == 9
    jane = rows[f"hubspot:contact:{ids['jane']}"]
    assert (jane.kind, jane.name, jane.email, jane.timezone) == (
        RecordKind.CONTACT,
        "Jane Doe",
        "jane@acme.test",
        "Europe/Warsaw",
    )
    assert set(jane.associations) == {
        f"hubspot:company:{ids['acme']}",
        f"hubspot:deal:{ids['deal']}",
        f"hubspot:ticket:{ids['ticket']}",
    }
    # companies first, so a contact's company is stored before the contact
    kinds = [r.kind for p in pages for r in p.rows]
    assert kinds.index(RecordKind.COMPANY) < kinds.index(RecordKind.CONTACT)
    # the contacts came 2 at a time, with HubSpot's `after` cursor
    afters = [c.query.get("after") for c in fake.calls("GET", "/crm/v3/objects/contacts")]
    assert afters == [None, "2", "4"]


def test_an_incremental_pull_brings_changes_and_deletions_since(
    fake: FakeHubSpot, client: HubSpotClient
) -> None:
    ids = _crm(fake)
    later = T0 + timedelta(hours=1)
    fake.put("contacts", {"lastname": "Doe-Smith"}, at=later, object_id=ids["jane"])
    fake.archive("tickets", ids["ticket"], at=later)
    pages = _pull(HubSpotRecordSource(client), since=later)
    rows = [r for p in pages for r in p.rows]
    assert [r.name for r in rows] == ["Jane Doe-Smith"]
    assert [d for p in pages for d in p.deleted] == [f"hubspot:ticket:{ids['ticket']}"]
    assert max(p.modified_up_to for p in pages if p.modified_up_to) == later
    search = fake.calls("POST", "/crm/v3/objects/contacts/search")[0].json
    assert search["filterGroups"][0]["filters"][0]["propertyName"] == "lastmodifieddate"


def test_rate_limits_and_outages_are_busy_with_hubspots_wait(
    fake: FakeHubSpot, client: HubSpotClient
) -> None:
    fake.fail_next(1, 429, retry_after=7)
    with pytest.raises(CrmBusy) as busy:
        client.objects("contacts", None)
    assert busy.value.retry_after == 7
    fake.fail_next(1, 503)
    with pytest.raises(CrmBusy):
        client.objects("contacts", None)
    assert client.objects("contacts", None).objects == ()


def _meeting(
    records: tuple[Record, ...], outcome: str = "SCHEDULED", link: str | None = None
) -> LoggedMeeting:
    return LoggedMeeting(
        meeting_id=7,
        team_id="T1",
        title="Demo",
        description="Agenda: the demo",
        internal_notes="Bring the price list",
        location="Zoom: https://zoom.test/j/1",
        start_utc=T0 + timedelta(days=1),
        end_utc=T0 + timedelta(days=1, minutes=45),
        outcome=outcome,
        host_email="host@example.com",
        records=records,
        link=link,
    )


def test_a_meeting_becomes_one_engagement_updated_in_place(
    fake: FakeHubSpot, client: HubSpotClient
) -> None:
    ids = _crm(fake)
    owner = fake.add_owner("host@example.com")
    records = (
        Record(1, RecordKind.CONTACT, f"hubspot:contact:{ids['jane']}", "Jane Doe"),
        Record(2, RecordKind.COMPANY, f"hubspot:company:{ids['acme']}", "Acme"),
        Record(3, RecordKind.DEAL, f"hubspot:deal:{ids['deal']}", "Acme renewal"),
        Record(4, RecordKind.CONTACT, "csv-9", "Not in HubSpot"),
    )
    log = HubSpotMeetingLog(client)
    engagement = log.write(_meeting(records), None)
    stored = fake.meetings[engagement]
    assert stored["properties"]["hs_meeting_outcome"] == "SCHEDULED"
    assert stored["properties"]["hubspot_owner_id"] == owner
    assert stored["properties"]["hs_timestamp"] == "2026-05-05T09:00:00.000Z"
    assert stored["properties"]["hs_internal_meeting_notes"] == "Bring the price list"
    assert sorted(stored["associations"]) == sorted(
        [
            ("contacts", ids["jane"], 200),
            ("companies", ids["acme"], 188),
            ("deals", ids["deal"], 212),
        ]
    )
    assert log.write(_meeting(records, "CANCELED"), engagement) == engagement
    assert len(fake.meetings) == 1
    assert fake.meetings[engagement]["properties"]["hs_meeting_outcome"] == "CANCELED"


def test_the_engagement_link_follows_the_meeting_link_on_edits(
    fake: FakeHubSpot, client: HubSpotClient
) -> None:
    log = HubSpotMeetingLog(client)
    engagement = log.write(_meeting((), link="https://zoom.test/j/1"), None)
    props = fake.meetings[engagement]["properties"]
    assert props["hs_meeting_external_url"] == "https://zoom.test/j/1"
    log.write(_meeting((), link="https://zoom.test/j/2"), engagement)
    assert props["hs_meeting_external_url"] == "https://zoom.test/j/2"
    log.write(_meeting(()), engagement)  # the video call dropped: no stale link
    assert props["hs_meeting_external_url"] == ""


def test_hubspot_refusing_a_body_is_reported_without_its_text(
    fake: FakeHubSpot, client: HubSpotClient
) -> None:
    with pytest.raises(HubSpotRejected) as refused:
        client.create_meeting({"hs_timestamp": "2026-05-05 09:00", "hs_color": "crimson"}, [])
    assert (refused.value.status, refused.value.category) == (400, "VALIDATION_ERROR")
    assert "crimson" not in str(refused.value)
    assert fake.meetings == {}


def test_a_merge_names_the_merged_away_record_with_the_one_kept(
    fake: FakeHubSpot, client: HubSpotClient
) -> None:
    ids = _crm(fake)
    twin = fake.put("contacts", {"firstname": "Jane", "lastname": "D."}, at=T0)
    later = T0 + timedelta(hours=1)
    fake.merge("contacts", ids["jane"], twin, at=later)
    pages = _pull(HubSpotRecordSource(client), since=later)
    assert [r.name for p in pages for r in p.rows] == ["Jane Doe"]
    jane = f"hubspot:contact:{ids['jane']}"
    assert [m for p in pages for m in p.merged] == [(f"hubspot:contact:{twin}", jane)]
    assert [d for p in pages for d in p.deleted] == []  # not archived: merged

    # HubSpot may give the merged record a new id: both old ones are named with it
    other = fake.put("contacts", {"firstname": "Jane", "lastname": "Doe II"}, at=later)
    newest = fake.merge("contacts", ids["jane"], other, at=later + timedelta(hours=1), new_id=True)
    pages = _pull(HubSpotRecordSource(client), since=later + timedelta(hours=1))
    kept = f"hubspot:contact:{newest}"
    assert [r.external_id for p in pages for r in p.rows] == [kept]
    assert sorted(m for p in pages for m in p.merged) == sorted(
        (f"hubspot:contact:{gone}", kept) for gone in (twin, ids["jane"], other)
    )


JOIN = "https://zoom.test/j/123456789"
PAGE = "https://www.google.com/calendar/event?eid=ev1"


class Crash(Exception):
    """The process dying: nothing after it runs."""


class CrashAfterCommit(SqlUnitOfWork):
    """A unit of work that commits and then dies, as a process killed right after the
    outcome's commit would: whatever the use case meant to do after it is lost."""

    def commit(self) -> None:
        super().commit()
        raise Crash


@pytest.fixture
def services(migrated_url: str, fake: FakeHubSpot) -> Iterator[Services]:
    settings = Settings(DATABASE_URL=migrated_url, SECRET_KEY=SECRET_KEY, HUBSPOT_API_URL=fake.url)
    built = build_services(settings, MutableClock(datetime.now(UTC)))
    built.crm.save(TEAM, "hubspot", TOKEN, HOST, built.clock.now())
    try:
        yield built
    finally:
        built.engine.dispose()


def booked(
    services: Services, fake: FakeHubSpot, join_url: str | None = None, page: str | None = None
) -> str:
    """A meeting of a HubSpot workspace, logged in HubSpot; returns its engagement id.
    `page`: the meeting is event "ev1" of the host's Google calendar, with that page."""
    ((meeting_id, _, _),) = seed_meetings(services.sessions, 1, 1)
    provider, event = ("google", "ev1") if page else (None, None)
    services.meetings.set_calendar_event(TEAM, meeting_id, provider, event, join_url, page)
    services.record_outcome(meeting_id, "NO_SHOW", UserProfile(TEAM, HOST))
    build_worker(services).run_once()
    (engagement,) = fake.meetings
    return engagement


def hubspot_outcome(services: Services, fake: FakeHubSpot, engagement: str) -> str:
    build_worker(services).run_once()
    return str(fake.meetings[engagement]["properties"]["hs_meeting_outcome"])


def test_an_outcome_saved_just_before_a_crash_still_reaches_hubspot(
    services: Services, fake: FakeHubSpot
) -> None:
    fake.add_owner(HOST_EMAIL)
    engagement = booked(services, fake)
    (meeting,) = services.meetings.list_meetings(TEAM)
    record = RecordOutcome(
        lambda **_: CrashAfterCommit(services.sessions),
        services.clock,
        crm_log=SqlCrmConnections(services.sessions, None).is_connected,
    )
    with pytest.raises(Crash):
        record(meeting.id, "COMPLETED", UserProfile(TEAM, HOST))
    (stored,) = services.meetings.list_meetings(TEAM)
    assert stored.outcome == "COMPLETED"  # the outcome was saved...
    assert hubspot_outcome(services, fake, engagement) == "COMPLETED"  # ...and so was HubSpot's
    assert len(fake.meetings) == 1


def test_a_workspace_outcome_is_completed_in_hubspot_unless_the_admin_says_otherwise(
    services: Services, fake: FakeHubSpot
) -> None:
    workspaces = SqlWorkspaceRepository(services.sessions)
    own = replace(
        workspaces.get(TEAM),
        custom_outcomes=("DEMO_DONE", "LOST"),
        outcomes_count_as=(("LOST", "NO_SHOW"),),
    )
    workspaces.save(TEAM, own)
    engagement = booked(services, fake)
    (meeting,) = services.meetings.list_meetings(TEAM)
    services.record_outcome(meeting.id, "DEMO_DONE", UserProfile(TEAM, HOST))
    assert hubspot_outcome(services, fake, engagement) == "COMPLETED"
    services.record_outcome(meeting.id, "LOST", UserProfile(TEAM, HOST))
    assert hubspot_outcome(services, fake, engagement) == "NO_SHOW"


def test_the_engagement_carries_the_meeting_link(services: Services, fake: FakeHubSpot) -> None:
    engagement = booked(services, fake, join_url=JOIN)
    assert fake.meetings[engagement]["properties"]["hs_meeting_external_url"] == JOIN


def test_the_engagement_links_to_the_calendar_event_and_keeps_it(
    services: Services, fake: FakeHubSpot
) -> None:
    engagement = booked(services, fake, join_url=JOIN, page=PAGE)
    props = fake.meetings[engagement]["properties"]
    assert props["hs_meeting_external_url"] == PAGE
    (meeting,) = services.meetings.list_meetings(TEAM)
    # The same event written again without its page (a Zoom link renewed) keeps it.
    services.meetings.set_calendar_event(TEAM, meeting.id, "google", "ev1", JOIN)
    services.record_outcome(meeting.id, "COMPLETED", UserProfile(TEAM, HOST))
    assert hubspot_outcome(services, fake, engagement) == "COMPLETED"
    assert props["hs_meeting_external_url"] == PAGE
