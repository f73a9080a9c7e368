"""Scheduling rules (`handlers.rules`): which form field each refusal lands on, the exact
message the organizer reads (English and Polish), and what a valid request becomes (UTC
start and end, a normalised location, the reminders that will be sent).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.errors import Field
from handlers.i18n import translator
from handlers.meetings import (
    AttendeeKind,
    AttendeeRef,
    Location,
    LocationKind,
    MeetingRequest,
    ReminderSpec,
    ReminderUnit,
)
from handlers.rules import (
    MAX_DURATION_MINUTES,
    MAX_TITLE,
    check_request,
    reminder_offset_text,
    valid_email,
)

WARSAW = ZoneInfo("Europe/Warsaw")
NOW = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)  # Friday 10:00 in Warsaw

REQUEST = MeetingRequest(
    idempotency_key="k1",
    team_id="T1",
    organizer_id="U1",
    host_id="U1",
    timezone="Europe/Warsaw",
    record_id=7,
    title="Demo",
    day=date(2026, 3, 16),
    start_time=time(15, 0),
    duration_minutes=45,
    attendees=(AttendeeRef(AttendeeKind.CONTACT, "7"),),
)


def test_a_complete_request_passes_and_is_placed_in_utc() -> None:
    out = check_request(REQUEST, NOW)
    assert out.ok and out.errors == {} and out.warnings == []
    assert out.start_utc == datetime(2026, 3, 16, 14, 0, tzinfo=UTC)
    assert out.end_utc == datetime(2026, 3, 16, 14, 45, tzinfo=UTC)
    assert out.location == Location()
    assert out.reminders == []


def test_an_empty_form_names_every_missing_field() -> None:
    empty = replace(
        REQUEST,
        record_id=None,
        title="  ",
        day=None,
        start_time=None,
        duration_minutes=None,
        attendees=(),
    )
    out = check_request(empty, NOW)
    assert not out.ok
    assert out.errors == {
        Field.RECORD: "Pick the record this meeting is about.",
        Field.TITLE: "Give the meeting a title.",
        Field.DATE: "Pick the day of the meeting.",
        Field.TIME: "Pick the start time.",
        Field.DURATION: "Enter the length in minutes, e.g. 40.",
        Field.ATTENDEES: "Add at least one attendee.",
    }
    assert out.start_utc is None and out.end_utc is None


def test_an_empty_form_in_polish() -> None:
    out = check_request(replace(REQUEST, record_id=None, language="pl"), NOW)
    assert out.errors == {Field.RECORD: "Wybierz rekord, którego dotyczy spotkanie."}


def test_the_title_is_counted_after_collapsing_spaces() -> None:
    assert check_request(replace(REQUEST, title="  a   " * MAX_TITLE), NOW).errors == {
        Field.TITLE: f"Keep the title under {MAX_TITLE} characters."
    }
    spaced = "word   " * 50  # 350 characters typed, 249 once collapsed
    assert check_request(replace(REQUEST, title=spaced), NOW).ok


@pytest.mark.parametrize("minutes", [0, -15, MAX_DURATION_MINUTES + 1])
def test_a_meeting_lasts_between_one_minute_and_twelve_hours(minutes: int) -> None:
    out = check_request(replace(REQUEST, duration_minutes=minutes), NOW)
    assert out.errors == {Field.DURATION: "A meeting lasts between 1 and 720 minutes."}
    assert out.start_utc is not None and out.end_utc is None


def test_the_longest_meeting_is_allowed() -> None:
    out = check_request(replace(REQUEST, duration_minutes=MAX_DURATION_MINUTES), NOW)
    assert out.ok and out.end_utc == datetime(2026, 3, 17, 2, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- time and DST


def test_a_past_time_today_is_blamed_on_the_time() -> None:
    out = check_request(replace(REQUEST, day=date(2026, 3, 13), start_time=time(9, 30)), NOW)
    assert out.errors == {Field.TIME: "The meeting must start in the future."}


def test_a_past_day_is_blamed_on_the_date() -> None:
    out = check_request(replace(REQUEST, day=date(2026, 3, 12), start_time=time(18, 0)), NOW)
    assert out.errors == {Field.DATE: "The meeting must start in the future."}


def test_now_itself_is_not_in_the_future() -> None:
    out = check_request(replace(REQUEST, day=date(2026, 3, 13), start_time=time(10, 0)), NOW)
    assert out.errors == {Field.TIME: "The meeting must start in the future."}
    later = check_request(replace(REQUEST, day=date(2026, 3, 13), start_time=time(10, 1)), NOW)
    assert later.ok and later.start_utc == datetime(2026, 3, 13, 9, 1, tzinfo=UTC)


def test_the_day_is_read_in_the_requests_zone_not_utc() -> None:
    """23:30 on Friday in New York is Saturday in UTC: still today for the organizer."""
    now = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)  # Friday 23:00 EDT (US clocks moved on 8 March)
    out = check_request(
        replace(
            REQUEST, timezone="America/New_York", day=date(2026, 3, 13), start_time=time(22, 0)
        ),
        now,
    )
    assert out.errors == {Field.TIME: "The meeting must start in the future."}


def test_a_wall_time_skipped_by_spring_forward_is_refused() -> None:
    out = check_request(replace(REQUEST, day=date(2026, 3, 29), start_time=time(2, 30)), NOW)
    assert out.errors == {
        Field.TIME: "This time does not exist on that day in Europe/Warsaw (the clocks go forward). "
        "Pick another time."
    }


def test_a_wall_time_repeated_by_fall_back_is_refused() -> None:
    out = check_request(
        replace(
            REQUEST, timezone="America/New_York", day=date(2026, 11, 1), start_time=time(1, 30)
        ),
        NOW,
    )
    assert out.errors == {
        Field.TIME: "This time happens twice on that day in America/New_York (the clocks go back). "
        "Pick another time."
    }


def test_the_dst_gap_message_in_polish() -> None:
    out = check_request(
        replace(REQUEST, day=date(2026, 3, 29), start_time=time(2, 0), language="pl"), NOW
    )
    assert out.errors == {
        Field.TIME: "Tego dnia ta godzina nie istnieje w strefie Europe/Warsaw (zegary są przestawiane do "
        "przodu). Wybierz inną godzinę."
    }


def test_a_meeting_across_the_dst_change_lasts_its_real_length() -> None:
    """01:30 + 90 minutes on the spring-forward night ends at 04:00 local, 03:00 CEST + 1h."""
    out = check_request(
        replace(REQUEST, day=date(2026, 3, 29), start_time=time(1, 30), duration_minutes=90), NOW
    )
    assert out.ok
    assert out.start_utc == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert out.end_utc == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    assert out.end_utc.astimezone(WARSAW).strftime("%H:%M %Z") == "04:00 CEST"


# --------------------------------------------------------------------------- location


def test_a_phone_number_is_checked_and_formatted_internationally() -> None:
    typed = Location(LocationKind.PHONE, "  22 123  45 67 ")
    out = check_request(replace(REQUEST, location=typed, phone_region="pl"), NOW)
    assert out.ok
    assert out.location == Location(LocationKind.PHONE, "+48 22 123 45 67")


def test_a_phone_number_without_a_region_needs_the_country_code() -> None:
    without = check_request(
        replace(REQUEST, location=Location(LocationKind.PHONE, "22 123 45 67")), NOW
    )
    assert without.errors == {
        Field.PHONE: "This is not a valid phone number. Include the country code, e.g. +48 22 123 45 67."
    }
    too_short = check_request(
        replace(REQUEST, location=Location(LocationKind.PHONE, "+48 123")), NOW
    )
    assert too_short.errors == without.errors
    us = check_request(
        replace(REQUEST, location=Location(LocationKind.PHONE, "+1 650-253-0000")), NOW
    )
    assert us.ok and us.location.detail == "+1 650-253-0000"


@pytest.mark.parametrize(
    ("location", "field", "message"),
    [
        (Location(LocationKind.PHONE, "  "), Field.PHONE, "Enter the phone number to call."),
        (
            Location(LocationKind.PHONE, "call me"),
            Field.PHONE,
            "This is not a valid phone number. Include the country code, e.g. +48 22 123 45 67.",
        ),
        (Location(LocationKind.IN_PERSON, " "), Field.ADDRESS, "Enter the address where you meet."),
        (
            Location(LocationKind.CUSTOM, ""),
            Field.CUSTOM_LOCATION,
            "Describe where the meeting takes place.",
        ),
        (Location(LocationKind.VIDEO, "", None), Field.VIDEO, "Pick the video provider."),
    ],
)
def test_an_incomplete_location_is_refused_next_to_its_field(
    location: Location, field: Field, message: str
) -> None:
    out = check_request(replace(REQUEST, location=location), NOW)
    assert out.errors == {field: message}
    assert out.location == Location()


def test_an_address_is_kept_with_its_spaces_collapsed() -> None:
    out = check_request(
        replace(REQUEST, location=Location(LocationKind.IN_PERSON, " ul. Marszałkowska\n 1 ")), NOW
    )
    assert out.location == Location(LocationKind.IN_PERSON, "ul. Marszałkowska 1")
    video = check_request(replace(REQUEST, location=Location(LocationKind.VIDEO, "", "zoom")), NOW)
    assert video.location == Location(LocationKind.VIDEO, "", "zoom")


# --------------------------------------------------------------------------- reminders


def spec(amount: int | None, unit: ReminderUnit) -> ReminderSpec:
    return ReminderSpec(amount, unit, str(amount))


def test_reminders_are_due_before_the_start_and_sorted_by_when_they_go_out() -> None:
    specs = (
        spec(15, ReminderUnit.MINUTES),
        spec(1, ReminderUnit.DAYS),
        spec(2, ReminderUnit.HOURS),
    )
    out = check_request(replace(REQUEST, reminders=specs), NOW)
    start = datetime(2026, 3, 16, 14, 0, tzinfo=UTC)
    assert [(r.offset_minutes, r.due_at) for r in out.reminders] == [
        (1440, start - timedelta(days=1)),
        (120, start - timedelta(hours=2)),
        (15, start - timedelta(minutes=15)),
    ]


def test_the_same_offset_written_twice_is_sent_once() -> None:
    specs = (spec(1, ReminderUnit.HOURS), spec(60, ReminderUnit.MINUTES))
    out = check_request(replace(REQUEST, reminders=specs), NOW)
    assert [r.offset_minutes for r in out.reminders] == [60]
    assert out.ok and out.warnings == []


def test_a_reminder_already_due_is_dropped_with_a_warning_not_an_error() -> None:
    specs = (spec(1, ReminderUnit.WEEKS), spec(2, ReminderUnit.HOURS))
    out = check_request(replace(REQUEST, reminders=specs), NOW)
    assert out.ok
    assert [r.offset_minutes for r in out.reminders] == [120]
    assert out.warnings == ["The reminder 1 week before was dropped: that time has already passed."]


def test_a_dropped_reminder_in_polish_uses_the_plural_form() -> None:
    specs = (spec(5, ReminderUnit.DAYS),)
    out = check_request(replace(REQUEST, reminders=specs, language="pl"), NOW)
    assert out.warnings == ["Przypomnienie na 5 dni przed pominięto: ten czas już minął."]


@pytest.mark.parametrize("amount", [None, 0, -2])
def test_an_unreadable_reminder_amount_is_refused_on_its_row(amount: int | None) -> None:
    specs = (spec(1, ReminderUnit.HOURS), spec(amount, ReminderUnit.HOURS))
    out = check_request(replace(REQUEST, reminders=specs), NOW)
    assert out.errors == {Field.REMINDER_2: "Enter a whole number greater than 0."}


def test_more_than_three_reminders_are_refused() -> None:
    specs = tuple(spec(n, ReminderUnit.HOURS) for n in (1, 2, 3, 4))
    out = check_request(replace(REQUEST, reminders=specs), NOW)
    assert out.errors == {Field.REMINDERS: "At most 3 reminders."}
    assert out.reminders == []
    polish = check_request(replace(REQUEST, reminders=specs, language="pl"), NOW)
    assert polish.errors == {Field.REMINDERS: "Najwyżej 3 przypomnienia."}


def test_reminders_are_not_placed_without_a_start() -> None:
    out = check_request(replace(REQUEST, day=None, reminders=(spec(1, ReminderUnit.HOURS),)), NOW)
    assert out.reminders == [] and out.warnings == []


@pytest.mark.parametrize(
    ("amount", "unit", "english", "polish"),
    [
        (1, ReminderUnit.WEEKS, "1 week before", "1 tydzień przed"),
        (2, ReminderUnit.DAYS, "2 days before", "2 dni przed"),
        (1, ReminderUnit.HOURS, "1 hour before", "1 godzinę przed"),
        (3, ReminderUnit.HOURS, "3 hours before", "3 godziny przed"),
        (5, ReminderUnit.HOURS, "5 hours before", "5 godzin przed"),
        (22, ReminderUnit.HOURS, "22 hours before", "22 godziny przed"),
        (1, ReminderUnit.MINUTES, "1 minute before", "1 minutę przed"),
        (12, ReminderUnit.MINUTES, "12 minutes before", "12 minut przed"),
    ],
)
def test_reminder_offsets_read_naturally_in_both_languages(
    amount: int, unit: ReminderUnit, english: str, polish: str
) -> None:
    assert reminder_offset_text(amount, unit, translator("en")) == english
    assert reminder_offset_text(amount, unit, translator("pl")) == polish


# --------------------------------------------------------------------------- email


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("jane@example.com", True),
        ("jan.kowalski+crm@firma.com.pl", True),
        ("JANE@EXAMPLE.COM", True),
        (None, False),
        ("", False),
        ("jane", False),
        ("jane@example", False),
        ("jane@example.c", False),
        ("jane doe@example.com", False),
        ("jane@@example.com", False),
        ("<jane@example.com>", False),
        ("jane@example.com, bob@example.com", False),
        ("jane@example.com\n", False),  # a pasted line break is not part of an address
    ],
)
def test_only_a_plain_address_counts_as_a_valid_email(value: str | None, ok: bool) -> None:
    assert valid_email(value) is ok
