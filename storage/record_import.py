"""Bulk import of records (`meetline import`): upsert the rows, replace their associations
and bring the search terms up to date, in the caller's transaction. Also the other
writes a source makes: records deleted in it (kept, marked deleted: `delete_rows`), and
records merged in it (`merge_rows`).

Built for 100k-row files: everything the file itself says (kinds, names, the new
associations) is used from memory, and the database is asked only about what was stored
before, in chunks or one scan of the team.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Table,
    Text,
    delete,
    insert,
    literal,
    or_,
    select,
    text,
    tuple_,
    update,
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
from storage.models import (
    MeetingAttendeeModel,
    MeetingModel,
    MeetingRecordModel,
    TimelineEntryModel,
)
from storage.record_index import IndexedRecord, normalize, rebuild_terms
from storage.record_tables import (
    BATCH_ROWS,
    CHUNK,
    DELETED_MARK,
    associations_table,
    bulk_insert,
    chunks,
    readable_teams,
    records_table,
    search_table,
)

_meetings: Table = MeetingModel.__table__  # type: ignore[assignment]
_links: Table = MeetingRecordModel.__table__  # type: ignore[assignment]
_attendees: Table = MeetingAttendeeModel.__table__  # type: ignore[assignment]
_timeline: Table = TimelineEntryModel.__table__  # type: ignore[assignment]
# The timeline entry a merge leaves on the record kept (bot/views/timeline_views.py).
MERGED_ENTRY = "record_merged"

# PostgreSQL: imports at least this large refresh planner statistics as they go.
_ANALYZE_AFTER = 1000
# Looking up more external ids than this reads the team's records in one scan.
_SCAN_TEAM_AFTER = 5000


def import_rows(session: Session, team_id: str, rows: Sequence[RecordRow]) -> ImportResult:
    """Upsert by (team_id, external_id), replace the rows' associations (both
    directions) and rebuild the search terms of everything whose terms changed
    (the rows, and contacts of companies in the file). A row of a record deleted
    before brings it back, with its meetings and timeline. Raises ImportRejected before
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
            "deleted_at": None,
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
                "deleted_at",
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
        stored = _lookup(session, readable_teams(team_id), missing)
        targets.update({e: found for e, found in stored.items() if not found.deleted})
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
    """Mark the team's records with these external ids deleted (gone from their source).

    The rows stay, so the meetings booked on them keep their links and the records'
    timelines stay readable; what would offer them again goes: their associations (both
    directions), search rows (and so the FTS5 rows, by trigger) and place in the name walks
    (`DELETED_MARK`), and the contacts of a deleted company lose its name from their
    terms. Attendees keep it as their record: the edit form still names them (marked
    deleted) and an edit keeps them invited unless the rep removes them, and a restore
    (the same external id imported again) finds them linked as before. Records deleted
    already are left as they are. Returns how many records were deleted now."""
    found = [f for f in _lookup(session, [team_id], external_ids).values() if not f.deleted]
    if not found:
        return 0
    ids = sorted(f.id for f in found)
    companies = [f.id for f in found if f.kind == str(RecordKind.COMPANY)]
    touched = _contact_neighbours(session, companies) - set(ids)
    a, r = associations_table.c, records_table.c
    now = datetime.now(UTC)
    for chunk in chunks(ids):
        session.execute(
            delete(associations_table).where(or_(a.record_id.in_(chunk), a.other_id.in_(chunk)))
        )
        session.execute(delete(search_table).where(search_table.c.record_id.in_(chunk)))
        session.execute(
            update(records_table)
            .where(r.id.in_(chunk))
            .values(deleted_at=now, search_text=literal(DELETED_MARK, Text) + r.search_text)
        )
    rebuild_terms(session, {}, {}, [], sorted(touched))
    return len(ids)


def merge_rows(
    session: Session, team_id: str, merged: Sequence[tuple[str, str]], at: datetime
) -> int:
    """Merge records as their source did: for each (merged away, kept) pair of external
    ids, everything the team holds of the first moves to the second, then the first is
    deleted. Moved: meetings booked on it, their links to it, attendees who are it,
    its timeline entries and its associations; whatever the kept record has already
    (the same meeting, the same entry, the same association) is not written twice, a
    record is never associated with itself, and a meeting lists the person once (a
    second attendee row keeps its address, without a record). The kept record's
    timeline gets a `MERGED_ENTRY` naming the other.

    Both records must be the team's and of one kind; a pair that is not (the kept one
    not stored, the other gone already: a merge seen twice) changes nothing, so the
    caller stores the kept record first. Chains (B into A, A into C) end at the last.
    Returns how many records were merged away."""
    into = _last_kept(merged)
    found = _lookup(session, [team_id], [*into, *set(into.values())])
    groups: dict[int, list[tuple[str, _Found]]] = defaultdict(list)
    for gone_ext, kept_ext in into.items():
        old, kept = found.get(gone_ext), found.get(kept_ext)
        if old is None or kept is None or old.kind != kept.kind or old.id == kept.id:
            continue
        groups[kept.id].append((gone_ext, old))
    touched: set[int] = set()
    for kept_id, gone in groups.items():
        touched |= _move(session, team_id, kept_id, [g.id for _, g in gone])
        session.execute(
            insert(_timeline),
            [
                {
                    "record_id": kept_id,
                    "meeting_id": None,
                    "kind": MERGED_ENTRY,
                    "occurred_at": at,
                    "actor_user_id": None,
                    "data": {"title": g.name, "external_id": ext},
                }
                for ext, g in gone
            ],
        )
    gone_ids = sorted(g.id for pairs in groups.values() for _, g in pairs)
    for chunk in chunks(gone_ids):
        session.execute(delete(records_table).where(records_table.c.id.in_(chunk)))
    rebuild_terms(session, {}, {}, [], sorted(touched - set(gone_ids)))
    return len(gone_ids)


