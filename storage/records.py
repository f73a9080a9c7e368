"""CRM records: storage, import and search (handlers.ports.RecordRepository).

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

Every read takes the workspace and returns only its records: there is no shared
pool (rows stored with an empty team by older versions are invisible; re-import
them with `meetline import --team T`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from sqlalchemy import (
    Table,
    and_,
    any_,
    case,
    delete,
    func,
    intersect,
    literal,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from handlers.domain import (
    ImportRejected,
    ImportResult,
    Record,
    RecordKind,
    RecordRow,
    RowError,
)
from handlers.ids import parse_id
from handlers.ports import RecordRepository
from storage.db import Sessions, write_session
from storage.models import RecordAssociationModel, RecordModel, RecordTermModel

T = TypeVar("T")

KIND_ORDER = (RecordKind.CONTACT, RecordKind.COMPANY, RecordKind.DEAL, RecordKind.TICKET)
MAX_TERM_CHARS = 100  # record_terms.term is VARCHAR(100)

# IN lists stay well under SQLite's bound-parameter limit; inserts go in batches
# so memory stays flat however large the file.
_CHUNK = 900
_BATCH_ROWS = 10000
# PostgreSQL: imports at least this large refresh planner statistics as they go.
_ANALYZE_AFTER = 1000
# Looking up more external ids than this reads the team's records in one scan.
_SCAN_TEAM_AFTER = 5000
# Bounds on the work of one search (see SqlRecordRepository._by_terms): records
# ranked, and term matches counted (and intersected) per word.
_CANDIDATES = 1000
_WORD_MATCHES = 50000

_records: Table = RecordModel.__table__  # type: ignore[assignment]
_assocs: Table = RecordAssociationModel.__table__  # type: ignore[assignment]
_terms: Table = RecordTermModel.__table__  # type: ignore[assignment]


# -- normalisation ----------------------------------------------------------------------

# Letters NFKD does not decompose (ł is a letter of its own, not l + a mark), and
# typographic apostrophes that users and CRMs mix freely.
_FOLD = str.maketrans(
    {
        "ł": "l",
        "đ": "d",
        "ø": "o",
        "ħ": "h",
        "ŧ": "t",
        "ı": "i",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
    }
)
_SPACE = re.compile(r"\s+")
_EDGE_PUNCT = re.compile(r"^[^\w@+]+|[^\w]+$")
_INNER_SPLIT = re.compile(r"[^\w]+|_")
_PHONEISH = re.compile(r"^\+?[\d\s().\-/]*\d[\d\s().\-/]*$")
_DIGIT_GROUP = re.compile(r"\d+")


def normalize(text: str) -> str:
    """Casefolded, accent-free, single-spaced: "  Żółć  Ltd" -> "zolc ltd"."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    stripped = "".join(c for c in folded if not unicodedata.combining(c))
    # NFKD may expose letters the first translation could not see (e.g. from ligatures).
    return _SPACE.sub(" ", stripped.translate(_FOLD)).strip()


def _word_terms(text: str) -> set[str]:
    """Words of a name: each word, its parts around inner punctuation, and the parts
    joined, so "Anne-Marie O'Brien" is found by "marie", "o'brien" and "obrien"."""
    terms: set[str] = set()
    for raw in normalize(text).split(" "):
        word = _EDGE_PUNCT.sub("", raw)
        if not word:
            continue
        terms.add(word)
        parts = [p for p in _INNER_SPLIT.split(word) if p]
        if len(parts) > 1:
            terms.update(parts)
            terms.add("".join(parts))
    return terms


def _email_terms(email: str) -> set[str]:
    email = normalize(email).replace(" ", "")
    terms = {email}
    local, _, domain = email.partition("@")
    if local:
        terms.add(local)
        terms.update(p for p in _INNER_SPLIT.split(local) if p)
    if domain:
        terms.add(domain)
    return terms


def _phone_terms(phone: str) -> set[str]:
    """All digits, and the digits from each group on, so the number is found with or
    without its country or area code ("+48 601 234 567" by "601234" too)."""
    starts = [m.start() for m in _DIGIT_GROUP.finditer(phone)]
    terms: set[str] = set()
    for start in starts:
        digits = re.sub(r"\D", "", phone[start:])
        if len(digits) >= 3:
            terms.add(digits)
    return terms


NAME_FIELD = 0  # record_terms.field of words of the record's own name
OTHER_FIELD = 1  # email, phone, names of associated companies
ALL_FIELDS = (NAME_FIELD, OTHER_FIELD)


