"""GraphCalendar and MsalTokenProvider against FakeGraph (Graph + Entra ID token endpoint),
over real HTTP with requests and msal."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import msal
import pytest
import requests

from adapters.graph_calendar import GraphCalendar, MsalTokenProvider, transaction_id_for
from adapters.http_retry import RetryPolicy, parse_retry_after
from handlers.calendars import (
    CalendarAuthError,
    CalendarError,
    CalendarEvent,
    CalendarNotFoundError,
    CalendarPort,
    Guest,
)
from tests.support.fake_graph import FakeGraph

START = datetime(2026, 5, 4, 13, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=8.0, max_wait=60.0)
HOST = "host@contoso.com"


def meeting(**changes: Any) -> CalendarEvent:
    ev = CalendarEvent(
        meeting_id=7,
        uid="meeting-7@meetline.example",
        sequence=0,
        title="Renewal call",
        description="Numbers <draft> & plan\n\nSecond paragraph",
        start_utc=START,
        end_utc=START + timedelta(minutes=30),
        timezone="Europe/Warsaw",
        location="Room 1",
        organizer_email=HOST,
        organizer_name="Hanna Host",
        attendees=(Guest("jane@fabrikam.example", "Jane Doe"),),
    )
    return dataclasses.replace(ev, **changes)


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    with FakeGraph(user_email=HOST) as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def cal(fake: FakeGraph, sleeps: list[float]) -> GraphCalendar:
    return GraphCalendar(
        lambda: "graph-initial",
        api_url=fake.graph_url,
        sleep=sleeps.append,
        policy=POLICY,
        rand=lambda: 0.5,
    )


def graph_calls(fake: FakeGraph, method: str | None = None, part: str = "") -> list[Any]:
    return [r for r in fake.calls(method, part) if r.path.startswith("/v1.0/")]


# --------------------------------------------------------------------------- round trips


def test_it_is_a_calendar_port(cal: GraphCalendar) -> None:
    port: CalendarPort = cal
    assert port.provider == "microsoft"
    assert port.sends_invitations is True


def test_create_update_cancel_round_trip(cal: GraphCalendar, fake: FakeGraph) -> None:
    ev = meeting()
    created = cal.create_event(ev)
    assert created.sends_invitations is True
    assert created.join_url is None
    assert created.etag
    assert created.event_url == f"https://outlook.office365.com/owa/?itemid={created.event_id}"

    [post] = graph_calls(fake, "POST")
    assert post.path == "/v1.0/me/events"
    assert post.headers["prefer"] == 'outlook.timezone="UTC"'
    body = post.json
    assert body["subject"] == "Renewal call"
    assert body["start"] == {"dateTime": "2026-05-04T13:00:00", "timeZone": "UTC"}
    assert body["end"] == {"dateTime": "2026-05-04T13:30:00", "timeZone": "UTC"}
    assert body["attendees"] == [
        {
            "emailAddress": {"address": "jane@fabrikam.example", "name": "Jane Doe"},
            "type": "required",
        }
    ]
    assert body["location"] == {"displayName": "Room 1"}
    assert body["body"]["contentType"] == "html"
    assert "Numbers &lt;draft&gt; &amp; plan" in body["body"]["content"]
    assert body["transactionId"] == transaction_id_for(ev.uid)
    assert "isOnlineMeeting" not in body

    moved = meeting(
        sequence=1,
        start_utc=START + timedelta(hours=2),
        end_utc=START + timedelta(hours=3),
        description="New agenda",
        join_url="https://zoom.us/j/9",
    )
    updated = cal.update_event(created.event_id, moved)
    assert updated.event_id == created.event_id
    assert updated.join_url == "https://zoom.us/j/9"
    [stored] = fake.user_events()
    assert stored["start"] == {"dateTime": "2026-05-04T15:00:00", "timeZone": "UTC"}
    assert "New agenda" in stored["body"]["content"]
    assert "https://zoom.us/j/9" in stored["body"]["content"]
    assert [r.method for r in graph_calls(fake)] == ["POST", "GET", "PATCH"]

    cal.cancel_event(created.event_id, moved)
    assert fake.user_events() == []
    assert [c[0] for c in fake.cancelled] == [created.event_id]
    cal.cancel_event(created.event_id, moved)  # already gone: fine
    with pytest.raises(CalendarNotFoundError):
        cal.update_event(created.event_id, moved)


def test_shared_mailbox_path(fake: FakeGraph, sleeps: list[float]) -> None:
    cal = GraphCalendar(
        lambda: "graph-initial", user=HOST, api_url=fake.graph_url, sleep=sleeps.append
    )
    cal.create_event(meeting())
    assert graph_calls(fake, "POST")[0].path == f"/v1.0/users/{HOST}/events"


def test_retried_create_returns_the_same_event(cal: GraphCalendar, fake: FakeGraph) -> None:
    first = cal.create_event(meeting())
    again = cal.create_event(meeting())
    assert again.event_id == first.event_id
    assert len(fake.user_events()) == 1


def test_lost_response_then_retry_does_not_duplicate(
    cal: GraphCalendar, fake: FakeGraph, sleeps: list[float]
) -> None:
    fake.fail_next(1, 504, after_processing=True, path_contains="/events")
    result = cal.create_event(meeting())
    assert len(fake.user_events()) == 1
    assert result.event_id == fake.user_events()[0]["id"]
    assert sleeps == [0.375]


# --------------------------------------------------------------------------- Teams


def test_teams_link_is_read_back_and_the_blob_survives_updates(
    cal: GraphCalendar, fake: FakeGraph
) -> None:
    created = cal.create_event(meeting(want_video="teams"))
    assert created.join_url is not None
    assert created.join_url.startswith("https://teams.microsoft.com/l/meetup-join/")
    post = graph_calls(fake, "POST")[0].json
    assert post["isOnlineMeeting"] is True
    assert post["onlineMeetingProvider"] == "teamsForBusiness"

    updated = cal.update_event(
        created.event_id, meeting(sequence=1, want_video="teams", description="changed")
    )
    assert updated.join_url == created.join_url
    [patch] = graph_calls(fake, "PATCH")
    # The new description reaches attendees, and Teams' own block is kept (GET, edit, PATCH).
    assert patch.json["body"]["content"].startswith("<p>changed</p>")
    assert created.join_url in patch.json["body"]["content"]
    assert not set(patch.json) & {"isOnlineMeeting", "onlineMeetingProvider", "transactionId"}
    assert fake.teams_blob_broken is False
    assert fake.user_events()[0]["onlineMeeting"]["joinUrl"] == created.join_url


def test_fake_disables_teams_when_the_blob_is_dropped(fake: FakeGraph, cal: GraphCalendar) -> None:
    created = cal.create_event(meeting(want_video="teams"))
    response = requests.patch(
        f"{fake.graph_url}/me/events/{created.event_id}",
        json={"body": {"contentType": "html", "content": "<p>new</p>"}},
        headers={"Authorization": "Bearer graph-initial"},
        timeout=5,
    )
    assert response.status_code == 200
    assert fake.teams_blob_broken is True


# --------------------------------------------------------------------------- auth


def auth_code_cache(fake: FakeGraph) -> str:
    """The token cache as the OAuth callback stores it after the user signed in."""
    cache = msal.SerializableTokenCache()
    app = msal.ConfidentialClientApplication(
        fake.client_id,
        client_credential=fake.client_secret,
        authority=f"https://login.microsoftonline.com/{fake.tenant_id}",
        token_cache=cache,
        http_client=fake.msal_http(),
    )
    result = app.acquire_token_by_authorization_code(
        "auth-code-1",
        ["Calendars.ReadWrite", "User.Read"],
        redirect_uri="https://meetline.example/oauth/microsoft",
    )
    assert "access_token" in result, result
    return str(cache.serialize())


class Blob:
    def __init__(self, value: str | None) -> None:
        self.value = value
        self.saves = 0

    def load(self) -> str | None:
        return self.value

    def save(self, value: str) -> None:
        self.value = value
        self.saves += 1


def provider_for(fake: FakeGraph, blob: Blob) -> MsalTokenProvider:
    return MsalTokenProvider(
        fake.client_id,
        fake.client_secret,
        tenant_id=fake.tenant_id,
        username=HOST,
        load_cache=blob.load,
        save_cache=blob.save,
        http_client=fake.msal_http(),
    )


def test_msal_provider_is_lazy_and_refreshes_through_the_cache(
    fake: FakeGraph, sleeps: list[float]
) -> None:
    fake.access_token_lifetime = 60  # msal refreshes tokens expiring within 5 minutes
    blob = Blob(auth_code_cache(fake))
    before = len(fake.requests)
    provider = provider_for(fake, blob)
    assert len(fake.requests) == before, "constructing must not touch the network"

    cal = GraphCalendar(provider, api_url=fake.graph_url, sleep=sleeps.append)
    cal.create_event(meeting())
    token_calls = fake.calls("POST", "/oauth2/v2.0/token")
    assert [c.form()["grant_type"] for c in token_calls] == ["authorization_code", "refresh_token"]
    assert blob.saves == 1
    assert "graph-rt-2" in (blob.value or "")  # the rotated refresh token was kept
    [post] = graph_calls(fake, "POST")
    assert post.headers["authorization"] == "Bearer graph-at-2"


def test_msal_cached_token_is_reused(fake: FakeGraph) -> None:
    blob = Blob(auth_code_cache(fake))
    provider = provider_for(fake, blob)
    assert provider() == provider() == "graph-at-1"
    assert len(fake.calls("POST", "/oauth2/v2.0/token")) == 1


def test_revoked_consent_is_an_auth_error(fake: FakeGraph, sleeps: list[float]) -> None:
    fake.access_token_lifetime = 60
    blob = Blob(auth_code_cache(fake))
    fake.revoke()
    cal = GraphCalendar(provider_for(fake, blob), api_url=fake.graph_url, sleep=sleeps.append)
    with pytest.raises(CalendarAuthError):
        cal.create_event(meeting())
    assert graph_calls(fake) == []


def test_empty_token_cache_is_an_auth_error(fake: FakeGraph) -> None:
    with pytest.raises(CalendarAuthError):
        provider_for(fake, Blob(None))()


def test_graph_401_is_an_auth_error(fake: FakeGraph, sleeps: list[float]) -> None:
    cal = GraphCalendar(lambda: "stale", api_url=fake.graph_url, sleep=sleeps.append, policy=POLICY)
    with pytest.raises(CalendarAuthError) as caught:
        cal.create_event(meeting())
    assert caught.value.transient is False
    assert sleeps == []


# --------------------------------------------------------------------------- retries


def test_429_with_retry_after_then_success(
    cal: GraphCalendar, fake: FakeGraph, sleeps: list[float]
) -> None:
    fake.fail_next(1, 429, retry_after=3)
    result = cal.create_event(meeting())
    assert sleeps == [3.0]
    assert result.event_id == fake.user_events()[0]["id"]


def test_5xx_then_success(cal: GraphCalendar, fake: FakeGraph, sleeps: list[float]) -> None:
    fake.fail_next(2, 503)
    cal.create_event(meeting())
    assert sleeps == [0.375, 0.75]
    assert len(fake.user_events()) == 1


def test_down_for_every_attempt_is_transient(
    cal: GraphCalendar, fake: FakeGraph, sleeps: list[float]
) -> None:
    fake.fail_next(10, 429, retry_after=1)
    with pytest.raises(CalendarError) as caught:
        cal.create_event(meeting())
    assert caught.value.transient is True
    assert caught.value.retry_after == 1.0
    assert len(graph_calls(fake)) == POLICY.max_attempts
    assert sleeps == [1.0, 1.0]


def test_unreachable_is_transient(fake: FakeGraph, cal: GraphCalendar, sleeps: list[float]) -> None:
    fake.stop()
    with pytest.raises(CalendarError) as caught:
        cal.create_event(meeting())
    assert caught.value.transient is True
    assert len(sleeps) == POLICY.max_attempts - 1


def test_bad_request_is_permanent_and_not_retried(
    cal: GraphCalendar, fake: FakeGraph, sleeps: list[float]
) -> None:
    fake.fail_next(1, 400)
    with pytest.raises(CalendarError) as caught:
        cal.create_event(meeting())
    assert caught.value.transient is False
    assert sleeps == []


# --------------------------------------------------------------------------- free/busy


def test_free_busy_maps_items_views_and_errors(cal: GraphCalendar, fake: FakeGraph) -> None:
    cal.create_event(meeting())
    fake.mailboxes["bob@contoso.com"] = [
        (START + timedelta(hours=1), START + timedelta(hours=2), "tentative"),
        (START + timedelta(hours=3), START + timedelta(hours=4), "free"),
    ]
    fake.mailboxes["private@contoso.com"] = [
        (START + timedelta(minutes=10), START + timedelta(minutes=40), "busy")
    ]
    fake.restricted.add("private@contoso.com")
    fake.response_timezone = "W. Europe Standard Time"  # answers in a Windows zone

    answer = cal.free_busy(
        [HOST, "bob@contoso.com", "private@contoso.com", "nobody@elsewhere.example"],
        START - timedelta(hours=1),
        START + timedelta(hours=6),
    )
    host = answer[HOST]
    assert host is not None
    assert [(b.start, b.end) for b in host] == [(START, START + timedelta(minutes=30))]
    bob = answer["bob@contoso.com"]
    assert bob is not None
    assert [(b.start, b.end) for b in bob] == [
        (START + timedelta(hours=1), START + timedelta(hours=2))
    ]
    private = answer["private@contoso.com"]
    assert private is not None
    # Only the 15-minute availability view is known: rounded outwards, never shrunk.
    assert [(b.start, b.end) for b in private] == [(START, START + timedelta(minutes=45))]
    assert answer["nobody@elsewhere.example"] is None

    [call] = graph_calls(fake, "POST", "getSchedule")
    assert call.json["startTime"] == {"dateTime": "2026-05-04T12:00:00", "timeZone": "UTC"}
    assert call.json["availabilityViewInterval"] == 15


def test_free_busy_batches_schedules_and_long_windows(cal: GraphCalendar, fake: FakeGraph) -> None:
    emails = [f"u{i}@contoso.com" for i in range(25)]
    answer = cal.free_busy(emails, START, START + timedelta(days=90))
    calls = graph_calls(fake, "POST", "getSchedule")
    assert len(calls) == 4  # 2 windows (61 + 29 days) x 2 batches (20 + 5)
    assert all(len(c.json["schedules"]) <= 20 for c in calls)
    assert all(c.status == 200 for c in calls)
    assert all(v is None for v in answer.values())


# --------------------------------------------------------------------------- the fake itself


def test_fake_rejects_offsets_unknown_fields_and_fixed_properties(
    cal: GraphCalendar, fake: FakeGraph
) -> None:
    headers = {"Authorization": "Bearer graph-initial"}
    base = {
        "subject": "x",
        "start": {"dateTime": "2026-05-04T13:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2026-05-04T14:00:00", "timeZone": "UTC"},
    }

    def post(body: dict[str, Any]) -> int:
        return requests.post(
            f"{fake.graph_url}/me/events", json=body, headers=headers, timeout=5
        ).status_code

    assert (
        post({**base, "start": {"dateTime": "2026-05-04T13:00:00+02:00", "timeZone": "UTC"}}) == 400
    )
    assert post({**base, "organiser": {}}) == 400
    assert post({**base, "end": {"dateTime": "2026-05-04T12:00:00", "timeZone": "UTC"}}) == 400
    assert (
        post({**base, "start": {"dateTime": "2026-05-04T13:00:00", "timeZone": "Mars/Olympus"}})
        == 400
    )
    created = cal.create_event(meeting())
    response = requests.patch(
        f"{fake.graph_url}/me/events/{created.event_id}",
        json={"transactionId": "other"},
        headers=headers,
        timeout=5,
    )
    assert response.status_code == 400


def test_retry_after_as_http_date_is_honoured(
    cal: GraphCalendar, fake: FakeGraph, sleeps: list[float]
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    fake.fail_next(1, 429, retry_after=when)
    cal.create_event(meeting())
    [waited] = sleeps
    assert 25 <= waited <= 30


def test_parse_retry_after() -> None:
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("Mon, 04 May 2026 12:00:10 GMT", now=now) == 10.0
    assert parse_retry_after("Mon, 04 May 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
    assert parse_retry_after(None) is None


def test_teams_part_keeps_the_block_or_refuses_to_guess() -> None:
    from adapters.graph_calendar import teams_part

    join = "https://teams.microsoft.com/l/meetup-join/abc"
    body = f'<html><body><p>old agenda</p><div class="teams"><a href="{join}">Join</a></div></body></html>'
    assert (
        teams_part(body, join)
        == f'<div class="teams"><a href="{join}">Join</a></div></body></html>'
    )
    assert teams_part("<p>no block here</p>", join) is None
