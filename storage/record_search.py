"""Record search: the queries behind the record pickers (SqlRecordRepository.search).

Search answers while the user types in a Slack external_select (Slack gives up after
3 s, users notice far less), over ~150k records, on SQLite and PostgreSQL alike. Every
keystroke is at most three statements built once per process (building SQLAlchemy
constructs per keystroke cost more CPU than the SQL itself):

1. Names typed from their start, the common case: short walks of the (team, kind,
   name) index in one UNION ALL, exact name first.
2. Every query word starts a word of the name; 3. every query word starts some term
   (email, phone, company). Both from each engine's full-text index of
   `record_search` (storage.record_index makes the terms): SQLite's FTS5 table with
   prefix indexes, PostgreSQL's GIN indexes on stored tsvectors of the terms. At most
   _CANDIDATES records are ranked; a vague query gets good matches, not necessarily
   every one, and sharpens as the user types.

On PostgreSQL a GIN prefix match costs as much as the postings it collects, so words
that match a large share of the records ("sp", "z", "o.o", "inc"), known from the
statistics ANALYZE keeps, and short numbers (the starts of many phone numbers), only
filter the candidates the rarer words found.
"""

from __future__ import annotations

import bisect
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    ARRAY,
    Engine,
    Integer,
    String,
    bindparam,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from handlers.domain import RecordKind
from storage.models import RecordModel
from storage.record_index import normalize, query_words
from storage.record_tables import (
    KIND_ORDER,
    SEARCH_COLUMNS,
    constant,
    driver_rows,
    kind_rank,
    records_table,
)

# Records ranked per full-text statement: six times what a picker shows. Measured at
# 150k records on PostgreSQL, 1000 put the attendee picker's p99 at 30 ms, 300 at 17 ms;
# the first options are the same for the queries people type (names, their starts).
_CANDIDATES = 300
# PostgreSQL: a word matching more than this share of the records only filters the
# rarer words' matches (GIN would collect every one of its postings first); below it,
# intersecting in the index beats checking row by row.
_COMMON_SHARE = 0.10
_STATS_SECONDS = 300.0
# A word of fewer digits than this is a filter only, whatever its estimate: phone
# fragments are each a term of their own, too rare for ANALYZE's most common elements,
# yet "48" starts every phone with that country code, and a GIN prefix scan walks every
# term it starts (11 ms in the index for "Zorg Robotics 48 plc" at 150k records).
_SHORT_NUMBER = 6
# PostgreSQL's stored tsvectors of record_search (migration 0016_search_vectors), each
# with a lexeme '#<kind>' no query word can start ('#contact': record_index strips '#').
PG_NAMES = "names_tsv"
PG_TERMS = "terms_tsv"


def find(
    session: Session, team_id: str, query: str, kinds: Sequence[RecordKind] | None, limit: int
) -> list[Any]:
    """The best `limit` records of the team for `query` (the most recent when it has
    no words), as rows of SEARCH_COLUMNS or ORM objects."""
    kind_values = kinds_searched(kinds)
    words = query_words(query)
    if not words:
        return _recent(session, team_id, kinds, limit)
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        assert isinstance(engine, Engine)
        driver = session.connection().connection.driver_connection
        return find_words_pg(driver, engine, team_id, query, words, kind_values, limit)
    full = normalize(query)
    params = {"team": team_id, "full": full, "after": successor(full), "limit": limit}
    rank = {k: i for i, k in enumerate(kind_values)}
    rows = list(session.execute(_by_name(kind_values), params))
    rows.sort(key=lambda row: (row.tier, rank[row.kind], row.search_text, row.id))
    found: list[Any] = rows[:limit]
    seen = [row.id for row in found]
    for name_only in (True, False):
        if len(found) >= limit:
            break
        more = _fts(session, team_id, words, name_only, kind_values, seen, limit - len(found))
        found += more
        seen += [row.id for row in more]
    return found


def kinds_searched(kinds: Sequence[RecordKind] | None) -> tuple[str, ...]:
    """The kinds a picker searches (None or empty: every kind), in rank order."""
    return tuple(str(k) for k in KIND_ORDER if not kinds or k in kinds)


