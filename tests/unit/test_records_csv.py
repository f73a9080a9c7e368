"""The records CSV: every problem reported once, on the line a spreadsheet shows."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from handlers.domain import ImportRejected, ImportResult, Record, RecordKind, RecordRow
from handlers.records_csv import import_records, is_valid_email, parse_records_csv

HEADER = "type,id,name,email,phone,timezone,associations\n"


def errors_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(ImportRejected) as info:
        parse_records_csv(text)
    return [(e.line, e.message) for e in info.value.errors]


class FakeRepo:
    def __init__(self, stored: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.stored = set(stored)
        self.imported: list[RecordRow] | None = None
        self.asked: list[str] = []

    def existing_external_ids(self, team_id: str, external_ids: Sequence[str]) -> set[str]:
        self.asked.extend(external_ids)
        return self.stored & set(external_ids)

    def import_rows(self, team_id: str, rows: Sequence[RecordRow]) -> ImportResult:
        self.imported = list(rows)
        return ImportResult(created=len(rows), updated=0, associations=0)

    # The rest of RecordRepository, unused here.
    def search(self, team_id: str, query: str, *, kinds=None, limit: int = 50) -> list[Record]:  # type: ignore[no-untyped-def]
        return []

    def get(self, team_id: str, record_id: int) -> Record | None:
        return None

    def expect(self, team_id: str, record_ids: Sequence[int]) -> None:
        """Nothing to batch in memory."""

    def get_many(self, team_id: str, record_ids: Sequence[int]) -> dict[int, Record]:
        return {}

    def associations(self, team_id: str, record_id: int) -> list[Record]:
        return []

    def deleted_named(self, team_id: str, query: str) -> Record | None:
        return None

    def deleted_among(self, team_id: str, record_ids: Sequence[int]) -> dict[int, Record]:
        return {}

    def delete_external(self, team_id: str, external_ids: Sequence[str]) -> int:
        return 0

    def mirror_page(  # type: ignore[no-untyped-def]
        self, team_id: str, rows: Sequence[RecordRow], *, merged=(), deleted=(), at
    ) -> int:
        return 0


def test_valid_file_parses_every_field() -> None:
    rows = parse_records_csv(
        HEADER
        + "company,a1,Acme Sp. z o.o.,,,,\n"
        + "contact,c1,  Jane   Doe ,jane@acme.com,+48 (22) 123-45-67,Europe/Warsaw,a1; d1 ;\n"
        + "Deal,d1,Big deal,,,,a1\n"
        + "ticket,t1,Login broken,,,,c1\n"
    )
    assert [r.kind for r in rows] == [
        RecordKind.COMPANY,
        RecordKind.CONTACT,
        RecordKind.DEAL,
        RecordKind.TICKET,
    ]
    jane = rows[1]
    assert jane.line == 3
    assert jane.name == "Jane Doe"
    assert jane.email == "jane@acme.com"
    assert jane.phone == "+48 (22) 123-45-67"
    assert jane.timezone == "Europe/Warsaw"
    assert jane.associations == ("a1", "d1")
    assert rows[0].email is None and rows[0].phone is None and rows[0].timezone is None


def test_columns_in_any_order_and_bom_accepted() -> None:
    rows = parse_records_csv(
        "\ufeffname,type,associations,id,timezone,phone,email\nJane,contact,,c1,,,j@x.io\n"
    )
    assert rows[0].external_id == "c1" and rows[0].email == "j@x.io"


def test_header_problems_are_line_one() -> None:
    assert errors_of("type,id,name,email\ncontact,c1,Jane,\n")[0][0] == 1
    (line, message), *_ = errors_of(HEADER.strip() + ",extra\n")
    assert line == 1 and "unknown column" in message and "'extra'" in message
    (line, message), *_ = errors_of("")
    assert line == 1 and "empty" in message
    (line, message), *_ = errors_of("type,id,name,email,phone,timezone,associations,id\n")
    assert "repeated" in message


def test_every_error_is_reported_with_its_line() -> None:
    text = (
        HEADER
        + "contact,c1,Jane,jane@acme.com,,,\n"  # 2 ok
        + "person,c2,Bob,,,,\n"  # 3 unknown type
        + "contact,,No Id,,,,\n"  # 4 empty id
        + "contact,c3,,,,,\n"  # 5 empty name
        + "contact,c1,Jane again,,,,\n"  # 6 duplicate id
        + "contact,c4,Bad Mail,not-an-email,,,\n"  # 7 bad email
        + "contact,c5,Bad Zone,,,Mars/Olympus,\n"  # 8 bad time zone
        + "contact,c6,Bad Phone,,12-34,,\n"  # 9 too few digits
        + "contact,c7,Self,,,,c7\n"  # 10 self association
        + "contact,c8,Short\n"  # 11 wrong field count
    )
    errors = errors_of(text)
    by_line = {line: message for line, message in errors}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "contact, company, deal, ticket" in by_line[3]
    assert "id is empty" in by_line[4]
    assert "name is empty" in by_line[5]
    assert "duplicate id 'c1'" in by_line[6] and "line 2" in by_line[6]
    assert "email" in by_line[7]
    assert "time zone" in by_line[8]
    assert "phone" in by_line[9]
    assert "itself" in by_line[10]
    assert "expected 7 fields" in by_line[11]


def test_line_numbers_count_quoted_multiline_cells() -> None:
    text = (
        HEADER
        + 'company,a1,"Acme\nHoldings\nGroup",,,,\n'  # lines 2-4
        + "contact,c1,Jane,bad@,,,\n"  # line 5
        + '"contact","c2","Multi\r\nline",,,,\n'  # lines 6-7
        + "contact,c3,Bob,,abc,,\n"  # line 8
    )
    errors = errors_of(text)
    assert [line for line, _ in errors] == [5, 8]
    with pytest.raises(ImportRejected):
        parse_records_csv(text)


def test_blank_lines_are_skipped_but_still_counted() -> None:
    errors = errors_of(HEADER + "\ncontact,c1,Jane,,,,\n,,,,,,\n\ncontact,c2,,,,,\n")
    assert errors == [(6, "name is empty")]


def test_unreadable_csv_is_reported_not_raised_as_crash() -> None:
    errors = errors_of(HEADER + 'contact,c1,"Jane,,,,\n')
    assert errors[0][0] == 2 and "unreadable" in errors[0][1]


@pytest.mark.parametrize(
    "phone", ["+48 601 234 567", "(022) 123-4567", "123456", "+1 (555) 010-9999"]
)
def test_good_phones(phone: str) -> None:
    assert parse_records_csv(HEADER + f"contact,c1,Jane,,{phone},,\n")[0].phone == phone


@pytest.mark.parametrize("phone", ["12345", "1234567890123456", "601-234-567 ext 5", "60+1234567"])
def test_bad_phones(phone: str) -> None:
    assert errors_of(HEADER + f'contact,c1,Jane,,"{phone}",,\n')[0][0] == 2


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("jane@acme.com", True),
        ("jane.doe+crm@mail.acme.co.uk", True),
        ("żaneta@przykład.pl", True),
        ("jane@acme", False),
        ("jane doe@acme.com", False),
        ("Jane <jane@acme.com>", False),
        ("jane@@acme.com", False),
        (".jane@acme.com", False),
        ("jane..doe@acme.com", False),
        ("jane@acme.c", False),
        ("jane@-acme.com", False),
    ],
)
def test_email_check(address: str, ok: bool) -> None:
    assert is_valid_email(address) is ok


def test_import_accepts_associations_in_file_or_already_stored() -> None:
    repo = FakeRepo(stored={"old-co"})
    result = import_records(
        repo,
        "T1",
        HEADER + "contact,c1,Jane,,,,a1;old-co\ncompany,a1,Acme,,,,\n",
    )
    assert result.created == 2
    assert repo.imported is not None and repo.imported[0].associations == ("a1", "old-co")
    assert repo.asked == ["old-co"]  # ids of the file itself are not looked up


def test_import_rejects_unknown_associations_together_with_row_errors() -> None:
    repo = FakeRepo()
    with pytest.raises(ImportRejected) as info:
        import_records(
            repo,
            "T1",
            HEADER + "contact,c1,Jane,,,,ghost\ncontact,c2,,,,,\ncontact,c3,Bob,,,,c2\n",
        )
    lines = [(e.line, e.message) for e in info.value.errors]
    assert lines[0][0] == 2 and "'ghost'" in lines[0][1]
    assert lines[1] == (3, "name is empty")
    assert len(lines) == 2  # c3 -> c2 is fine: c2 is in the file, even if invalid
    assert repo.imported is None


def test_an_optional_language_column_is_read_and_checked() -> None:
    from handlers.domain import ImportRejected
    from handlers.records_csv import parse_records_csv

    rows = parse_records_csv(
        "type,id,name,email,phone,timezone,associations,language\n"
        "contact,p1,Zofia,z@acme.example,,,,pl-PL\ncontact,p2,Jan,,,,,\n"
    )
    assert [r.language for r in rows] == ["pl", None]
    try:
        parse_records_csv(
            "type,id,name,email,phone,timezone,associations,language\ncontact,p1,X,,,,,klingon\n"
        )
    except ImportRejected as exc:
        assert [e.line for e in exc.errors] == [2] and "unsupported language" in str(exc)
    else:
        raise AssertionError("an unknown language must be refused")
