"""The record's kind in the search index: on PostgreSQL both GIN indexes also hold a
lexeme '#<kind>' (no query word starts with '#': normalising strips it, so no typed
prefix can match it), and a picker for one kind (the attendee picker's contacts) intersects it in the index
instead of fetching every match of the other kinds and dropping it.

Written by hand and kept equal to storage/models.py (tests compare the two).

Revision ID: 0014_search_kind
Revises: 0013_outcome_messages
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_search_kind"
down_revision: str | None = "0013_outcome_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KIND = "array_to_tsvector(ARRAY['#' || kind])"
_NAMES = "array_to_tsvector(string_to_array(name_terms, ' '))"
_TERMS = f"({_NAMES} || array_to_tsvector(string_to_array(other_terms, ' ')))"
_OLD = {"ix_record_search_names": _NAMES, "ix_record_search_terms": _TERMS}
_NEW = {
    "ix_record_search_names": f"({_KIND} || {_NAMES})",
    "ix_record_search_terms": f"({_KIND} || {_TERMS})",
}


def _indexes(expressions: dict[str, str]) -> None:
    for name, expression in expressions.items():
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON record_search USING gin ({expression})")


def upgrade() -> None:
    # Plain ALTER TABLE, never a batch copy: SQLite would drop the table's FTS triggers.
    op.add_column(
        "record_search", sa.Column("kind", sa.String(16), nullable=False, server_default="")
    )
    op.execute(
        "UPDATE record_search SET kind = "
        "(SELECT kind FROM records WHERE records.id = record_search.record_id)"
    )
    if op.get_bind().dialect.name == "postgresql":
        _indexes(_NEW)
        op.execute("ANALYZE record_search")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _indexes(_OLD)
    op.execute("ALTER TABLE record_search DROP COLUMN kind")  # SQLite 3.35+ keeps the triggers
