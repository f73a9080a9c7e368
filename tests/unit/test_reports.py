"""Reports: periods in the reader's zone, counting, and the renderers (Block Kit, CSV, PNG)."""

from __future__ import annotations

import csv
import io
import json
import struct
import zlib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.report_files import report_chart_png, report_csv, report_json, report_table
from bot.cli import main
from bot.listeners.report import report_period_text
from bot.views.report_views import period_help_text, report_blocks, report_text
from handlers.meetings import Location, Meeting
from handlers.reports import (
    Period,
    Report,
    ReportLabels,
    UnknownPeriod,
    build_report,
    parse_period,
)
from tests.support.blockkit import blocks_errors

WARSAW = "Europe/Warsaw"


def at(text: str, zone: str = WARSAW) -> datetime:
    """A wall time in `zone` as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ---------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("text", "now", "first", "last"),
    [
        ("today", "2026-11-18 10:00", "2026-11-18", "2026-11-18"),
        ("yesterday", "2026-11-18 10:00", "2026-11-17", "2026-11-17"),
        ("this week", "2026-11-18 10:00", "2026-11-16", "2026-11-22"),  # Wednesday
        ("this week", "2026-11-16 00:00", "2026-11-16", "2026-11-22"),  # Monday midnight
        ("this week", "2026-11-22 23:59", "2026-11-16", "2026-11-22"),  # Sunday night
        ("last week", "2026-11-18 10:00", "2026-11-09", "2026-11-15"),
        ("this month", "2026-11-18 10:00", "2026-11-01", "2026-11-30"),
        ("last month", "2026-11-18 10:00", "2026-10-01", "2026-10-31"),
        ("last month", "2026-03-31 12:00", "2026-02-01", "2026-02-28"),
        ("last month", "2028-03-01 00:00", "2028-02-01", "2028-02-29"),  # leap year
        ("this month", "2026-02-10 12:00", "2026-02-01", "2026-02-28"),
        ("last 30 days", "2026-11-18 10:00", "2026-10-20", "2026-11-18"),
        ("last 7 days", "2026-03-02 10:00", "2026-02-24", "2026-03-02"),
        ("past 1 day", "2026-11-18 10:00", "2026-11-18", "2026-11-18"),
        # the year boundary
        ("last month", "2027-01-05 09:00", "2026-12-01", "2026-12-31"),
        ("this month", "2026-12-31 23:59", "2026-12-01", "2026-12-31"),
        ("last week", "2027-01-04 09:00", "2026-12-28", "2027-01-03"),
        ("this week", "2027-01-01 09:00", "2026-12-28", "2027-01-03"),
        ("yesterday", "2027-01-01 00:30", "2026-12-31", "2026-12-31"),
        ("last 30 days", "2027-01-10 09:00", "2026-12-12", "2027-01-10"),
        # explicit ranges, both ends included
        ("2026-11-01..2026-11-30", "2027-05-01 09:00", "2026-11-01", "2026-11-30"),
        ("2026-11-01 2026-11-30", "2027-05-01 09:00", "2026-11-01", "2026-11-30"),
        (" 2026-11-01 .. 2026-11-30 ", "2027-05-01 09:00", "2026-11-01", "2026-11-30"),
        ("2026-11-01 - 2026-11-30", "2027-05-01 09:00", "2026-11-01", "2026-11-30"),
        ("2026-12-28..2027-01-03", "2026-01-01 09:00", "2026-12-28", "2027-01-03"),
        ("2026-11-05", "2026-01-01 09:00", "2026-11-05", "2026-11-05"),
        # Polish, with and without diacritics, any case
        ("ten tydzień", "2026-11-18 10:00", "2026-11-16", "2026-11-22"),
        ("zeszły tydzień", "2026-11-18 10:00", "2026-11-09", "2026-11-15"),
        ("ten miesiąc", "2026-11-18 10:00", "2026-11-01", "2026-11-30"),
        ("zeszły miesiąc", "2026-11-18 10:00", "2026-10-01", "2026-10-31"),
        ("Zeszly Miesiac", "2027-01-05 09:00", "2026-12-01", "2026-12-31"),
        ("zeszly tydzien", "2026-11-18 10:00", "2026-11-09", "2026-11-15"),
        ("dzisiaj", "2026-11-18 10:00", "2026-11-18", "2026-11-18"),
        ("wczoraj", "2026-11-18 10:00", "2026-11-17", "2026-11-17"),
        ("ostatnie 30 dni", "2026-11-18 10:00", "2026-10-20", "2026-11-18"),
        ("LAST   WEEK", "2026-11-18 10:00", "2026-11-09", "2026-11-15"),
    ],
)
def test_periods_are_whole_days_in_the_readers_zone(
    text: str, now: str, first: str, last: str
) -> None:
    period = parse_period(text, at(now), WARSAW)
    assert (period.first_day, period.last_day) == (
        date.fromisoformat(first),
        date.fromisoformat(last),
    )
    zone = ZoneInfo(WARSAW)
    assert period.start_utc == datetime.combine(
        period.first_day, datetime.min.time(), zone
    ).astimezone(UTC)
    assert period.end_utc.astimezone(zone).date() == period.last_day + timedelta(days=1)
    assert period.end_utc.astimezone(zone).time() == datetime.min.time()


def test_the_same_instant_is_a_different_week_in_another_zone() -> None:
    now = utc("2026-11-15 23:30")  # Sunday in London, already Monday in Warsaw
    london = parse_period("this week", now, "Europe/London")
    warsaw = parse_period("this week", now, WARSAW)
    assert london.first_day == date(2026, 11, 9)
    assert warsaw.first_day == date(2026, 11, 16)
    assert warsaw.start_utc == utc("2026-11-15 23:00")


def test_a_week_with_the_spring_dst_change_is_an_hour_short() -> None:
    period = parse_period(
        "this week", at("2026-03-26 12:00"), WARSAW
    )  # clocks go forward on 29 March
    assert (period.start_utc, period.end_utc) == (utc("2026-03-22 23:00"), utc("2026-03-29 22:00"))
    assert period.end_utc - period.start_utc == timedelta(days=7, hours=-1)


def test_a_week_with_the_autumn_dst_change_is_an_hour_long() -> None:
    period = parse_period(
        "last week", at("2026-10-28 12:00"), WARSAW
    )  # clocks go back on 25 October
    assert (period.start_utc, period.end_utc) == (utc("2026-10-18 22:00"), utc("2026-10-25 23:00"))
    assert period.end_utc - period.start_utc == timedelta(days=7, hours=1)


def test_a_month_across_a_dst_change_in_new_york() -> None:
    period = parse_period("last month", utc("2026-04-02 12:00"), "America/New_York")
    assert (period.start_utc, period.end_utc) == (utc("2026-03-01 05:00"), utc("2026-04-01 04:00"))


def test_a_day_whose_midnight_is_skipped_starts_at_the_jump() -> None:
    # America/Santiago jumps from 23:59:59 on 5 September 2026 to 01:00 on the 6th.
    period = parse_period("today", utc("2026-09-06 15:00"), "America/Santiago")
    assert period.first_day == date(2026, 9, 6)
    assert period.start_utc == utc("2026-09-06 04:00")
    before = (period.start_utc - timedelta(microseconds=1)).astimezone(ZoneInfo("America/Santiago"))
    assert before.date() == date(2026, 9, 5)
    assert period.end_utc == utc("2026-09-07 03:00")


def test_an_empty_period_means_the_last_30_days() -> None:
    assert parse_period("  ", at("2026-11-18 10:00"), WARSAW).key == "last 30 days"


@pytest.mark.parametrize(
    "text",
    [
        "next week",
        "last fortnight",
        "2026-11",
        "2026-11-31..2026-12-02",
        "2026-12-01..2026-11-01",
        "last 0 days",
        "last 99999 days",
        "1999-01-01..2026-01-01",
        "tomorrow",
        "w przyszłym tygodniu",
        "this week please",
        "zeszły",
        "2026-11-01...2026-11-30",
        "<!channel>\nlast week",
    ],
)
def test_an_unknown_period_is_an_error_never_a_guess(text: str) -> None:
    with pytest.raises(UnknownPeriod) as caught:
        parse_period(text, at("2026-11-18 10:00"), WARSAW)
    message = str(caught.value)
    assert "\n" not in message
    assert (
        "last month" in message
        and "YYYY-MM-DD..YYYY-MM-DD" in message
        and "zeszły miesiąc" in message
    )


def test_unknown_zone_and_naive_now_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        parse_period("today", at("2026-11-18 10:00"), "Mars/Olympus")
    with pytest.raises(ValueError, match="aware"):
        parse_period("today", datetime(2026, 11, 18), WARSAW)


def test_period_descriptions_name_the_days_and_zone() -> None:
    now = at("2026-11-18 10:00")
    assert (
        parse_period("last month", now, WARSAW).describe()
        == "last month (2026-10-01 – 2026-10-31, Europe/Warsaw)"
    )
    assert (
        parse_period("2026-11-01..2026-11-30", now, WARSAW).describe()
        == "2026-11-01 – 2026-11-30 (Europe/Warsaw)"
    )
    assert parse_period("today", now, WARSAW).describe() == "today (2026-11-18, Europe/Warsaw)"


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("report", ""),
        ("report last month", "last month"),
        ("Raport zeszły miesiąc", "zeszły miesiąc"),
        ("REPORT  2026-11-01..2026-11-30", "2026-11-01..2026-11-30"),
        ("reporting with Jane", None),
        ("Jane report", None),
        ("", None),
    ],
)
def test_report_command_text(text: str, period: str | None) -> None:
    assert report_period_text(text) == period


# ---------------------------------------------------------------- counting

NOW = utc("2026-11-20 12:00")
NOVEMBER = parse_period("this month", NOW, "UTC")


def meeting(
    n: int,
    start: str,
    *,
    organizer: str = "U1",
    host: str = "U1",
    outcome: str = "SCHEDULED",
    status: str = "scheduled",
    meeting_type: str | None = None,
    minutes: int = 30,
) -> Meeting:
    begins = utc(start)
    return Meeting(
        id=n,
        team_id="T1",
        uid=f"m{n}",
        sequence=0,
        title=f"Meeting {n}",
        start_utc=begins,
        end_utc=begins + timedelta(minutes=minutes),
        timezone="UTC",
        duration_minutes=minutes,
        location=Location(),
        host_id=host,
        organizer_id=organizer,
        outcome=outcome,
        status=status,
        meeting_type=meeting_type,
    )


def counts(report: Report, dimension: str) -> dict[str, int]:
    return {c.key: c.count for c in report.dimension(dimension)}


def sample() -> list[Meeting]:
    return [
        meeting(
            1,
            "2026-11-02 09:00",
            organizer="U1",
            host="U2",
            outcome="COMPLETED",
            meeting_type="Demo",
        ),
        meeting(
            2, "2026-11-03 09:00", organizer="U1", host="U2", outcome="NO_SHOW", meeting_type="Demo"
        ),
        meeting(3, "2026-11-04 09:00", organizer="U1", host="U1", outcome="COMPLETED"),
        # cancelled after a click on "Completed": counts as cancelled, not completed
        meeting(
            4,
            "2026-11-05 09:00",
            organizer="U3",
            host="U2",
            outcome="COMPLETED",
            status="cancelled",
        ),
        # the host clicked "Canceled": not in the rates' base either
        meeting(
            5,
            "2026-11-06 09:00",
            organizer="U3",
            host="U1",
            outcome="CANCELED",
            meeting_type="Discovery",
        ),
        meeting(
            6, "2026-11-07 09:00", organizer="U2", host="U2", outcome="SCHEDULED"
        ),  # ended, no outcome
        meeting(
            7, "2026-11-10 09:00", organizer="U2", host="U2", outcome="WON_DEAL"
        ),  # a custom outcome
        meeting(8, "2026-11-20 11:45", organizer="U1", host="U1"),  # still running at NOW
        meeting(9, "2026-11-25 09:00", organizer="U1", host="U3", meeting_type="Demo"),  # future
        meeting(
            10, "2026-11-01 00:00", organizer="U1", host="U1", outcome="COMPLETED"
        ),  # first instant: in
        meeting(11, "2026-12-01 00:00", organizer="U1", host="U1", outcome="COMPLETED"),  # end: out
        meeting(
            12, "2026-10-31 23:59", organizer="U1", host="U1", outcome="COMPLETED"
        ),  # before: out
    ]


def test_counts_by_organizer_host_outcome_and_type() -> None:
    report = build_report(
        sample(), NOVEMBER, ReportLabels(people={"U1": "Anna", "U2": "Bob"}), now=NOW
    )
    assert report.total == 10
    assert counts(report, "organizer") == {"U1": 6, "U2": 2, "U3": 2}
    assert counts(report, "host") == {"U1": 4, "U2": 5, "U3": 1}
    assert counts(report, "outcome") == {
        "SCHEDULED": 3,
        "COMPLETED": 3,
        "RESCHEDULED": 0,
        "NO_SHOW": 1,
        "CANCELED": 2,
        "WON_DEAL": 1,
    }
    assert counts(report, "type") == {"": 6, "Demo": 3, "Discovery": 1}
    for dimension in ("organizer", "host", "outcome", "type"):
        assert sum(counts(report, dimension).values()) == report.total
    assert [c.key for c in report.by_host] == ["U2", "U1", "U3"]  # most first
    assert [c.label for c in report.by_organizer] == [
        "Anna",
        "Bob",
        "U3",
    ]  # ids when no name is known
    assert [c.key for c in report.by_outcome][:5] == [
        "SCHEDULED",
        "COMPLETED",
        "RESCHEDULED",
        "NO_SHOW",
        "CANCELED",
    ]
    assert next(c.label for c in report.by_outcome if c.key == "WON_DEAL") == "Won Deal"
    assert next(c.label for c in report.by_type if c.key == "") == "No type"
    assert report.canceled == 2


def test_rates_count_meetings_that_ended_and_were_not_cancelled() -> None:
    report = build_report(sample(), NOVEMBER, now=NOW)
    # ended and not cancelled: 1, 2, 3, 6, 7, 10 (4 and 5 cancelled; 8 running; 9 future)
    assert report.ended == 6
    assert report.completed == 3 and report.no_show == 1
    assert report.completion_rate == pytest.approx(3 / 6)
    assert report.no_show_rate == pytest.approx(1 / 6)


def test_rates_are_none_when_nothing_has_ended() -> None:
    future = [meeting(1, "2026-11-25 09:00"), meeting(2, "2026-11-26 09:00", status="cancelled")]
    report = build_report(future, NOVEMBER, now=NOW)
    assert report.total == 2 and report.ended == 0
    assert report.completion_rate is None and report.no_show_rate is None
    empty = build_report([], NOVEMBER, now=NOW)
    assert empty.total == 0 and empty.completion_rate is None and empty.by_host == ()
    assert counts(empty, "outcome") == {
        "SCHEDULED": 0,
        "COMPLETED": 0,
        "RESCHEDULED": 0,
        "NO_SHOW": 0,
        "CANCELED": 0,
    }


# ---------------------------------------------------------------- renderers


def big_report() -> Report:
    meetings = [
        meeting(
            i,
            f"2026-11-{1 + i % 19:02d} 09:00",
            organizer=f"U{i % 40:03d}",
            host=f"W{i % 35:03d}",
            outcome=("COMPLETED", "NO_SHOW", "CANCELED", f"CUSTOM_{i % 20}")[i % 4],
            meeting_type=f"<!channel> *type* {i % 25} " + "x" * 150,
        )
        for i in range(400)
    ]
    return build_report(
        meetings, NOVEMBER, ReportLabels(people={"U001": '=HYPERLINK("x")'}), now=NOW
    )


@pytest.mark.parametrize(
    "make",
    [
        big_report,
        lambda: build_report(sample(), NOVEMBER, now=NOW),
        lambda: build_report([], NOVEMBER, now=NOW),
    ],
)
def test_the_slack_message_is_valid_block_kit(make: object) -> None:
    report = make()  # type: ignore[operator]
    blocks = report_blocks(report)
    assert blocks_errors(blocks) == []
    assert len(blocks) <= 50
    for block in blocks:
        assert len(json.dumps(block.get("text", ""))) < 3100
    assert "<!channel>" not in json.dumps(blocks)  # user-typed text is escaped
    assert len(report_text(report)) < 3000


def test_the_message_mentions_people_and_shows_rates() -> None:
    report = build_report(sample(), NOVEMBER, now=NOW)
    text = json.dumps(report_blocks(report), ensure_ascii=False)
    assert "<@U2> — *5*" in text and "<@U1> — *6*" in text
    assert "50%" in text and "17%" in text
    assert "Rescheduled" not in text  # zero rows are left out of the message
    assert "–" in json.dumps(report_blocks(build_report([], NOVEMBER, now=NOW)), ensure_ascii=False)


def test_period_help_lists_the_accepted_forms() -> None:
    help_text = period_help_text("<!here> soon", "")
    assert (
        "&lt;!here&gt;" in help_text
        and "`last month`" in help_text
        and "`zeszły miesiąc`" in help_text
    )
    assert blocks_errors([{"type": "section", "text": {"type": "mrkdwn", "text": help_text}}]) == []


def parse_csv(text: str) -> dict[tuple[str, str], int]:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and list(rows[0]) == ["dimension", "key", "label", "count"]
    return {(r["dimension"], r["key"]): int(r["count"]) for r in rows}


def test_csv_parses_back_to_the_same_counts() -> None:
    report = build_report(
        sample(), NOVEMBER, ReportLabels(people={"U1": 'Anna, "the" host'}), now=NOW
    )
    parsed = parse_csv(report_csv(report))
    for dimension in ("organizer", "host", "outcome", "type"):
        assert {k: n for (d, k), n in parsed.items() if d == dimension} == counts(report, dimension)
    assert parsed[("summary", "meetings")] == 10
    assert parsed[("summary", "ended_not_canceled")] == 6
    assert parsed[("summary", "completed")] == 3 and parsed[("summary", "no_show")] == 1
    assert parsed[("summary", "canceled")] == 2
    labels = {
        (r["dimension"], r["key"]): r["label"]
        for r in csv.DictReader(io.StringIO(report_csv(report)))
    }
    assert labels[("organizer", "U1")] == 'Anna, "the" host'


def test_csv_cells_cannot_become_spreadsheet_formulas() -> None:
    rows = list(csv.reader(io.StringIO(report_csv(big_report()))))
    assert not any(cell[:1] in ("=", "+", "-", "@") for row in rows for cell in row)
    assert ["organizer", "U001", '\'=HYPERLINK("x")', "10"] in rows


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Walk a PNG: signature, then length/type/data/CRC chunks, every CRC checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    return chunks


def png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png_chunks(data)[0][1][:8])
    return width, height


@pytest.mark.parametrize("make", [big_report, lambda: build_report([], NOVEMBER, now=NOW)])
def test_the_chart_is_a_png_of_a_fixed_size(make: object) -> None:
    report = make()  # type: ignore[operator]
    png = report_chart_png(report)
    assert png_size(png) == (1000, 700)
    pixels = b"".join(body for kind, body in png_chunks(png) if kind == b"IDAT")
    assert len(zlib.decompress(pixels)) > 1000
    assert report_chart_png(report) == png  # deterministic


def test_json_and_table() -> None:
    report = build_report(sample(), NOVEMBER, ReportLabels(people={"U1": "Anna"}), now=NOW)
    data = json.loads(json.dumps(report_json(report)))
    assert data["totals"]["meetings"] == 10 and data["completion_rate"] == 0.5
    assert {r["key"]: r["count"] for r in data["by_host"]} == counts(report, "host")
    assert (
        data["period"]["first_day"] == "2026-11-01"
        and data["period"]["end"] == "2026-12-01T00:00:00+00:00"
    )
    table = report_table(report)
    assert "Anna (U1)" in table and "Completion: 50% (3/6)" in table and "By meeting type" in table


def test_a_period_is_a_value() -> None:
    period = parse_period("last week", at("2026-11-18 10:00"), WARSAW)
    assert isinstance(period, Period) and period.days == 7
    assert period == parse_period("zeszły tydzień", at("2026-11-18 10:00"), WARSAW)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--period", "fortnight"], 'unknown period "fortnight"'),
        (["--tz", "Mars/Olympus"], "--tz"),
        (["--period", "2026-02-30..2026-03-01"], "not a date"),
    ],
)
def test_cli_refuses_bad_input_with_one_line(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", *args]) == 2  # before any settings or database are needed
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and says in err
