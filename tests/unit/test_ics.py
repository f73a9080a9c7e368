"""The .ics bodies of invitations: RFC 5545 syntax, RFC 5546 REQUEST/CANCEL rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component

from adapters.ics import PRODID, build_ics
from handlers.invitations import Invitation, Person

START = datetime(2025, 12, 2, 14, 0, tzinfo=UTC)
STAMP = datetime(2025, 11, 20, 9, 30, 15, tzinfo=UTC)
HOST = Person("host@example.com", "Zażółć Gęślą")
JANE = Person("jane@example.com", "Jane Doe")
BOB = Person("bob@example.org", "Bob")


def make_invitation(**changes: Any) -> Invitation:
    base = Invitation(
        uid="meeting-42@meetline",
        sequence=0,
        method="REQUEST",
        title="Product demo",
        start_utc=START,
        end_utc=START + timedelta(minutes=45),
        organizer=HOST,
        attendees=(JANE, BOB),
        description="Agenda: pricing; next steps, questions",
        location="",
        join_url="https://meet.example.com/abc-defg-hij",
        timezone="Europe/Warsaw",
    )
    return replace(base, **changes)


def parse(ics: bytes) -> tuple[Calendar, Component]:
    cal = Calendar.from_ical(ics)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


def unfolded_lines(ics: bytes) -> list[str]:
    return ics.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")[:-1]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


SINGLE = ("UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "SEQUENCE", "SUMMARY",
          "ORGANIZER", "STATUS", "LOCATION", "DESCRIPTION", "URL")  # fmt: skip


def rfc5546_problems(ics: bytes) -> list[str]:
    """What RFC 5546 §3.2.2 (REQUEST) and §3.2.5 (CANCEL) require of a VEVENT."""
    problems: list[str] = []
    cal, event = parse(ics)
    for name in ("PRODID", "VERSION", "METHOD"):
        if name not in cal:
            problems.append(f"VCALENDAR lacks {name}")
    if str(cal.get("VERSION")) != "2.0":
        problems.append("VERSION is not 2.0")
    method = str(cal.get("METHOD"))
    for name in SINGLE:
        if len(as_list(event.get(name))) > 1:
            problems.append(f"{name} occurs more than once")
    required: tuple[str, ...]
    if method == "REQUEST":
        required = ("ATTENDEE", "DTSTAMP", "DTSTART", "ORGANIZER", "SUMMARY", "UID")
        if ("DTEND" in event) == ("DURATION" in event):
            problems.append("REQUEST needs exactly one of DTEND and DURATION")
        if event.get("STATUS") is not None and str(event["STATUS"]) == "CANCELLED":
            problems.append("REQUEST with STATUS:CANCELLED")
    elif method == "CANCEL":
        required = ("ATTENDEE", "DTSTAMP", "ORGANIZER", "SEQUENCE", "UID")
        if str(event.get("STATUS")) != "CANCELLED":
            problems.append("CANCEL without STATUS:CANCELLED")
    else:
        return [f"unexpected METHOD {method}"]
    problems += [f"{method} lacks {name}" for name in required if name not in event]
    if event.walk("VALARM"):
        problems.append("VALARM in an invitation")
    tzids = {
        line.split("TZID=", 1)[1].split(":")[0] for line in unfolded_lines(ics) if "TZID=" in line
    }
    if tzids and not cal.walk("VTIMEZONE"):
        problems.append(f"TZID {tzids} without VTIMEZONE")
    return problems


def test_request_has_everything_rfc5546_asks_for() -> None:
    ics = build_ics(make_invitation(), stamp=STAMP)

    assert rfc5546_problems(ics) == []
    cal, event = parse(ics)
    assert str(cal["PRODID"]) == PRODID
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "meeting-42@meetline"
    assert event.decoded("SEQUENCE") == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Product demo"


def test_times_are_utc_in_z_form_and_dtstamp_is_the_given_stamp() -> None:
    warsaw = ZoneInfo("Europe/Warsaw")
    inv = make_invitation(
        start_utc=datetime(2025, 12, 2, 15, 0, tzinfo=warsaw),
        end_utc=datetime(2025, 12, 2, 15, 45, 30, 123456, tzinfo=warsaw),
    )
    ics = build_ics(inv, stamp=STAMP)

    lines = unfolded_lines(ics)
    assert "DTSTART:20251202T140000Z" in lines
    assert "DTEND:20251202T144530Z" in lines
    assert "DTSTAMP:20251120T093015Z" in lines
    assert not any("TZID" in line for line in lines)
    _, event = parse(ics)
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)


def test_dtstamp_is_fresh_and_uid_is_never_random() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    first = build_ics(make_invitation())
    second = build_ics(make_invitation())
    after = datetime.now(UTC)

    _, one = parse(first)
    _, two = parse(second)
    assert before <= one.decoded("DTSTAMP") <= after
    assert str(one["UID"]) == str(two["UID"]) == "meeting-42@meetline"


def test_organizer_and_attendees_carry_the_rsvp_parameters() -> None:
    _, event = parse(build_ics(make_invitation(), stamp=STAMP))

    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:host@example.com"
    assert organizer.params["CN"] == "Zażółć Gęślą"
    attendees = as_list(event["ATTENDEE"])
    assert [str(a) for a in attendees] == ["mailto:jane@example.com", "mailto:bob@example.org"]
    for attendee, person in zip(attendees, (JANE, BOB), strict=True):
        assert dict(attendee.params) == {
            "CUTYPE": "INDIVIDUAL",
            "ROLE": "REQ-PARTICIPANT",
            "PARTSTAT": "NEEDS-ACTION",
            "RSVP": "TRUE",
            "CN": person.name,
        }


def test_attendee_without_a_name_has_no_cn() -> None:
    _, event = parse(build_ics(make_invitation(attendees=(Person("x@example.com"),))))

    attendee = as_list(event["ATTENDEE"])[0]
    assert "CN" not in attendee.params


def test_join_url_goes_to_description_location_and_url() -> None:
    _, event = parse(build_ics(make_invitation(), stamp=STAMP))

    assert str(event["DESCRIPTION"]) == (
        "Agenda: pricing; next steps, questions\n\nJoin: https://meet.example.com/abc-defg-hij"
    )
    assert str(event["LOCATION"]) == "https://meet.example.com/abc-defg-hij"
    assert str(event["URL"]) == "https://meet.example.com/abc-defg-hij"


def test_a_given_location_wins_over_the_join_url() -> None:
    _, event = parse(build_ics(make_invitation(location="Room 4, ul. Długa 5"), stamp=STAMP))

    assert str(event["LOCATION"]) == "Room 4, ul. Długa 5"
    assert str(event["URL"]) == "https://meet.example.com/abc-defg-hij"


def test_no_location_no_url_no_description_when_there_is_nothing_to_say() -> None:
    _, event = parse(build_ics(make_invitation(join_url=None, description="")))

    for name in ("LOCATION", "URL", "DESCRIPTION"):
        assert name not in event


def test_cancel_keeps_the_uid_bumps_the_sequence_and_lists_everyone() -> None:
    request = build_ics(make_invitation(), stamp=STAMP)
    cancel = build_ics(make_invitation(method="CANCEL", sequence=1), stamp=STAMP)

    assert rfc5546_problems(cancel) == []
    cal, event = parse(cancel)
    _, original = parse(request)
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == str(original["UID"])
    assert event.decoded("SEQUENCE") == 1
    assert str(event["STATUS"]) == "CANCELLED"
    assert len(as_list(event["ATTENDEE"])) == 2
    assert not event.walk("VALARM")


def test_output_is_crlf_folded_at_75_octets_and_never_bare_lf() -> None:
    inv = make_invitation(
        title="Zażółć gęślą jaźń " * 10,
        description="Długi opis spotkania. " * 20,
        attendees=(Person("jane@example.com", "Żaneta Źdźbło-Gęślą " * 5),),
    )
    ics = build_ics(inv, stamp=STAMP)

    assert ics.endswith(b"\r\n")
    assert b"\n" not in ics.replace(b"\r\n", b"")
    for line in ics.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # folding never splits a multi-byte character
    assert rfc5546_problems(ics) == []


def test_polish_text_round_trips() -> None:
    inv = make_invitation(
        title="Spotkanie: Zażółć Gęślą Jaźń",
        description="Omówimy ofertę — łódź, źródło, żółw.",
        location="Łódź, ul. Piotrkowska 1",
    )
    _, event = parse(build_ics(inv, stamp=STAMP))

    assert str(event["SUMMARY"]) == "Spotkanie: Zażółć Gęślą Jaźń"
    assert str(event["DESCRIPTION"]).startswith("Omówimy ofertę — łódź, źródło, żółw.")
    assert str(event["LOCATION"]) == "Łódź, ul. Piotrkowska 1"
    assert event["ORGANIZER"].params["CN"] == "Zażółć Gęślą"


@pytest.mark.parametrize("separator", ["\r\n", "\n", "\r", "\u2028", "\x85"])
def test_line_breaks_in_user_text_cannot_inject_properties(separator: str) -> None:
    evil = f"{separator}ATTENDEE:mailto:evil@example.com{separator}END:VEVENT"
    inv = make_invitation(
        title=f"Demo{evil}",
        description=f"Notes{evil}",
        location=f"Office{evil}",
        join_url=f"https://meet.example.com/x{evil}",
        organizer=Person(f"host@example.com{evil}", f"Host{evil}"),
        attendees=(Person("jane@example.com", f"Jane{evil}"),),
    )
    ics = build_ics(inv, stamp=STAMP)

    assert rfc5546_problems(ics) == []
    lines = unfolded_lines(ics)
    assert lines.count("END:VEVENT") == 1
    assert not any(line.startswith("ATTENDEE:mailto:evil") for line in lines)
    _, event = parse(ics)
    assert [str(a) for a in as_list(event["ATTENDEE"])] == ["mailto:jane@example.com"]
    summary = str(event["SUMMARY"])
    assert summary.startswith("Demo ") and "\n" not in summary and "\r" not in summary
    assert as_list(event["ATTENDEE"])[0].params["CN"].startswith("Jane ")
    # Multi-line fields keep their text, escaped inside one property.
    assert "ATTENDEE:mailto:evil@example.com" in str(event["DESCRIPTION"])


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_invitation(start_utc=datetime(2025, 12, 2, 14, 0))


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        make_invitation(end_utc=START - timedelta(minutes=1))
