"""ZoomConferencing against FakeZoom (Server-to-Server OAuth + meetings API) over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.http_retry import RetryPolicy
from adapters.zoom import ZoomConferencing
from handlers.calendars import ConferencingError, ConferencingPort
from tests.support.fake_zoom import FakeZoom

START = datetime(2026, 5, 4, 13, 0, tzinfo=UTC)
HOST = "host@example.com"
POLICY = RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=8.0, max_wait=60.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeZoom]:
    with FakeZoom(users=(HOST,)) as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def zoom(fake: FakeZoom, sleeps: list[float], clock: Clock) -> ZoomConferencing:
    return ZoomConferencing(
        fake.account_id,
        fake.client_id,
        fake.client_secret,
        api_url=fake.api_url,
        oauth_url=fake.oauth_url,
        sleep=sleeps.append,
        policy=POLICY,
        clock=clock,
        rand=lambda: 0.5,
    )


def test_create_update_delete_round_trip(zoom: ZoomConferencing, fake: FakeZoom) -> None:
    port: ConferencingPort = zoom
    link = port.create_meeting("Demo for ACME", START, 45, HOST, "Europe/Warsaw")
    assert link.provider == "zoom"
    assert link.join_url.startswith("https://zoom.us/j/")
    meeting = fake.meetings[int(link.meeting_id)]
    assert meeting["topic"] == "Demo for ACME"
    assert meeting["start_time"] == "2026-05-04T13:00:00Z"
    assert meeting["duration"] == 45
    assert meeting["timezone"] == "Europe/Warsaw"
    assert meeting["type"] == 2
    [create] = fake.calls("POST", "/v2/users/")
    assert create.path == f"/v2/users/{HOST}/meetings"

    zoom.update_meeting(
        link.meeting_id, "Demo (moved)", START + timedelta(days=1), 60, "Europe/Warsaw"
    )
    meeting = fake.meetings[int(link.meeting_id)]
    assert meeting["start_time"] == "2026-05-05T13:00:00Z"
    assert meeting["duration"] == 60
    assert meeting["topic"] == "Demo (moved)"

    zoom.delete_meeting(link.meeting_id)
    assert fake.meetings == {}
    zoom.delete_meeting(link.meeting_id)  # already gone: fine


def test_token_is_fetched_with_basic_auth_and_cached_for_an_hour(
    zoom: ZoomConferencing, fake: FakeZoom, clock: Clock
) -> None:
    zoom.create_meeting("a", START, 30, HOST, "UTC")
    zoom.create_meeting("b", START, 30, HOST, "UTC")
    assert fake.token_requests == 1
    [token_call] = fake.calls("POST", "/oauth/token")
    assert token_call.headers["authorization"].startswith("Basic ")
    form = token_call.form()
    assert form == {"grant_type": "account_credentials", "account_id": fake.account_id}

    clock.now += 3600
    zoom.create_meeting("c", START, 30, HOST, "UTC")
    assert fake.token_requests == 2


def test_revoked_token_is_replaced_once(zoom: ZoomConferencing, fake: FakeZoom) -> None:
    zoom.create_meeting("a", START, 30, HOST, "UTC")
    fake.expire_tokens()
    zoom.create_meeting("b", START, 30, HOST, "UTC")
    assert fake.token_requests == 2
    assert len(fake.meetings) == 2


def test_bad_app_credentials_are_permanent(fake: FakeZoom, sleeps: list[float]) -> None:
    zoom = ZoomConferencing(
        fake.account_id,
        fake.client_id,
        "wrong",
        api_url=fake.api_url,
        oauth_url=fake.oauth_url,
        sleep=sleeps.append,
    )
    with pytest.raises(ConferencingError) as caught:
        zoom.create_meeting("a", START, 30, HOST, "UTC")
    assert caught.value.transient is False
    assert sleeps == []


def test_unknown_host_is_permanent(zoom: ZoomConferencing) -> None:
    with pytest.raises(ConferencingError) as caught:
        zoom.create_meeting("a", START, 30, "stranger@example.com", "UTC")
    assert caught.value.transient is False


def test_429_with_retry_after_then_success(
    zoom: ZoomConferencing, fake: FakeZoom, sleeps: list[float]
) -> None:
    fake.fail_next(1, 429, retry_after=4)
    link = zoom.create_meeting("a", START, 30, HOST, "UTC")
    assert sleeps == [4.0]
    assert int(link.meeting_id) in fake.meetings


def test_5xx_then_success(zoom: ZoomConferencing, fake: FakeZoom, sleeps: list[float]) -> None:
    fake.fail_next(2, 502)
    zoom.create_meeting("a", START, 30, HOST, "UTC")
    assert sleeps == [0.75, 1.5]


def test_daily_limit_goes_back_to_the_job_queue(
    zoom: ZoomConferencing, fake: FakeZoom, sleeps: list[float]
) -> None:
    fake.fail_next(1, 429, retry_after=6 * 3600)
    with pytest.raises(ConferencingError) as caught:
        zoom.create_meeting("a", START, 30, HOST, "UTC")
    assert caught.value.transient is True
    assert caught.value.retry_after == 6 * 3600
    assert sleeps == []


def test_down_for_every_attempt_is_transient(
    zoom: ZoomConferencing, fake: FakeZoom, sleeps: list[float]
) -> None:
    fake.fail_next(10, 503)
    with pytest.raises(ConferencingError) as caught:
        zoom.update_meeting("123", "a", START, 30, "UTC")
    assert caught.value.transient is True
    assert len(fake.calls("PATCH")) == POLICY.max_attempts


def test_unreachable_is_transient(fake: FakeZoom, zoom: ZoomConferencing) -> None:
    fake.stop()
    with pytest.raises(ConferencingError) as caught:
        zoom.create_meeting("a", START, 30, HOST, "UTC")
    assert caught.value.transient is True


def test_bodies_fit_zoom_rules(zoom: ZoomConferencing, fake: FakeZoom) -> None:
    link = zoom.create_meeting("x" * 300 + "\nsecond line", START, 30, HOST, "America/New_York")
    assert len(fake.meetings[int(link.meeting_id)]["topic"]) == 200
    with pytest.raises(ValueError):
        zoom.create_meeting("a", datetime(2026, 5, 4, 13), 30, HOST, "UTC")
    with pytest.raises(ValueError):
        zoom.create_meeting("a", START, 0, HOST, "UTC")
    assert all(r.status < 400 for r in fake.requests)
