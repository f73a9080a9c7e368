"""PostgreSQL keeps the search tsvectors in record_search as stored generated columns
(`names_tsv`, `terms_tsv`) and indexes those columns, instead of indexing expressions
that rebuild them from the term strings.

Why: a search filters its GIN candidates by every typed word, and a tier filters out
what the name tier found; with expression indexes each of those checks rebuilt two
tsvectors from text per candidate. Measured at 150k records: "Black C" in the attendee
picker checks 2,062 candidates, 3.7 ms of rebuilding, 0.8 ms on stored vectors. The
table doubles (23 to 48 MB at 150k records). SQLite's FTS5 index is unchanged.

Written by hand; storage/models.py does not declare these PostgreSQL-only columns
(tests/integration/test_storage_migrations.py leaves them out of the comparison).

Revision ID: 0016_search_vectors
Revises: 0015_record_deleted
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016_search_vectors"
down_revision: str | None = "0015_record_deleted"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The expressions of 0014_search_kind, now computed once per row write.
_KIND = "array_to_tsvector(ARRAY['#' || kind])"
_NAMES = "array_to_tsvector(string_to_array(name_terms, ' '))"
_TERMS = f"({_NAMES} || array_to_tsvector(string_to_array(other_terms, ' ')))"
_COLUMNS = {"names_tsv": f"({_KIND} || {_NAMES})", "terms_tsv": f"({_KIND} || {_TERMS})"}
_INDEXES = {"ix_record_search_names": "names_tsv", "ix_record_search_terms": "terms_tsv"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in _INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute(
        "ALTER TABLE record_search "
        + ", ".join(
            f"ADD COLUMN {column} tsvector GENERATED ALWAYS AS {expression} STORED"
            for column, expression in _COLUMNS.items()
        )
    )
    for name, column in _INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON record_search USING gin ({column})")
    op.execute("ANALYZE record_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in _INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("ALTER TABLE record_search DROP COLUMN names_tsv, DROP COLUMN terms_tsv")
    for name, column in _INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON record_search USING gin ({_COLUMNS[column]})")