def find_words_pg(
    driver: Any,
    engine: Engine,
    team_id: str,
    query: str,
    words: list[str],
    kinds: tuple[str, ...],
    limit: int,
) -> list[Any]:
    """PostgreSQL, a query with words (`query_words`): `find` on psycopg's connection
    `driver` of `engine`, in one statement."""
    full = normalize(query)
    params = {"team": team_id, "full": full, "after": successor(full), "limit": limit}
    params |= _pg_params(_stats_for(engine, driver), words, kinds)
    rows = driver_rows(driver, engine.dialect, _pg_find(kinds), params)
    rank = {k: i for i, k in enumerate(kinds)}
    rows.sort(key=lambda row: (row.tier, rank[row.kind], row.search_text, row.id))
    return rows[:limit]


def _recent(
    session: Session, team_id: str, kinds: Sequence[RecordKind] | None, limit: int
) -> list[Any]:
    # Deleted records have no search row and are out of the name walks by their
    # search_text (record_tables.DELETED_MARK): only this list reads them to skip them.
    query = select(RecordModel).where(
        RecordModel.team_id == team_id, RecordModel.deleted_at.is_(None)
    )
    if kinds and len(kinds) == 1:  # a walk of (team, kind, updated_at)
        query = query.where(RecordModel.kind == str(kinds[0]))
    elif kinds:
        query = query.where(RecordModel.kind.in_([str(k) for k in kinds]))
    query = query.order_by(RecordModel.updated_at.desc(), RecordModel.id.desc())
    return list(session.execute(query.limit(limit)).scalars())


def _walks(kinds: tuple[str, ...]) -> Any:
    """Tiers 0 (the name is the query) and 1 (the name starts with it), as (id, tier): per
    kind a walk of the (team, kind, name) index that stops after `limit` rows."""
    r = records_table.c
    team: Any = bindparam("team")
    full: Any = bindparam("full")
    limit: Any = bindparam("limit")
    branches = [
        select(r.id, constant(0).label("tier"))
        .where(r.team_id == team, r.kind.in_([constant(k) for k in kinds]), r.search_text == full)
        .order_by(kind_rank(r.kind), r.id)
        .limit(limit)
    ]
    branches += [
        select(r.id, constant(1).label("tier"))
        .where(
            r.team_id == team,
            r.kind == constant(kind),
            r.search_text > full,
            r.search_text < bindparam("after"),
        )
        .order_by(r.search_text, r.id)
        .limit(limit)
        for kind in kinds
    ]
    subqueries = [b.subquery() for b in branches]
    return union_all(*(select(*sq.c) for sq in subqueries))


@lru_cache(maxsize=32)
def _by_name(kinds: tuple[str, ...]) -> Any:
    """The walks' records, with their contacts' companies read once around them: with
    every column in every walk the statement outgrew what psycopg keeps parsed (4 kB),
    and was parsed again on every keystroke."""
    walks = _walks(kinds).subquery("walks")
    return select(*SEARCH_COLUMNS, walks.c.tier).join(walks, walks.c.id == records_table.c.id)


def _ranked(candidates: str) -> Any:
    """SQLite: the best of `candidates` (SQL yielding record ids, at most :cap):
    contacts, companies, deals, tickets, then by name."""
    r = records_table.c
    lists: tuple[Any, ...] = (bindparam("kinds", expanding=True), bindparam("seen", expanding=True))
    ids = text(candidates).bindparams(*lists).columns(record_id=Integer).subquery()
    return (
        select(*SEARCH_COLUMNS)
        .where(r.id.in_(select(ids.c.record_id)))
        .order_by(kind_rank(r.kind), r.search_text, r.id)
        .limit(bindparam("limit"))
    )


_KIND_AND_SEEN = "r.team_id = :team AND r.kind IN :kinds AND r.id NOT IN :seen"
# SQLite: FTS5 finds the rows, each checked against the record's workspace and kind.
# CROSS JOIN makes the full-text match the outer loop: SQLite would otherwise walk the
# team's records and run the match once per record.
_FTS_SEARCH = _ranked(
    "SELECT r.id AS record_id FROM record_fts CROSS JOIN records r ON r.id = record_fts.rowid "
    f"WHERE record_fts MATCH :match AND {_KIND_AND_SEEN} LIMIT :cap"
)


