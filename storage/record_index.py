"""The search index's terms: how names, emails and phones are normalised into the words a
record is found by (`record_search`), and rewriting those terms after an import.

Search (storage.record_search) normalises queries with the same functions, so the two
can never disagree on what "Żółć" or "+48 601" is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    delete,
    select,
)
from sqlalchemy.orm import Session

from storage.record_tables import (
    bulk_insert,
    chunks,
    contact_companies,
    records_table,
    search_table,
)

MAX_TERM_CHARS = 100  # a longer word is found by its first 100 characters


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
# ASCII control characters separate words too: SQLite's FTS5 tokenizer splits on them, so
# a query word holding one would be a phrase query, which the index (detail=column) refuses.
_SPACE = re.compile(r"[\s\x00-\x1f\x7f]+")
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


NAME_FIELD = 0  # words of the record's own name (record_search.name_terms)
OTHER_FIELD = 1  # email, phone, names of associated companies (other_terms)
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


@dataclass
class IndexedRecord:
    id: int
    team_id: str
    kind: str
    name: str
    email: str | None
    phone: str | None


def search_row(terms: dict[str, int]) -> tuple[str, str]:
    """`record_search`'s (name_terms, other_terms) for a record's `index_terms`."""
    name = " ".join(sorted(t for t, f in terms.items() if f == NAME_FIELD))
    other = " ".join(sorted(t for t, f in terms.items() if f != NAME_FIELD))
    return name, other


def rebuild_terms(
    session: Session,
    stored: dict[int, IndexedRecord],
    companies: dict[int, list[str]],
    old_ids: Sequence[int],
    extra_ids: Sequence[int],
) -> None:
    """Bring the `record_search` rows of the imported records (`stored`, with the
    company names of their contacts) and of `extra_ids` (read back from the database)
    up to date. Only records whose terms differ are rewritten, so re-importing an
    unchanged file reads the index but writes nothing. The engines' own indexes
    follow: SQLite's FTS5 table by triggers, PostgreSQL's GIN index by itself."""
    stored = dict(stored)
    for chunk in chunks(extra_ids):
        for m in session.execute(
            select(
                records_table.c.id,
                records_table.c.team_id,
                records_table.c.kind,
                records_table.c.name,
                records_table.c.email,
                records_table.c.phone,
            ).where(records_table.c.id.in_(chunk))
        ):
            stored[m.id] = IndexedRecord(m.id, m.team_id, m.kind, m.name, m.email, m.phone)
    companies = {**companies, **contact_companies(session, extra_ids)}
    may_have_terms = {*old_ids, *extra_ids}  # records created just now have none
    s = search_table.c
    stale: list[int] = []
    rows: list[dict[str, Any]] = []
    for chunk in chunks(list(stored)):
        existing = [rid for rid in chunk if rid in may_have_terms]
        current: dict[int, tuple[str, str, str]] = {}
        if existing:
            for rid, name, other, kind in session.execute(
                select(s.record_id, s.name_terms, s.other_terms, s.kind).where(
                    s.record_id.in_(existing)
                )
            ):
                current[rid] = (name, other, kind)
        for rid in chunk:
            record = stored[rid]
            wanted = search_row(
                index_terms(record.name, record.email, record.phone, companies.get(rid, ()))
            )
            if current.get(rid) == (*wanted, record.kind):
                continue
            if rid in current:
                stale.append(rid)
            rows.append(
                {
                    "record_id": rid,
                    "team_id": record.team_id,
                    "kind": record.kind,
                    "name_terms": wanted[0],
                    "other_terms": wanted[1],
                }
            )
    for chunk in chunks(stale):
        session.execute(delete(search_table).where(s.record_id.in_(chunk)))
    bulk_insert(session, search_table, rows)
