"""The record tables as search and import read them, and the helpers both use: IN lists
cut to SQLite's bound-parameter limit, the kind order results are ranked by, company names
of contacts, and bulk inserts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from psycopg.rows import namedtuple_row
from sqlalchemy import (
    Table,
    case,
    literal_column,
    select,
)
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import Session

from handlers.domain import (
    RecordKind,
)
from storage.models import RecordAssociationModel, RecordModel, RecordSearchModel

T = TypeVar("T")

KIND_ORDER = (RecordKind.CONTACT, RecordKind.COMPANY, RecordKind.DEAL, RecordKind.TICKET)

# IN lists stay well under SQLite's bound-parameter limit; inserts go in batches
# so memory stays flat however large the file.
CHUNK = 900
BATCH_ROWS = 10000

# Leads a deleted record's search_text: normalising turns control characters into spaces
# and strips them, so no query's normalised text starts with it, and every name walk
# (`search_text = q`, `q < search_text < successor(q)`) passes the record by in the index.
DELETED_MARK = "\x01"

records_table: Table = RecordModel.__table__  # type: ignore[assignment]
associations_table: Table = RecordAssociationModel.__table__  # type: ignore[assignment]
search_table: Table = RecordSearchModel.__table__  # type: ignore[assignment]


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def constant(value: str | int) -> Any:
    """A fixed SQL literal (a kind, a rank): part of the statement's text, not a parameter,
    so the hot statements carry fewer parameters for the driver to convert."""
    assert str(value).isalnum(), value
    return literal_column(f"'{value}'" if isinstance(value, str) else str(value))


def kind_rank(kind: Any = RecordModel.kind) -> Any:
    return case(
        *((kind == constant(k), constant(i)) for i, k in enumerate(KIND_ORDER)),
        else_=constant(len(KIND_ORDER)),
    )


def company_of(record_id: Any, kind: Any) -> Any:
    """A contact's company as `contact_companies` would pick it (the first by name), read
    in the same statement as the contact (`record_id`, `kind`: its columns in the
    enclosing query): one round trip less per search."""
    company = records_table.alias("company")
    link = associations_table.alias("link")  # never the enclosing query's associations
    first = (
        select(company.c.name)
        .join(link, link.c.other_id == company.c.id)
        .where(link.c.record_id == record_id, company.c.kind == constant(RecordKind.COMPANY))
        .order_by(company.c.search_text, company.c.name)
        .limit(constant(1))
        .correlate_except(company, link)
        .scalar_subquery()
    )
    return case((kind == constant(RecordKind.CONTACT), first), else_=None).label("company")


# A record's own columns as search reads them (the Record fields, plus what ranking needs).
RECORD_COLUMNS = (
    records_table.c.id,
    records_table.c.team_id,
    records_table.c.kind,
    records_table.c.external_id,
    records_table.c.name,
    records_table.c.email,
    records_table.c.phone,
    records_table.c.timezone,
    records_table.c.language,
    records_table.c.search_text,
)
# ... and a contact's company.
SEARCH_COLUMNS = (*RECORD_COLUMNS, company_of(records_table.c.id, records_table.c.kind))


def fetch(session: Session, statement: Any, params: dict[str, Any]) -> list[Any]:
    """The rows of a statement built once, as named tuples; on PostgreSQL through the
    driver's own cursor (`driver_rows`)."""
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        return list(session.execute(statement, params))
    return driver_rows(
        session.connection().connection.driver_connection, dialect, statement, params
    )


def driver_rows(driver: Any, dialect: Dialect, statement: Any, params: dict[str, Any]) -> list[Any]:
    """A statement built once, run on psycopg's own cursor: for these small prepared
    statements SQLAlchemy's execution and result handling cost as much CPU again as
    psycopg's (measured: search 0.49 -> 0.35 ms)."""
    return sql_rows(driver, _driver_sql(statement, dialect), params)


def sql_rows(driver: Any, sql: str, params: dict[str, Any]) -> list[Any]:
    """SQL written for psycopg (`%(name)s` parameters), run on its own cursor: rows with
    the columns as attributes, as `driver_rows` gives them."""
    with driver.cursor(row_factory=namedtuple_row) as cursor:
        cursor.execute(sql, params)
        rows: list[Any] = cursor.fetchall()
        return rows


@contextmanager
def autocommit_driver(engine: Engine) -> Iterator[Any]:
    """A pooled psycopg connection in autocommit, for reads of one statement outside a
    unit of work: no BEGIN and ROLLBACK round trips, and none of an ORM session's own
    CPU (a session with its connection cost 58 us, the pool's connection 9 us)."""
    pooled = engine.raw_connection()
    try:
        driver: Any = pooled.driver_connection
        driver.autocommit = True
        try:
            yield driver
        finally:
            if not driver.closed:
                driver.autocommit = False  # as the pool hands its connections out
    finally:
        pooled.close()


_DRIVER_SQL: dict[tuple[int, str], tuple[Any, str]] = {}


def _driver_sql(statement: Any, dialect: Dialect) -> str:
    """A statement built once, compiled once (kept with it, so its id stays its own)."""
    key = (id(statement), dialect.name)
    found = _DRIVER_SQL.get(key)
    if found is None:
        found = _DRIVER_SQL[key] = (statement, str(statement.compile(dialect=dialect)))
    return found[1]


def readable_teams(team_id: str) -> list[str]:
    """The teams whose records a workspace reads: its own, only."""
    return [team_id]


def contact_companies(session: Session, contact_ids: Sequence[int]) -> dict[int, list[str]]:
    """Names of the companies associated with each contact, alphabetical."""
    names: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for chunk in chunks(sorted(set(contact_ids))):
        for rid, name, key in session.execute(
            select(
                associations_table.c.record_id, records_table.c.name, records_table.c.search_text
            )
            .join(records_table, records_table.c.id == associations_table.c.other_id)
            .where(
                associations_table.c.record_id.in_(chunk),
                records_table.c.kind == str(RecordKind.COMPANY),
            )
        ):
            names[rid].append((key, name))
    return {rid: [n for _, n in sorted(pairs)] for rid, pairs in names.items()}


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Many rows, fast, on the session's connection and transaction: COPY on
    PostgreSQL (psycopg's executemany is still a statement per row, ~20x slower),
    the driver's own executemany of plain tuples on SQLite (SQLAlchemy's per-row
    parameter handling would cost more than the insert itself)."""
    if not rows:
        return
    columns = list(rows[0])
    connection = session.connection()
    driver_connection: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        return
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"
    cursor = driver_connection.cursor()
    try:
        for batch in chunks(rows, BATCH_ROWS):
            cursor.executemany(sql, [tuple(row[c] for c in columns) for row in batch])
    finally:
        cursor.close()