def _fts(
    session: Session,
    team_id: str,
    words: list[str],
    name_only: bool,
    kinds: tuple[str, ...],
    seen: list[int],
    limit: int,
) -> list[Any]:
    # Words never hold an FTS5 separator (record_index.normalize splits on ASCII control
    # characters), so each is one token: detail=column cannot answer a phrase.
    every = " AND ".join('"' + w.replace('"', '""') + '"*' for w in words)
    in_name = f"name_terms : ({every})"
    match = in_name if name_only else f"({every}) NOT ({in_name})"
    return _run(session, _FTS_SEARCH, team_id, kinds, seen, limit, match=match)


_PG_RANK = (
    "CASE r.kind WHEN 'contact' THEN 0 WHEN 'company' THEN 1 WHEN 'deal' THEN 2 "
    "WHEN 'ticket' THEN 3 ELSE 4 END"
)
assert tuple(KIND_ORDER) == ("contact", "company", "deal", "ticket")


def _pg_tier(vector: str, extra: str = "") -> str:
    """The ids of a full-text tier, best first: the rarer words' GIN lookup on the stored
    `vector` (:driver, with the kinds' lexemes), then every word (:every) as a filter on
    the same vector of those rows only; OFFSET 0 keeps the planner from merging the two.
    PostgreSQL estimates the candidates poorly and may hash-join them against every
    record; `= ANY(ARRAY(...))` runs them once and probes the primary key."""
    return (
        "SELECT r.id FROM records r WHERE r.id = ANY(ARRAY("
        f"SELECT s.record_id FROM (SELECT record_id, {PG_NAMES}, {PG_TERMS} "
        f"FROM record_search WHERE team_id = :team AND {vector} @@ CAST(:driver AS tsquery) "
        "OFFSET 0) AS s JOIN records r ON r.id = s.record_id "
        f"WHERE s.{vector} @@ CAST(:every AS tsquery) {extra}"
        "AND r.team_id = :team AND r.kind = ANY(:kinds) "
        "AND r.id NOT IN (SELECT id FROM walks) LIMIT :cap)) "
        f"ORDER BY {_PG_RANK}, r.search_text, r.id LIMIT :limit"
    )


_PG_IN_NAME = _pg_tier(PG_NAMES)
# Tier 3: every word starts a term, but not every word a name word (that was tier 2), so
# it never repeats a record of tier 2.
_PG_ELSEWHERE = _pg_tier(PG_TERMS, f"AND NOT s.{PG_NAMES} @@ CAST(:every AS tsquery) ")


@lru_cache(maxsize=32)
def _pg_find(kinds: tuple[str, ...]) -> Any:
    """PostgreSQL: the three tiers in one statement (one round trip and one execution's
    overhead here instead of three), each tier run only while the ones before it found
    fewer than :limit records: a gate on counts that PostgreSQL evaluates once before it
    starts the tier (a one-time filter), as the loop over tiers did between statements.
    Written out rather than built, so it stays under the 4 kB psycopg keeps parsed. The
    records are read once, by primary key per hit (OFFSET 0: a lookup per hit, never a
    join against every record)."""
    assert all(k.isalnum() for k in kinds), kinds
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    walks = [
        "(SELECT r.id, 0 AS tier FROM records r WHERE r.team_id = :team "
        f"AND r.kind IN ({listed}) AND r.search_text = :full ORDER BY {_PG_RANK}, r.id "
        "LIMIT :limit)"
    ]
    walks += [
        f"(SELECT r.id, 1 FROM records r WHERE r.team_id = :team AND r.kind = '{kind}' "
        "AND r.search_text > :full AND r.search_text < :after "
        "ORDER BY r.search_text, r.id LIMIT :limit)"
        for kind in kinds
    ]
    company = (
        "CASE WHEN r.kind = 'contact' THEN (SELECT c.name FROM records c "
        "JOIN record_associations a ON a.other_id = c.id "
        "WHERE a.record_id = r.id AND c.kind = 'company' "
        "ORDER BY c.search_text, c.name LIMIT 1) END"
    )
    walked = "(SELECT count(*) FROM walks)"
    sql = (
        f"WITH walks AS ({' UNION ALL '.join(walks)}), named AS ({_PG_IN_NAME}) "
        "SELECT r.*, hits.tier FROM (SELECT id, tier FROM walks "
        f"UNION ALL SELECT id, 2 FROM named WHERE {walked} < :limit "
        f"UNION ALL SELECT id, 3 FROM ({_PG_ELSEWHERE}) AS elsewhere WHERE CASE "
        f"WHEN {walked} >= :limit THEN false "
        f"ELSE {walked} + (SELECT count(*) FROM named) < :limit END) AS hits "
        "CROSS JOIN LATERAL (SELECT r.id, r.kind, r.external_id, r.name, r.email, r.phone, "
        f"r.timezone, r.language, r.search_text, {company} AS company "
        "FROM records r WHERE r.id = hits.id OFFSET 0) AS r"
    )
    return text(sql).bindparams(bindparam("kinds", type_=ARRAY(String)))


