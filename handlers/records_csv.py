"""The records CSV (`meetline import`): parse, validate, import all or nothing.

Files come from CRM exports and spreadsheets, so the whole file is checked before
anything is written and every problem is reported at once with the line number a
spreadsheet user sees (the header is line 1; a quoted cell spanning lines counts
all of them), so one round of fixes is enough.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from handlers.crm import RecordPage
from handlers.domain import ImportRejected, ImportResult, RecordKind, RecordRow, RowError
from handlers.i18n import SUPPORTED
from handlers.ports import RecordRepository

if TYPE_CHECKING:
    from handlers.ports import RecordSource

COLUMNS = ("type", "id", "name", "email", "phone", "timezone", "associations")
# Beyond DESIGN.md's header: a contact's language for the mails Meetline sends them
# (invitations, reminders). Optional, so files written to the contract keep working.
OPTIONAL_COLUMNS = ("language",)
ALLOWED_TYPES = tuple(k.value for k in RecordKind)
MAX_ID_CHARS = 128
MAX_NAME_CHARS = 300
MAX_EMAIL_CHARS = 320

_EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)[\w.!#$%&'*+/=?^`{|}~-]+(?<!\.)"  # local part, no leading/trailing/double dots
    r"@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}"  # domain labels and an alphabetic TLD
)
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-]+$")


def parse_records_csv(text: str) -> list[RecordRow]:
    """The valid rows, in file order; raises ImportRejected listing every problem."""
    rows, errors, _ids = _parse(text)
    if errors:
        raise ImportRejected(errors)
    return rows


class CsvRecordSource:
    """The records CSV as a `RecordSource` (handlers/ports.py): the whole file is one
    page, checked whole before anything is stored; a file has no deletions and no
    changes "since" (it is what it is)."""

    def __init__(self, text: str) -> None:
        self._text = text

    def page(self, cursor: str | None, since: datetime | None = None) -> RecordPage:
        return RecordPage(rows=tuple(parse_records_csv(self._text)))


def import_records(repo: RecordRepository, team_id: str, text: str) -> ImportResult:
    """Parse, check that every association names a row of the file or a record
    already stored for the team, then store everything in one transaction."""
    rows, errors, ids_in_file = _parse(text)
    if rows or ids_in_file:
        referenced = {a for row in rows for a in row.associations} - ids_in_file
        stored = repo.existing_external_ids(team_id, sorted(referenced)) if referenced else set()
        for row in rows:
            for assoc in row.associations:
                if assoc not in ids_in_file and assoc not in stored:
                    errors.append(
                        RowError(
                            row.line,
                            f"association {assoc!r} is not an id in this file "
                            "nor of a record imported before",
                        )
                    )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    return repo.import_rows(team_id, rows)


def _parse(text: str) -> tuple[list[RecordRow], list[RowError], set[str]]:
    """Rows that passed, all errors (by line), and every id the file mentions (valid
    rows or not, so a bad row does not also cause "unknown association" noise)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    records = _records_with_lines(text)
    first = next(records, None)
    if first is None:
        return (
            [],
            [RowError(1, f"the file is empty; expected the header {','.join(COLUMNS)}")],
            set(),
        )
    header_line, header, unreadable = first
    if unreadable:
        return [], [RowError(header_line, unreadable)], set()
    positions, header_errors = _check_header(header_line, header)
    if header_errors:
        return [], header_errors, set()

    rows: list[RecordRow] = []
    errors: list[RowError] = []
    first_line_of: dict[str, int] = {}
    for line, fields, unreadable in records:
        if unreadable:
            errors.append(RowError(line, unreadable))
            break
        if not any(f.strip() for f in fields):
            continue  # blank lines, and the ",,,,,," rows spreadsheets leave behind
        if len(fields) != len(positions):
            errors.append(RowError(line, f"expected {len(positions)} fields, found {len(fields)}"))
            continue
        values = {col: fields[pos].strip() for col, pos in positions.items()}
        row_errors: list[str] = []
        row = _validate(line, values, first_line_of, row_errors)
        errors.extend(RowError(line, message) for message in row_errors)
        if row is not None and not row_errors:
            rows.append(row)
    return rows, errors, set(first_line_of)


