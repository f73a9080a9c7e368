"""Record search: the queries behind the record pickers (SqlRecordRepository.search).

Search has to answer while the user types in a Slack external_select (Slack gives
up after 3 s, users notice far less), over ~150k records, on SQLite and PostgreSQL
alike. Neither engine's full-text search does prefix matching on accent-folded
words the same way, so we keep our own index: `record_terms` holds every
normalised word a record can be found by, and each query word becomes one range
scan (`term >= 'jan' AND term < 'jao'`) on a B-tree that both engines serve from
the index alone. Records must match every query word; at most a thousand
candidates are ranked in SQL and only `limit` rows come back. Names typed from
their start, the common case, are answered from the (team, kind, name) index
without touching the terms at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    and_,
    any_,
    case,
    func,
    intersect,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from handlers.domain import (
    RecordKind,
)
from storage.models import RecordModel
from storage.record_index import ALL_FIELDS, NAME_FIELD, normalize, query_words
from storage.record_tables import KIND_ORDER, SEARCH_COLUMNS, kind_rank, records_table, terms_table

# Bounds on the work of one search (see _by_terms): records
# ranked, and term matches counted (and intersected) per word.
_CANDIDATES = 1000
_WORD_MATCHES = 50000


def find(
    session: Session, teams: list[str], query: str, kinds: Sequence[RecordKind] | None, limit: int
) -> list[Any]:
    """The best `limit` records of `teams` for `query` (the most recent when it has no
    words), as rows of SEARCH_COLUMNS or ORM objects."""
    words = query_words(query)
    if not words:
        return _recent(session, teams, kinds, limit)
    return _matching(session, teams, words, normalize(query), kinds, limit)


def _recent(
    session: Session,
    teams: list[str],
    kinds: Sequence[RecordKind] | None,
    limit: int,
) -> list[Any]:
    # One query per team so each is a walk down (team_id, updated_at) that stops
    # after `limit` rows; `team_id IN (...) ORDER BY updated_at` would sort them all.
    found: list[RecordModel] = []
    for team in teams:
        query = select(RecordModel).where(RecordModel.team_id == team)
        if kinds:
            query = query.where(RecordModel.kind.in_([str(k) for k in kinds]))
        query = query.order_by(RecordModel.updated_at.desc(), RecordModel.id.desc())
        found.extend(session.execute(query.limit(limit)).scalars())
    found.sort(key=lambda r: (r.updated_at, r.id), reverse=True)
    return found[:limit]


def _matching(
    session: Session,
    teams: list[str],
    words: list[str],
    full: str,
    kinds: Sequence[RecordKind] | None,
    limit: int,
) -> list[Any]:
    """Best first, in tiers: 0 the name is the query, 1 the name starts with it,
    2 every query word starts a word of the name, 3 every query word starts some
    term (email, phone, company). Within a tier: contacts, companies, deals,
    tickets, then by name.

    At most three statements, whatever the data: tiers 0-1 are short walks of
    the (team, kind, name) index in one UNION ALL, so typing the start of a name
    never touches the term index; tiers 2-3 take their candidates from the term
    index alone and read at most _CANDIDATES records by primary key.
    """
    kind_list = [k for k in KIND_ORDER if not kinds or k in kinds]
    kind_values = [str(k) for k in kind_list]
    r = records_table.c

    branches = [
        select(*SEARCH_COLUMNS, literal(0).label("tier"))
        .where(r.team_id.in_(teams), r.kind.in_(kind_values), r.search_text == full)
        .order_by(kind_rank(r.kind), r.id)
        .limit(limit)
    ]
    for team in teams:
        for kind in kind_values:
            branches.append(
                select(*SEARCH_COLUMNS, literal(1).label("tier"))
                .where(
                    r.team_id == team,
                    r.kind == kind,
                    r.search_text > full,
                    r.search_text < _successor(full),
                )
                .order_by(r.search_text, r.id)
                .limit(limit)
            )
    subqueries = [b.subquery() for b in branches]
    rows = list(session.execute(union_all(*(select(*sq.c) for sq in subqueries))))
    rank = {k: i for i, k in enumerate(kind_values)}
    rows.sort(key=lambda row: (row.tier, rank[row.kind], row.search_text, row.id))
    found: list[Any] = rows[:limit]
    if len(found) < limit:
        seen = {row.id for row in found}
        found += _by_terms(session, teams, words, kind_values, seen, limit - len(found))
    return found


def _by_terms(
    session: Session,
    teams: list[str],
    words: list[str],
    kinds: list[str],
    exclude: set[int],
    limit: int,
) -> list[Any]:
    """Tiers 2 and 3: records with, for every word, a term starting with it.

    Candidates come from the term index alone: the matches of every word are
    counted first (in one statement, capped); then either the ranges are
    intersected, or the smallest is walked and probed on the primary key for the
    other words. At most _CANDIDATES records are then read by primary key and
    their tier (all words in the name or not) settled by more probes. The bounds
    keep a vague query (words matching tens of thousands of terms) within the
    time budget: it gets good matches, not necessarily every one, and sharpens
    as the user types.
    """
    t = terms_table.c

    def has_term(word: str, record_id: Any, field: int | None = None) -> Any:
        n = terms_table.alias()
        conditions = [n.c.record_id == record_id, n.c.term >= word, n.c.term < _successor(word)]
        if field is not None:
            conditions.append(n.c.field == field)
        return select(n.c.record_id).where(*conditions).exists()

    def in_range(word: str) -> list[Any]:
        # field IN (0, 1) lets the range use the (team, field, term) index, and
        # lists name terms first, so a capped list keeps the better matches.
        return [
            t.team_id.in_(teams),
            t.field.in_(ALL_FIELDS),
            t.term >= word,
            t.term < _successor(word),
        ]

    driver, others = words[0], words[1:]
    size: dict[str, int] = {}
    if others:
        counts = session.execute(
            select(
                *(
                    select(func.count())
                    .select_from(
                        select(t.record_id).where(*in_range(w)).limit(_WORD_MATCHES + 1).subquery()
                    )
                    .scalar_subquery()
                    for w in words
                )
            )
        ).one()
        size = dict(zip(words, counts, strict=True))
        driver = min(words, key=lambda w: size[w])
        if size[driver] == 0:
            return []
        others = [w for w in words if w != driver]
    candidates: Any
    if others and max(size.values()) <= _WORD_MATCHES:
        # No range is huge: intersecting them (one hash or sort) beats probing the
        # primary key once per entry of the smallest.
        both = intersect(*(select(t.record_id).where(*in_range(w)) for w in words)).subquery()
        candidates = select(both.c.record_id)
        if exclude:
            candidates = candidates.where(both.c.record_id.not_in(sorted(exclude)))
    else:
        # One range is huge: walk the smallest, probing for the other words; in a
        # dense match this stops as soon as enough candidates are found.
        candidates = select(t.record_id).where(
            *in_range(driver), *(has_term(w, t.record_id) for w in others)
        )
        if exclude:
            candidates = candidates.where(t.record_id.not_in(sorted(exclude)))
    candidates = candidates.limit(_CANDIDATES)

    r = records_table.c
    tier = case((and_(*(has_term(w, r.id, NAME_FIELD) for w in words)), 2), else_=3)
    ranked = (
        select(*SEARCH_COLUMNS)
        .where(_id_among(session, candidates), r.kind.in_(kinds))
        .order_by(tier, kind_rank(r.kind), r.search_text, r.id)
        .limit(limit)
    )
    return list(session.execute(ranked).all())


def _successor(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    last = ord(prefix[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # not encodable: skip the surrogate block
        last = 0xE000
    if last > 0x10FFFF:
        return prefix + "\U0010ffff"
    return prefix[:-1] + chr(last)


def _id_among(session: Session, candidates: Any) -> Any:
    """`records.id IN (candidates)`, planned as primary-key lookups on both engines.

    SQLite does that by itself. PostgreSQL estimates the subquery poorly and may
    hash-join it against a scan of every record; `= ANY(ARRAY(subquery))` is run
    once up front and then used as an index condition.
    """
    if session.get_bind().dialect.name == "postgresql":
        return records_table.c.id == any_(func.array(candidates.scalar_subquery()))
    return records_table.c.id.in_(candidates)
