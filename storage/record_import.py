"""Bulk import of records (`meetline import`): upsert the rows, replace their associations
and bring the search terms up to date, in the caller's transaction.

Built for 100k-row files: everything the file itself says (kinds, names, the new
associations) is used from memory, and the database is asked only about what was stored
before, in chunks or one scan of the team.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import (
    delete,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from handlers.domain import (
    ImportRejected,
    ImportResult,
    RecordKind,
    RecordRow,
    RowError,
)
from storage.record_index import IndexedRecord, normalize, rebuild_terms
from storage.record_tables import (
    BATCH_ROWS,
    CHUNK,
    associations_table,
    bulk_insert,
    chunks,
    readable_teams,
    records_table,
)

# PostgreSQL: imports at least this large refresh planner statistics as they go.
_ANALYZE_AFTER = 1000
# Looking up more external ids than this reads the team's records in one scan.
_SCAN_TEAM_AFTER = 5000


def import_rows(session: Session, team_id: str, rows: Sequence[RecordRow]) -> ImportResult:
    """Upsert by (team_id, external_id), replace the rows' associations (both
    directions) and rebuild the search terms of everything whose terms changed
    (the rows, and contacts of companies in the file). Raises ImportRejected before
    writing anything the caller could keep: roll the session back on any error."""
    by_ext: dict[str, RecordRow] = {}
    for row in rows:
        by_ext[row.external_id] = row  # a repeated id: the last row wins
    if not by_ext:
        return ImportResult(created=0, updated=0, associations=0)
    ext_ids = list(by_ext)
    now = datetime.now(UTC)
    company, contact = str(RecordKind.COMPANY), str(RecordKind.CONTACT)

    dialect = session.get_bind().dialect.name
    big = dialect == "postgresql" and len(by_ext) >= _ANALYZE_AFTER
    before = _lookup(session, [team_id], ext_ids)
    _upsert(session, dialect, team_id, list(by_ext.values()), now)
    if big:
        # The planner has not seen these rows yet; without fresh statistics it
        # picks sequential scans for the chunked IN lookups below. ANALYZE
        # counts the rows this transaction inserted.
        session.execute(text("ANALYZE records"))
    ids = {ext: found.id for ext, found in _lookup(session, [team_id], ext_ids).items()}
    imported = [ids[e] for e in ext_ids]
    # What the records in play are, after this import: the file's rows, and
    # the stored records they point at.
    kind_of = {ids[e]: str(r.kind) for e, r in by_ext.items()}
    name_of = {ids[e]: r.name for e, r in by_ext.items()}
    targets = _resolve_targets(session, team_id, by_ext, ids)
    for found in targets.values():
        kind_of.setdefault(found.id, found.kind)
        name_of.setdefault(found.id, found.name)

    # Contacts whose company terms may change: those of companies in the file,
    # as they were associated before and as they will be.
    old_ids = [found.id for found in before.values()]
    old_companies = [f.id for f in before.values() if f.kind == company]
    touched = _contact_neighbours(session, old_companies)
    partners: dict[int, set[int]] = defaultdict(set)
    for ext, row in by_ext.items():
        rid = ids[ext]
        for other_ext in row.associations:
            oid = targets[other_ext].id
            if oid != rid:
                partners[rid].add(oid)
                partners[oid].add(rid)
    pairs = sorted((a, b) for a, bs in partners.items() for b in bs)
    _replace_associations(session, old_ids, set(pairs))
    if big:
        session.execute(text("ANALYZE record_associations"))
    touched |= {b for a, b in pairs if kind_of.get(a) == company and kind_of.get(b) == contact}
    extra = sorted(touched - set(imported))

    # The imported records' associations are now exactly `partners`.
    companies = {
        rid: sorted(
            (name_of[o] for o in partners.get(rid, ()) if kind_of.get(o) == company),
            key=normalize,
        )
        for rid in imported
        if kind_of[rid] == contact
    }
    stored = {
        ids[e]: IndexedRecord(ids[e], team_id, str(r.kind), r.name, r.email, r.phone)
        for e, r in by_ext.items()
    }
    rebuild_terms(session, stored, companies, old_ids, extra)
    if big:  # so the first searches after a large import are planned well
        session.execute(text("ANALYZE record_search"))
        # New index entries wait in the GIN indexes' pending lists, which every search
        # would scan until autovacuum merges them: merge them now.
        for index in ("ix_record_search_names", "ix_record_search_terms"):
            session.execute(
                text("SELECT gin_clean_pending_list(CAST(:i AS regclass))"), {"i": index}
            )
    elif dialect == "sqlite" and len(by_ext) >= _ANALYZE_AFTER:
        # One FTS5 segment instead of the many an import's inserts leave: a prefix query
        # then reads one doclist, not one per segment.
        session.execute(text("INSERT INTO record_fts (record_fts) VALUES ('optimize')"))

    return ImportResult(
        created=len(ext_ids) - len(before),
        updated=len(before),
        associations=len(pairs) // 2,
    )


def _upsert(
    session: Session, dialect: str, team_id: str, rows: list[RecordRow], now: datetime
) -> None:
    values = [
        {
            "team_id": team_id,
            "kind": str(r.kind),
            "external_id": r.external_id,
            "name": r.name,
            "email": r.email,
            "phone": r.phone,
            "timezone": r.timezone,
            "language": r.language,
            "search_text": normalize(r.name),
            "created_at": now,
            "updated_at": now,
        }
        for r in rows
    ]
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dialect_insert(records_table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[records_table.c.team_id, records_table.c.external_id],
        set_={
            col: stmt.excluded[col]
            for col in (
                "kind",
                "name",
                "email",
                "phone",
                "timezone",
                "language",
                "search_text",
                "updated_at",
            )
        },
    )
    for batch in chunks(values, BATCH_ROWS):
        session.execute(stmt, list(batch))


def _resolve_targets(
    session: Session, team_id: str, by_ext: dict[str, RecordRow], ids: dict[str, int]
) -> dict[str, _Found]:
    """Every association's record: a row of the file, else one stored for the
    team. Anything else (another team's record included) rejects the whole import."""
    wanted = {e for row in by_ext.values() for e in row.associations}
    targets = {
        e: _Found(ids[e], str(by_ext[e].kind), by_ext[e].name) for e in wanted if e in by_ext
    }
    missing = sorted(wanted - targets.keys())
    if missing:
        targets.update(_lookup(session, readable_teams(team_id), missing))
    unknown = wanted - targets.keys()
    if unknown:
        errors = [
            RowError(row.line, f"association {e!r} is neither in the file nor stored")
            for row in by_ext.values()
            for e in row.associations
            if e in unknown
        ]
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    return targets


def _replace_associations(
    session: Session, old_ids: Sequence[int], wanted: set[tuple[int, int]]
) -> None:
    """Make `wanted` (both directions) the associations of the imported records.

    Only the difference is written: a re-import of an unchanged file deletes and
    inserts nothing. `old_ids` are the imported records that existed before; the
    others cannot have associations yet.
    """
    a = associations_table.c
    current: set[tuple[int, int]] = set()
    for chunk in chunks(old_ids):
        for record_id, other_id in session.execute(
            select(a.record_id, a.other_id).where(a.record_id.in_(chunk))
        ):
            current.add((record_id, other_id))
            current.add((other_id, record_id))  # stored both ways: the mirror row
    gone = sorted(current - wanted)
    for some in chunks(gone, CHUNK // 2):
        session.execute(delete(associations_table).where(tuple_(a.record_id, a.other_id).in_(some)))
    added = sorted(wanted - current)
    bulk_insert(session, associations_table, [{"record_id": r, "other_id": o} for r, o in added])


def delete_rows(session: Session, team_id: str, external_ids: Sequence[str]) -> int:
    """Delete the team's records with these external ids (gone from their source).

    Their associations, search rows (and so the FTS5 rows, by trigger) and meeting links
    go with them by cascade; the contacts of a deleted company lose its name from their
    terms. Returns how many records were deleted."""
    found = _lookup(session, [team_id], external_ids)
    if not found:
        return 0
    ids = sorted(f.id for f in found.values())
    companies = [f.id for f in found.values() if f.kind == str(RecordKind.COMPANY)]
    touched = _contact_neighbours(session, companies) - set(ids)
    for chunk in chunks(ids):
        session.execute(delete(records_table).where(records_table.c.id.in_(chunk)))
    rebuild_terms(session, {}, {}, [], sorted(touched))
    return len(ids)


class _Found(NamedTuple):
    id: int
    kind: str
    name: str


def _lookup(session: Session, teams: list[str], ext_ids: Sequence[str]) -> dict[str, _Found]:
    """Stored records by external id, of the given teams (later teams win).

    Large batches read the whole team in one scan: cheaper than hundreds of IN
    lookups, and immune to a planner without statistics for fresh rows.
    """
    r = records_table.c
    wanted = set(ext_ids)
    found: dict[str, _Found] = {}
    for team in reversed(teams):
        if len(wanted) > _SCAN_TEAM_AFTER:
            queries = [select(r.external_id, r.id, r.kind, r.name).where(r.team_id == team)]
        else:
            queries = [
                select(r.external_id, r.id, r.kind, r.name).where(
                    r.team_id == team, r.external_id.in_(chunk)
                )
                for chunk in chunks(sorted(wanted))
            ]
        for query in queries:
            for ext, rid, kind, name in session.execute(query):
                if ext in wanted:
                    found[ext] = _Found(rid, kind, name)
    return found


def _contact_neighbours(session: Session, record_ids: Sequence[int]) -> set[int]:
    """Contacts associated with any of `record_ids`."""
    found: set[int] = set()
    for chunk in chunks(record_ids):
        found.update(
            session.execute(
                select(associations_table.c.other_id)
                .join(records_table, records_table.c.id == associations_table.c.other_id)
                .where(
                    associations_table.c.record_id.in_(chunk),
                    records_table.c.kind == str(RecordKind.CONTACT),
                )
            ).scalars()
        )
    return found