def _records_with_lines(text: str) -> Iterator[tuple[int, list[str], str | None]]:
    """CSV records with the line each starts on (csv's line_num is where it ends),
    or, last, the reason the rest of the file cannot be read."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, [], f"unreadable CSV from here on: {exc}"
            return
        yield start, fields, None
        start = reader.line_num + 1


def _check_header(line: int, header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    names = [h.strip() for h in header]
    problems: list[str] = []
    unknown = [n for n in names if n not in COLUMNS + OPTIONAL_COLUMNS]
    missing = [c for c in COLUMNS if c not in names]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if unknown:
        problems.append("unknown column(s) " + ", ".join(repr(n) for n in unknown))
    if missing:
        problems.append("missing column(s) " + ", ".join(missing))
    if duplicated:
        problems.append("repeated column(s) " + ", ".join(duplicated))
    if problems:
        message = "; ".join(problems) + f" (the header must be {','.join(COLUMNS)}, in any order)"
        return {}, [RowError(line, message)]
    return {name: names.index(name) for name in COLUMNS + OPTIONAL_COLUMNS if name in names}, []


def _validate(
    line: int, v: dict[str, str], first_line_of: dict[str, int], errors: list[str]
) -> RecordRow | None:
    kind: RecordKind | None = None
    raw_type = v["type"].lower()
    if raw_type in ALLOWED_TYPES:
        kind = RecordKind(raw_type)
    elif not raw_type:
        errors.append(f"type is empty (allowed: {', '.join(ALLOWED_TYPES)})")
    else:
        errors.append(f"unknown type {v['type']!r} (allowed: {', '.join(ALLOWED_TYPES)})")

    ext_id = v["id"]
    if not ext_id:
        errors.append("id is empty")
    elif len(ext_id) > MAX_ID_CHARS:
        errors.append(f"id is longer than {MAX_ID_CHARS} characters")
    elif ext_id in first_line_of:
        errors.append(f"duplicate id {ext_id!r} (first on line {first_line_of[ext_id]})")
    else:
        first_line_of[ext_id] = line

    name = " ".join(v["name"].split())
    if not name:
        errors.append("name is empty")
    elif len(name) > MAX_NAME_CHARS:
        errors.append(f"name is longer than {MAX_NAME_CHARS} characters")

    email = v["email"] or None
    if email is not None and not is_valid_email(email):
        errors.append(f"invalid email {email!r}")

    phone = v["phone"] or None
    if phone is not None:
        problem = phone_problem(phone)
        if problem:
            errors.append(problem)

    timezone = v["timezone"] or None
    if timezone is not None and not is_valid_timezone(timezone):
        errors.append(f"unknown time zone {timezone!r} (use an IANA name such as Europe/Warsaw)")

    language = (v.get("language") or "").lower().replace("_", "-").split("-")[0] or None
    if language is not None and language not in SUPPORTED:
        errors.append(f"unsupported language {v['language']!r} (supported: {', '.join(SUPPORTED)})")

    associations: list[str] = []
    for part in v["associations"].split(";"):
        ref = part.strip()
        if not ref or ref in associations:
            continue
        if ref == ext_id:
            errors.append(f"row associates with itself ({ref!r})")
            continue
        associations.append(ref)

    if kind is None or errors:
        return None
    return RecordRow(
        line=line,
        kind=kind,
        external_id=ext_id,
        name=name,
        email=email,
        phone=phone,
        timezone=timezone,
        associations=tuple(associations),
        language=language,
    )


def is_valid_email(address: str) -> bool:
    """A deliberately plain check: one local@domain.tld, nothing around it (no
    display name, no angle brackets, no spaces). The regex alone decides: it is a
    strict subset of what email.utils.parseaddr accepts, and 20x faster on a
    100k-row file."""
    return len(address) <= MAX_EMAIL_CHARS and _EMAIL.fullmatch(address) is not None


def phone_problem(phone: str) -> str | None:
    if not _PHONE_CHARS.match(phone) or "+" in phone[1:]:
        return (
            f"invalid phone {phone!r}: use digits, spaces, dashes, parentheses "
            "and an optional leading +"
        )
    digits = sum(c.isdigit() for c in phone)
    if not 6 <= digits <= 15:
        return f"invalid phone {phone!r}: it has {digits} digits, expected 6 to 15"
    return None


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_timezone(name: str) -> bool:
    zones = _zones()
    if zones:
        return name in zones
    try:  # no zone list on this system: ask zoneinfo directly
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


if TYPE_CHECKING:  # mypy proves the port is implemented; nothing runs

    def _implements(source: CsvRecordSource) -> RecordSource:
        return source