def index_terms(
    name: str,
    email: str | None = None,
    phone: str | None = None,
    company_names: Iterable[str] = (),
) -> dict[str, int]:
    """Every term the record is found by, with its field (a name word wins when the
    same term also comes from elsewhere)."""
    other: set[str] = set()
    if email:
        other |= _email_terms(email)
    if phone:
        other |= _phone_terms(phone)
    for company in company_names:
        other |= _word_terms(company)
    terms = {t[:MAX_TERM_CHARS]: OTHER_FIELD for t in other if t}
    terms.update({t[:MAX_TERM_CHARS]: NAME_FIELD for t in _word_terms(name) if t})
    return terms


def query_words(query: str) -> list[str]:
    """The words a query must all match (as prefixes), normalised like the index."""
    words: list[str] = []
    for raw in normalize(query).split(" "):
        word = re.sub(r"\D", "", raw) if _PHONEISH.match(raw) else _EDGE_PUNCT.sub("", raw)
        word = word[:MAX_TERM_CHARS]
        if word and word not in words:
            words.append(word)
    return words


def _successor(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    last = ord(prefix[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # not encodable: skip the surrogate block
        last = 0xE000
    if last > 0x10FFFF:
        return prefix + "\U0010ffff"
    return prefix[:-1] + chr(last)


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# -- the repository ---------------------------------------------------------------------


@dataclass
class _Stored:
    id: int
    team_id: str
    kind: str
    name: str
    email: str | None
    phone: str | None


class SqlRecordRepository:
    def __init__(self, session_factory: Sessions) -> None:
        self._sessions = session_factory

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
        teams = _teams(team_id)
        words = query_words(query)
        with self._sessions() as session:
            if not words:
                models = self._recent(session, teams, kinds, limit)
            else:
                models = self._matching(session, teams, words, normalize(query), kinds, limit)
            return self._to_records(session, models)

    def _recent(
        self,
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
        self,
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
        r = _records.c

        branches = [
            select(*_COLUMNS, literal(0).label("tier"))
            .where(r.team_id.in_(teams), r.kind.in_(kind_values), r.search_text == full)
            .order_by(_kind_rank(r.kind), r.id)
            .limit(limit)
        ]
        for team in teams:
            for kind in kind_values:
                branches.append(
                    select(*_COLUMNS, literal(1).label("tier"))
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
            found += self._by_terms(session, teams, words, kind_values, seen, limit - len(found))
        return found

    def _by_terms(
        self,
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
        t = _terms.c

        def has_term(word: str, record_id: Any, field: int | None = None) -> Any:
            n = _terms.alias()
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
                            select(t.record_id)
                            .where(*in_range(w))
                            .limit(_WORD_MATCHES + 1)
                            .subquery()
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

        r = _records.c
        tier = case((and_(*(has_term(w, r.id, NAME_FIELD) for w in words)), 2), else_=3)
        ranked = (
            select(*_COLUMNS)
            .where(_id_among(session, candidates), r.kind.in_(kinds))
            .order_by(tier, _kind_rank(r.kind), r.search_text, r.id)
            .limit(limit)
        )
        return list(session.execute(ranked).all())

    def get(self, team_id: str, record_id: int) -> Record | None:
        rid = parse_id(record_id)
        if rid is None or not team_id:
            return None
        with self._sessions() as session:
            model = session.execute(
                select(RecordModel).where(RecordModel.id == rid, RecordModel.team_id == team_id)
            ).scalar_one_or_none()
            if model is None:
                return None
            return self._to_records(session, [model])[0]

    def associations(self, team_id: str, record_id: int) -> list[Record]:
        rid = parse_id(record_id)
        if rid is None or not team_id:
            return []
        source = _records.alias("source")
        with self._sessions() as session:
            models = session.execute(
                select(RecordModel)
                .join(RecordAssociationModel, RecordAssociationModel.other_id == RecordModel.id)
                .join(source, source.c.id == RecordAssociationModel.record_id)
                .where(RecordAssociationModel.record_id == rid, source.c.team_id == team_id,
                       RecordModel.team_id == team_id)
                .order_by(_kind_rank(), RecordModel.search_text, RecordModel.id)
            ).scalars()
            return self._to_records(session, list(models))

    def existing_external_ids(self, team_id: str, external_ids: Sequence[str]) -> set[str]:
        """Ids stored for this team among `external_ids`."""
        wanted = sorted(set(external_ids))
        found: set[str] = set()
        with self._sessions() as session:
            for chunk in _chunks(wanted):
                found.update(
                    session.execute(
                        select(RecordModel.external_id).where(
                            RecordModel.team_id.in_(_teams(team_id)),
                            RecordModel.external_id.in_(chunk),
                        )
                    ).scalars()
                )
        return found

    def count(self, team_id: str) -> int:
        """Number of the team's stored records; for reports and tests."""
        query = select(func.count()).select_from(RecordModel).where(RecordModel.team_id == team_id)
        with self._sessions() as session:
            return int(session.execute(query).scalar_one())

    def _to_records(self, session: Session, models: Sequence[Any]) -> list[Record]:
        """From ORM objects or rows of _COLUMNS, with each contact's company."""
        contact_ids = [m.id for m in models if m.kind == RecordKind.CONTACT]
        companies = _company_names(session, contact_ids)
        return [
            Record(
                id=m.id,
                kind=RecordKind(m.kind),
                external_id=m.external_id,
                name=m.name,
                email=m.email,
                phone=m.phone,
                timezone=m.timezone,
                company=companies[m.id][0] if companies.get(m.id) else None,
                language=m.language,
            )
            for m in models
        ]

    # -- importing ------------------------------------------------------------------------

    def import_rows(self, team_id: str, rows: Sequence[RecordRow]) -> ImportResult:
        """Upsert by (team_id, external_id), replace the rows' associations (both
        directions) and rebuild the search terms of everything whose terms changed
        (the rows, and contacts of companies in the file), in one transaction: any
        error leaves the database as it was.

        Built for 100k-row files: everything the file itself says (kinds, names,
        the new associations) is used from memory, and the database is asked only
        about what was stored before, in chunks or one scan of the team.
        """
        by_ext: dict[str, RecordRow] = {}
        for row in rows:
            by_ext[row.external_id] = row  # a repeated id: the last row wins
        if not by_ext:
            return ImportResult(created=0, updated=0, associations=0)
        ext_ids = list(by_ext)
        now = datetime.now(UTC)
        company, contact = str(RecordKind.COMPANY), str(RecordKind.CONTACT)

        with write_session(self._sessions) as session:
            dialect = session.get_bind().dialect.name
            big = dialect == "postgresql" and len(by_ext) >= _ANALYZE_AFTER
            before = _lookup(session, [team_id], ext_ids)
            self._upsert(session, dialect, team_id, list(by_ext.values()), now)
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
            targets = self._resolve_targets(session, team_id, by_ext, ids)
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
            touched |= {
                b for a, b in pairs if kind_of.get(a) == company and kind_of.get(b) == contact
            }
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
                ids[e]: _Stored(ids[e], team_id, str(r.kind), r.name, r.email, r.phone)
                for e, r in by_ext.items()
            }
            self._rebuild_terms(session, stored, companies, old_ids, extra)
            if big:  # so the first searches after a large import are planned well
                session.execute(text("ANALYZE record_terms"))

        return ImportResult(
            created=len(ext_ids) - len(before),
            updated=len(before),
            associations=len(pairs) // 2,
        )

    @staticmethod
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
        stmt = dialect_insert(_records)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_records.c.team_id, _records.c.external_id],
            set_={
                col: stmt.excluded[col]
                for col in ("kind", "name", "email", "phone", "timezone", "language", "search_text", "updated_at")
            },
        )
        for batch in _chunks(values, _BATCH_ROWS):
            session.execute(stmt, list(batch))

    @staticmethod
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
            targets.update(_lookup(session, _teams(team_id), missing))
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

    @staticmethod
    def _rebuild_terms(
        session: Session,
        stored: dict[int, _Stored],
        companies: dict[int, list[str]],
        old_ids: Sequence[int],
        extra_ids: Sequence[int],
    ) -> None:
        """Bring the terms of the imported records (`stored`, with the company names
        of their contacts) and of `extra_ids` (read back from the database) up to
        date. Only records whose terms differ are rewritten, so re-importing an
        unchanged file reads the index but writes nothing."""
        stored = dict(stored)
        for chunk in _chunks(extra_ids):
            for m in session.execute(
                select(
                    _records.c.id,
                    _records.c.team_id,
                    _records.c.kind,
                    _records.c.name,
                    _records.c.email,
                    _records.c.phone,
                ).where(_records.c.id.in_(chunk))
            ):
                stored[m.id] = _Stored(m.id, m.team_id, m.kind, m.name, m.email, m.phone)
        companies = {**companies, **_company_names(session, extra_ids)}
        may_have_terms = {*old_ids, *extra_ids}  # records created just now have none
        t = _terms.c
        stale: list[int] = []
        term_rows: list[dict[str, Any]] = []
        for chunk in _chunks(list(stored)):
            current: dict[int, dict[str, int]] = defaultdict(dict)
            existing = [rid for rid in chunk if rid in may_have_terms]
            if existing:
                for rid, term, field in session.execute(
                    select(t.record_id, t.term, t.field).where(t.record_id.in_(existing))
                ):
                    current[rid][term] = field
            for rid in chunk:
                s = stored[rid]
                wanted = index_terms(s.name, s.email, s.phone, companies.get(rid, ()))
                if wanted == current.get(rid, {}):
                    continue
                if rid in may_have_terms:
                    stale.append(rid)
                term_rows.extend(
                    {"record_id": rid, "term": term, "team_id": s.team_id, "field": field}
                    for term, field in sorted(wanted.items())
                )
        for chunk in _chunks(stale):
            session.execute(delete(_terms).where(t.record_id.in_(chunk)))
        _bulk_insert(session, _terms, term_rows)


def _replace_associations(
    session: Session, old_ids: Sequence[int], wanted: set[tuple[int, int]]
) -> None:
    """Make `wanted` (both directions) the associations of the imported records.

    Only the difference is written: a re-import of an unchanged file deletes and
    inserts nothing. `old_ids` are the imported records that existed before; the
    others cannot have associations yet.
    """
    a = _assocs.c
    current: set[tuple[int, int]] = set()
    for chunk in _chunks(old_ids):
        for record_id, other_id in session.execute(
            select(a.record_id, a.other_id).where(a.record_id.in_(chunk))
        ):
            current.add((record_id, other_id))
            current.add((other_id, record_id))  # stored both ways: the mirror row
    gone = sorted(current - wanted)
    for some in _chunks(gone, _CHUNK // 2):
        session.execute(delete(_assocs).where(tuple_(a.record_id, a.other_id).in_(some)))
    added = sorted(wanted - current)
    _bulk_insert(session, _assocs, [{"record_id": r, "other_id": o} for r, o in added])


class _Found(NamedTuple):
    id: int
    kind: str
    name: str


def _lookup(session: Session, teams: list[str], ext_ids: Sequence[str]) -> dict[str, _Found]:
    """Stored records by external id, of the given teams (later teams win).

    Large batches read the whole team in one scan: cheaper than hundreds of IN
    lookups, and immune to a planner without statistics for fresh rows.
    """
    r = _records.c
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
                for chunk in _chunks(sorted(wanted))
            ]
        for query in queries:
            for ext, rid, kind, name in session.execute(query):
                if ext in wanted:
                    found[ext] = _Found(rid, kind, name)
    return found


def _contact_neighbours(session: Session, record_ids: Sequence[int]) -> set[int]:
    """Contacts associated with any of `record_ids`."""
    found: set[int] = set()
    for chunk in _chunks(record_ids):
        found.update(
            session.execute(
                select(_assocs.c.other_id)
                .join(_records, _records.c.id == _assocs.c.other_id)
                .where(
                    _assocs.c.record_id.in_(chunk),
                    _records.c.kind == str(RecordKind.CONTACT),
                )
            ).scalars()
        )
    return found


def _id_among(session: Session, candidates: Any) -> Any:
    """`records.id IN (candidates)`, planned as primary-key lookups on both engines.

    SQLite does that by itself. PostgreSQL estimates the subquery poorly and may
    hash-join it against a scan of every record; `= ANY(ARRAY(subquery))` is run
    once up front and then used as an index condition.
    """
    if session.get_bind().dialect.name == "postgresql":
        return _records.c.id == any_(func.array(candidates.scalar_subquery()))
    return _records.c.id.in_(candidates)


def _kind_rank(kind: Any = RecordModel.kind) -> Any:
    return case(
        *((kind == str(k), i) for i, k in enumerate(KIND_ORDER)),
        else_=len(KIND_ORDER),
    )


# What search reads of a record (the Record fields, plus what ranking needs).
_COLUMNS = (
    _records.c.id,
    _records.c.team_id,
    _records.c.kind,
    _records.c.external_id,
    _records.c.name,
    _records.c.email,
    _records.c.phone,
    _records.c.timezone,
    _records.c.language,
    _records.c.search_text,
)


def _teams(team_id: str) -> list[str]:
    """The teams whose records a workspace reads: its own, only."""
    return [team_id]


def _company_names(session: Session, contact_ids: Sequence[int]) -> dict[int, list[str]]:
    """Names of the companies associated with each contact, alphabetical."""
    names: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for chunk in _chunks(sorted(set(contact_ids))):
        for rid, name, key in session.execute(
            select(_assocs.c.record_id, _records.c.name, _records.c.search_text)
            .join(_records, _records.c.id == _assocs.c.other_id)
            .where(
                _assocs.c.record_id.in_(chunk),
                _records.c.kind == str(RecordKind.COMPANY),
            )
        ):
            names[rid].append((key, name))
    return {rid: [n for _, n in sorted(pairs)] for rid, pairs in names.items()}


def _bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
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
        for batch in _chunks(rows, _BATCH_ROWS):
            cursor.executemany(sql, [tuple(row[c] for c in columns) for row in batch])
    finally:
        cursor.close()


if TYPE_CHECKING:  # mypy proves the port is implemented; nothing runs

    def _implements(repo: SqlRecordRepository) -> RecordRepository:
        return repo


__all__ = [
    "SqlRecordRepository",
    "index_terms",
    "normalize",
    "query_words",
]
