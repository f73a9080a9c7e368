"""Search index per engine: one row of terms per record (`record_search`, replacing the
row per term of `record_terms`), indexed by SQLite FTS5 with prefix indexes and by
PostgreSQL GIN indexes on tsvectors.

The terms are unchanged (storage.record_index), so existing databases are backfilled
from `record_terms` in SQL and keep finding everything without a re-import.
Downgrading splits them back into `record_terms`.

Written by hand and kept equal to storage/models.py (tests compare the two).

Revision ID: 0005_search
Revises: 0004_signin
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_search"
down_revision: str | None = "0004_signin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite: every ASCII punctuation mark is part of a token, because our terms are already
# split the way search wants them ("jan.nowak@acme.example", "o'brien", "o.o"); prefix
# indexes for the 1-4 characters people type first; detail=column keeps which column
# (name or other) a term is in, for ranking, but no positions (no phrase queries).
_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_TOKENIZE = "ascii tokenchars '" + _PUNCT.replace("'", "''") + "'"
_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE record_fts USING fts5(name_terms, other_terms, "
    "content='record_search', content_rowid='record_id', "
    'tokenize="' + _TOKENIZE.replace('"', '""') + "\", prefix='1 2 3 4', detail=column)"
)
_FTS_INSERT = (
    "INSERT INTO record_fts (rowid, name_terms, other_terms) "
    "VALUES (new.record_id, new.name_terms, new.other_terms);"
)
_FTS_DELETE = (
    "INSERT INTO record_fts (record_fts, rowid, name_terms, other_terms) "
    "VALUES ('delete', old.record_id, old.name_terms, old.other_terms);"
)
_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER record_search_ai AFTER INSERT ON record_search BEGIN {_FTS_INSERT} END",
    f"CREATE TRIGGER record_search_ad AFTER DELETE ON record_search BEGIN {_FTS_DELETE} END",
    "CREATE TRIGGER record_search_au AFTER UPDATE ON record_search "
    f"BEGIN {_FTS_DELETE} {_FTS_INSERT} END",
)
# PostgreSQL: one GIN index on the name terms (tier 2: every word starts a name word),
# one on all terms. The expressions are repeated by storage.record_search: the planner
# uses an index only for the same expression.
_PG_NAMES = "array_to_tsvector(string_to_array(name_terms, ' '))"
_PG_TERMS = f"({_PG_NAMES} || array_to_tsvector(string_to_array(other_terms, ' ')))"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "record_search",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("name_terms", sa.Text(), nullable=False, server_default=""),
        sa.Column("other_terms", sa.Text(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name="fk_record_search_record_id_records",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name="pk_record_search"),
    )
    if sqlite:
        op.execute(_SQLITE_FTS)
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)
        joined = "coalesce(group_concat(CASE WHEN field = {f} THEN term END, ' '), '')"
    else:
        joined = "coalesce(string_agg(term, ' ' ORDER BY term) FILTER (WHERE field = {f}), '')"
    op.execute(
        "INSERT INTO record_search (record_id, team_id, name_terms, other_terms) "
        f"SELECT record_id, max(team_id), {joined.format(f=0)}, {joined.format(f=1)} "
        "FROM (SELECT * FROM record_terms ORDER BY record_id, term) AS t GROUP BY record_id"
    )
    if not sqlite:
        op.execute(f"CREATE INDEX ix_record_search_names ON record_search USING gin ({_PG_NAMES})")
        op.execute(f"CREATE INDEX ix_record_search_terms ON record_search USING gin ({_PG_TERMS})")
        op.execute("ANALYZE record_search")
    op.drop_index("ix_record_terms_lookup", table_name="record_terms")
    op.drop_table("record_terms")


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    term = sa.String(100).with_variant(sa.String(100, collation="C"), "postgresql")
    op.create_table(
        "record_terms",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("term", term, nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("field", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name="fk_record_terms_record_id_records",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "term", name="pk_record_terms"),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_record_terms_lookup", "record_terms", ["team_id", "field", "term", "record_id"]
    )
    rows = bind.execute(
        sa.text("SELECT record_id, team_id, name_terms, other_terms FROM record_search")
    ).all()
    terms = []
    for rid, team, name, other in rows:
        fields = dict.fromkeys(other.split(), 1) | dict.fromkeys(name.split(), 0)
        terms.extend(
            {"record_id": rid, "term": t, "team_id": team, "field": f} for t, f in fields.items()
        )
    if terms:
        bind.execute(
            sa.text(
                "INSERT INTO record_terms (record_id, term, team_id, field) "
                "VALUES (:record_id, :term, :team_id, :field)"
            ),
            terms,
        )
    if sqlite:
        for name in ("record_search_ai", "record_search_ad", "record_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS record_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_record_search_names")
        op.execute("DROP INDEX IF EXISTS ix_record_search_terms")
    op.drop_table("record_search")
