"""CRM records (handlers.ports.RecordRepository): the repository, composing search
(storage.record_search), the term index (storage.record_index) and bulk import
(storage.record_import) over the tables of storage.record_tables.

Every read takes the workspace and returns only its records: there is no shared
pool (rows stored with an empty team by older versions are invisible; re-import
them with `meetline import --team T`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ARRAY, Integer, and_, bindparam, func, select
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handlers.domain import ImportResult, Record, RecordKind, RecordRow
from handlers.ids import parse_id
from handlers.ports import RecordRepository
from storage.db import Sessions, UnitOfWorkSessions, write_session
from storage.models import RecordModel
from storage.record_import import delete_rows, import_rows, merge_rows
from storage.record_index import normalize, query_words
from storage.record_search import find, find_words_pg, kinds_searched, successor
from storage.record_tables import (
    DELETED_MARK,
    SEARCH_COLUMNS,
    associations_table,
    autocommit_driver,
    chunks,
    constant,
    contact_companies,
    driver_rows,
    fetch,
    kind_rank,
    readable_teams,
    records_table,
    sql_rows,
)


def _record_with_companies(many: bool = False) -> Any:
    """A record by id in its workspace, a row per company of a contact (else one row).
    `many`: PostgreSQL's records among the ids of an array (:rids)."""
    r, a = records_table, associations_table
    company = records_table.alias("company")
    companies = a.join(
        company,
        and_(company.c.id == a.c.other_id, company.c.kind == constant(str(RecordKind.COMPANY))),
    )
    return (
        select(
            r.c.id,
            r.c.kind,
            r.c.external_id,
            r.c.name,
            r.c.email,
            r.c.phone,
            r.c.timezone,
            r.c.language,
            company.c.name.label("company_name"),
            company.c.search_text.label("company_key"),
        )
        .select_from(
            r.outerjoin(
                companies,
                and_(a.c.record_id == r.c.id, r.c.kind == constant(str(RecordKind.CONTACT))),
            )
        )
        .where(
            r.c.id == func.any(bindparam("rids", type_=ARRAY(Integer)))
            if many
            else r.c.id == bindparam("rid"),
            r.c.team_id == bindparam("team"),
            r.c.deleted_at.is_(None),
        )
    )


# Built once: each read reuses its compiled SQL.
RECORD_WITH_COMPANIES = _record_with_companies()
RECORDS_WITH_COMPANIES_PG = str(
    _record_with_companies(many=True).compile(dialect=PGDialect_psycopg())  # type: ignore[no-untyped-call]
)
"""The records of `%(team)s` among the ids `%(rids)s`, as psycopg runs it (storage.meetings
reads them with the Save's key lookup)."""


def remember_expected(unit: UnitOfWorkSessions, team_id: str, rows: Sequence[Any]) -> None:
    """The records `expect`ed of `team_id`, read by `rows` of RECORDS_WITH_COMPANIES_PG
    (or a statement carrying its columns), kept in the unit's `records_seen`: found, or
    None for an id not of the workspace (as `get` answers)."""
    by_id: dict[int, list[Any]] = {}
    for row in rows:
        if row.id is not None:  # a LEFT JOIN's row when none matched
            by_id.setdefault(row.id, []).append(row)
    for rid in unit.records_wanted.pop(team_id, set()):
        unit.records_seen[(team_id, rid)] = _with_companies(by_id.get(rid, ()))


def _with_companies(rows: Sequence[Any]) -> Record | None:
    """The record of RECORD_WITH_COMPANIES's rows (one per company of a contact), named
    with its first company by key."""
    if not rows:
        return None
    companies = [
        (row.company_key, row.company_name)
        for row in rows
        if row.company_name is not None and row.company_key is not None
    ]
    return _record(rows[-1], min(companies)[1] if companies else None)


def _associated() -> Any:
    """A record's associated records of its workspace, best first, each contact with its
    company: one statement built once (building it per call cost more than running it)."""
    r = records_table.c
    a = associations_table.c
    source = records_table.alias("source")
    team: Any = bindparam("team")
    return (
        select(*SEARCH_COLUMNS)
        .join(associations_table, a.other_id == r.id)
        .join(source, source.c.id == a.record_id)
        .where(a.record_id == bindparam("record"), source.c.team_id == team, r.team_id == team)
        .order_by(kind_rank(r.kind), r.search_text, r.id)
    )


_ASSOCIATED = _associated()


