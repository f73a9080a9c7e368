"""The first implementations of the CRM ports: the records CSV as a RecordSource and
Meetline's own timeline as a MeetingLog."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.crm import LoggedMeeting
from handlers.domain import ImportRejected, RecordKind
from handlers.meeting_log import TimelineLog
from handlers.records_csv import CsvRecordSource

CSV = (
    "type,id,name,email,phone,timezone,associations\n"
    "company,c1,Acme,,,,\n"
    "contact,p1,Jane Doe,jane@acme.test,,Europe/Warsaw,c1\n"
)


def test_a_csv_file_is_one_page_of_rows_with_nothing_after_it() -> None:
    page = CsvRecordSource(CSV).page(None)
    assert [(r.kind, r.external_id, r.associations) for r in page.rows] == [
        (RecordKind.COMPANY, "c1", ()),
        (RecordKind.CONTACT, "p1", ("c1",)),
    ]
    assert (page.deleted, page.next_cursor) == ((), None)


def test_a_bad_csv_file_is_refused_whole() -> None:
    with pytest.raises(ImportRejected) as refused:
        CsvRecordSource(CSV + "robot,x,X,,,,\n").page(None)
    assert [e.line for e in refused.value.errors] == [4]


def test_the_timeline_log_keeps_the_meetings_own_entry() -> None:
    at = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    meeting = LoggedMeeting(7, "T1", "Demo", "", "", "", at, at, "SCHEDULED", None, ())
    log = TimelineLog()
    first = log.write(meeting, None)
    assert log.write(meeting, first) == first == "meetline:7"