def _tsquery(words: list[str]) -> str:
    """Every word as a prefix, quoted as tsquery input."""
    quoted = ("'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in words)
    return " & ".join(f"{q}:*" for q in quoted)


def _pg_params(stats: _TermStats, words: list[str], kinds: tuple[str, ...]) -> dict[str, Any]:
    """The full-text tiers' parameters: the rarer words drive the GIN lookup."""
    share = {w: stats.share(w) for w in words}
    rare = [
        w
        for w in words
        if share[w] <= _COMMON_SHARE and not (w.isdigit() and len(w) < _SHORT_NUMBER)
    ] or [min(words, key=share.__getitem__)]
    driver = _tsquery(rare)
    if len(kinds) < len(KIND_ORDER):  # a picker for some kinds: filtered in the index
        driver += " & (" + " | ".join(f"'#{k}'" for k in kinds) + ")"
    return {"kinds": list(kinds), "cap": _CANDIDATES, "driver": driver, "every": _tsquery(words)}


def _run(
    session: Session,
    statement: Any,
    team_id: str,
    kinds: tuple[str, ...],
    seen: list[int],
    limit: int,
    **params: str,
) -> list[Any]:
    values = {"team": team_id, "kinds": list(kinds), "seen": seen, "cap": _CANDIDATES}
    return list(session.execute(statement, {**values, "limit": limit, **params}))


@dataclass
class _TermStats:
    """PostgreSQL's estimate of how many records have a term starting with a prefix:
    the most common terms of `record_search` and the share of records holding each
    (pg_stats of the stored `terms_tsv` column, kept by ANALYZE), read every few minutes."""

    terms: list[str] = field(default_factory=list)
    cumulative: list[float] = field(default_factory=list)
    read_at: float = float("-inf")

    def share(self, prefix: str) -> float:
        lo = bisect.bisect_left(self.terms, prefix)
        hi = bisect.bisect_left(self.terms, successor(prefix))
        return self.cumulative[hi] - self.cumulative[lo] if self.terms else 0.0

    def refresh(self, driver: Any) -> None:
        row = driver.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            f"WHERE tablename = 'record_search' AND attname = '{PG_TERMS}'"
        ).fetchone()
        pairs = sorted(zip(row[0], row[1], strict=False)) if row and row[0] else []
        self.terms = [term for term, _ in pairs]
        self.cumulative = [0.0, *itertools.accumulate(share for _, share in pairs)]
        self.read_at = time.monotonic()


_STATS: WeakKeyDictionary[Engine, _TermStats] = WeakKeyDictionary()


def _stats_for(engine: Engine, driver: Any) -> _TermStats:
    stats = _STATS.setdefault(engine, _TermStats())
    if time.monotonic() - stats.read_at > _STATS_SECONDS:
        stats.refresh(driver)
    return stats


def successor(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    last = ord(prefix[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # not encodable: skip the surrogate block
        last = 0xE000
    if last > 0x10FFFF:
        return prefix + "\U0010ffff"
    return prefix[:-1] + chr(last)


__all__ = ["PG_NAMES", "PG_TERMS", "find", "find_words_pg", "kinds_searched"]