def _last_kept(merged: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Each merged-away id with the record it ends in (B into A and A into C: C); ids
    in a cycle, which no source means, are left alone."""
    into: dict[str, str] = {}
    for gone, kept in merged:
        into.setdefault(gone, kept)
    out: dict[str, str] = {}
    for gone, kept in into.items():
        seen = {gone}
        while kept in into and kept not in seen:
            seen.add(kept)
            kept = into[kept]
        if kept not in seen:
            out[gone] = kept
    return out


def _move(session: Session, team_id: str, kept: int, gone: Sequence[int]) -> set[int]:
    """Repoint the team's rows of the `gone` records at `kept` (see `merge_rows`);
    returns the records whose search terms may change (`kept` and its new partners).
    Rows of another team's meetings are not moved: they go with the record."""
    m, link, att, tl, a = _meetings.c, _links.c, _attendees.c, _timeline.c, associations_table.c
    of_team = select(m.id).where(m.team_id == team_id)
    for chunk in chunks(gone):
        session.execute(
            update(_meetings)
            .where(m.team_id == team_id, m.record_id.in_(chunk))
            .values(record_id=kept, updated_at=m.updated_at)  # the meeting itself is as it was
        )

    linked: set[int] = set()
    for chunk in chunks(gone):
        linked.update(
            session.execute(
                select(link.meeting_id).where(
                    link.record_id.in_(chunk), link.meeting_id.in_(of_team)
                )
            ).scalars()
        )
    linked -= _meetings_of(session, link.meeting_id, link.record_id, kept, linked)
    if linked:
        session.execute(
            insert(_links), [{"meeting_id": i, "record_id": kept} for i in sorted(linked)]
        )

    # One attendee row per meeting is the kept record: its own if it attends, else the
    # first of the merged-away ones. Any other row keeps its address (invited there:
    # reminders and a later edit's CANCEL still reach it) and loses its record with
    # the record, as on a deletion, so the person is not listed twice as one contact.
    rows: dict[int, list[int]] = defaultdict(list)
    for chunk in chunks(gone):
        for row_id, meeting_id in session.execute(
            select(att.id, att.meeting_id)
            .where(att.record_id.in_(chunk), att.meeting_id.in_(of_team))
            .order_by(att.id)
        ):
            rows[meeting_id].append(row_id)
    attending = _meetings_of(session, att.meeting_id, att.record_id, kept, set(rows))
    moved = sorted(ids[0] for mid, ids in rows.items() if mid not in attending)
    for chunk in chunks(moved):
        session.execute(update(_attendees).where(att.id.in_(chunk)).values(record_id=kept))

    # A meeting linked to both records logged each change on both timelines: once is
    # enough. Entries of another team's meeting stay behind.
    entries: list[tuple[int, int | None, str, datetime]] = []
    for chunk in chunks(gone):
        entries.extend(
            session.execute(
                select(tl.id, tl.meeting_id, tl.kind, tl.occurred_at)
                .where(
                    tl.record_id.in_(chunk),
                    or_(tl.meeting_id.is_(None), tl.meeting_id.in_(of_team)),
                )
                .order_by(tl.id)
            ).tuples()
        )
    meeting_ids = sorted({mid for _, mid, _, _ in entries if mid is not None})
    logged: set[tuple[int | None, str, datetime]] = set()
    for chunk in chunks(meeting_ids):
        logged.update(
            session.execute(
                select(tl.meeting_id, tl.kind, tl.occurred_at).where(
                    tl.record_id == kept, tl.meeting_id.in_(chunk)
                )
            ).tuples()
        )
    move: list[int] = []
    for entry_id, mid, kind, occurred in entries:
        if mid is not None:
            if (mid, kind, occurred) in logged:
                continue
            logged.add((mid, kind, occurred))
        move.append(entry_id)
    for chunk in chunks(move):
        session.execute(update(_timeline).where(tl.id.in_(chunk)).values(record_id=kept))

    partners: set[int] = set()
    for chunk in chunks(gone):
        partners.update(
            session.execute(
                select(a.other_id)
                .join(records_table, records_table.c.id == a.other_id)
                .where(a.record_id.in_(chunk), records_table.c.team_id == team_id)
            ).scalars()
        )
    partners -= {kept, *gone}
    new = partners - set(session.execute(select(a.other_id).where(a.record_id == kept)).scalars())
    bulk_insert(
        session,
        associations_table,
        [{"record_id": r, "other_id": o} for p in sorted(new) for r, o in ((kept, p), (p, kept))],
    )
    return {kept, *partners}


def _meetings_of(
    session: Session, meeting: Any, record: Any, record_id: int, among: set[int]
) -> set[int]:
    """Which of the meetings `among` have a row for `record_id` in a table of
    (meeting, record) columns."""
    found: set[int] = set()
    for chunk in chunks(sorted(among)):
        found.update(
            session.execute(
                select(meeting).where(record == record_id, meeting.in_(chunk))
            ).scalars()
        )
    return found


class _Found(NamedTuple):
    id: int
    kind: str
    name: str
    deleted: bool = False


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
            queries = [
                select(r.external_id, r.id, r.kind, r.name, r.deleted_at).where(r.team_id == team)
            ]
        else:
            queries = [
                select(r.external_id, r.id, r.kind, r.name, r.deleted_at).where(
                    r.team_id == team, r.external_id.in_(chunk)
                )
                for chunk in chunks(sorted(wanted))
            ]
        for query in queries:
            for ext, rid, kind, name, deleted_at in session.execute(query):
                if ext in wanted:
                    found[ext] = _Found(rid, kind, name, deleted_at is not None)
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