class SqlRecordRepository:
    def __init__(self, session_factory: Sessions) -> None:
        self._sessions = session_factory
        # In a unit of work (one transaction) a record read once reads the same again:
        # a Save that names it as the meeting's record and as an attendee reads it once.
        self._seen: dict[tuple[str, int], Record | None] | None = (
            session_factory.records_seen
            if isinstance(session_factory, UnitOfWorkSessions)
            else None
        )
        # PostgreSQL outside a unit of work: the reads of one statement (search, a
        # record's associations) take a pooled connection without an ORM session.
        bind = getattr(session_factory, "kw", {}).get("bind")
        self._pg_reads: Engine | None = (
            bind
            if isinstance(bind, Engine) and bind.dialect.name == "postgresql" and self._seen is None
            else None
        )

    # -- reading ------------------------------------------------------------------------

    def search(
        self,
        team_id: str,
        query: str,
        *,
        kinds: Sequence[RecordKind] | None = None,
        limit: int = 50,
    ) -> list[Record]:
        limit = max(1, min(limit, 1000))
        if not team_id:  # no workspace, no records (legacy rows with an empty team stay hidden)
            return []
        words = query_words(query) if self._pg_reads is not None else []
        if self._pg_reads is not None and words:
            with autocommit_driver(self._pg_reads) as driver:
                rows = find_words_pg(
                    driver, self._pg_reads, team_id, query, words, kinds_searched(kinds), limit
                )
            return self._to_records(None, rows)
        with self._reading() as session:
            return self._to_records(session, find(session, team_id, query, kinds, limit))

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A session for a read of one statement: on PostgreSQL, outside a unit of work,
        in autocommit (no BEGIN and ROLLBACK round trips while the user types or waits
        for the form)."""
        with self._sessions() as session:
            if self._seen is None and session.get_bind().dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session

    def expect(self, team_id: str, record_ids: Sequence[int]) -> None:
        """In a single-write unit on PostgreSQL: the ids wait in the unit
        (`records_wanted`) for the Save's key lookup to read them with its own statement
        (storage.meetings), else for the first `get` of one of them to read them all."""
        unit = self._sessions
        if self._seen is None or not isinstance(unit, UnitOfWorkSessions):
            return
        if unit.driver_engine is None or not team_id:
            return
        ids = {rid for rid in map(parse_id, record_ids) if rid is not None}
        if fresh := {rid for rid in ids if (team_id, rid) not in self._seen}:
            unit.records_wanted.setdefault(team_id, set()).update(fresh)

    def get(self, team_id: str, record_id: int) -> Record | None:
        rid = parse_id(record_id)
        if rid is None or not team_id:
            return None
        if self._seen is None:
            return self._get(team_id, rid)
        if (team_id, rid) not in self._seen:
            unit = self._sessions
            assert isinstance(unit, UnitOfWorkSessions)
            if rid in unit.records_wanted.get(team_id, ()) and (driver := unit.driver()):
                params = {"team": team_id, "rids": sorted(unit.records_wanted[team_id])}
                remember_expected(
                    unit, team_id, sql_rows(driver, RECORDS_WITH_COMPANIES_PG, params)
                )
            else:
                self._seen[(team_id, rid)] = self._get(team_id, rid)
        return self._seen[(team_id, rid)]

    def _get(self, team_id: str, rid: int) -> Record | None:
        """One statement: the record with its companies (a contact's), as `_to_records`
        would name them. On PostgreSQL on psycopg's own cursor, in the unit of work's
        transaction if any: SQLAlchemy's execution of it was 12% of a Save's CPU (py-spy),
        more than psycopg's."""
        params = {"rid": rid, "team": team_id}
        if self._pg_reads is not None:
            with autocommit_driver(self._pg_reads) as driver:
                return _with_companies(
                    driver_rows(driver, self._pg_reads.dialect, RECORD_WITH_COMPANIES, params)
                )
        unit = self._sessions
        if isinstance(unit, UnitOfWorkSessions) and (driver := unit.driver()) is not None:
            assert unit.driver_engine is not None
            return _with_companies(
                driver_rows(driver, unit.driver_engine.dialect, RECORD_WITH_COMPANIES, params)
            )
        with self._sessions() as session:
            conn = session.connection()
            if conn.dialect.name == "postgresql":
                driver = conn.connection.driver_connection
                return _with_companies(
                    driver_rows(driver, conn.dialect, RECORD_WITH_COMPANIES, params)
                )
            return _with_companies(list(conn.execute(RECORD_WITH_COMPANIES, params)))

    def get_many(self, team_id: str, record_ids: Sequence[int]) -> dict[int, Record]:
        return self._many(team_id, record_ids, deleted=False)

    def _many(self, team_id: str, record_ids: Sequence[int], *, deleted: bool) -> dict[int, Record]:
        """The workspace's records among `record_ids`: those that exist, else (`deleted`)
        those deleted at their source."""
        ids = sorted({rid for rid in map(parse_id, record_ids) if rid is not None})
        if not ids or not team_id:
            return {}
        gone = RecordModel.deleted_at.is_not(None) if deleted else RecordModel.deleted_at.is_(None)
        with self._sessions() as session:
            models = [
                m
                for chunk in chunks(ids)
                for m in session.execute(
                    select(RecordModel).where(
                        RecordModel.id.in_(chunk), RecordModel.team_id == team_id, gone
                    )
                ).scalars()
            ]
            return {r.id: r for r in self._to_records(session, models)}

    def associations(self, team_id: str, record_id: int) -> list[Record]:
        rid = parse_id(record_id)
        if rid is None or not team_id:
            return []
        params = {"record": rid, "team": team_id}
        if self._pg_reads is not None:
            with autocommit_driver(self._pg_reads) as driver:
                rows = driver_rows(driver, self._pg_reads.dialect, _ASSOCIATED, params)
            return self._to_records(None, rows)
        with self._reading() as session:
            return self._to_records(session, fetch(session, _ASSOCIATED, params))

    def deleted_named(self, team_id: str, query: str) -> Record | None:
        """The workspace's deleted record (`delete_external`) best named by `query`: the
        name itself, else the first whose name starts with it, contacts first. Only
        `/meet timeline` asks, so a plain read of the (team, kind, name) index will do."""
        full = normalize(query)
        if not team_id or not full:
            return None
        r = records_table.c
        full = DELETED_MARK + full
        statement = (
            select(RecordModel)
            .where(
                r.team_id == team_id,
                r.search_text >= full,
                r.search_text < successor(full),
                r.deleted_at.is_not(None),
            )
            .order_by(r.search_text != full, kind_rank(r.kind), r.search_text, r.id)
            .limit(1)
        )
        with self._reading() as session:
            found = list(session.execute(statement).scalars())
            return self._to_records(session, found)[0] if found else None

    def deleted_among(self, team_id: str, record_ids: Sequence[int]) -> dict[int, Record]:
        """Read in the caller's transaction (a unit of work's, when inside one) and never
        remembered in `records_seen`, which keeps `get`'s answer (None) for them."""
        return self._many(team_id, record_ids, deleted=True)

    def existing_external_ids(self, team_id: str, external_ids: Sequence[str]) -> set[str]:
        """Ids stored (not deleted) for this team among `external_ids`."""
        wanted = sorted(set(external_ids))
        found: set[str] = set()
        with self._sessions() as session:
            for chunk in chunks(wanted):
                found.update(
                    session.execute(
                        select(RecordModel.external_id).where(
                            RecordModel.team_id.in_(readable_teams(team_id)),
                            RecordModel.external_id.in_(chunk),
                            RecordModel.deleted_at.is_(None),
                        )
                    ).scalars()
                )
        return found

    def count(self, team_id: str) -> int:
        """Number of the team's stored records; for reports and tests."""
        query = (
            select(func.count())
            .select_from(RecordModel)
            .where(RecordModel.team_id == team_id, RecordModel.deleted_at.is_(None))
        )
        with self._sessions() as session:
            return int(session.execute(query).scalar_one())

    def _to_records(self, session: Session | None, models: Sequence[Any]) -> list[Record]:
        """From ORM objects or rows of SEARCH_COLUMNS (which carry the contact's company
        already), with each contact's company."""
        contact_ids = [
            m.id for m in models if m.kind == RecordKind.CONTACT and not hasattr(m, "company")
        ]
        companies = (
            contact_companies(session, contact_ids) if session is not None and contact_ids else {}
        )
        return [
            _record(
                m,
                m.company
                if hasattr(m, "company")
                else (companies[m.id][0] if companies.get(m.id) else None),
            )
            for m in models
        ]

    # -- importing ------------------------------------------------------------------------

    def import_rows(self, team_id: str, rows: Sequence[RecordRow]) -> ImportResult:
        """Upsert by (team_id, external_id), replace the rows' associations (both
        directions) and rebuild the search terms of everything whose terms changed, in
        one transaction: any error leaves the database as it was (storage.record_import)."""
        with write_session(self._sessions) as session:
            return import_rows(session, team_id, rows)

    def delete_external(self, team_id: str, external_ids: Sequence[str]) -> int:
        """Mark records gone from their source deleted, in one transaction
        (storage.record_import)."""
        if not team_id or not external_ids:
            return 0
        with write_session(self._sessions) as session:
            return delete_rows(session, team_id, external_ids)

    def mirror_page(
        self,
        team_id: str,
        rows: Sequence[RecordRow],
        *,
        merged: Sequence[tuple[str, str]] = (),
        deleted: Sequence[str] = (),
        at: datetime,
    ) -> int:
        """A page of a CRM sync in one transaction: upsert `rows`, then merge (`merged`:
        merged-away and kept external ids; the kept record may be one of `rows`), then
        delete `deleted` (storage.record_import). Returns how many records were merged
        away. A page redone after a crash changes nothing more: a record merged away is
        gone, so the merge is not seen again."""
        with write_session(self._sessions) as session:
            if rows:
                import_rows(session, team_id, rows)
            count = merge_rows(session, team_id, merged, at) if team_id and merged else 0
            if team_id and deleted:
                delete_rows(session, team_id, deleted)
            return count


if TYPE_CHECKING:  # mypy proves the port is implemented; nothing runs

    def _implements(repo: SqlRecordRepository) -> RecordRepository:
        return repo


__all__ = ["SqlRecordRepository"]


def _record(row: Any, company: str | None) -> Record:
    """A record from an ORM object or a row with the record's columns."""
    return Record(
        id=row.id,
        kind=RecordKind(row.kind),
        external_id=row.external_id,
        name=row.name,
        email=row.email,
        phone=row.phone,
        timezone=row.timezone,
        company=company,
        language=row.language,
    )
