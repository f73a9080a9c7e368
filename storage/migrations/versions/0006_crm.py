"""The workspace's CRM connection (HubSpot): its token, encrypted, and its sync cursor.

Written by hand and kept equal to storage/crm_connections.py (tests compare the two).

Revision ID: 0006_crm
Revises: 0005_search
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_crm"
down_revision: str | None = "0005_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_connections",
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("connected_by", sa.String(32), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("synced_up_to", sa.DateTime(timezone=False), nullable=True),
        sa.PrimaryKeyConstraint("team_id", name="pk_crm_connections"),
    )


def downgrade() -> None:
    op.drop_table("crm_connections")
