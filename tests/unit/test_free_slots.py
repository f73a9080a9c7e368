"""free_slots: working hours in the host's zone, busy spans, grid alignment and DST."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.calendars import BusyInterval, CalendarEvent, free_slots

WARSAW = "Europe/Warsaw"
NINE_TO_FIVE = (time(9), time(17))
HOUR = timedelta(hours=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def test_empty_day_gives_the_first_slots_of_working_hours() -> None:
    slots = free_slots([], utc(2026, 1, 12), utc(2026, 1, 13), HOUR, NINE_TO_FIVE, WARSAW)
    # Winter: Warsaw is UTC+1.
    assert slots == [utc(2026, 1, 12, 8), utc(2026, 1, 12, 8, 15), utc(2026, 1, 12, 8, 30)]
    assert all(s.tzinfo is UTC for s in slots)


def test_busy_spans_are_skipped_and_the_grid_is_kept() -> None:
    busy = [
        BusyInterval(local(WARSAW, 2026, 1, 12, 9), local(WARSAW, 2026, 1, 12, 10, 5)),
        BusyInterval(local(WARSAW, 2026, 1, 12, 11, 30), local(WARSAW, 2026, 1, 12, 12)),
    ]
    slots = free_slots(
        busy, utc(2026, 1, 12), utc(2026, 1, 13), HOUR, NINE_TO_FIVE, WARSAW, count=4
    )
    wall = [s.astimezone(ZoneInfo(WARSAW)).strftime("%H:%M") for s in slots]
    # 10:05 rounds up to 10:15; 10:30+1h would hit 11:30, so the next is 12:00.
    assert wall == ["10:15", "10:30", "12:00", "12:15"]


def test_search_starting_mid_morning_is_rounded_up_to_the_grid() -> None:
    now = local(WARSAW, 2026, 1, 12, 10, 7)
    slots = free_slots([], now, now + timedelta(days=1), HOUR, NINE_TO_FIVE, WARSAW, count=1)
    assert slots == [local(WARSAW, 2026, 1, 12, 10, 15).astimezone(UTC)]


def test_slots_never_run_past_working_hours_or_the_window() -> None:
    start = local(WARSAW, 2026, 1, 12, 15, 30)
    slots = free_slots(
        [], start, start + timedelta(days=2), HOUR, NINE_TO_FIVE, WARSAW, count=4, step=HOUR
    )
    wall = [s.astimezone(ZoneInfo(WARSAW)).strftime("%d %H:%M") for s in slots]
    assert wall == ["12 16:00", "13 09:00", "13 10:00", "13 11:00"]
    # Window ends at 12:30 local: only slots that finish by then.
    end = local(WARSAW, 2026, 1, 12, 12, 30)
    slots = free_slots([], utc(2026, 1, 12), end, HOUR, NINE_TO_FIVE, WARSAW, count=10, step=HOUR)
    assert [s.astimezone(ZoneInfo(WARSAW)).hour for s in slots] == [9, 10, 11]


def test_fully_busy_days_move_on_to_the_next_day() -> None:
    busy = [BusyInterval(utc(2026, 1, 12), utc(2026, 1, 13))]
    slots = free_slots(busy, utc(2026, 1, 12), utc(2026, 1, 20), HOUR, NINE_TO_FIVE, WARSAW)
    assert slots[0] == local(WARSAW, 2026, 1, 13, 9).astimezone(UTC)


def test_nothing_fits() -> None:
    assert free_slots([], utc(2026, 1, 12), utc(2026, 1, 13), 9 * HOUR, NINE_TO_FIVE, WARSAW) == []
    assert free_slots([], utc(2026, 1, 13), utc(2026, 1, 12), HOUR, NINE_TO_FIVE, WARSAW) == []


def test_spring_forward_keeps_working_hours_on_the_wall_clock() -> None:
    # 2026-03-29: Warsaw goes from UTC+1 to UTC+2 at 02:00 local.
    before = free_slots([], utc(2026, 3, 28), utc(2026, 3, 29), HOUR, NINE_TO_FIVE, WARSAW, count=1)
    after = free_slots([], utc(2026, 3, 29), utc(2026, 3, 30), HOUR, NINE_TO_FIVE, WARSAW, count=1)
    assert before == [utc(2026, 3, 28, 8)]
    assert after == [utc(2026, 3, 29, 7)]


def test_spring_forward_night_shift_is_an_hour_shorter() -> None:
    # Working 01:00-05:00 local on the transition day is only 3 real hours.
    slots = free_slots(
        [],
        utc(2026, 3, 28, 12),
        utc(2026, 3, 30),
        HOUR,
        (time(1), time(5)),
        WARSAW,
        count=10,
        step=HOUR,
    )
    day = [s for s in slots if s.astimezone(ZoneInfo(WARSAW)).date().day == 29]
    assert [s.astimezone(ZoneInfo(WARSAW)).strftime("%H:%M") for s in day] == [
        "01:00",
        "03:00",
        "04:00",
    ]
    # Every slot is a real hour long: UTC starts are 00:00, 01:00, 02:00.
    assert day == [utc(2026, 3, 29, 0), utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)]


def test_working_hours_starting_in_the_gap_start_after_the_jump() -> None:
    # 02:30 does not exist on 2026-03-29 in Warsaw; the clock shows 03:30 at that instant.
    slots = free_slots(
        [], utc(2026, 3, 29), utc(2026, 3, 30), HOUR, (time(2, 30), time(6)), WARSAW, count=1
    )
    assert slots == [utc(2026, 3, 29, 1, 30)]
    assert slots[0].astimezone(ZoneInfo(WARSAW)).strftime("%H:%M") == "03:30"


def test_fall_back_keeps_working_hours_on_the_wall_clock() -> None:
    # 2026-10-25: Warsaw goes from UTC+2 back to UTC+1 at 03:00 local.
    before = free_slots(
        [], utc(2026, 10, 24), utc(2026, 10, 25), HOUR, NINE_TO_FIVE, WARSAW, count=1
    )
    after = free_slots(
        [], utc(2026, 10, 25), utc(2026, 10, 26), HOUR, NINE_TO_FIVE, WARSAW, count=1
    )
    assert before == [utc(2026, 10, 24, 7)]
    assert after == [utc(2026, 10, 25, 8)]


def test_fall_back_night_shift_is_an_hour_longer() -> None:
    slots = free_slots(
        [],
        utc(2026, 10, 24, 12),
        utc(2026, 10, 26),
        HOUR,
        (time(1), time(5)),
        WARSAW,
        count=10,
        step=HOUR,
    )
    day = [s for s in slots if s.astimezone(ZoneInfo(WARSAW)).date().day == 25]
    # 01:00 CEST = 23:00Z; 05:00 CET = 04:00Z: five real hours, 02:00 local twice.
    assert day == [utc(2026, 10, 24, 23) + i * HOUR for i in range(5)]
    assert [s.astimezone(ZoneInfo(WARSAW)).strftime("%H:%M") for s in day] == [
        "01:00",
        "02:00",
        "02:00",
        "03:00",
        "04:00",
    ]


def test_busy_span_across_the_transition_is_measured_in_real_time() -> None:
    # Busy 07:00Z-09:00Z on the spring-forward day is 09:00-11:00 CEST.
    busy = [BusyInterval(utc(2026, 3, 29, 7), utc(2026, 3, 29, 9))]
    slots = free_slots(
        busy, utc(2026, 3, 29), utc(2026, 3, 30), HOUR, NINE_TO_FIVE, WARSAW, count=1
    )
    assert slots[0].astimezone(ZoneInfo(WARSAW)).strftime("%H:%M") == "11:00"


def test_other_zones_and_bad_arguments() -> None:
    slots = free_slots(
        [], utc(2026, 1, 12), utc(2026, 1, 13), HOUR, NINE_TO_FIVE, "America/New_York", count=1
    )
    assert slots == [utc(2026, 1, 12, 14)]
    with pytest.raises(ValueError):
        free_slots([], datetime(2026, 1, 12), utc(2026, 1, 13), HOUR, NINE_TO_FIVE, WARSAW)
    with pytest.raises(ValueError):
        free_slots([], utc(2026, 1, 12), utc(2026, 1, 13), HOUR, (time(17), time(9)), WARSAW)
    with pytest.raises(ValueError):
        free_slots([], utc(2026, 1, 12), utc(2026, 1, 13), timedelta(0), NINE_TO_FIVE, WARSAW)


def test_calendar_event_refuses_naive_or_backwards_times() -> None:
    common = {"meeting_id": 1, "uid": "u@x", "sequence": 0, "title": "t", "organizer_email": "h@x"}
    with pytest.raises(ValueError):
        CalendarEvent(**common, start_utc=datetime(2026, 1, 1, 9), end_utc=utc(2026, 1, 1, 10))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        CalendarEvent(**common, start_utc=utc(2026, 1, 1, 10), end_utc=utc(2026, 1, 1, 9))  # type: ignore[arg-type]
