"""Records by workspace, kind and last update: the attendee picker's first options (the
most recently updated contacts) walk this index instead of skipping every other kind.

Written by hand and kept equal to storage/models.py (tests compare the two).

Revision ID: 0011_recent_by_kind
Revises: 0010_crm_owners
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_recent_by_kind"
down_revision: str | None = "0010_crm_owners"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_records_team_id_kind_updated_at", "records", ["team_id", "kind", "updated_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_records_team_id_kind_updated_at", table_name="records")
