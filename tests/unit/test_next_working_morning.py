"""When the outcome nudge and the daily digest reach the host (`next_working_morning`):
09:00 on the next Monday–Friday in the host's own zone, never at night or on a weekend,
across DST changes and date lines."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.clock import SystemClock
from handlers.outcomes import next_working_morning

WAW = ZoneInfo("Europe/Warsaw")


def local(dt: datetime, zone: str) -> str:
    return dt.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


@pytest.mark.parametrize(
    ("now_local", "expected"),
    [
        (datetime(2026, 12, 3, 8, 59), "Thu 2026-12-03 09:00 CET"),  # still ahead today
        (datetime(2026, 12, 3, 9, 0), "Fri 2026-12-04 09:00 CET"),  # strictly after now
        (datetime(2026, 12, 3, 16, 0), "Fri 2026-12-04 09:00 CET"),
        (datetime(2026, 12, 4, 16, 0), "Mon 2026-12-07 09:00 CET"),  # Friday afternoon: Monday
        (datetime(2026, 12, 5, 7, 0), "Mon 2026-12-07 09:00 CET"),  # Saturday morning
        (datetime(2026, 12, 6, 23, 59), "Mon 2026-12-07 09:00 CET"),
        (datetime(2026, 12, 31, 18, 0), "Fri 2027-01-01 09:00 CET"),  # holidays are not known
    ],
)
def test_the_next_weekday_at_nine_in_the_hosts_zone(now_local: datetime, expected: str) -> None:
    now = now_local.replace(tzinfo=WAW).astimezone(UTC)
    result = next_working_morning(now, "Europe/Warsaw")
    assert result.tzinfo is UTC
    assert local(result, "Europe/Warsaw") == expected


def test_nine_oclock_moves_with_daylight_saving_time() -> None:
    friday = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)  # CEST, UTC+2
    monday = next_working_morning(friday, "Europe/Warsaw")  # clocks went back on Sunday
    assert monday == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert local(monday, "Europe/Warsaw") == "Mon 2026-10-26 09:00 CET"
    spring = next_working_morning(datetime(2026, 3, 27, 12, 0, tzinfo=UTC), "Europe/Warsaw")
    assert spring == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_the_weekend_is_the_hosts_not_utcs() -> None:
    """Sunday 22:00 UTC is already Monday 11:00 in Auckland: the next morning is Tuesday's."""
    now = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)
    assert (
        local(next_working_morning(now, "Pacific/Auckland"), "Pacific/Auckland")
        == "Tue 2026-12-08 09:00 NZDT"
    )
    assert local(next_working_morning(now, "America/Los_Angeles"), "America/Los_Angeles") == (
        "Mon 2026-12-07 09:00 PST"
    )


def test_another_hour_can_be_asked_for() -> None:
    now = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)  # 12:30 in Kolkata
    result = next_working_morning(now, "Asia/Kolkata", hour=14)
    assert local(result, "Asia/Kolkata") == "Thu 2026-12-03 14:00 IST"


def test_the_system_clock_is_aware_utc_and_current() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC and before <= now <= after
