"""GoogleCalendar against FakeGoogle: a real HTTP server that validates every body against
the calendar.v3 discovery schemas, over googleapiclient + google-auth as in production."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from adapters.google_calendar import GoogleCalendar, event_id_for
from adapters.http_retry import RetryPolicy
from handlers.calendars import (
    CalendarAuthError,
    CalendarError,
    CalendarEvent,
    CalendarNotFoundError,
    CalendarPort,
    Guest,
)
from tests.support.fake_google import FakeGoogle, schema_errors

START = datetime(2026, 5, 4, 13, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8.0, max_wait=60.0)


def meeting(**changes: Any) -> CalendarEvent:
    ev = CalendarEvent(
        meeting_id=42,
        uid="meeting-42@meetline.example",
        sequence=0,
        title="Demo for ACME",
        description="Agenda: pricing\nQ&A",
        start_utc=START,
        end_utc=START + timedelta(minutes=45),
        timezone="Europe/Warsaw",
        location="",
        organizer_email="host@example.com",
        organizer_name="Hanna Host",
        attendees=(Guest("jane@acme.example", "Jane Doe"), Guest("bob@acme.example")),
    )
    return dataclasses.replace(ev, **changes)


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def stored() -> list[str]:
    return []


def connect(
    fake: FakeGoogle,
    sleeps: list[float],
    stored: list[str] | None = None,
    *,
    expired: bool = False,
    send_updates: Any = "all",
) -> GoogleCalendar:
    return GoogleCalendar.from_authorized_user_info(
        json.dumps(fake.authorized_user_info(expired=expired)),
        api_url=fake.url,
        token_uri=fake.token_uri,
        send_updates=send_updates,
        policy=POLICY,
        sleep=sleeps.append,
        rand=lambda: 0.5,
        on_credentials_changed=None if stored is None else stored.append,
    )


@pytest.fixture
def cal(fake: FakeGoogle, sleeps: list[float]) -> GoogleCalendar:
    return connect(fake, sleeps)


def api_calls(fake: FakeGoogle, method: str | None = None) -> list[Any]:
    return [r for r in fake.calls(method) if r.path.startswith("/calendar/v3/")]


# --------------------------------------------------------------------------- round trips


def test_it_is_a_calendar_port(cal: GoogleCalendar) -> None:
    port: CalendarPort = cal
    assert port.provider == "google"
    assert port.sends_invitations is True


def test_create_update_cancel_round_trip(cal: GoogleCalendar, fake: FakeGoogle) -> None:
    ev = meeting()
    created = cal.create_event(ev)

    assert created.event_id == event_id_for(ev.uid)
    assert set(created.event_id) <= set("abcdefghijklmnopqrstuv0123456789")
    assert created.event_url == f"https://www.google.com/calendar/event?eid={created.event_id}"
    assert created.sends_invitations is True
    assert created.join_url is None
    assert created.etag
    [stored] = fake.user_events()
    assert stored["summary"] == "Demo for ACME"
    assert stored["start"] == {"dateTime": "2026-05-04T13:00:00Z", "timeZone": "Europe/Warsaw"}
    assert stored["end"]["dateTime"] == "2026-05-04T13:45:00Z"
    assert [a["email"] for a in stored["attendees"]] == ["jane@acme.example", "bob@acme.example"]
    assert stored["attendees"][0]["displayName"] == "Jane Doe"
    assert stored["extendedProperties"]["private"]["meetline_id"] == "42"
    [insert] = api_calls(fake, "POST")
    assert insert.query["sendUpdates"] == "all"
    assert insert.status == 200  # the fake validated the body against calendar.v3

    moved = meeting(
        sequence=1,
        start_utc=START + timedelta(days=1),
        end_utc=START + timedelta(days=1, hours=1),
        attendees=(Guest("jane@acme.example", "Jane Doe"),),
        join_url="https://zoom.us/j/123",
    )
    updated = cal.update_event(created.event_id, moved)
    assert updated.event_id == created.event_id
    assert updated.join_url == "https://zoom.us/j/123"
    assert updated.etag != created.etag
    [stored] = fake.user_events()
    assert stored["start"]["dateTime"] == "2026-05-05T13:00:00Z"
    assert [a["email"] for a in stored["attendees"]] == ["jane@acme.example"]
    assert stored["location"] == "https://zoom.us/j/123"
    assert "https://zoom.us/j/123" in stored["description"]
    [patch] = api_calls(fake, "PATCH")
    assert patch.query["sendUpdates"] == "all"

    cal.cancel_event(created.event_id, moved)
    cal.cancel_event(created.event_id, moved)  # already gone: still fine
    assert fake.user_events() == []
    deletes = api_calls(fake, "DELETE")
    assert [d.query["sendUpdates"] for d in deletes] == ["all", "all"]
    assert [d.status for d in deletes] == [204, 410]


def test_every_recorded_body_fits_the_discovery_schema(
    cal: GoogleCalendar, fake: FakeGoogle
) -> None:
    created = cal.create_event(meeting(want_video="google_meet"))
    cal.update_event(created.event_id, meeting(sequence=1, title="Renamed"))
    cal.free_busy(["host@example.com"], START, START + timedelta(days=1))
    for req in api_calls(fake):
        if req.method in ("POST", "PATCH") and "freeBusy" not in req.path:
            assert schema_errors("Event", req.json) == []
        assert req.status < 400, (req.method, req.path, req.status)


def test_retried_create_returns_the_same_event(cal: GoogleCalendar, fake: FakeGoogle) -> None:
    first = cal.create_event(meeting())
    again = cal.create_event(meeting())
    assert again.event_id == first.event_id
    assert len(fake.user_events()) == 1
    assert [r.status for r in api_calls(fake)] == [200, 409, 200]


def test_lost_response_then_retry_does_not_duplicate(
    cal: GoogleCalendar, fake: FakeGoogle, sleeps: list[float]
) -> None:
    # The insert is carried out but its answer is lost: the retry meets 409 and adopts it.
    fake.fail_next(1, 503, after_processing=True, path_contains="/events")
    result = cal.create_event(meeting())
    assert len(fake.user_events()) == 1
    assert result.event_id == event_id_for(meeting().uid)
    assert [r.status for r in api_calls(fake)] == [503, 409, 200]
    assert len(sleeps) == 1


def test_create_after_cancel_brings_the_event_back(cal: GoogleCalendar, fake: FakeGoogle) -> None:
    created = cal.create_event(meeting())
    cal.cancel_event(created.event_id, meeting())
    again = cal.create_event(meeting(sequence=2))
    assert again.event_id == created.event_id
    [event] = fake.user_events()
    assert event["status"] == "confirmed"


def test_update_of_an_event_deleted_in_google_reports_it_gone(
    cal: GoogleCalendar, fake: FakeGoogle
) -> None:
    created = cal.create_event(meeting())
    response = requests.delete(
        f"{fake.url}/calendar/v3/calendars/primary/events/{created.event_id}?sendUpdates=all",
        headers={"Authorization": "Bearer ya29.initial"},
        timeout=5,
    )
    assert response.status_code == 204
    with pytest.raises(CalendarNotFoundError):
        cal.update_event(created.event_id, meeting(sequence=1))
    with pytest.raises(CalendarNotFoundError):
        cal.update_event(created.event_id, meeting(sequence=1, want_video="google_meet"))
    assert fake.user_events() == []
    cal.create_event(meeting(sequence=2))
    assert len(fake.user_events()) == 1


def test_send_updates_none_means_meetline_mails_invitations(
    fake: FakeGoogle, sleeps: list[float]
) -> None:
    cal = connect(fake, sleeps, send_updates="none")
    result = cal.create_event(meeting())
    assert cal.sends_invitations is False
    assert result.sends_invitations is False
    assert api_calls(fake, "POST")[0].query["sendUpdates"] == "none"


# --------------------------------------------------------------------------- Meet


def test_meet_link_is_created_and_read_back(cal: GoogleCalendar, fake: FakeGoogle) -> None:
    result = cal.create_event(meeting(want_video="google_meet"))
    assert result.join_url is not None
    assert result.join_url.startswith("https://meet.google.com/")
    [insert] = api_calls(fake, "POST")
    assert insert.query["conferenceDataVersion"] == "1"
    request = insert.json["conferenceData"]["createRequest"]
    assert request["conferenceSolutionKey"] == {"type": "hangoutsMeet"}
    assert request["requestId"]

    # Updating keeps the conference: no second Meet, same link.
    updated = cal.update_event(result.event_id, meeting(sequence=1, want_video="google_meet"))
    assert updated.join_url == result.join_url
    assert fake.meet_links_created == 1
    # A retried create reads the link back from the existing event.
    assert cal.create_event(meeting(want_video="google_meet")).join_url == result.join_url


def test_pending_meet_creation_is_polled(
    cal: GoogleCalendar, fake: FakeGoogle, sleeps: list[float]
) -> None:
    fake.meet_pending_reads = 2
    result = cal.create_event(meeting(want_video="google_meet"))
    assert result.join_url is not None and result.join_url.startswith("https://meet.google.com/")
    assert len(api_calls(fake, "GET")) == 2
    assert len(sleeps) == 2


def test_meet_can_be_added_on_update(cal: GoogleCalendar, fake: FakeGoogle) -> None:
    created = cal.create_event(meeting())
    updated = cal.update_event(created.event_id, meeting(sequence=1, want_video="google_meet"))
    assert updated.join_url is not None
    assert fake.meet_links_created == 1


# --------------------------------------------------------------------------- auth


def test_expired_access_token_is_refreshed_and_reported(
    fake: FakeGoogle, sleeps: list[float], stored: list[str]
) -> None:
    cal = connect(fake, sleeps, stored, expired=True)
    cal.create_event(meeting())
    [token_call] = fake.calls("POST", "/token")
    form = token_call.form()
    assert form["grant_type"] == "refresh_token"
    assert form["refresh_token"] == "1//refresh"
    assert stored, "refreshed credentials must be handed back for storage"
    saved = json.loads(stored[-1])
    assert saved["token"].startswith("ya29.refreshed-")
    assert saved["refresh_token"] == "1//refresh"
    # The saved blob works on its own.
    again = GoogleCalendar.from_authorized_user_info(
        stored[-1], api_url=fake.url, token_uri=fake.token_uri, sleep=sleeps.append
    )
    again.free_busy(["host@example.com"], START, START + timedelta(hours=1))
    assert len(fake.calls("POST", "/token")) == 1


def test_a_401_triggers_one_refresh_and_succeeds(cal: GoogleCalendar, fake: FakeGoogle) -> None:
    fake.fail_next(1, 401, path_contains="/calendar/v3/")
    cal.create_event(meeting())
    assert len(fake.calls("POST", "/token")) == 1
    assert len(fake.user_events()) == 1


def test_revoked_access_is_an_auth_error(fake: FakeGoogle, sleeps: list[float]) -> None:
    cal = connect(fake, sleeps, expired=True)
    fake.revoke()
    with pytest.raises(CalendarAuthError) as caught:
        cal.create_event(meeting())
    assert caught.value.transient is False
    assert sleeps == []


def test_revoked_while_token_still_cached_is_an_auth_error(
    cal: GoogleCalendar, fake: FakeGoogle
) -> None:
    fake.revoke()  # the access token in hand is now refused and cannot be refreshed
    with pytest.raises(CalendarAuthError):
        cal.free_busy(["host@example.com"], START, START + timedelta(hours=1))


def test_stored_credentials_without_refresh_token_are_refused(fake: FakeGoogle) -> None:
    info = fake.authorized_user_info()
    del info["refresh_token"]
    with pytest.raises(CalendarAuthError):
        GoogleCalendar.from_authorized_user_info(info, api_url=fake.url)


# --------------------------------------------------------------------------- retries


def test_429_with_retry_after_is_honoured(
    cal: GoogleCalendar, fake: FakeGoogle, sleeps: list[float]
) -> None:
    fake.fail_next(2, 429, retry_after=7, path_contains="/events")
    result = cal.create_event(meeting())
    assert sleeps == [7.0, 7.0]
    assert result.event_id == event_id_for(meeting().uid)
    assert len(fake.user_events()) == 1


def test_5xx_then_success_backs_off(
    cal: GoogleCalendar, fake: FakeGoogle, sleeps: list[float]
) -> None:
    fake.fail_next(2, 500, path_contains="/events")
    cal.create_event(meeting())
    # Equal jitter with rand=0.5: 0.375 then 0.75 (base 0.5, doubling).
    assert sleeps == [0.375, 0.75]


def test_rate_limit_403_is_retried(
    cal: GoogleCalendar, fake: FakeGoogle, sleeps: list[float]
) -> None:
    fake.fail_next(
        1,
        403,
        body={
            "error": {
                "code": 403,
                "message": "Rate Limit Exceeded",
                "errors": [{"domain": "usageLimits", "reason": "userRateLimitExceeded"}],
            }
        },
    )
    cal.create_event(meeting())
    assert len(sleeps) == 1


def test_provider_down_for_every_attempt_is_transient(
    cal: GoogleCalendar, fake: FakeGoogle, sleeps: list[float]
) -> None:
    fake.fail_next(10, 503, retry_after=2)
    with pytest.raises(CalendarError) as caught:
        cal.create_event(meeting())
    assert caught.value.transient is True
    assert caught.value.retry_after == 2.0
    assert len(api_calls(fake)) == POLICY.max_attempts
    assert sleeps == [2.0] * (POLICY.max_attempts - 1)


def test_long_retry_after_is_handed_to_the_job_queue(
    cal: GoogleCalendar, fake: FakeGoogle, sleeps: list[float]
) -> None:
    fake.fail_next(1, 429, retry_after=3600)
    with pytest.raises(CalendarError) as caught:
        cal.create_event(meeting())
    assert caught.value.transient is True
    assert caught.value.retry_after == 3600.0
    assert sleeps == []


def test_unreachable_server_is_transient(fake: FakeGoogle, sleeps: list[float]) -> None:
    cal = connect(fake, sleeps)
    fake.stop()
    with pytest.raises(CalendarError) as caught:
        cal.create_event(meeting())
    assert caught.value.transient is True
    assert not isinstance(caught.value, CalendarAuthError)
    assert len(sleeps) == POLICY.max_attempts - 1


def test_permanent_errors_are_not_retried(
    cal: GoogleCalendar, fake: FakeGoogle, sleeps: list[float]
) -> None:
    fake.fail_next(1, 400)
    with pytest.raises(CalendarError) as caught:
        cal.create_event(meeting())
    assert caught.value.transient is False
    assert sleeps == []
    with pytest.raises(CalendarNotFoundError):
        cal.update_event("doesnotexist0", meeting())


# --------------------------------------------------------------------------- free/busy


def test_free_busy_unknown_calendars_are_none(cal: GoogleCalendar, fake: FakeGoogle) -> None:
    cal.create_event(meeting())
    fake.add_busy("colleague@example.com", START - timedelta(hours=2), START - timedelta(hours=1))
    answer = cal.free_busy(
        ["host@example.com", "colleague@example.com", "stranger@elsewhere.example"],
        START - timedelta(hours=4),
        START + timedelta(hours=4),
    )
    host = answer["host@example.com"]
    assert host is not None
    assert [(b.start, b.end) for b in host] == [(START, START + timedelta(minutes=45))]
    colleague = answer["colleague@example.com"]
    assert colleague is not None and len(colleague) == 1
    assert answer["stranger@elsewhere.example"] is None
    [query] = fake.calls("POST", "freeBusy")
    assert query.json["timeZone"] == "UTC"
    assert query.json["timeMin"] == "2026-05-04T09:00:00Z"


def test_free_busy_asks_in_batches_of_50(cal: GoogleCalendar, fake: FakeGoogle) -> None:
    emails = [f"user{i}@example.com" for i in range(120)]
    answer = cal.free_busy(emails, START, START + timedelta(hours=1))
    assert len(fake.calls("POST", "freeBusy")) == 3
    assert set(answer) == set(emails)
    assert all(v is None for v in answer.values())


# --------------------------------------------------------------------------- the fake itself


def raw_insert(fake: FakeGoogle, body: dict[str, Any], query: str = "sendUpdates=all") -> int:
    response = requests.post(
        f"{fake.url}/calendar/v3/calendars/primary/events?{query}",
        json=body,
        headers={"Authorization": "Bearer ya29.initial"},
        timeout=5,
    )
    return response.status_code


def test_fake_rejects_what_google_would_silently_drop(fake: FakeGoogle) -> None:
    ok: dict[str, Any] = {
        "summary": "x",
        "start": {"dateTime": "2026-05-04T13:00:00Z"},
        "end": {"dateTime": "2026-05-04T14:00:00Z"},
    }
    assert raw_insert(fake, {**ok, "reminders": {"override": []}}) == 400  # misspelt field
    too_many = [{"method": "email", "minutes": 10}] * 6
    assert (
        raw_insert(fake, {**ok, "reminders": {"useDefault": False, "overrides": too_many}}) == 400
    )
    long_key = {"private": {"k" * 45: "v"}}
    assert raw_insert(fake, {**ok, "extendedProperties": long_key}) == 400
    assert raw_insert(fake, ok, query="") == 400  # no sendUpdates
    assert raw_insert(fake, {**ok, "id": "UPPER-case"}) == 400
    assert raw_insert(fake, {**ok, "start": {"dateTime": "2026-05-04T13:00:00"}}) == 400
    assert raw_insert(fake, ok) == 200
