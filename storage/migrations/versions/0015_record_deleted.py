"""A record deleted at its source is kept, marked `deleted_at`, so its meetings keep
their link to it and its timeline stays readable (storage/record_import.py `delete_rows`).

Revision ID: 0015_record_deleted
Revises: 0014_search_kind
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_record_deleted"
down_revision: str | None = "0014_search_kind"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("records", sa.Column("deleted_at", sa.DateTime(timezone=False), nullable=True))


def downgrade() -> None:
    op.drop_column("records", "deleted_at")
